"""The one use case: an incoming message -> a reply, with the session and journal around it.

Per message: drop redeliveries, check for red flags (before anything else can answer, and
before the rate limit: an emergency is never throttled), count towards the rate limit, load
the session, let the router decide, save only the changed session fields, record what admins
read back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from bot.config import BotConfig
from bot.core import IncomingMessage, MessageKind, Reply, ReplyKind
from bot.journal import Alert, Journal
from bot.knowledge import Knowledge
from bot.privacy import redact
from bot.replies import Replies
from bot.routing import Router, Turn, locale_from_hint
from bot.sessions import Session, SessionStore, user_key
from bot.smalltalk import SmalltalkDetector
from bot.text import detect_locale

log = logging.getLogger(__name__)


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
    ) -> None:
        self.config = config
        self.store = store
        self.journal = journal
        self._hash_key = hash_key
        self._clock = clock
        self._log_text = log_text  # message text in logs only when an operator opts in
        self._smalltalk = SmalltalkDetector(config.smalltalk)
        self._router = Router(knowledge, config, self._smalltalk, clock)

    @property
    def knowledge(self) -> Knowledge:
        return self._router.knowledge

    async def handle(self, message: IncomingMessage) -> Reply:
        if message.event_id and not await self.store.first_delivery(
            f"{message.platform}:{message.event_id}"
        ):
            return self._silence()  # a redelivery of something already answered
        user = user_key(self._hash_key, message.platform, message.user_id)
        if self._log_text:
            log.debug("%s %s says %r", user, message.kind.value, message.text or message.action)
        if message.kind is MessageKind.TEXT and (emergency := await self._red_flag(message)):
            return emergency
        sent = await self.store.hit(user, self.config.rate_window_seconds)
        if sent > self.config.rate_limit:
            # Say so once per window, then stay quiet until the window passes.
            return (
                self._rate_limited(message)
                if sent == self.config.rate_limit + 1
                else self._silence()
            )
        session = await self.store.get(user)
        locale = self._locale(message, session)
        turn = self._router.route(message, session, locale)
        turn.changes.setdefault("last_locale", locale)
        if not session.welcomed and not turn.forget:
            turn = self._with_disclaimer(turn)
        await self._apply(user, turn)
        return turn.reply

    async def _apply(self, user: str, turn: Turn) -> None:
        if turn.forget:
            await self.store.forget(user)
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

    def error_reply(self, message: IncomingMessage) -> Reply:
        """The reply when handling `message` failed; touches no storage, which may be the cause."""
        return self._replies().error(self._stateless_locale(message))

    def _replies(self) -> Replies:
        return self._router.replies

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
