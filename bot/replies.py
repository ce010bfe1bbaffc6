"""Turn FAQ entries and config wording into platform-neutral replies, in one locale."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import BotConfig, SmalltalkIntent
from bot.core import Action, Choice, IncomingMessage, Link, Reply, ReplyKind
from bot.faq import Entry, Faq
from bot.redflags import RedFlag

SYMPTOM_TAG = "symptom"


class Replies:
    def __init__(self, config: BotConfig, faq: Faq) -> None:
        self.config = config
        self.faq = faq

    def _reply(self, kind: ReplyKind, text: str, locale: str, **fields: object) -> Reply:
        return Reply(kind=kind, text=text, locale=locale, faq_version=self.faq.version, **fields)  # type: ignore[arg-type]

    def _say(self, key: str, locale: str, **values: str) -> str:
        return self.config.message(key, locale, **values)

    def _open(self, entry: Entry, locale: str) -> Choice:
        return Choice(entry.question.get(locale), Action.open(entry.id))

    def answer(self, entry: Entry, locale: str) -> Reply:
        text = entry.answer.get(locale)
        if SYMPTOM_TAG in entry.tags:
            text = f"{text}\n\n{self._say('not_a_diagnosis', locale)}"
        related = [self.faq.get(entry_id) for entry_id in entry.related]
        return self._reply(
            ReplyKind.ANSWER,
            text,
            locale,
            title=entry.question.get(locale),
            entry_id=entry.id,
            related=tuple(self._open(other, locale) for other in related if other),
            buttons=(
                Choice(self._say("helpful", locale), Action.HELPFUL + entry.id),
                Choice(self._say("not_helpful", locale), Action.NOT_HELPFUL + entry.id),
            ),
            links=tuple(Link(link.title.get(locale), link.url) for link in entry.links),
        )

    def feedback(self, helpful: bool, locale: str) -> Reply:
        if helpful:
            return self._reply(ReplyKind.INFO, self._say("feedback_thanks", locale), locale)
        return self._reply(
            ReplyKind.INFO,
            self._say("feedback_sorry", locale),
            locale,
            buttons=(
                Choice(self._say("browse_topics", locale), Action.TOPIC),
                self._person(locale),
            ),
            links=self.config.escalation_links(locale),
        )

    def emergency(self, flag: RedFlag, locale: str) -> Reply:
        """No FAQ answer: the number to call, what to do now, and crisis lines when relevant."""
        safety = self.config.safety
        assert safety is not None
        number = safety.number(locale)
        advice = safety.advice[flag.category].get(locale).format(number=number)
        links = [Link(self._say("call_emergency", locale, number=number), f"tel:{number}")]
        if flag.kind == "crisis":
            links = [line.localized(locale) for line in safety.crisis_lines] + links
        title_key = "crisis_title" if flag.kind == "crisis" else "emergency_title"
        return self._reply(
            ReplyKind.EMERGENCY,
            advice,
            locale,
            title=self._say(title_key, locale),
            links=tuple(links),
        )

    def whoami(self, message: IncomingMessage, locale: str) -> Reply:
        """The user's own id, as ADMIN_IDS wants it: shown to them, stored and logged nowhere."""
        ident = f"{message.platform}:{message.user_id}"
        return self._reply(ReplyKind.INFO, self._say("whoami", locale, id=ident), locale)

    def forgotten(self, locale: str) -> Reply:
        return self._reply(ReplyKind.INFO, self._say("forgotten", locale), locale)

    def rate_limited(self, locale: str) -> Reply:
        return self._reply(ReplyKind.RATE_LIMITED, self._say("rate_limited", locale), locale)

    def suggest(self, entries: Sequence[Entry], locale: str) -> Reply:
        lines = [self._say("suggest_intro", locale)]
        lines += [
            f"{number}. {entry.question.get(locale)}" for number, entry in enumerate(entries, 1)
        ]
        return self._reply(
            ReplyKind.SUGGEST,
            "\n".join(lines),
            locale,
            suggestions=tuple(self._open(entry, locale) for entry in entries),
            buttons=(Choice(self._say("none_of_these", locale), Action.NONE_OF_THESE),),
        )

    def _person(self, locale: str) -> Choice:
        return Choice(self._say("talk_to_person", locale), Action.HUMAN)

    def fallback(self, locale: str) -> Reply:
        return self._reply(
            ReplyKind.FALLBACK,
            self._say("fallback", locale),
            locale,
            buttons=(
                Choice(self._say("browse_topics", locale), Action.TOPIC),
                self._person(locale),
            ),
            links=self.config.escalation_links(locale),
        )

    def welcome(self, locale: str) -> Reply:
        text = f"{self._say('welcome', locale)}\n\n{self._say('disclaimer', locale)}"
        return self._reply(
            ReplyKind.WELCOME,
            text,
            locale,
            buttons=(
                Choice(self._say("browse_topics", locale), Action.TOPIC),
                *self._language_choices(),
            ),
        )

    def disclaimer(self, locale: str) -> str:
        return self._say("disclaimer", locale)

    def help(self, locale: str) -> Reply:
        return self._reply(
            ReplyKind.HELP,
            self._say("help", locale),
            locale,
            buttons=(
                Choice(self._say("browse_topics", locale), Action.TOPIC),
                self._person(locale),
            ),
            links=self.config.escalation_links(locale),
        )

    def topics(self, locale: str) -> Reply:
        topics = [topic for topic in self.faq.topics if topic.entry_ids]
        lines = [self._say("topics_intro", locale)]
        lines += [f"{number}. {topic.title.get(locale)}" for number, topic in enumerate(topics, 1)]
        choices = tuple(Choice(t.title.get(locale), Action.TOPIC + t.key) for t in topics)
        return self._reply(ReplyKind.TOPICS, "\n".join(lines), locale, suggestions=choices)

    def topic(self, key: str, locale: str) -> Reply:
        topic = self.faq.topic(key)
        if topic is None:
            return self.topics(locale)
        entries = [entry for entry_id in topic.entry_ids if (entry := self.faq.get(entry_id))]
        lines = [self._say("topic_intro", locale, topic=topic.title.get(locale))]
        lines += [
            f"{number}. {entry.question.get(locale)}" for number, entry in enumerate(entries, 1)
        ]
        return self._reply(
            ReplyKind.TOPICS,
            "\n".join(lines),
            locale,
            suggestions=tuple(self._open(entry, locale) for entry in entries),
            buttons=(Choice(self._say("browse_topics", locale), Action.TOPIC),),
        )

    def language_prompt(self, locale: str) -> Reply:
        return self._reply(
            ReplyKind.LANGUAGE,
            self._say("language_prompt", locale),
            locale,
            buttons=self._language_choices(),
        )

    def language_set(self, locale: str) -> Reply:
        return self._reply(ReplyKind.LANGUAGE, self._say("language_set", locale), locale)

    def _language_choices(self) -> tuple[Choice, ...]:
        names = self.config.locale_names
        return tuple(
            Choice(names.get(loc, loc), Action.LANGUAGE + loc) for loc in self.config.locales
        )

    def smalltalk(self, intent: SmalltalkIntent, locale: str) -> Reply:
        return self._reply(ReplyKind.SMALLTALK, intent.reply.get(locale), locale)

    def unsupported(self, locale: str) -> Reply:
        return self._reply(ReplyKind.UNSUPPORTED, self._say("unsupported", locale), locale)

    def error(self, locale: str) -> Reply:
        """What a user sees when handling their message failed on our side."""
        return self._reply(
            ReplyKind.FALLBACK,
            self._say("error", locale),
            locale,
            links=self.config.escalation_links(locale),
        )
