"""Admin commands in the chat: only for ADMIN_IDS, and refused (and logged) for everyone else."""

import logging
import time

from bot.admin import Admin
from bot.core import IncomingMessage, ReplyKind
from tests.conftest import make_dialog


async def reload_ok() -> str:
    return "Reloaded FAQ version abc123 (4 entries)."


def admin_dialog(config, store, journal):
    admin = Admin(
        ids=frozenset({"console:boss"}), journal=journal, reload=reload_ok, clock=time.time
    )
    return make_dialog(config, store, journal, admin=admin)


async def test_admins_can_reload_and_read_stats_and_misses(config, store, journal):
    dialog = admin_dialog(config, store, journal)
    await dialog.handle(IncomingMessage("console", "someone", "qwzx vbnm plkj"))
    await dialog.handle(IncomingMessage("console", "someone", "what is an EMG test"))
    boss = lambda text: IncomingMessage("console", "boss", text)  # noqa: E731
    assert "abc123" in (await dialog.handle(boss("/reload"))).text
    stats = (await dialog.handle(boss("/stats"))).text
    assert "answer" in stats and "emg-what" in stats
    misses = (await dialog.handle(boss("/misses"))).text
    assert "qwzx vbnm plkj" in misses


async def test_everyone_else_is_refused_and_it_is_logged(config, store, journal, caplog):
    dialog = admin_dialog(config, store, journal)
    with caplog.at_level(logging.WARNING, logger="bot.admin"):
        reply = await dialog.handle(
            IncomingMessage("console", "someone", "/reload", locale_hint="en")
        )
    assert reply.kind is ReplyKind.INFO
    assert "clinic staff only" in reply.text
    assert "refused /reload from a non-admin on console" in caplog.text
    assert "someone" not in caplog.text, "no raw user ids in logs"
