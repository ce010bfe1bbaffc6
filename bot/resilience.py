"""Keep answering when storage is down: stateless replies, one warning per outage.

While the store is down, calls return a neutral default (a fresh session, "first delivery",
no rate counted, nothing recorded). After a failure the store is left alone for a short while,
so a dead server does not add a timeout to every message; then the next call tries again and,
when it works, the recovery is logged once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from bot.journal import Alert, Journal, Miss, Usage
from bot.sessions import Session, SessionStore

log = logging.getLogger(__name__)
T = TypeVar("T")


class Outage:
    def __init__(
        self,
        name: str,
        errors: tuple[type[BaseException], ...],
        *,
        retry_after: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        on_error: Callable[[BaseException], None] = lambda error: None,
    ) -> None:
        self.name = name
        self._on_error = on_error  # counts failures for /metrics
        self._errors = errors
        self._retry_after = retry_after
        self._clock = clock
        self._retry_at: float | None = None  # None: up

    @property
    def down(self) -> bool:
        return self._retry_at is not None

    async def run(self, call: Callable[[], Awaitable[T]], default: T) -> T:
        if self._retry_at is not None and self._clock() < self._retry_at:
            return default
        try:
            result = await call()
        except self._errors as error:
            self._on_error(error)
            if self._retry_at is None:
                log.warning(
                    "%s unavailable (%s); answering without it until it is back", self.name, error
                )
            self._retry_at = self._clock() + self._retry_after
            return default
        if self._retry_at is not None:
            log.warning("%s is back", self.name)
            self._retry_at = None
        return result


class ResilientSessionStore:
    def __init__(self, store: SessionStore, outage: Outage) -> None:
        self._store = store
        self._outage = outage

    async def get(self, user: str) -> Session:
        return await self._outage.run(lambda: self._store.get(user), Session())

    async def save(self, user: str, changes: Mapping[str, Any]) -> None:
        await self._outage.run(lambda: self._store.save(user, changes), None)

    async def forget(self, user: str) -> None:
        await self._outage.run(lambda: self._store.forget(user), None)

    async def first_delivery(self, event: str) -> bool:
        return await self._outage.run(lambda: self._store.first_delivery(event), True)

    async def hit(self, user: str, window_seconds: int) -> int:
        return await self._outage.run(lambda: self._store.hit(user, window_seconds), 0)

    async def open_ticket(self, ticket: str, record: Mapping[str, str], ttl_seconds: int) -> None:
        await self._outage.run(lambda: self._store.open_ticket(ticket, record, ttl_seconds), None)

    async def ticket(self, ticket: str) -> dict[str, str] | None:
        return await self._outage.run(lambda: self._store.ticket(ticket), None)

    async def close_ticket(self, ticket: str) -> None:
        await self._outage.run(lambda: self._store.close_ticket(ticket), None)

    async def close(self) -> None:
        await self._outage.run(self._store.close, None)


class ResilientJournal:
    def __init__(self, journal: Journal, outage: Outage) -> None:
        self._journal = journal
        self._outage = outage

    async def record_turn(self, kind: str, entry_id: str | None) -> None:
        await self._outage.run(lambda: self._journal.record_turn(kind, entry_id), None)

    async def record_miss(self, miss: Miss) -> None:
        await self._outage.run(lambda: self._journal.record_miss(miss), None)

    async def misses(self, since: float) -> list[Miss]:
        return await self._journal.misses(since)  # admin reads should fail loudly

    async def record_alert(self, alert: Alert) -> None:
        await self._outage.run(lambda: self._journal.record_alert(alert), None)

    async def alerts(self, since: float) -> list[Alert]:
        return await self._journal.alerts(since)

    async def record_feedback(self, entry_id: str, helpful: bool) -> None:
        await self._outage.run(lambda: self._journal.record_feedback(entry_id, helpful), None)

    async def feedback(self) -> dict[str, tuple[int, int]]:
        return await self._journal.feedback()

    async def usage(self, days: int) -> Usage:
        return await self._journal.usage(days)
