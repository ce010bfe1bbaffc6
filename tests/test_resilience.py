"""Answering through a Redis outage: stateless replies, one warning, recovery on its own."""

import logging

import pytest

from bot.core import IncomingMessage, ReplyKind
from bot.redis_store import UNAVAILABLE, RedisJournal, RedisSessionStore, connect
from bot.resilience import Outage, ResilientJournal, ResilientSessionStore
from bot.sessions import Session
from tests.conftest import make_dialog
from tests.redis_server import RedisServer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_outage_returns_defaults_logs_once_and_retries_after_a_pause(caplog):
    clock = Clock()
    outage = Outage("Store", (ConnectionError,), retry_after=2.0, clock=clock)
    calls = []

    async def broken() -> str:
        calls.append(clock.now)
        raise ConnectionError("refused")

    async def working() -> str:
        return "ok"

    with caplog.at_level(logging.WARNING):
        assert await outage.run(broken, "default") == "default"
        assert await outage.run(broken, "default") == "default"  # not even tried: pausing
        clock.now = 2.5
        assert await outage.run(broken, "default") == "default"
        clock.now = 5.0
        assert await outage.run(working, "default") == "ok"
    assert calls == [0.0, 2.5]
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "Store unavailable (refused); answering without it until it is back",
        "Store is back",
    ]


async def test_bugs_are_not_mistaken_for_outages():
    outage = Outage("Store", (ConnectionError,))

    async def buggy() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await outage.run(buggy, None)


async def test_the_bot_answers_through_a_redis_crash_and_recovers(config, caplog):
    server = RedisServer().start()
    client = connect(server.url)
    outage = Outage("Redis", UNAVAILABLE, retry_after=0.0)
    store = ResilientSessionStore(RedisSessionStore(client), outage)
    journal = ResilientJournal(RedisJournal(client), outage)
    dialog = make_dialog(config, store, journal)

    def ask(body: str) -> IncomingMessage:
        return IncomingMessage("telegram", "555", body)

    try:
        await dialog.handle(ask("/lang zh-TW"))
        assert (await dialog.handle(ask("what is an EMG test"))).locale == "zh-TW"
        server.stop()
        with caplog.at_level(logging.WARNING, logger="bot.resilience"):
            during = [await dialog.handle(ask("what is an EMG test")) for _ in range(3)]
        assert [reply.kind for reply in during] == [ReplyKind.ANSWER] * 3
        assert during[0].locale == "en", "no session while Redis is down: detection only"
        warnings = [r for r in caplog.records if "unavailable" in r.getMessage()]
        assert len(warnings) == 1, "one warning per outage, not per message"

        server.start()  # same port, empty (no persistence): sessions start afresh
        await dialog.handle(ask("/lang zh-TW"))
        assert (await dialog.handle(ask("what is an EMG test"))).locale == "zh-TW"
        assert await store.get("nobody") == Session()
        assert not outage.down
    finally:
        await client.aclose()
        server.stop()
