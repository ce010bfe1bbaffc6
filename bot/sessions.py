"""Per-user conversation state behind one small interface, and the in-memory store.

Changes are saved as a mapping of field -> new value rather than a whole session, so two
messages from the same user handled at once both land (each writes only what it changed).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Session:
    last_entry_id: str | None = None  # the entry last answered, context for follow-ups
    choices: tuple[str, ...] = ()  # actions of the numbered choices last shown ("2" picks the 2nd)
    locale: str | None = None  # the user's explicit language choice; wins over detection
    last_locale: str | None = None  # the language of the last message, for "2" or "👍"
    welcomed: bool = False  # the welcome and disclaimer have been shown
    last_question: str | None = None  # redacted; logged if the user then taps "none of these"
    recent: tuple[str, ...] = ()  # the last few questions, redacted, for a handoff to staff
    handoff: str | None = None  # open staff ticket: the bot stays quiet while staff answer
    handoff_until: float = 0.0  # when the ticket lapses and the bot answers again

    def changed(self, changes: Mapping[str, Any]) -> Session:
        return replace(self, **changes)


SESSION_FIELDS = frozenset(field.name for field in fields(Session))
# Platforms redeliver within minutes to hours; a day covers both with room to spare.
DEDUPE_SECONDS = 24 * 3600


def user_key(secret: str, platform: str, user_id: str) -> str:
    """A stable, non-reversible key: raw platform ids never reach storage or logs."""
    digest = hmac.new(secret.encode(), f"{platform}:{user_id}".encode(), hashlib.sha256)
    return f"{platform}:{digest.hexdigest()[:32]}"


class SessionStore(Protocol):
    async def get(self, user: str) -> Session: ...

    async def save(self, user: str, changes: Mapping[str, Any]) -> None: ...

    async def forget(self, user: str) -> None: ...

    async def first_delivery(self, event: str) -> bool:
        """True the first time `event` (a platform's update id) is seen within the dedupe window."""
        ...

    async def hit(self, user: str, window_seconds: int) -> int:
        """Count one message from `user`; returns how many it sent in the current window."""
        ...

    async def open_ticket(self, ticket: str, record: Mapping[str, str], ttl_seconds: int) -> None:
        """Remember where to reach the user behind a staff ticket, for `ttl_seconds`."""
        ...

    async def ticket(self, ticket: str) -> dict[str, str] | None: ...

    async def close_ticket(self, ticket: str) -> None: ...

    async def close(self) -> None: ...


class MemorySessionStore:
    """The embedded default: one process, gone on restart, idle sessions expire."""

    def __init__(
        self,
        ttl_seconds: int = 1800,
        clock: Callable[[], float] = time.monotonic,
        dedupe_seconds: int = DEDUPE_SECONDS,
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._dedupe_seconds = dedupe_seconds
        self._sessions: dict[str, tuple[Session, float]] = {}
        self._seen: dict[str, float] = {}  # event -> when it stops counting as seen
        self._hits: dict[str, int] = {}  # user -> messages in the current window
        self._tickets: dict[str, tuple[dict[str, str], float]] = {}
        self._hits_window = -1

    async def get(self, user: str) -> Session:
        session, expires = self._sessions.get(user, (Session(), 0.0))
        if expires <= self._clock():
            self._sessions.pop(user, None)
            return Session()
        return session

    async def save(self, user: str, changes: Mapping[str, Any]) -> None:
        unknown = changes.keys() - SESSION_FIELDS
        if unknown:
            raise ValueError(f"unknown session fields: {sorted(unknown)}")
        current = await self.get(user)
        self._sessions[user] = (current.changed(changes), self._clock() + self._ttl)

    async def forget(self, user: str) -> None:
        self._sessions.pop(user, None)
        self._hits.pop(user, None)

    async def first_delivery(self, event: str) -> bool:
        now = self._clock()
        if len(self._seen) > 10_000:  # keep memory bounded under a flood of unique ids
            self._seen = {key: until for key, until in self._seen.items() if until > now}
        if self._seen.get(event, 0.0) > now:
            return False
        self._seen[event] = now + self._dedupe_seconds
        return True

    async def hit(self, user: str, window_seconds: int) -> int:
        window = int(self._clock() // window_seconds)
        if window != self._hits_window:  # only the current window counts
            self._hits, self._hits_window = {}, window
        self._hits[user] = self._hits.get(user, 0) + 1
        return self._hits[user]

    async def open_ticket(self, ticket: str, record: Mapping[str, str], ttl_seconds: int) -> None:
        self._tickets[ticket] = (dict(record), self._clock() + ttl_seconds)

    async def ticket(self, ticket: str) -> dict[str, str] | None:
        record, until = self._tickets.get(ticket, ({}, 0.0))
        return record if until > self._clock() else None

    async def close_ticket(self, ticket: str) -> None:
        self._tickets.pop(ticket, None)

    async def close(self) -> None:
        self._tickets.clear()
        self._sessions.clear()
        self._seen.clear()
        self._hits.clear()
