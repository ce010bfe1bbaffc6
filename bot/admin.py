"""Admin commands in the chat itself: /reload, /stats, /misses — for admin user ids only."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.core import IncomingMessage, Reply, ReplyKind
from bot.journal import Journal, group_misses
from bot.reports import misses_text, stats_text

log = logging.getLogger(__name__)

COMMANDS = frozenset({"reload", "stats", "misses"})
REPORT_DAYS = 7
MISSES_SHOWN = 10


class Admin:
    def __init__(
        self,
        *,
        ids: frozenset[str],
        journal: Journal,
        reload: Callable[[], Awaitable[str]] | None,
        clock: Callable[[], float],
    ) -> None:
        self._ids = ids  # "platform:user id", from ADMIN_IDS
        self._journal = journal
        self._reload = reload
        self._clock = clock

    def allowed(self, message: IncomingMessage) -> bool:
        return f"{message.platform}:{message.user_id}" in self._ids

    async def run(self, command: str, message: IncomingMessage, locale: str, refusal: str) -> Reply:
        if not self.allowed(message):
            log.warning("refused /%s from a non-admin on %s", command, message.platform)
            return Reply(ReplyKind.INFO, refusal, locale)
        log.info("admin /%s on %s", command, message.platform)
        return Reply(ReplyKind.INFO, await self._text(command), locale)

    async def _text(self, command: str) -> str:
        if command == "reload":
            return await self._reload() if self._reload else "Reloading is not available here."
        if command == "stats":
            usage = await self._journal.usage(REPORT_DAYS)
            return stats_text(usage, await self._journal.feedback())
        since = self._clock() - REPORT_DAYS * 86400
        groups = group_misses(await self._journal.misses(since))[:MISSES_SHOWN]
        return f"Unanswered, last {REPORT_DAYS} days:\n{misses_text(groups)}"
