"""Shared fixtures: paths to test data, the shipped config, and a dialog over the tiny FAQ."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from bot.config import BotConfig, load_config
from bot.dialog import Dialog
from bot.embedding import UseEmbedder
from bot.faq import load_faq
from bot.journal import Journal, MemoryJournal
from bot.knowledge import Knowledge
from bot.redis_store import connect
from bot.sessions import MemorySessionStore, SessionStore
from tests.redis_server import RedisServer
from tests.support import serving
from tests.telegram_stub import TelegramStub

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TINY_FAQ = DATA / "faq"


@pytest.fixture(scope="session")
def config() -> BotConfig:
    return load_config(ROOT / "config")


@pytest.fixture(scope="session")
def use_embedder() -> UseEmbedder:
    """The real USE backend (the test extra installs it); loading it takes a second or two."""
    return UseEmbedder()


@pytest.fixture
def store() -> MemorySessionStore:
    return MemorySessionStore()


@pytest.fixture
def journal() -> MemoryJournal:
    return MemoryJournal()


def make_dialog(
    config: BotConfig,
    store: SessionStore,
    journal: Journal,
    faq: Path = TINY_FAQ,
    **options: Any,
) -> Dialog:
    knowledge = Knowledge.build(load_faq(faq), config.synonyms)
    return Dialog(
        knowledge=knowledge,
        config=config,
        store=store,
        journal=journal,
        hash_key="test-key",
        **options,
    )


@pytest.fixture
def dialog(config: BotConfig, store: MemorySessionStore, journal: MemoryJournal) -> Dialog:
    return make_dialog(config, store, journal)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the whole run; tests that need their own start one."""
    server = RedisServer().start()
    yield server
    server.stop()


@pytest_asyncio.fixture
async def redis_client(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = connect(redis_server.url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest_asyncio.fixture
async def stub() -> AsyncIterator[TelegramStub]:
    """A stub Telegram Bot API on a free loopback port that records what the bot sends."""
    from tests.test_telegram import TOKEN  # the test modules' shared bot token

    api = TelegramStub(TOKEN)
    async with serving(api.app) as url:
        api.url = url
        yield api
        api.release()  # a held request would keep the stub's server from stopping
