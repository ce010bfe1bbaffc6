"""What admins read back: unanswered questions, feedback per entry and usage counts.

Nothing here is tied to a user: miss texts are redacted before they are recorded and carry no
user key, so "forget me" has nothing to remove here and the log can be kept for months.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rapidfuzz import fuzz

from bot.text import comparable

MISS_RETENTION_DAYS = 90
MISS_LIMIT = 10_000  # most recent misses kept, whatever their age
USAGE_RETENTION_DAYS = 90
SIMILAR_MISS = 80  # rapidfuzz token_set_ratio at or above which two misses count as one question


@dataclass(frozen=True, slots=True)
class Miss:
    text: str  # redacted
    locale: str
    reason: str  # "fallback" or "none_of_these"
    candidates: tuple[tuple[str, float], ...]  # (entry id, score), best first
    at: float  # unix time


@dataclass(frozen=True, slots=True)
class Alert:
    """A red flag raised: kept so admins can review what the safety layer caught."""

    category: str
    kind: str  # "emergency" or "crisis"
    text: str  # redacted
    locale: str
    platform: str
    at: float


@dataclass(frozen=True, slots=True)
class Usage:
    days: int
    kinds: dict[str, int] = field(default_factory=dict)  # reply kind -> count
    entries: dict[str, int] = field(default_factory=dict)  # entry id -> times answered

    @property
    def messages(self) -> int:
        return sum(self.kinds.values())


class Journal(Protocol):
    async def record_turn(self, kind: str, entry_id: str | None) -> None: ...

    async def record_miss(self, miss: Miss) -> None: ...

    async def misses(self, since: float) -> list[Miss]: ...

    async def record_alert(self, alert: Alert) -> None: ...

    async def alerts(self, since: float) -> list[Alert]: ...

    async def record_feedback(self, entry_id: str, helpful: bool) -> None: ...

    async def feedback(self) -> dict[str, tuple[int, int]]: ...  # id -> (helpful, not helpful)

    async def usage(self, days: int) -> Usage: ...


def day_of(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).strftime("%Y-%m-%d")


def last_days(days: int, now: float) -> list[str]:
    return [day_of(now - 86400 * back) for back in range(days)]


class MemoryJournal:
    """The embedded default: kept for the life of the process."""

    def __init__(
        self,
        *,
        miss_retention_days: int = MISS_RETENTION_DAYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._miss_retention = miss_retention_days * 86400
        self._misses: list[Miss] = []
        self._alerts: list[Alert] = []
        self._feedback: dict[str, list[int]] = {}
        self._days: dict[str, tuple[Counter[str], Counter[str]]] = {}

    async def record_turn(self, kind: str, entry_id: str | None) -> None:
        kinds, entries = self._days.setdefault(day_of(self._clock()), (Counter(), Counter()))
        kinds[kind] += 1
        if entry_id and kind == "answer":
            entries[entry_id] += 1

    async def record_miss(self, miss: Miss) -> None:
        oldest = self._clock() - self._miss_retention
        self._misses = [m for m in self._misses[-(MISS_LIMIT - 1) :] if m.at >= oldest] + [miss]

    async def misses(self, since: float) -> list[Miss]:
        return [miss for miss in self._misses if miss.at >= since]

    async def record_alert(self, alert: Alert) -> None:
        oldest = self._clock() - self._miss_retention
        self._alerts = [a for a in self._alerts[-(MISS_LIMIT - 1) :] if a.at >= oldest] + [alert]

    async def alerts(self, since: float) -> list[Alert]:
        return [alert for alert in self._alerts if alert.at >= since]

    async def record_feedback(self, entry_id: str, helpful: bool) -> None:
        self._feedback.setdefault(entry_id, [0, 0])[0 if helpful else 1] += 1

    async def feedback(self) -> dict[str, tuple[int, int]]:
        return {entry_id: (up, down) for entry_id, (up, down) in self._feedback.items()}

    async def usage(self, days: int) -> Usage:
        kinds: Counter[str] = Counter()
        entries: Counter[str] = Counter()
        for day in last_days(days, self._clock()):
            day_kinds, day_entries = self._days.get(day, (Counter(), Counter()))
            kinds += day_kinds
            entries += day_entries
        return Usage(days, dict(kinds), dict(entries))


@dataclass(frozen=True, slots=True)
class MissGroup:
    text: str  # the most frequent wording in the group
    count: int
    locales: tuple[str, ...]
    candidates: tuple[str, ...]  # entry ids the matcher offered most often
    last_at: float
    examples: tuple[str, ...]


def group_misses(misses: Sequence[Miss]) -> list[MissGroup]:
    """Cluster similar questions so admins see what to add first, most frequent first."""
    clusters: list[tuple[str, list[Miss]]] = []  # (normalised representative, members)
    for miss in sorted(misses, key=lambda m: m.at):
        key = comparable(miss.text)
        home = next((members for rep, members in clusters if _similar(rep, key)), None)
        if home is None:
            clusters.append((key, [miss]))
        else:
            home.append(miss)
    groups = [_summarise(members) for _, members in clusters]
    return sorted(groups, key=lambda group: (-group.count, -group.last_at))


def _similar(a: str, b: str) -> bool:
    return a == b or (fuzz.token_set_ratio(a, b) >= SIMILAR_MISS and min(len(a), len(b)) >= 4)


def _summarise(members: list[Miss]) -> MissGroup:
    wordings = Counter(miss.text for miss in members)
    candidates = Counter(entry for miss in members for entry, _ in miss.candidates[:3])
    return MissGroup(
        text=wordings.most_common(1)[0][0],
        count=len(members),
        locales=tuple(sorted({miss.locale for miss in members})),
        candidates=tuple(entry for entry, _ in candidates.most_common(3)),
        last_at=max(miss.at for miss in members),
        examples=tuple(text for text, _ in wordings.most_common(3)),
    )
