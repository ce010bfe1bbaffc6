"""The bot's behaviour as data: config/*.yaml, loaded and validated in one go.

Everything here is non-secret and safe to edit by admins (thresholds, wording, links, synonyms).
Secrets and deployment details come from the environment (see settings.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import ConfigError, Link
from bot.decision import Thresholds
from bot.faq import LocalText
from bot.faq_rules import valid_url
from bot.matcher import Synonyms
from bot.redflags import Category, CueSet, PhraseSet, RedFlagDetector
from bot.yamlsource import YamlDoc, YamlSyntaxError, load_yaml

MESSAGE_KEYS = (
    "welcome", "disclaimer", "help", "fallback", "suggest_intro", "none_of_these",
    "browse_topics", "topics_intro", "topic_intro", "language_prompt", "language_set",
    "unsupported", "not_a_diagnosis", "error", "helpful", "not_helpful", "feedback_thanks",
    "feedback_sorry", "forgotten", "rate_limited", "emergency_title", "crisis_title",
    "call_emergency", "talk_to_person", "handoff_open", "handoff_closed", "handoff_unavailable",
    "handoff_forwarded", "handoff_released", "handoff_expired", "staff_says", "staff_ticket",
    "staff_user_says", "staff_sent", "staff_unknown", "staff_how", "staff_released",
    "staff_user_left", "admin_only", "whoami",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class EscalationLink:
    title: LocalText
    url: str

    def localized(self, locale: str) -> Link:
        return Link(self.title.get(locale), self.url)


@dataclass(frozen=True, slots=True)
class SmalltalkIntent:
    name: str  # greeting, thanks, bye, help ...
    phrases: tuple[str, ...]
    reply: LocalText


@dataclass(frozen=True, slots=True)
class OfficeHours:
    timezone: str = "Asia/Taipei"
    days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday is 0
    opens: dt.time = dt.time(8, 30)
    closes: dt.time = dt.time(17, 30)
    label: LocalText = field(default_factory=lambda: LocalText.plain("Mon-Fri 08:30-17:30"))

    def is_open(self, at: float) -> bool:
        local = dt.datetime.fromtimestamp(at, ZoneInfo(self.timezone))
        return local.weekday() in self.days and self.opens <= local.time() < self.closes


@dataclass(frozen=True, slots=True)
class HandoffConfig:
    timeout_seconds: int = 4 * 3600
    hours: OfficeHours = field(default_factory=OfficeHours)


@dataclass(frozen=True, slots=True)
class Safety:
    detector: RedFlagDetector
    emergency_numbers: dict[str, str]  # locale -> number to call
    crisis_lines: tuple[EscalationLink, ...]
    advice: dict[str, LocalText]  # category -> what to do now; "{number}" is filled in

    def number(self, locale: str) -> str:
        return self.emergency_numbers.get(locale) or next(iter(self.emergency_numbers.values()))


@dataclass(frozen=True, slots=True)
class BotConfig:
    locales: tuple[str, ...] = ("en", "zh-TW")
    default_locale: str = "zh-TW"
    locale_names: dict[str, str] = field(default_factory=dict)
    thresholds: Thresholds = field(default_factory=Thresholds)
    suggestion_count: int = 3
    session_ttl_seconds: int = 1800
    rate_limit: int = 20  # messages per user per window
    rate_window_seconds: int = 60
    miss_retention_days: int = 90
    messages: dict[str, LocalText] = field(default_factory=dict)
    escalation: tuple[EscalationLink, ...] = ()
    smalltalk: tuple[SmalltalkIntent, ...] = ()
    synonyms: Synonyms = field(default_factory=Synonyms)
    safety: Safety | None = None  # None only in tests that build a config by hand
    handoff: HandoffConfig = field(default_factory=HandoffConfig)

    def message(self, key: str, locale: str, **values: str) -> str:
        text = self.messages[key].get(locale)
        return text.format(**values) if values else text

    def escalation_links(self, locale: str) -> tuple[Link, ...]:
        return tuple(link.localized(locale) for link in self.escalation)


def load_config(config_dir: Path) -> BotConfig:
    bot = _read(config_dir / "bot.yaml")
    locales = tuple(bot.data.get("locales", ("en", "zh-TW")))
    matching = bot.data.get("matching", {})
    try:
        thresholds = Thresholds(**matching.get("thresholds", {}))
    except TypeError as error:
        raise ConfigError(f"{config_dir / 'bot.yaml'}: matching.thresholds: {error}") from None
    return BotConfig(
        locales=locales,
        default_locale=str(bot.data.get("default_locale", locales[0])),
        locale_names={str(k): str(v) for k, v in bot.data.get("locale_names", {}).items()},
        thresholds=thresholds,
        suggestion_count=int(matching.get("suggestions", 3)),
        session_ttl_seconds=int(bot.data.get("sessions", {}).get("idle_ttl_seconds", 1800)),
        rate_limit=int(bot.data.get("rate_limit", {}).get("messages", 20)),
        rate_window_seconds=int(bot.data.get("rate_limit", {}).get("per_seconds", 60)),
        miss_retention_days=int(bot.data.get("retention", {}).get("unanswered_days", 90)),
        messages=_messages(config_dir / "messages.yaml", locales),
        escalation=_escalation(config_dir / "escalation.yaml"),
        smalltalk=_smalltalk(config_dir / "smalltalk.yaml"),
        synonyms=Synonyms.from_groups(_read(config_dir / "synonyms.yaml").data.get("groups", [])),
        safety=_safety(config_dir / "redflags.yaml"),
        handoff=_handoff(config_dir / "bot.yaml", bot),
    )


def _read(path: Path) -> YamlDoc:
    try:
        doc = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: missing config file") from None
    except YamlSyntaxError as error:
        raise ConfigError(f"{path}:{error.line}: YAML syntax: {error.message}") from None
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{path}: must be a mapping")
    return doc


def _local_text(path: Path, doc: YamlDoc, where: tuple[str | int, ...], value: Any) -> LocalText:
    if isinstance(value, str) and value.strip():
        return LocalText.plain(value.strip())
    if isinstance(value, dict) and value and all(isinstance(v, str) for v in value.values()):
        return LocalText(tuple((str(k), v.strip()) for k, v in value.items()))
    raise ConfigError(f"{path}:{doc.line(where)}: {'.'.join(map(str, where))}: must be text")


def _messages(path: Path, locales: tuple[str, ...]) -> dict[str, LocalText]:
    doc = _read(path)
    messages = {key: _local_text(path, doc, (key,), value) for key, value in doc.data.items()}
    for key in MESSAGE_KEYS:
        if key not in messages:
            raise ConfigError(f"{path}: missing message {key!r}")
        missing = [
            loc
            for loc in locales
            if loc not in messages[key].locales and "*" not in messages[key].locales
        ]
        if missing:
            raise ConfigError(f"{path}:{doc.line((key,))}: {key}: no text for {', '.join(missing)}")
    return messages


def _escalation(path: Path) -> tuple[EscalationLink, ...]:
    doc = _read(path)
    links = []
    for index, item in enumerate(doc.data.get("links", [])):
        where = ("links", index)
        if not isinstance(item, dict) or not valid_url(str(item.get("url", ""))):
            raise ConfigError(f"{path}:{doc.line(where)}: a link needs a title and a valid url")
        links.append(
            EscalationLink(
                _local_text(path, doc, (*where, "title"), item.get("title")), item["url"]
            )
        )
    return tuple(links)


def _smalltalk(path: Path) -> tuple[SmalltalkIntent, ...]:
    doc = _read(path)
    intents = []
    for name, item in doc.data.items():
        phrases = item.get("phrases") if isinstance(item, dict) else None
        if not isinstance(phrases, list) or not phrases:
            raise ConfigError(f"{path}:{doc.line((name,))}: {name}: needs a list of phrases")
        reply = _local_text(path, doc, (name, "reply"), item.get("reply"))
        intents.append(SmalltalkIntent(str(name), tuple(str(p) for p in phrases), reply))
    return tuple(intents)


def _safety(path: Path) -> Safety:
    doc = _read(path)
    data = doc.data

    def strings(key: str, where: tuple[str | int, ...]) -> list[str]:
        value = data
        for part in where:
            value = value[part]
        items = value.get(key) if isinstance(value, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, str | int) for i in items):
            raise ConfigError(f"{path}:{doc.line((*where, key))}: {key}: must be a list of text")
        return [str(item) for item in items]

    categories, advice = [], {}
    for index, item in enumerate(data.get("categories", [])):
        where = ("categories", index)
        if not isinstance(item, dict) or item.get("kind") not in ("emergency", "crisis"):
            raise ConfigError(
                f"{path}:{doc.line(where)}: a category needs an id and kind emergency or crisis"
            )
        categories.append(
            Category(str(item["id"]), item["kind"], PhraseSet(strings("phrases", where)))
        )
        advice[str(item["id"])] = _local_text(path, doc, (*where, "advice"), item.get("advice"))
    numbers = data.get("emergency_numbers")
    if not isinstance(numbers, dict) or not numbers:
        raise ConfigError(f"{path}: emergency_numbers must map each locale to a number")
    lines = []
    for index, item in enumerate(data.get("crisis_lines", [])):
        title = _local_text(path, doc, ("crisis_lines", index, "title"), item.get("title"))
        lines.append(EscalationLink(title, f"tel:{item['number']}"))
    detector = RedFlagDetector(
        categories,
        now=CueSet(strings("now_cues", ())),
        personal=CueSet(strings("personal_cues", ())),
        question=CueSet(strings("question_cues", ())),
        not_now=CueSet(strings("not_now_cues", ())),
        mild=CueSet(strings("mild_cues", ())),
        neutral=strings("neutral_phrases", ()),
    )
    return Safety(detector, {str(k): str(v) for k, v in numbers.items()}, tuple(lines), advice)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _handoff(path: Path, doc: YamlDoc) -> HandoffConfig:
    data = doc.data.get("handoff") or {}
    hours = data.get("office_hours") or {}
    where = ("handoff", "office_hours")
    try:
        ZoneInfo(str(hours.get("timezone", "Asia/Taipei")))
        days = tuple(_DAYS.index(str(day).lower()[:3]) for day in hours.get("days", _DAYS[:5]))
        opens = dt.time.fromisoformat(str(hours.get("open", "08:30")))
        closes = dt.time.fromisoformat(str(hours.get("close", "17:30")))
    except (ValueError, ZoneInfoNotFoundError) as error:
        raise ConfigError(f"{path}:{doc.line(where)}: handoff.office_hours: {error}") from None
    label = _local_text(path, doc, (*where, "label"), hours.get("label", "Monday to Friday"))
    office = OfficeHours(str(hours.get("timezone", "Asia/Taipei")), days, opens, closes, label)
    return HandoffConfig(int(data.get("timeout_minutes", 240)) * 60, office)
