"""Telegram through python-telegram-bot 22: the webhook adapter, long polling, set-webhook.

One PTB `Application` per process. For the webhook it is built without an Updater and only
initialized (getMe gives the username the group rule needs); our own route receives updates.
For polling it runs its Updater, and one handler feeds each update through the same conversion,
dialog and rendering as the webhook. Only this module and telegram_updates / telegram_render
import `telegram`; what leaves them is core types and plain values.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from telegram import LinkPreviewOptions, ReplyParameters, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ContextTypes, TypeHandler
from telegram.warnings import PTBDeprecationWarning

from bot.adapters.telegram_render import Outgoing, render
from bot.adapters.telegram_request import AiohttpRequest
from bot.adapters.telegram_updates import Address, to_incoming
from bot.core import ConfigError, IncomingMessage, Reply, WebhookRejected

log = logging.getLogger(__name__)

SECRET_HEADER = "x-telegram-bot-api-secret-token"
ALLOWED_UPDATES = ("message", "callback_query")  # all we answer; Telegram then sends no others
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what setWebhook accepts as secret_token
OnMessage = Callable[[IncomingMessage], Awaitable[None]]


def build_application(token: str, base_url: str, *, polling: bool = False) -> Application:
    """`base_url` gets the token appended, e.g. https://api.telegram.org/bot + 123:ABC."""
    builder = Application.builder().token(token).base_url(base_url)
    builder = builder.base_file_url(_file_url(base_url)).request(AiohttpRequest())
    if not polling:
        builder = builder.updater(None)
    return builder.build()


def _file_url(base_url: str) -> str:
    # https://api.telegram.org/bot -> https://api.telegram.org/file/bot, and alike for stubs.
    root, _, last = base_url.rstrip("/").rpartition("/")
    return f"{root}/file/{last}"


class TelegramAdapter:
    def __init__(
        self,
        application: Application,
        secret: str | None,
        *,
        max_retries: int = 2,
        max_retry_wait: float = 30.0,
        retry_pause: float = 1.0,
        staff_chat: int | None = None,
        answers_in_response: bool = False,
    ) -> None:
        self._app = application
        # TELEGRAM_REPLY_IN_RESPONSE: a one-message reply rides in the webhook response.
        self.answers_in_response = answers_in_response
        self._staff_chat = staff_chat  # the chat id of HANDOFF_CHAT, if it is on Telegram
        self._secret = (secret or "").encode()
        self._max_retries = max_retries
        self._max_retry_wait = max_retry_wait
        self._retry_pause = retry_pause  # before retrying a 5xx: 1x, then 2x
        # Chats that refused a message (user blocked the bot), so it is logged once, not per
        # message; removed again when a message gets through. Holds ids only, never text.
        self._refused: set[int] = set()

    # --- the web app's Webhook protocol ---

    async def start(self) -> None:
        await self._app.initialize()  # calls getMe: fails fast on a bad token

    async def stop(self) -> None:
        await self._app.shutdown()

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[IncomingMessage]:
        given = headers.get(SECRET_HEADER, "").encode()
        # Constant time, and an unset secret refuses everything rather than accepting all.
        if not self._secret or not hmac.compare_digest(given, self._secret):
            raise WebhookRejected(403, "missing or wrong secret token", "rejected_secret")
        return self._incoming(self._decode(body))

    async def acknowledge(self, message: IncomingMessage) -> None:
        address = Address.decode(message.address)
        if address.callback_id:
            # Stops the spinner on the button even if answering fails later.
            call = self._app.bot.answer_callback_query(address.callback_id)
            await _quietly(call, "answerCallbackQuery")

    async def show_typing(self, message: IncomingMessage) -> None:
        address = Address.decode(message.address)
        typing = self._app.bot.send_chat_action(
            address.chat_id, ChatAction.TYPING, message_thread_id=address.thread_id
        )
        await _quietly(typing, "sendChatAction")

    async def send(self, message: IncomingMessage, reply: Reply) -> None:
        address = Address.decode(message.address)
        for index, outgoing in enumerate(render(reply)):
            quote = address.reply_to if index == 0 else None
            if not await self._deliver(address, outgoing, quote):
                return

    def response_call(self, message: IncomingMessage, reply: Reply) -> dict[str, object] | None:
        """A one-message reply as a sendMessage call for the webhook response body. Telegram
        does not say whether it arrived, so a blocked chat or a rate limit goes unnoticed."""
        outgoing = render(reply)
        if len(outgoing) != 1:
            return None
        address = Address.decode(message.address)
        call: dict[str, object] = {
            "method": "sendMessage",
            "chat_id": address.chat_id,
            "text": outgoing[0].text,
            "parse_mode": ParseMode.HTML.value,
            "link_preview_options": LinkPreviewOptions(is_disabled=True).to_dict(),
        }
        if outgoing[0].keyboard is not None:
            call["reply_markup"] = outgoing[0].keyboard.to_dict()
        if address.thread_id is not None:
            call["message_thread_id"] = address.thread_id
        if address.reply_to:
            quote = ReplyParameters(address.reply_to, allow_sending_without_reply=True)
            call["reply_parameters"] = quote.to_dict()
        return call

    def chat_address(self, chat_id: str) -> str:
        return Address(int(chat_id)).encode()

    async def push(self, address: str, reply: Reply) -> None:
        """A message nobody just wrote: no button to answer, no message to quote."""
        target = Address.decode(address)
        target = Address(target.chat_id, thread_id=target.thread_id)
        for outgoing in render(reply):
            if not await self._deliver(target, outgoing, None):
                return

    # --- command line ---

    async def set_webhook(self, url: str, *, drop_pending_updates: bool = False) -> dict[str, Any]:
        """Register `url` with our secret and update types; returns what Telegram now has."""
        secret = self._secret.decode()
        if not SECRET_PATTERN.fullmatch(secret):
            raise ConfigError(
                "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        async with self._app:
            await self._app.bot.set_webhook(
                url,
                secret_token=secret,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=drop_pending_updates,
            )
            info = await self._app.bot.get_webhook_info()
            return {
                "bot": self._app.bot.username,
                "url": info.url,
                "allowed_updates": list(info.allowed_updates or ALLOWED_UPDATES),
                "pending_update_count": info.pending_update_count,
            }

    async def poll(
        self,
        on_message: OnMessage,
        stop: asyncio.Event | None = None,
        *,
        drop_pending_updates: bool = False,
    ) -> None:
        """Long polling until `stop` is set or the task is cancelled (Ctrl-C)."""
        app, stop = self._app, stop or asyncio.Event()
        if app.updater is None:
            raise RuntimeError("this Application was built for webhooks (without an Updater)")

        async def on_update(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
            if isinstance(update, Update):
                for message in self._incoming(update):
                    await on_message(message)

        app.add_handler(TypeHandler(Update, on_update))
        app.add_error_handler(_log_error)
        async with app:
            await self._warn_about_webhook()
            # The Updater deletes the webhook before polling (getUpdates is refused while one
            # is set), so a deployed bot stops receiving updates until set-webhook is run again.
            await app.updater.start_polling(
                allowed_updates=list(ALLOWED_UPDATES), drop_pending_updates=drop_pending_updates
            )
            await app.start()
            log.info("polling Telegram as @%s; Ctrl-C stops", app.bot.username)
            try:
                await stop.wait()
            finally:
                try:  # nested, so that a second Ctrl-C during the first step still stops the app
                    await app.updater.stop()
                finally:
                    await app.stop()

    async def _warn_about_webhook(self) -> None:
        info = await self._app.bot.get_webhook_info()
        if info.url:
            log.warning(
                "removing the webhook %s so that polling gets the updates; "
                "run `main.py telegram set-webhook` again to switch back",
                info.url,
            )

    # --- internals ---

    def _decode(self, body: bytes) -> Update:
        try:
            data = json.loads(body)
        except ValueError:
            raise WebhookRejected(400, "body is not JSON") from None
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise WebhookRejected(400, "not a Telegram update: no integer update_id")
        try:
            return Update.de_json(data, self._app.bot)
        except Exception as error:  # de_json raises KeyError, TypeError... on malformed parts
            raise WebhookRejected(400, f"not a Telegram update ({type(error).__name__})") from None

    def _incoming(self, update: Update) -> list[IncomingMessage]:
        try:
            message = to_incoming(update, self._app.bot, self._staff_chat)
        except Exception:
            # A bug here must not become a 5xx: Telegram would redeliver the update forever.
            log.exception("could not read Telegram update %s; ignoring it", update.update_id)
            return []
        return [message] if message else []

    async def _deliver(self, address: Address, outgoing: Outgoing, quote: int | None) -> bool:
        """Send one message, waiting out rate limits and server errors within bounds; False if
        the chat refused it."""
        waited = 0.0
        for attempt in range(self._max_retries + 1):
            try:
                await self._send_message(address, outgoing, quote)
            except RetryAfter as error:
                delay = _retry_seconds(error)
                if attempt == self._max_retries or waited + delay > self._max_retry_wait:
                    raise
                log.warning("Telegram asked to slow down; retrying in %.0f s", delay)
                await asyncio.sleep(delay)
                waited += delay
            except TimedOut:
                raise  # it may have been sent: a retry could post the answer twice
            except BadRequest:
                raise  # PTB makes it a NetworkError, but the same request would fail again
            except NetworkError as error:
                # A 5xx or a refused connection: Telegram did not take the message.
                delay = self._retry_pause * (attempt + 1)
                if attempt == self._max_retries:
                    raise
                log.warning("Telegram send failed (%s); retrying in %.1f s", error.message, delay)
                await asyncio.sleep(delay)
                waited += delay
            except Forbidden as error:
                # Blocked by the user, or removed from the group: retrying cannot help.
                if address.chat_id not in self._refused:
                    self._refused.add(address.chat_id)
                    log.warning("Telegram refused the reply, not retrying: %s", error.message)
                return False
            else:
                self._refused.discard(address.chat_id)
                return True
        return False  # not reached: the last attempt returns or raises

    async def _send_message(self, address: Address, outgoing: Outgoing, quote: int | None) -> None:
        await self._app.bot.send_message(
            address.chat_id,
            outgoing.text,
            parse_mode=ParseMode.HTML,
            reply_markup=outgoing.keyboard,
            message_thread_id=address.thread_id,
            # The quoted message may have been deleted meanwhile: answer anyway.
            reply_parameters=(
                ReplyParameters(quote, allow_sending_without_reply=True) if quote else None
            ),
            # Previews of the clinic's links would push the answer off small screens.
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )


def _retry_seconds(error: RetryAfter) -> float:
    # PTB 22 warns that retry_after becomes a timedelta in v23; accept both, without the noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _quietly(call: Awaitable[object], what: str) -> None:
    """For courtesies (typing, button spinner): a failure is logged, and the answer still goes."""
    try:
        await call
    except TelegramError as error:
        log.warning("%s failed: %s", what, error)


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while polling Telegram", exc_info=context.error)
