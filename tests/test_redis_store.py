"""The session store and journal contract, run against memory and a real redis-server."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from bot.journal import MemoryJournal, Miss
from bot.redis_store import RedisJournal, RedisSessionStore, connect
from bot.sessions import MemorySessionStore, Session
from tests.redis_server import RedisServer, make_tls_files


class Clock:
    def __init__(self, now: float = 1_764_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest_asyncio.fixture(params=["memory", "redis"])
async def backend(
    request: pytest.FixtureRequest, redis_server: RedisServer
) -> AsyncIterator[tuple]:
    clock = Clock()
    if request.param == "memory":
        yield MemorySessionStore(ttl_seconds=60, clock=clock), MemoryJournal(clock=clock), clock
        return
    client = connect(redis_server.url)
    await client.flushdb()
    yield (
        RedisSessionStore(client, ttl_seconds=60, clock=clock),
        RedisJournal(client, clock=clock),
        clock,
    )
    await client.aclose()


async def test_sessions_keep_changed_fields(backend):
    store, _, _ = backend
    await store.save("telegram:abc", {"locale": "zh-TW", "choices": ("e:a", "e:b")})
    await store.save("telegram:abc", {"last_entry_id": "emg-what"})
    assert await store.get("telegram:abc") == Session(
        last_entry_id="emg-what", choices=("e:a", "e:b"), locale="zh-TW"
    )
    assert await store.get("telegram:other") == Session()


async def test_concurrent_saves_of_different_fields_all_land(backend):
    store, _, _ = backend
    await asyncio.gather(
        store.save("u", {"locale": "en"}),
        store.save("u", {"last_entry_id": "emg-pain"}),
        store.save("u", {"welcomed": True}),
        store.save("u", {"choices": ("t:tests",)}),
    )
    assert await store.get("u") == Session(
        last_entry_id="emg-pain", choices=("t:tests",), locale="en", welcomed=True
    )


async def test_forget_removes_the_session_and_rate_counters(backend):
    store, _, _ = backend
    await store.save("u", {"welcomed": True})
    await store.hit("u", 60)
    await store.forget("u")
    assert await store.get("u") == Session()
    assert await store.hit("u", 60) == 1


async def test_first_delivery_only_once(backend):
    store, _, _ = backend
    results = await asyncio.gather(*(store.first_delivery("line:01EV") for _ in range(10)))
    assert sorted(results) == [False] * 9 + [True]


async def test_rate_counter_counts_per_window(backend):
    store, _, clock = backend
    assert [await store.hit("u", 60) for _ in range(3)] == [1, 2, 3]
    assert await store.hit("other", 60) == 1
    clock.now += 60
    assert await store.hit("u", 60) == 1


async def test_misses_are_kept_within_retention(backend):
    _, journal, clock = backend
    old = Miss("old question", "en", "fallback", (), clock.now - 100 * 86400)
    await journal.record_miss(old)
    recent = Miss("what is the weather", "en", "fallback", (("emg-what", 0.2),), clock.now)
    await journal.record_miss(recent)
    await journal.record_miss(recent)  # the same miss twice is two misses
    kept = await journal.misses(since=0)
    assert kept == [recent, recent]
    assert await journal.misses(since=clock.now + 1) == []


async def test_feedback_and_usage_are_counted(backend):
    _, journal, clock = backend
    await journal.record_feedback("emg-what", True)
    await journal.record_feedback("emg-what", False)
    await journal.record_feedback("emg-what", True)
    assert await journal.feedback() == {"emg-what": (2, 1)}
    await journal.record_turn("answer", "emg-what")
    clock.now -= 86400
    await journal.record_turn("answer", "emg-pain")
    await journal.record_turn("fallback", None)
    clock.now += 86400
    week = await journal.usage(7)
    assert week.kinds == {"answer": 2, "fallback": 1}
    assert week.entries == {"emg-what": 1, "emg-pain": 1}
    assert (await journal.usage(1)).kinds == {"answer": 1}


async def test_redis_keys_hold_no_raw_ids_and_expire(redis_client: Redis):
    store = RedisSessionStore(redis_client, ttl_seconds=1800)
    await store.save("telegram:5f2c", {"welcomed": True})
    await store.first_delivery("telegram:900000001")
    await store.hit("telegram:5f2c", 60)
    keys = sorted(await redis_client.keys("*"))
    assert keys[0] == "faqbot:rate:telegram:5f2c:" + keys[0].rsplit(":", 1)[1]
    assert keys[1:] == ["faqbot:seen:telegram:900000001", "faqbot:session:telegram:5f2c"]
    assert 1790 < await redis_client.ttl("faqbot:session:telegram:5f2c") <= 1800
    assert await redis_client.ttl("faqbot:seen:telegram:900000001") > 86000
    assert 0 < await redis_client.ttl(keys[0]) <= 60


async def test_password_and_tls_urls_work(tmp_path: Path):
    server = RedisServer(password="s3cret-pass", tls_dir=make_tls_files(tmp_path / "tls")).start()
    try:
        assert server.url.startswith("rediss://:s3cret-pass@")
        client = connect(server.url)
        store = RedisSessionStore(client)
        await store.save("line:u1", {"locale": "en"})
        assert (await store.get("line:u1")).locale == "en"
        await client.aclose()
    finally:
        server.stop()
