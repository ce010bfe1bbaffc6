"""Messages that answer nothing the bot received: staff tickets, staff replies, admin alerts.

Each platform adapter can address a chat by its platform id and push to an address it made;
the courier routes a delivery to the right adapter by platform name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from bot.core import Reply

log = logging.getLogger(__name__)


class Pusher(Protocol):
    def chat_address(self, chat_id: str) -> str: ...

    async def push(self, address: str, reply: Reply) -> None: ...


class Courier:
    def __init__(self, pushers: Mapping[str, Pusher]) -> None:
        self._pushers = dict(pushers)  # platform name -> adapter

    def chat_address(self, platform: str, chat_id: str) -> str | None:
        pusher = self._pushers.get(platform)
        return pusher.chat_address(chat_id) if pusher else None

    async def deliver(self, platform: str, address: str, reply: Reply) -> bool:
        pusher = self._pushers.get(platform)
        if pusher is None:
            log.warning("cannot deliver to %s: that platform is not configured", platform)
            return False
        try:
            await pusher.push(address, reply)
        except Exception:
            log.exception("delivering a %s message to %s failed", reply.kind.value, platform)
            return False
        return True
