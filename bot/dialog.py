"""The one use case: an incoming message and the user's session -> a reply.

Order matters: buttons and commands first, then a numbered choice, then small talk, and only
then the matcher, whose ranked result is turned into answer / did-you-mean / fallback by the
configured thresholds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from bot.config import BotConfig
from bot.core import Action, IncomingMessage, MessageKind, Reply, ReplyKind
from bot.knowledge import Knowledge
from bot.matcher import decide
from bot.replies import Replies
from bot.sessions import Session, SessionStore, user_key
from bot.smalltalk import SmalltalkDetector
from bot.text import detect_locale

_CHOICE_NUMBER = re.compile(r"^\s*#?\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass(slots=True)
class Turn:
    """A reply and the session fields it changes."""

    reply: Reply
    changes: dict[str, Any] = field(default_factory=dict)


class Dialog:
    def __init__(
        self, *, knowledge: Knowledge, config: BotConfig, store: SessionStore, hash_key: str
    ) -> None:
        self.knowledge = knowledge
        self.config = config
        self.store = store
        self._hash_key = hash_key
        self._smalltalk = SmalltalkDetector(config.smalltalk)

    async def handle(self, message: IncomingMessage) -> Reply:
        if message.event_id and not await self.store.first_delivery(
            f"{message.platform}:{message.event_id}"
        ):
            return Reply(ReplyKind.NONE, "", self.config.default_locale)  # redelivered: say nothing
        user = user_key(self._hash_key, message.platform, message.user_id)
        session = await self.store.get(user)
        locale = self._locale(message, session)
        replies = Replies(self.config, self.knowledge.faq)
        turn = self._turn(message, session, locale, replies)
        turn.changes.setdefault("last_locale", locale)
        if not session.welcomed:
            turn = self._with_disclaimer(turn, replies)
        await self.store.save(user, turn.changes)
        return turn.reply

    def error_reply(self, message: IncomingMessage) -> Reply:
        """The reply when handling `message` failed; touches no storage, which may be the cause."""
        locale = detect_locale(message.text) or self.config.default_locale
        return Replies(self.config, self.knowledge.faq).error(locale)

    def _with_disclaimer(self, turn: Turn, replies: Replies) -> Turn:
        """First contact: the disclaimer goes before whatever we say, once per user."""
        turn.changes["welcomed"] = True
        if turn.reply.kind is ReplyKind.WELCOME or turn.reply.notice:
            return turn  # the welcome already carries it
        notice = replies.disclaimer(turn.reply.locale)
        return Turn(replace(turn.reply, notice=notice), turn.changes)

    def _locale(self, message: IncomingMessage, session: Session) -> str:
        # A command's Latin letters say nothing of the user's language ("/start" typed in Taipei).
        typed = message.kind is MessageKind.TEXT and not message.text.lstrip().startswith("/")
        detected = detect_locale(message.text) if typed else None
        hint = _locale_from_hint(message.locale_hint, self.config.locales)
        for candidate in (session.locale, detected, session.last_locale, hint):
            if candidate in self.config.locales:
                return candidate
        return self.config.default_locale

    def _turn(
        self, message: IncomingMessage, session: Session, locale: str, replies: Replies
    ) -> Turn:
        if message.kind is MessageKind.FOLLOW:
            return Turn(replies.welcome(locale), {"choices": ()})
        if message.kind is MessageKind.UNSUPPORTED:
            return Turn(replies.unsupported(locale))
        if message.kind is MessageKind.ACTION:
            return self._action(message.action or "", locale, replies)
        text = message.text.strip()
        if text.startswith("/"):
            return self._command(text, locale, replies)
        number = _CHOICE_NUMBER.match(text)
        if number and 1 <= int(number.group(1)) <= len(session.choices):
            return self._action(session.choices[int(number.group(1)) - 1], locale, replies)
        if not text:
            return Turn(replies.help(locale))
        intent = self._smalltalk.detect(text)
        if intent is not None:
            return Turn(replies.smalltalk(intent, locale))
        return self._ask(text, session, locale, replies)

    def _ask(self, text: str, session: Session, locale: str, replies: Replies) -> Turn:
        limit = max(5, self.config.suggestion_count)
        matches = self.knowledge.matcher.search(text, context=session.last_entry_id, limit=limit)
        decision = decide(matches, self.config.thresholds)
        faq = self.knowledge.faq
        if decision.outcome == "answer" and (entry := faq.get(matches[0].entry_id)):
            return self._open(entry.id, locale, replies)
        if decision.outcome == "suggest":
            top = matches[: self.config.suggestion_count]
            entries = [entry for match in top if (entry := faq.get(match.entry_id))]
            reply = replies.suggest(entries, locale)
            return Turn(reply, {"choices": tuple(choice.action for choice in reply.suggestions)})
        return Turn(replies.fallback(locale), {"choices": ()})

    def _open(self, entry_id: str, locale: str, replies: Replies) -> Turn:
        entry = self.knowledge.faq.get(entry_id)
        if entry is None:  # a button from before the FAQ changed
            return Turn(replies.fallback(locale), {"choices": ()})
        return Turn(replies.answer(entry, locale), {"last_entry_id": entry.id, "choices": ()})

    def _action(self, action: str, locale: str, replies: Replies) -> Turn:
        if (entry_id := Action.entry_of(action)) is not None:
            return self._open(entry_id, locale, replies)
        if action.startswith(Action.TOPIC):
            key = action.removeprefix(Action.TOPIC)
            reply = replies.topic(key, locale) if key else replies.topics(locale)
            return Turn(reply, {"choices": tuple(choice.action for choice in reply.suggestions)})
        if action.startswith(Action.LANGUAGE):
            return self._set_language(action.removeprefix(Action.LANGUAGE), locale, replies)
        if action == Action.NONE_OF_THESE:
            return Turn(replies.fallback(locale), {"choices": ()})
        return Turn(replies.help(locale))

    def _command(self, text: str, locale: str, replies: Replies) -> Turn:
        name, _, argument = text[1:].partition(" ")
        name, argument = name.lower(), argument.strip()
        if name == "start":
            if argument and self.knowledge.faq.get(argument):
                turn = self._open(argument, locale, replies)
                welcome = replies.welcome(locale).text
                return Turn(replace(turn.reply, notice=welcome), {**turn.changes, "welcomed": True})
            return Turn(replies.welcome(locale), {"choices": (), "welcomed": True})
        if name == "topics":
            return self._action(Action.TOPIC, locale, replies)
        if name in ("lang", "language"):
            return self._set_language(argument, locale, replies)
        return Turn(replies.help(locale))

    def _set_language(self, wanted: str, locale: str, replies: Replies) -> Turn:
        chosen = _locale_from_hint(wanted, self.config.locales)
        if chosen is None:
            reply = replies.language_prompt(locale)
            return Turn(reply, {"choices": tuple(choice.action for choice in reply.buttons)})
        return Turn(replies.language_set(chosen), {"locale": chosen, "choices": ()})


def _locale_from_hint(hint: str | None, locales: tuple[str, ...]) -> str | None:
    """Map "zh-hant", "zh_TW", "中文", "EN" and the like onto a configured locale."""
    if not hint:
        return None
    wanted = hint.strip().lower().replace("_", "-")
    for locale in locales:
        if wanted == locale.lower():
            return locale
    if wanted.startswith("zh") or "中" in wanted:
        return next((loc for loc in locales if loc.lower().startswith("zh")), None)
    language = wanted.split("-")[0]
    if language in ("english", "英文"):
        language = "en"
    return next((loc for loc in locales if loc.split("-")[0].lower() == language), None)
