"""Plain data that crosses module boundaries, and the error tree.

Adapters turn platform updates into `IncomingMessage` and render `Reply`; nothing here knows
about a platform SDK, the web server or storage.

Errors::

    BotError
    ├── ConfigError      a settings value or config/ file is missing or invalid
    ├── FaqError         the FAQ files are invalid (names file, line and field)
    └── WebhookRejected  a webhook request failed authentication or parsing (has the status)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MessageKind(StrEnum):
    TEXT = "text"  # something the user typed (commands included: they start with "/")
    ACTION = "action"  # a tapped button; `action` holds its payload
    FOLLOW = "follow"  # the user added the bot (LINE follow); treated like /start
    UNSUPPORTED = "unsupported"  # sticker, photo, voice, location...
    STAFF = "staff"  # written in the staff chat (human handoff), not by a patient


class ReplyKind(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    FALLBACK = "fallback"
    EMERGENCY = "emergency"
    SMALLTALK = "smalltalk"
    WELCOME = "welcome"
    HELP = "help"
    TOPICS = "topics"
    LANGUAGE = "language"
    UNSUPPORTED = "unsupported"
    RATE_LIMITED = "rate_limited"
    HANDOFF = "handoff"
    INFO = "info"
    NONE = "none"  # nothing to send (e.g. over the rate limit, staff chatter)
    DUPLICATE = "duplicate"  # nothing to send: a redelivery of an update already answered


NOTHING_TO_SEND = frozenset({ReplyKind.NONE, ReplyKind.DUPLICATE})


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    platform: str  # "telegram", "line", "console"
    user_id: str  # the platform's user id; hashed before anything is stored
    text: str = ""
    kind: MessageKind = MessageKind.TEXT
    action: str | None = None  # payload of a tapped button (see `Action`)
    event_id: str | None = None  # the platform's delivery id, for dedupe
    locale_hint: str | None = None  # e.g. Telegram's language_code; weaker than the text's script
    address: str = ""  # where to answer; opaque, read only by the adapter that made it
    quoted: str | None = None  # text of the message this one replies to, if the platform says


@dataclass(frozen=True, slots=True)
class Link:
    title: str
    url: str  # https://… or tel:…


@dataclass(frozen=True, slots=True)
class Choice:
    """A button: what it says and the action payload it sends back when tapped."""

    label: str
    action: str

    @property
    def entry_id(self) -> str | None:
        return Action.entry_of(self.action)


@dataclass(frozen=True, slots=True)
class Reply:
    kind: ReplyKind
    text: str
    locale: str
    title: str | None = None  # shown in bold above the text where the platform can
    notice: str | None = None  # shown before everything else (e.g. the first-contact disclaimer)
    entry_id: str | None = None
    related: tuple[Choice, ...] = ()  # related topics, each opens an entry
    suggestions: tuple[Choice, ...] = ()  # "did you mean", numbered
    buttons: tuple[Choice, ...] = ()  # other choices: feedback, language, topic browsing
    links: tuple[Link, ...] = ()  # escalation links (specialist, clinic phone, a person)
    faq_version: str = ""

    @property
    def choices(self) -> tuple[Choice, ...]:
        return self.suggestions + self.related + self.buttons


class Action:
    """Button payloads. Short ASCII prefixes keep them under Telegram's 64-byte callback limit."""

    OPEN = "e:"  # e:<entry id>
    TOPIC = "t:"  # t:<topic key>; "t:" alone lists the topics
    LANGUAGE = "l:"  # l:<locale>
    HELPFUL = "f+:"  # f+:<entry id>
    NOT_HELPFUL = "f-:"  # f-:<entry id>
    NONE_OF_THESE = "n"
    HUMAN = "h"

    @staticmethod
    def open(entry_id: str) -> str:
        return Action.OPEN + entry_id

    @staticmethod
    def entry_of(action: str) -> str | None:
        return action.removeprefix(Action.OPEN) if action.startswith(Action.OPEN) else None


class BotError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigError(BotError):
    pass


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of the FAQ checker, pointing at a file, a line and a field."""

    file: str
    line: int
    field: str
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}: {self.severity}:{field} {self.message}"


class FaqError(BotError):
    """The FAQ did not load; `problems` lists every error found, the first one is the message."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = problems[0]
        self.file, self.line, self.field = first.file, first.line, first.field
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{first}{more}")


class WebhookRejected(BotError):
    """A webhook request we refuse; `status` is the HTTP status to answer with (4xx), `outcome`
    what /metrics counts it as: rejected_signature, rejected_secret or bad_request."""

    def __init__(self, status: int, reason: str, outcome: str = "bad_request") -> None:
        self.status = status
        self.reason = reason
        self.outcome = outcome
        super().__init__(f"{status}: {reason}")
