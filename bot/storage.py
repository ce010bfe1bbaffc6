"""Where sessions and the admins' journal live: Redis when REDIS_URL is set, else memory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import BotConfig
from bot.journal import Journal, MemoryJournal
from bot.reload import ContentBus
from bot.resilience import Outage, ResilientJournal, ResilientSessionStore
from bot.sessions import MemorySessionStore, SessionStore
from bot.settings import Settings


@dataclass(frozen=True, slots=True)
class Storage:
    store: SessionStore
    journal: Journal
    bus: ContentBus | None = None  # how reloads reach other workers; None without Redis

    async def close(self) -> None:
        await self.store.close()  # also closes the Redis client the journal shares
        if self.bus is not None:
            await self.bus.close()


def build_storage(
    settings: Settings,
    config: BotConfig,
    on_redis_error: Callable[[BaseException], None] = lambda error: None,
) -> Storage:
    """Redis when REDIS_URL is set (shared by workers, survives restarts), else memory."""
    if not settings.redis_url:
        return Storage(
            MemorySessionStore(ttl_seconds=config.session_ttl_seconds),
            MemoryJournal(miss_retention_days=config.miss_retention_days),
        )
    # Imported here: the in-memory default needs no Redis client.
    from bot.redis_bus import RedisContentBus
    from bot.redis_store import UNAVAILABLE, RedisJournal, RedisSessionStore, connect

    client = connect(settings.redis_url)
    outage = Outage("Redis", UNAVAILABLE, on_error=on_redis_error)
    store = RedisSessionStore(client, ttl_seconds=config.session_ttl_seconds)
    journal = RedisJournal(client, miss_retention_days=config.miss_retention_days)
    # Its own connection: a subscriber waits for messages far longer than a command may take.
    bus = RedisContentBus(connect(settings.redis_url, listening=True))
    return Storage(ResilientSessionStore(store, outage), ResilientJournal(journal, outage), bus)
