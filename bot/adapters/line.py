"""LINE Messaging API adapter (line-bot-sdk 3): signed webhook events in, replies out.

`parse` checks X-Line-Signature on the exact raw body and turns events into `IncomingMessage`:

    text message                      TEXT; in groups and rooms only when the bot is mentioned,
                                      with the mention cut out of the text
    postback (a tapped quick reply)   ACTION, the postback data is our action payload; in groups
                                      too, since a tap on the bot's own button is meant for it
    follow (added or unblocked)       FOLLOW: welcome and disclaimer
    sticker, image, video, audio,     UNSUPPORTED ("please type your question") in 1:1 chats;
    file, location                    nothing in groups (they cannot mention the bot)
    anything else                     nothing: unfollow, join, leave, member events, events in
                                      standby mode, and types the SDK does not know

`send` uses the event's reply token once. When LINE refuses the token (expired or already used)
it pushes the same messages instead if push fallback is on: pushes count against the monthly
quota, replies do not. A 5xx, a timeout or a per-second rate limit is retried twice, which is
safe because LINE accepts a reply token and a push retry key only once. Redelivered events are
not answered twice: the core dedupes on `webhookEventId` in the session store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from enum import Enum

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    Configuration,
    Message,
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from linebot.v3.webhook import WebhookParser
from yarl import URL

from bot.adapters.line_events import Address, chat_kind, to_incoming
from bot.adapters.line_render import render
from bot.core import IncomingMessage, Reply, WebhookRejected

DEFAULT_API_BASE_URL = "https://api.line.me"
LOADING_SECONDS = 10  # a multiple of 5; the animation ends as soon as our reply arrives
LOADING_TIMEOUT = 3.0  # seconds; it is cosmetic and must not hold up the answer
SEND_TIMEOUT = 10.0  # seconds; the SDK's own default is five minutes
RETRIES = 2  # after a transient failure; with the default pause the last try is 3 s later

log = logging.getLogger(__name__)


class _Outcome(Enum):
    SENT = "sent"
    TOKEN_REFUSED = "token refused"
    FAILED = "failed"


class LineWebhook:
    def __init__(
        self,
        *,
        channel_secret: str,
        access_token: str,
        api_base_url: str = DEFAULT_API_BASE_URL,
        push_fallback: bool = True,
        retry_pause: float = 1.0,
        send_timeout: float = SEND_TIMEOUT,
        staff_group: str | None = None,
    ) -> None:
        self._staff_group = staff_group  # the group or room id of HANDOFF_CHAT, if on LINE
        self._parser = WebhookParser(channel_secret)
        self._configuration = Configuration(
            access_token=access_token, host=api_base_url.rstrip("/")
        )
        self._push_fallback = push_fallback
        self._retry_pause = retry_pause
        self._send_timeout = send_timeout
        self._client: AsyncApiClient | None = None
        self._api: AsyncMessagingApi | None = None

    async def start(self) -> None:
        # One HTTP session for the app's lifetime, opened inside the running event loop.
        self._client = AsyncApiClient(self._configuration)
        await _read_environment_once(self._client)
        self._api = AsyncMessagingApi(self._client)

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.close()
        self._client = self._api = None

    @property
    def api(self) -> AsyncMessagingApi:
        if self._api is None:
            raise RuntimeError("the LINE webhook is not started")
        return self._api

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[IncomingMessage]:
        signature = headers.get("x-line-signature")
        if not signature:
            raise WebhookRejected(400, "missing X-Line-Signature", "rejected_signature")
        try:
            # The signature covers the exact bytes: decode only, never re-serialise.
            events = self._parser.parse(body.decode("utf-8"), signature)
        except InvalidSignatureError:
            raise WebhookRejected(400, "invalid X-Line-Signature", "rejected_signature") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            # Not UTF-8, not JSON, or not a webhook body, although correctly signed.
            raise WebhookRejected(400, "malformed LINE webhook body") from None
        return [message for event in events if (message := to_incoming(event, self._staff_group))]

    async def acknowledge(self, message: IncomingMessage) -> None:
        """LINE needs nothing before the reply: a postback has no spinner to stop."""

    async def show_typing(self, message: IncomingMessage) -> None:
        """The loading dots while a slow reply is worked on; LINE offers them in 1:1 chats only."""
        address = Address.decode(message.address)
        if address.chat != "user":
            return
        request = ShowLoadingAnimationRequest(
            chat_id=address.target, loading_seconds=LOADING_SECONDS
        )
        try:
            await self.api.show_loading_animation(request, _request_timeout=LOADING_TIMEOUT)
        except Exception as error:  # cosmetic: never let it cost the answer
            log.debug("LINE loading animation failed: %s", _describe(error))

    async def send(self, message: IncomingMessage, reply: Reply) -> None:
        address = Address.decode(message.address)
        messages = render(reply)
        if not messages:
            log.warning("LINE: a %s reply rendered to no messages; nothing sent", reply.kind)
            return
        outcome = _Outcome.TOKEN_REFUSED
        if address.reply_token:
            outcome = await self._deliver("reply", lambda: self._reply(address, messages))
        if outcome is _Outcome.TOKEN_REFUSED:
            await self._push_instead(address, messages)

    def chat_address(self, chat_id: str) -> str:
        return Address(chat_kind(chat_id), chat_id, "").encode()

    async def push(self, address: str, reply: Reply) -> None:
        """A message nobody just wrote to us about (a staff reply, a ticket): push is the only
        way, whatever LINE_PUSH_FALLBACK says; it counts against the monthly quota."""
        messages = render(reply)
        if messages:
            await self._push(Address.decode(address), messages)

    async def _reply(self, address: Address, messages: Sequence[Message]) -> None:
        request = ReplyMessageRequest(reply_token=address.reply_token, messages=list(messages))
        await self.api.reply_message(request, _request_timeout=self._send_timeout)

    async def _push_instead(self, address: Address, messages: Sequence[Message]) -> None:
        if not self._push_fallback:
            log.warning("LINE refused the reply token (expired or used); no push fallback: dropped")
            return
        if await self._push(address, messages):
            log.warning(
                "LINE refused the reply token (expired or used); sent a push message to a %s "
                "chat instead (counts against the monthly quota)",
                address.chat,
            )

    async def _push(self, address: Address, messages: Sequence[Message]) -> bool:
        request = PushMessageRequest(to=address.target, messages=list(messages))
        retry_key = str(uuid.uuid4())  # the same key on a retry: LINE delivers a push only once

        async def push() -> None:
            await self.api.push_message(request, retry_key, _request_timeout=self._send_timeout)

        return await self._deliver("push", push) is _Outcome.SENT

    async def _deliver(self, what: str, call: Callable[[], Awaitable[None]]) -> _Outcome:
        """Up to RETRIES more tries, after 1x and 2x retry_pause, for what may pass: a 5xx, a
        timeout, a per-second rate limit. Safe because a token or retry key works once."""
        for attempt in range(RETRIES + 1):
            try:
                await call()
                return _Outcome.SENT
            except (ApiException, TimeoutError) as error:
                if attempt and (_token_refused(error) or getattr(error, "status", None) == 409):
                    # An earlier attempt reached LINE after all: the token is spent, the key known.
                    log.info("LINE %s: an earlier attempt was delivered", what)
                    return _Outcome.SENT
                if _token_refused(error):
                    return _Outcome.TOKEN_REFUSED
                if not _transient(error) or attempt == RETRIES:
                    log.error("LINE %s failed: %s", what, _describe(error))
                    return _Outcome.FAILED
                log.warning("LINE %s failed (%s); retrying", what, _describe(error))
            await asyncio.sleep(self._retry_pause * (attempt + 1))
        return _Outcome.FAILED  # not reached: the last attempt returns


async def _read_environment_once(client: AsyncApiClient) -> None:
    """line-bot-sdk opens its aiohttp session with trust_env=True, so every request looked up
    ~/.netrc and the proxy variables in worker threads: two thread hops per request, a sixth of
    a worker's CPU under load (bench/load.py --profile). Read the proxy once here instead, and
    give the client a session that does not look again."""
    rest = client.rest_client
    host = URL(client.configuration.host)
    with contextlib.suppress(LookupError):
        proxy, _ = get_env_proxy_for_url(host)  # honours NO_PROXY
        rest.proxy = str(proxy)
    old = rest.pool_manager
    rest.pool_manager = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=client.configuration.connection_pool_maxsize),
        trust_env=False,
    )
    await old.close()


def _token_refused(error: Exception) -> bool:
    return getattr(error, "status", None) == 400 and "invalid reply token" in _body(error).lower()


def _transient(error: Exception) -> bool:
    status = getattr(error, "status", None)
    if status == 429:
        # LINE says 429 both for "too many requests per second" (worth a retry) and for the
        # monthly message quota (not until next month).
        return "monthly limit" not in _body(error).lower()
    return isinstance(error, TimeoutError) or (isinstance(status, int) and status >= 500)


def _body(error: Exception) -> str:
    body = getattr(error, "body", None) or ""
    return body.decode("utf-8", errors="replace") if isinstance(body, bytes) else str(body)


def _describe(error: Exception) -> str:
    """Status, LINE's message and request id: enough to follow up, and no user data."""
    if not isinstance(error, ApiException):
        return type(error).__name__
    request_id = (error.headers or {}).get("x-line-request-id", "-")
    return f"HTTP {error.status} {_body(error)[:300]} (request id {request_id})"
