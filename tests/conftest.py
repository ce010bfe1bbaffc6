"""Shared fixtures: paths to test data, the shipped config, and a dialog over the tiny FAQ."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import BotConfig, load_config
from bot.dialog import Dialog
from bot.faq import load_faq
from bot.knowledge import Knowledge
from bot.sessions import MemorySessionStore

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
TINY_FAQ = DATA / "faq"


@pytest.fixture(scope="session")
def config() -> BotConfig:
    return load_config(ROOT / "config")


@pytest.fixture
def store() -> MemorySessionStore:
    return MemorySessionStore()


@pytest.fixture
def dialog(config: BotConfig, store: MemorySessionStore) -> Dialog:
    knowledge = Knowledge.build(load_faq(TINY_FAQ), config.synonyms)
    return Dialog(knowledge=knowledge, config=config, store=store, hash_key="test-key")
