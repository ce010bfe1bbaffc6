"""Sessions and the admins' journal in Redis, shared by every worker process.

Keys (prefix `faqbot:` by default; `<user>` is platform + keyed hash, never a raw id):

    session:<user>            hash, one JSON value per Session field    idle TTL (config)
    seen:<platform>:<event>   "1", set once per delivered update         24 h
    rate:<user>:<window>      counter of messages in a rate window       one window
    ticket:<id>               hash: where to reach the user of a handoff  handoff timeout
    misses                    sorted set of JSON misses by time          90 days, 10,000 newest
    alerts                    sorted set of JSON red-flag alerts by time 90 days, 10,000 newest
    feedback                  hash "<entry>:up" / "<entry>:down"         kept (no personal data)
    usage:<YYYY-MM-DD>        hash "kind:<kind>" / "entry:<id>" counts   90 days
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, fields
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from bot.journal import (
    MISS_LIMIT,
    MISS_RETENTION_DAYS,
    USAGE_RETENTION_DAYS,
    Alert,
    Miss,
    Usage,
    day_of,
    last_days,
)
from bot.sessions import DEDUPE_SECONDS, SESSION_FIELDS, Session

DEFAULT_PREFIX = "faqbot:"
# What a lost, refused or timed-out connection raises; anything else is a bug and propagates.
UNAVAILABLE = (RedisError, OSError, TimeoutError)
_TUPLE_FIELDS = {field.name for field in fields(Session) if "tuple" in str(field.type)}


POOL_SIZE = 64  # connections per process; more waiting messages queue for one (POOL_WAIT)
POOL_WAIT = 1.0  # seconds a message waits for a free connection before Redis counts as down


def connect(url: str, *, listening: bool = False) -> Redis:
    """A client for REDIS_URL. Short timeouts: a dead Redis must not hold up replies. A
    listening (pub/sub) client has no read timeout: it waits for messages by design.

    redis-py's default pool refuses a command outright ("Too many connections") once 100 are in
    use, which a burst of a few hundred messages reaches; the resilient store then answered
    without sessions or dedupe while Redis was fine. A blocking pool makes the burst wait its
    turn instead: Redis answers in microseconds, so a few dozen connections keep up."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=POOL_WAIT,
        decode_responses=True,
        socket_timeout=None if listening else 1.0,
        socket_connect_timeout=1.0,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)


class RedisSessionStore:
    def __init__(
        self,
        client: Redis,
        *,
        ttl_seconds: int = 1800,
        dedupe_seconds: int = DEDUPE_SECONDS,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = client
        self._ttl = ttl_seconds
        self._dedupe_seconds = dedupe_seconds
        self._prefix = prefix
        self._clock = clock

    def _session_key(self, user: str) -> str:
        return f"{self._prefix}session:{user}"

    def _rate_key(self, user: str, window: int | str) -> str:
        return f"{self._prefix}rate:{user}:{window}"

    async def get(self, user: str) -> Session:
        raw = await self._redis.hgetall(self._session_key(user))
        values = {name: json.loads(value) for name, value in raw.items() if name in SESSION_FIELDS}
        for name in _TUPLE_FIELDS & values.keys():
            values[name] = tuple(values[name])
        return Session(**values)

    async def save(self, user: str, changes: Mapping[str, Any]) -> None:
        unknown = changes.keys() - SESSION_FIELDS
        if unknown:
            raise ValueError(f"unknown session fields: {sorted(unknown)}")
        key = self._session_key(user)
        # One transaction: the changed fields and the new expiry land together or not at all.
        # Writing only changed fields means concurrent messages never undo each other.
        async with self._redis.pipeline(transaction=True) as pipe:
            if changes:
                pipe.hset(key, mapping={name: json.dumps(value) for name, value in changes.items()})
            pipe.expire(key, self._ttl)
            await pipe.execute()

    async def forget(self, user: str) -> None:
        await self._redis.delete(self._session_key(user))
        async for key in self._redis.scan_iter(match=self._rate_key(user, "*"), count=500):
            await self._redis.delete(key)

    async def first_delivery(self, event: str) -> bool:
        key = f"{self._prefix}seen:{event}"
        return bool(await self._redis.set(key, "1", nx=True, ex=self._dedupe_seconds))

    async def hit(self, user: str, window_seconds: int) -> int:
        key = self._rate_key(user, self._window(window_seconds))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_seconds)
            count, _ = await pipe.execute()
        return int(count)

    async def open_ticket(self, ticket: str, record: Mapping[str, str], ttl_seconds: int) -> None:
        key = f"{self._prefix}ticket:{ticket}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping=dict(record))
            pipe.expire(key, ttl_seconds)
            await pipe.execute()

    async def ticket(self, ticket: str) -> dict[str, str] | None:
        record = await self._redis.hgetall(f"{self._prefix}ticket:{ticket}")
        return record or None

    async def close_ticket(self, ticket: str) -> None:
        await self._redis.delete(f"{self._prefix}ticket:{ticket}")

    def _window(self, window_seconds: int) -> int:
        return int(self._clock() // window_seconds)

    async def close(self) -> None:
        await self._redis.aclose()


class RedisJournal:
    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = DEFAULT_PREFIX,
        miss_retention_days: int = MISS_RETENTION_DAYS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._miss_retention = miss_retention_days * 86400
        self._clock = clock

    async def record_turn(self, kind: str, entry_id: str | None) -> None:
        key = f"{self._prefix}usage:{day_of(self._clock())}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hincrby(key, f"kind:{kind}", 1)
            if entry_id and kind == "answer":
                pipe.hincrby(key, f"entry:{entry_id}", 1)
            pipe.expire(key, USAGE_RETENTION_DAYS * 86400)
            await pipe.execute()

    async def record_miss(self, miss: Miss) -> None:
        await self._add_timed("misses", asdict(miss), miss.at)

    async def misses(self, since: float) -> list[Miss]:
        rows = await self._redis.zrangebyscore(f"{self._prefix}misses", since, "+inf")
        return [_miss_from_json(row) for row in rows]

    async def record_alert(self, alert: Alert) -> None:
        await self._add_timed("alerts", asdict(alert), alert.at)

    async def alerts(self, since: float) -> list[Alert]:
        rows = await self._redis.zrangebyscore(f"{self._prefix}alerts", since, "+inf")
        fields = Alert.__dataclass_fields__
        return [Alert(**{k: v for k, v in json.loads(row).items() if k in fields}) for row in rows]

    async def _add_timed(self, name: str, record: dict[str, Any], at: float) -> None:
        key = f"{self._prefix}{name}"
        # The nonce keeps two identical records in the same instant as two members.
        member = json.dumps({**record, "nonce": secrets.token_hex(4)}, ensure_ascii=False)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {member: at})
            pipe.zremrangebyscore(key, "-inf", self._clock() - self._miss_retention)
            pipe.zremrangebyrank(key, 0, -(MISS_LIMIT + 1))
            await pipe.execute()

    async def record_feedback(self, entry_id: str, helpful: bool) -> None:
        field = f"{entry_id}:{'up' if helpful else 'down'}"
        await self._redis.hincrby(f"{self._prefix}feedback", field, 1)

    async def feedback(self) -> dict[str, tuple[int, int]]:
        counts: dict[str, list[int]] = {}
        for field, value in (await self._redis.hgetall(f"{self._prefix}feedback")).items():
            entry_id, _, vote = field.rpartition(":")
            counts.setdefault(entry_id, [0, 0])[0 if vote == "up" else 1] += int(value)
        return {entry_id: (up, down) for entry_id, (up, down) in counts.items()}

    async def usage(self, days: int) -> Usage:
        async with self._redis.pipeline(transaction=False) as pipe:
            for day in last_days(days, self._clock()):
                pipe.hgetall(f"{self._prefix}usage:{day}")
            per_day = await pipe.execute()
        kinds: dict[str, int] = {}
        entries: dict[str, int] = {}
        for counts in per_day:
            for field, value in counts.items():
                group, _, name = field.partition(":")
                target = kinds if group == "kind" else entries
                target[name] = target.get(name, 0) + int(value)
        return Usage(days, kinds, entries)


def _miss_from_json(row: str) -> Miss:
    data = json.loads(row)
    return Miss(
        text=data["text"],
        locale=data["locale"],
        reason=data["reason"],
        candidates=tuple((str(entry), float(score)) for entry, score in data["candidates"]),
        at=float(data["at"]),
    )
