"""Decide what to say: one message and the session as it was -> a Turn. Pure, no I/O.

Order matters: buttons and commands first, then a numbered choice, then small talk, and only
then the matcher, whose ranked result becomes answer / did-you-mean / fallback by the
configured thresholds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bot.admin import COMMANDS as ADMIN_COMMANDS
from bot.config import BotConfig
from bot.core import Action, IncomingMessage, MessageKind, Reply
from bot.decision import decide
from bot.journal import Miss
from bot.knowledge import Knowledge
from bot.matcher import Match
from bot.privacy import redact
from bot.replies import Replies
from bot.sessions import Session
from bot.smalltalk import SmalltalkDetector

_CHOICE_NUMBER = re.compile(r"^\s*#?\s*(\d{1,2})\s*[.)]?\s*$")
HUMAN_INTENT = "human"  # the small-talk intent in config/smalltalk.yaml that asks for a person
RECENT_QUESTIONS = 3


@dataclass(slots=True)
class Turn:
    """A reply, the session fields it changes, and what to record for admins."""

    reply: Reply
    changes: dict[str, Any] = field(default_factory=dict)
    miss: Miss | None = None
    feedback: tuple[str, bool] | None = None  # (entry id, helpful)
    forget: bool = False  # delete everything stored about the user instead of saving
    handoff: bool = False  # the user asked for a person: the dialog opens a staff ticket
    admin: str | None = None  # an admin command for the dialog to check and run


class Router:
    def __init__(
        self,
        knowledge: Knowledge,
        config: BotConfig,
        smalltalk: SmalltalkDetector,
        clock: Callable[[], float],
    ) -> None:
        self.knowledge = knowledge
        self.config = config
        self.replies = Replies(config, knowledge.faq)
        self._smalltalk = smalltalk
        self._clock = clock

    def route(self, message: IncomingMessage, session: Session, locale: str) -> Turn:
        if message.kind is MessageKind.FOLLOW:
            return Turn(self.replies.welcome(locale), {"choices": ()})
        if message.kind is MessageKind.UNSUPPORTED:
            return Turn(self.replies.unsupported(locale))
        if message.kind is MessageKind.ACTION:
            return self._action(message.action or "", session, locale)
        text = message.text.strip()
        if text.startswith("/"):
            return self._command(text, session, locale, message)
        number = _CHOICE_NUMBER.match(text)
        if number and 1 <= int(number.group(1)) <= len(session.choices):
            return self._action(session.choices[int(number.group(1)) - 1], session, locale)
        if not text:
            return Turn(self.replies.help(locale))
        intent = self._smalltalk.detect(text)
        if intent is not None and intent.name == HUMAN_INTENT:
            return Turn(self.replies.help(locale), handoff=True)
        if intent is not None:
            return Turn(self.replies.smalltalk(intent, locale))
        return self._ask(text, session, locale)

    def _ask(self, text: str, session: Session, locale: str) -> Turn:
        limit = max(5, self.config.suggestion_count)
        matches = self.knowledge.matcher.search(text, context=session.last_entry_id, limit=limit)
        decision = decide(matches, self.config.thresholds, self.config.suggestion_count)
        faq = self.knowledge.faq
        picked = [entry for match in decision.matches if (entry := faq.get(match.entry_id))]
        # Kept for a handoff: staff see what the user asked before wanting a person.
        recent = {"recent": (*session.recent, redact(text))[-RECENT_QUESTIONS:]}
        if decision.outcome == "answer" and picked:
            turn = self._open(picked[0].id, locale)
            turn.changes |= recent
            return turn
        if decision.outcome == "suggest" and picked:
            reply = self.replies.suggest(picked, locale)
            changes = {"choices": _actions(reply.suggestions), "last_question": redact(text)}
            return Turn(reply, changes | recent)
        return Turn(
            self.replies.fallback(locale),
            {"choices": ()} | recent,
            miss=self._miss(text, locale, "fallback", matches),
        )

    def _miss(self, text: str, locale: str, reason: str, matches: Sequence[Match]) -> Miss:
        candidates = tuple((match.entry_id, round(match.score, 3)) for match in matches[:3])
        return Miss(redact(text), locale, reason, candidates, self._clock())

    def _open(self, entry_id: str, locale: str) -> Turn:
        entry = self.knowledge.faq.get(entry_id)
        if entry is None:  # a button from before the FAQ changed
            return Turn(self.replies.fallback(locale), {"choices": ()})
        return Turn(self.replies.answer(entry, locale), {"last_entry_id": entry.id, "choices": ()})

    def _action(self, action: str, session: Session, locale: str) -> Turn:
        if (entry_id := Action.entry_of(action)) is not None:
            return self._open(entry_id, locale)
        if action.startswith(Action.TOPIC):
            key = action.removeprefix(Action.TOPIC)
            reply = self.replies.topic(key, locale) if key else self.replies.topics(locale)
            return Turn(reply, {"choices": _actions(reply.suggestions)})
        if action.startswith(Action.LANGUAGE):
            return self._set_language(action.removeprefix(Action.LANGUAGE), locale)
        if action.startswith((Action.HELPFUL, Action.NOT_HELPFUL)):
            return self._feedback(action, locale)
        if action == Action.NONE_OF_THESE:
            return self._none_of_these(session, locale)
        if action == Action.HUMAN:
            return Turn(self.replies.help(locale), handoff=True)
        return Turn(self.replies.help(locale))

    def _none_of_these(self, session: Session, locale: str) -> Turn:
        turn = Turn(self.replies.fallback(locale), {"choices": (), "last_question": None})
        if session.last_question:
            matches = self.knowledge.matcher.search(session.last_question, limit=3)
            turn.miss = self._miss(session.last_question, locale, "none_of_these", matches)
        return turn

    def _feedback(self, action: str, locale: str) -> Turn:
        helpful = action.startswith(Action.HELPFUL)
        entry_id = action.split(":", 1)[1]
        if self.knowledge.faq.get(entry_id) is None:
            return Turn(self.replies.help(locale))
        return Turn(self.replies.feedback(helpful, locale), feedback=(entry_id, helpful))

    def _command(self, text: str, session: Session, locale: str, message: IncomingMessage) -> Turn:
        name, _, argument = text[1:].partition(" ")
        name, argument = name.lower(), argument.strip()
        if name == "start":
            if argument and self.knowledge.faq.get(argument):
                turn = self._open(argument, locale)
                notice = self.replies.welcome(locale).text
                return Turn(replace(turn.reply, notice=notice), {**turn.changes, "welcomed": True})
            return Turn(self.replies.welcome(locale), {"choices": (), "welcomed": True})
        if name == "topics":
            return self._action(Action.TOPIC, session, locale)
        if name in ("lang", "language"):
            return self._set_language(argument, locale)
        if name == "forget":
            return Turn(self.replies.forgotten(locale), forget=True)
        if name in ("human", "person", "staff"):
            return Turn(self.replies.help(locale), handoff=True)
        if name == "whoami":
            return Turn(self.replies.whoami(message, locale))
        if name in ADMIN_COMMANDS:
            return Turn(self.replies.help(locale), admin=name)
        return Turn(self.replies.help(locale))

    def _set_language(self, wanted: str, locale: str) -> Turn:
        chosen = locale_from_hint(wanted, self.config.locales)
        if chosen is None:
            reply = self.replies.language_prompt(locale)
            return Turn(reply, {"choices": _actions(reply.buttons)})
        return Turn(self.replies.language_set(chosen), {"locale": chosen, "choices": ()})


def _actions(choices: Sequence[Any]) -> tuple[str, ...]:
    return tuple(choice.action for choice in choices)


def locale_from_hint(hint: str | None, locales: tuple[str, ...]) -> str | None:
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
