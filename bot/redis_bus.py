"""Reloads reach every worker: the files one worker loaded, published through Redis.

content:<version>   JSON {file name: text}    7 days
content             pub/sub channel: the version just published
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from bot.redis_store import DEFAULT_PREFIX
from bot.reload import Snapshot

KEEP_SECONDS = 7 * 86400


class RedisContentBus:
    def __init__(self, client: Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._redis = client
        self._prefix = prefix
        self._channel = f"{prefix}content"

    async def publish(self, snapshot: Snapshot) -> None:
        key = f"{self._prefix}content:{snapshot.version}"
        await self._redis.set(key, json.dumps(snapshot.files, ensure_ascii=False), ex=KEEP_SECONDS)
        await self._redis.publish(self._channel, snapshot.version)

    async def fetch(self, version: str) -> Snapshot | None:
        raw = await self._redis.get(f"{self._prefix}content:{version}")
        return Snapshot(json.loads(raw)) if raw else None

    async def close(self) -> None:
        await self._redis.aclose()

    async def versions(self) -> AsyncIterator[str]:
        async with self._redis.pubsub() as pubsub:
            await pubsub.subscribe(self._channel)
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield str(message["data"])
