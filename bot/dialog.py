"""The one use case: an incoming message -> a reply, with the session and journal around it.

Per message: drop redeliveries, check for red flags (before anything else can answer, and
before the rate limit: an emergency is never throttled), count towards the rate limit, load
the session, pass the message on to staff if the user is waiting for a person, else let the
router decide; save only the changed session fields and record what admins read back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.admin import Admin
from bot.config import BotConfig
from bot.core import IncomingMessage, MessageKind, Reply, ReplyKind
from bot.handoff import CLEARED, Courier, Handoff
from bot.journal import Alert, Journal
from bot.knowledge import Knowledge
from bot.logs import bind
from bot.matcher import Match
from bot.privacy import redact
from bot.replies import Replies
from bot.routing import Router, Turn, locale_from_hint
from bot.sessions import Session, SessionStore, user_key
from bot.smalltalk import SmalltalkDetector
from bot.text import detect_locale

log = logging.getLogger(__name__)
BACK_TO_BOT = ("/bot", "/start")


@dataclass(frozen=True, slots=True)
class _Loaded:
    """Everything built from one FAQ and one config, replaced as a whole on reload."""

    config: BotConfig
    router: Router
    handoff: Handoff


class Dialog:
    def __init__(
        self,
        *,
        knowledge: Knowledge,
        config: BotConfig,
        store: SessionStore,
        journal: Journal,
        hash_key: str,
        clock: Callable[[], float] = time.time,
        log_text: bool = False,
        courier: Courier | None = None,
        staff_chat: str | None = None,
        admin: Admin | None = None,
    ) -> None:
        self.store = store
        self.journal = journal
        self._hash_key = hash_key
        self._clock = clock
        self._log_text = log_text  # message text in logs only when an operator opts in
        self._courier = courier
        self._staff_chat = staff_chat
        self._admin = admin or Admin(ids=frozenset(), journal=journal, reload=None, clock=clock)
        self._loaded = self._load(knowledge, config)

    def _load(self, knowledge: Knowledge, config: BotConfig) -> _Loaded:
        router = Router(knowledge, config, SmalltalkDetector(config.smalltalk), self._clock)
        handoff = Handoff(
            config=config,
            staff_chat=self._staff_chat,
            store=self.store,
            courier=self._courier,
            clock=self._clock,
        )
        return _Loaded(config, router, handoff)

    def swap(self, knowledge: Knowledge, config: BotConfig) -> None:
        """Serve a new FAQ and config from the next message on; messages in flight finish
        with the old ones (they hold their own reference)."""
        self._loaded = self._load(knowledge, config)

    @property
    def knowledge(self) -> Knowledge:
        return self._loaded.router.knowledge

    @property
    def config(self) -> BotConfig:
        return self._loaded.config

    async def handle(self, message: IncomingMessage) -> Reply:
        loaded = self._loaded
        if message.event_id and not await self.store.first_delivery(
            f"{message.platform}:{message.event_id}"
        ):
            # A redelivery of something already answered.
            return Reply(ReplyKind.DUPLICATE, "", self.config.default_locale)
        if message.kind is MessageKind.STAFF:
            return await loaded.handoff.from_staff(message)
        user = user_key(self._hash_key, message.platform, message.user_id)
        bind(user=user)  # every log line about this message names the (hashed) user
        if self._log_text:
            log.debug("%s %s says %r", user, message.kind.value, message.text or message.action)
        if message.kind is MessageKind.TEXT and (emergency := await self._red_flag(message)):
            return emergency
        sent = await self.store.hit(user, self.config.rate_window_seconds)
        if sent > self.config.rate_limit:
            # Say so once per window, then stay quiet until the window passes.
            first_over = sent == self.config.rate_limit + 1
            return self._rate_limited(message) if first_over else self._silence()
        session = await self.store.get(user)
        locale = self._locale(message, session)
        waiting = session.handoff and not loaded.handoff.expired(session)
        # Plain text goes to staff; /bot and /start end the wait; other commands (/forget,
        # /lang...) are still the bot's to answer.
        typed = message.text.strip().lower()
        command = typed.split(" ")[0] if typed.startswith("/") else ""
        if waiting and message.kind is MessageKind.TEXT and (not command or command in BACK_TO_BOT):
            return await self._waiting_for_staff(loaded, message, user, session, locale)
        turn = loaded.router.route(message, session, locale)
        if loaded.handoff.expired(session):
            turn.changes.update(CLEARED)
            expired = self.config.message("handoff_expired", locale)
            turn.reply = replace(turn.reply, notice=expired)
        turn = await self._staffing(loaded, turn, message, user, session, locale)
        turn.changes.setdefault("last_locale", locale)
        if not session.welcomed and not turn.forget:
            turn = self._with_disclaimer(turn)
        await self._apply(user, turn, session)
        return turn.reply

    async def _waiting_for_staff(
        self, loaded: _Loaded, message: IncomingMessage, user: str, session: Session, locale: str
    ) -> Reply:
        text = message.text.strip()
        if text.lower().split(" ")[0] in BACK_TO_BOT:
            reply = await loaded.handoff.leave(session, locale)
            await self.store.save(user, CLEARED)
        else:
            reply = await loaded.handoff.forward(text, session, locale)
        await self.journal.record_turn(reply.kind.value, None)
        return reply

    async def _staffing(
        self,
        loaded: _Loaded,
        turn: Turn,
        message: IncomingMessage,
        user: str,
        session: Session,
        locale: str,
    ) -> Turn:
        """Turns that need people: a handoff to staff, or an admin command."""
        if turn.handoff:
            turn.reply, changes = await loaded.handoff.open(message, user, session, locale)
            turn.changes.update(changes)
        elif turn.admin:
            refusal = self.config.message("admin_only", locale)
            turn.reply = await self._admin.run(turn.admin, message, locale, refusal)
        return turn

    async def _apply(self, user: str, turn: Turn, session: Session) -> None:
        if turn.forget:
            await self.store.forget(user)
            if session.handoff:  # the ticket holds the user's chat id: it goes too
                await self.store.close_ticket(session.handoff)
        else:
            await self.store.save(user, turn.changes)
        if turn.miss is not None:
            await self.journal.record_miss(turn.miss)
        if turn.feedback is not None:
            await self.journal.record_feedback(*turn.feedback)
        await self.journal.record_turn(turn.reply.kind.value, turn.reply.entry_id)

    async def _red_flag(self, message: IncomingMessage) -> Reply | None:
        safety = self.config.safety
        flag = safety.detector.check(message.text) if safety else None
        if flag is None:
            return None
        locale = self._stateless_locale(message)
        log.warning("red flag: %s (%s) on %s", flag.category, flag.kind, message.platform)
        alert = Alert(
            flag.category, flag.kind, redact(message.text), locale, message.platform, self._clock()
        )
        await self.journal.record_alert(alert)
        await self.journal.record_turn(ReplyKind.EMERGENCY.value, None)
        return self._replies().emergency(flag, locale)

    async def preview(self, text: str, locale: str | None = None) -> tuple[Reply, list[Match]]:
        """What the bot would answer a new user, and the matcher's top candidates; nothing is
        stored or recorded (the admin preview page)."""
        loaded = self._loaded
        message = IncomingMessage("preview", "admin", text)
        if locale not in self.config.locales:
            locale = self._stateless_locale(message)
        matches = loaded.router.knowledge.matcher.search(text, limit=5)
        safety = self.config.safety
        flag = safety.detector.check(text) if safety else None
        if flag is not None:
            return self._replies().emergency(flag, locale), matches
        return loaded.router.route(message, Session(), locale).reply, matches

    def error_reply(self, message: IncomingMessage) -> Reply:
        """The reply when handling `message` failed; touches no storage, which may be the cause."""
        return self._replies().error(self._stateless_locale(message))

    def _replies(self) -> Replies:
        return self._loaded.router.replies

    def _silence(self) -> Reply:
        return Reply(ReplyKind.NONE, "", self.config.default_locale)

    def _rate_limited(self, message: IncomingMessage) -> Reply:
        return self._replies().rate_limited(self._stateless_locale(message))

    def _with_disclaimer(self, turn: Turn) -> Turn:
        """First contact: the disclaimer goes before whatever we say, once per user."""
        turn.changes["welcomed"] = True
        if turn.reply.kind is ReplyKind.WELCOME or turn.reply.notice:
            return turn  # the welcome already carries it
        notice = self._replies().disclaimer(turn.reply.locale)
        turn.reply = replace(turn.reply, notice=notice)
        return turn

    def _locale(self, message: IncomingMessage, session: Session) -> str:
        # A command's Latin letters say nothing of the user's language ("/start" typed in Taipei).
        typed = message.kind is MessageKind.TEXT and not message.text.lstrip().startswith("/")
        detected = detect_locale(message.text) if typed else None
        hint = locale_from_hint(message.locale_hint, self.config.locales)
        for candidate in (session.locale, detected, session.last_locale, hint):
            if candidate in self.config.locales:
                return candidate
        return self.config.default_locale

    def _stateless_locale(self, message: IncomingMessage) -> str:
        return self._locale(message, Session())
