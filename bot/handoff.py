"""Human handoff: a user asks for a person, staff answer from their own chat.

The user's recent questions go to the staff chat (HANDOFF_CHAT) under a short ticket
number. Until staff release the ticket, the user goes back with /bot, or the timeout passes,
the bot does not answer that user automatically: their messages are passed on to staff, and
staff replies (a reply to the ticket message, or a message starting with #TICKET) are relayed
to them. Red flags are still checked first, before any of this.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from typing import Protocol

from bot.config import BotConfig
from bot.core import IncomingMessage, Link, Reply, ReplyKind
from bot.sessions import Session, SessionStore

log = logging.getLogger(__name__)

_TICKET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no O/0 or I/1 to misread
_TICKET = re.compile(r"#([A-Z2-9]{4})\b", re.IGNORECASE)
_BARE_TICKET = re.compile(r"#?\b([A-Z2-9]{4})\b", re.IGNORECASE)  # "/release A1B2"
CLEARED = {"handoff": None, "handoff_until": 0.0}


class Courier(Protocol):
    """Sends a reply that answers no incoming message: to the staff chat, or to a user."""

    def chat_address(self, platform: str, chat_id: str) -> str | None: ...

    async def deliver(self, platform: str, address: str, reply: Reply) -> bool: ...


class Handoff:
    def __init__(
        self,
        *,
        config: BotConfig,
        staff_chat: str | None,
        store: SessionStore,
        courier: Courier | None,
        clock: Callable[[], float],
    ) -> None:
        self._config = config
        self._staff_chat = staff_chat  # "telegram:<chat id>" or "line:<group id>"
        self._store = store
        self._courier = courier
        self._clock = clock

    def _staff(self) -> tuple[str, str] | None:
        """(platform, address) of the staff chat, if one is configured and reachable."""
        if not (self._staff_chat and self._courier):
            return None
        platform, _, chat_id = self._staff_chat.partition(":")
        address = self._courier.chat_address(platform, chat_id)
        return (platform, address) if address else None

    def _say(self, key: str, locale: str, **values: str) -> str:
        return self._config.message(key, locale, **values)

    def _reply(
        self, kind: ReplyKind, text: str, locale: str, links: tuple[Link, ...] = ()
    ) -> Reply:
        return Reply(kind=kind, text=text, locale=locale, links=links)

    async def _to_staff(self, text: str) -> bool:
        staff = self._staff()
        if staff is None or self._courier is None:
            return False
        reply = self._reply(ReplyKind.HANDOFF, text, self._config.default_locale)
        return await self._courier.deliver(*staff, reply)

    # --- the user's side ---

    async def open(
        self, message: IncomingMessage, user: str, session: Session, locale: str
    ) -> tuple[Reply, dict[str, object]]:
        links = self._config.escalation_links(locale)
        if self._staff() is None:
            return self._reply(
                ReplyKind.HANDOFF, self._say("handoff_unavailable", locale), locale, links
            ), {}
        ticket = await self._new_ticket()
        record = {
            "platform": message.platform,
            "address": message.address,
            "user": user,
            "locale": locale,
        }
        await self._store.open_ticket(ticket, record, self._config.handoff.timeout_seconds)
        questions = "\n".join(f"• {q}" for q in session.recent) or "•"
        staff_locale = self._config.default_locale
        notice = self._say(
            "staff_ticket",
            staff_locale,
            ticket=ticket,
            platform=message.platform,
            language=self._config.locale_names.get(locale, locale),
            questions=questions,
        )
        if not await self._to_staff(notice):
            await self._store.close_ticket(ticket)
            return self._reply(
                ReplyKind.HANDOFF, self._say("handoff_unavailable", locale), locale, links
            ), {}
        log.info("handoff #%s opened from %s", ticket, message.platform)
        now = self._clock()
        key = "handoff_open" if self._config.handoff.hours.is_open(now) else "handoff_closed"
        text = self._say(key, locale, hours=self._config.handoff.hours.label.get(locale))
        changes = {"handoff": ticket, "handoff_until": now + self._config.handoff.timeout_seconds}
        return self._reply(ReplyKind.HANDOFF, text, locale, links), changes

    async def _new_ticket(self) -> str:
        while True:
            ticket = "".join(secrets.choice(_TICKET_ALPHABET) for _ in range(4))
            if await self._store.ticket(ticket) is None:
                return ticket

    async def forward(self, text: str, session: Session, locale: str) -> Reply:
        """A message from a user waiting for staff: pass it on instead of answering it."""
        assert session.handoff is not None
        await self._to_staff(
            self._say(
                "staff_user_says", self._config.default_locale, ticket=session.handoff, text=text
            )
        )
        return self._reply(ReplyKind.HANDOFF, self._say("handoff_forwarded", locale), locale)

    async def leave(self, session: Session, locale: str) -> Reply:
        """The user goes back to the bot (/bot)."""
        if session.handoff:
            await self._store.close_ticket(session.handoff)
            left = self._say("staff_user_left", self._config.default_locale, ticket=session.handoff)
            await self._to_staff(left)
        return self._reply(ReplyKind.INFO, self._say("handoff_released", locale), locale)

    def expired(self, session: Session) -> bool:
        return bool(session.handoff) and session.handoff_until <= self._clock()

    # --- the staff's side ---

    async def from_staff(self, message: IncomingMessage) -> Reply:
        locale = self._config.default_locale
        text = message.text.strip()
        command, _, argument = text.partition(" ")
        releasing = command.lower().startswith("/release")
        found = (_BARE_TICKET if releasing else _TICKET).search(argument if releasing else text)
        found = found or _TICKET.search(message.quoted or "")
        if found is None:
            # Staff chat about other things, or a reply to something that is not a ticket.
            asked = command.lower().startswith(("/release", "/help"))
            return self._reply(
                ReplyKind.INFO if asked else ReplyKind.NONE, self._say("staff_how", locale), locale
            )
        ticket = found.group(1).upper()
        record = await self._store.ticket(ticket)
        if record is None:
            return self._reply(
                ReplyKind.INFO, self._say("staff_unknown", locale, ticket=ticket), locale
            )
        if releasing:
            return await self._release(ticket, record, locale)
        body = _TICKET.sub("", text, count=1).strip() if text.startswith("#") else text
        user_locale = record.get("locale", locale)
        relay = f"{self._say('staff_says', user_locale)}\n{body}"
        reply = self._reply(ReplyKind.HANDOFF, relay, user_locale)
        assert self._courier is not None  # a ticket exists only when a courier does
        await self._courier.deliver(record["platform"], record["address"], reply)
        # Staff are answering: keep the user with them for another full timeout.
        until = self._clock() + self._config.handoff.timeout_seconds
        await self._store.open_ticket(ticket, record, self._config.handoff.timeout_seconds)
        await self._store.save(record["user"], {"handoff": ticket, "handoff_until": until})
        return self._reply(ReplyKind.INFO, self._say("staff_sent", locale, ticket=ticket), locale)

    async def _release(self, ticket: str, record: dict[str, str], locale: str) -> Reply:
        await self._store.close_ticket(ticket)
        await self._store.save(record["user"], CLEARED)
        user_locale = record.get("locale", locale)
        back = self._reply(ReplyKind.INFO, self._say("handoff_released", user_locale), user_locale)
        assert self._courier is not None
        await self._courier.deliver(record["platform"], record["address"], back)
        log.info("handoff #%s released by staff", ticket)
        return self._reply(
            ReplyKind.INFO, self._say("staff_released", locale, ticket=ticket), locale
        )
