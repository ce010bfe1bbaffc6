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
quota, replies do not. A 5xx or a timeout is retried once, which is safe because LINE accepts a
reply token and a push retry key only once. Redelivered events are not answered twice: the core
dedupes on `webhookEventId` in the session store.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

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
from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import (
    Event,
    EventMode,
    FollowEvent,
    GroupSource,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    Source,
    TextMessageContent,
    UserMentionee,
    UserSource,
)

from bot.adapters.line_render import render
from bot.core import IncomingMessage, MessageKind, Reply, WebhookRejected

PLATFORM = "line"
DEFAULT_API_BASE_URL = "https://api.line.me"
LOADING_SECONDS = 10  # a multiple of 5; the animation ends as soon as our reply arrives
LOADING_TIMEOUT = 3.0  # seconds; it is cosmetic and must not hold up the answer
SEND_TIMEOUT = 10.0  # seconds; the SDK's own default is five minutes

log = logging.getLogger(__name__)


class _Outcome(Enum):
    SENT = "sent"
    TOKEN_REFUSED = "token refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class _Address:
    """Where to answer: the reply token, and the chat to push to if the token is refused."""

    chat: str  # "user", "group" or "room"
    target: str  # the user, group or room id
    reply_token: str

    def encode(self) -> str:
        # LINE ids and reply tokens are alphanumeric, so "|" cannot occur in them.
        return f"{self.chat}|{self.target}|{self.reply_token}"

    @classmethod
    def decode(cls, address: str) -> _Address:
        chat, target, reply_token = address.split("|", 2)
        return cls(chat, target, reply_token)


@dataclass(frozen=True, slots=True)
class _Chat:
    kind: str  # "user", "group" or "room"
    target: str
    user_id: str  # whose session: the sender, or the group itself when LINE omits the sender


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
    ) -> None:
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
            raise WebhookRejected(400, "missing X-Line-Signature")
        try:
            # The signature covers the exact bytes: decode only, never re-serialise.
            events = self._parser.parse(body.decode("utf-8"), signature)
        except InvalidSignatureError:
            raise WebhookRejected(400, "invalid X-Line-Signature") from None
        except (ValueError, KeyError, TypeError, AttributeError):
            # Not UTF-8, not JSON, or not a webhook body, although correctly signed.
            raise WebhookRejected(400, "malformed LINE webhook body") from None
        return [message for event in events if (message := self._incoming(event))]

    def _incoming(self, event: Event) -> IncomingMessage | None:
        if isinstance(event, UnknownEvent):
            # New event types, and known ones the SDK's models failed to validate.
            log.info("LINE event of unknown type %r skipped", event.type)
            return None
        if event.mode != EventMode.ACTIVE:
            return None  # another channel or module answers this chat for now
        chat = _chat_of(event.source)
        if chat is None:
            return None
        if isinstance(event, MessageEvent):
            return _from_message(event, chat)
        if isinstance(event, PostbackEvent):
            data = event.postback.data
            return _make(event, chat, event.reply_token, kind=MessageKind.ACTION, action=data)
        if isinstance(event, FollowEvent):
            return _make(event, chat, event.reply_token, kind=MessageKind.FOLLOW)
        log.debug("LINE %s event: nothing to answer", event.type)
        return None

    async def acknowledge(self, message: IncomingMessage) -> None:
        """Show the typing dots while we work; LINE offers them only in 1:1 chats."""
        address = _Address.decode(message.address)
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
        address = _Address.decode(message.address)
        messages = render(reply)
        if not messages:
            log.warning("LINE: a %s reply rendered to no messages; nothing sent", reply.kind)
            return
        outcome = _Outcome.TOKEN_REFUSED
        if address.reply_token:
            outcome = await self._deliver("reply", lambda: self._reply(address, messages))
        if outcome is _Outcome.TOKEN_REFUSED:
            await self._push_instead(address, messages)

    async def _reply(self, address: _Address, messages: Sequence[Message]) -> None:
        request = ReplyMessageRequest(reply_token=address.reply_token, messages=list(messages))
        await self.api.reply_message(request, _request_timeout=self._send_timeout)

    async def _push_instead(self, address: _Address, messages: Sequence[Message]) -> None:
        if not self._push_fallback:
            log.warning("LINE refused the reply token (expired or used); no push fallback: dropped")
            return
        request = PushMessageRequest(to=address.target, messages=list(messages))
        retry_key = str(uuid.uuid4())  # the same key on a retry: LINE delivers a push only once

        async def push() -> None:
            await self.api.push_message(request, retry_key, _request_timeout=self._send_timeout)

        if await self._deliver("push", push) is _Outcome.SENT:
            log.warning(
                "LINE refused the reply token (expired or used); sent a push message to a %s "
                "chat instead (counts against the monthly quota)",
                address.chat,
            )

    async def _deliver(self, what: str, call: Callable[[], Awaitable[None]]) -> _Outcome:
        try:
            await call()
            return _Outcome.SENT
        except (ApiException, TimeoutError) as error:
            if _token_refused(error):
                return _Outcome.TOKEN_REFUSED
            if not _transient(error):
                log.error("LINE %s failed: %s", what, _describe(error))
                return _Outcome.FAILED
            log.warning("LINE %s failed (%s); retrying once", what, _describe(error))
        await asyncio.sleep(self._retry_pause)
        try:
            await call()
            return _Outcome.SENT
        except (ApiException, TimeoutError) as error:
            if _token_refused(error) or getattr(error, "status", None) == 409:
                # The first attempt reached LINE after all: the token is spent, the key known.
                log.info("LINE %s: the first attempt was delivered", what)
                return _Outcome.SENT
            log.error("LINE %s failed again: %s", what, _describe(error))
            return _Outcome.FAILED


def _chat_of(source: Source | None) -> _Chat | None:
    if isinstance(source, UserSource) and source.user_id:
        return _Chat("user", source.user_id, source.user_id)
    if isinstance(source, GroupSource):
        return _Chat("group", source.group_id, source.user_id or source.group_id)
    if isinstance(source, RoomSource):
        return _Chat("room", source.room_id, source.user_id or source.room_id)
    return None


def _from_message(event: MessageEvent, chat: _Chat) -> IncomingMessage | None:
    content = event.message
    if isinstance(content, TextMessageContent):
        text = content.text if chat.kind == "user" else _addressed_text(content)
        if text is None:
            return None  # group talk not meant for the bot
        return _make(event, chat, event.reply_token, text=text)
    if chat.kind != "user":
        return None
    return _make(event, chat, event.reply_token, kind=MessageKind.UNSUPPORTED)


def _make(event: Event, chat: _Chat, reply_token: str | None, **fields: object) -> IncomingMessage:
    address = _Address(chat.kind, chat.target, reply_token or "")
    return IncomingMessage(
        platform=PLATFORM,
        user_id=chat.user_id,
        event_id=event.webhook_event_id,
        address=address.encode(),
        **fields,  # type: ignore[arg-type]
    )


def _addressed_text(content: TextMessageContent) -> str | None:
    """The text without the bot's own mentions, or None when the bot is not mentioned."""
    mentionees = content.mention.mentionees if content.mention else []
    own = [m for m in mentionees if isinstance(m, UserMentionee) and m.is_self]
    if not own:
        return None
    return cut_spans(content.text, [(m.index, m.length) for m in own])


def cut_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` without the (index, length) spans, which LINE counts in UTF-16 code units."""
    data = text.encode("utf-16-le")
    for index, length in sorted(spans, reverse=True):
        start, end = 2 * max(index, 0), 2 * max(index + length, 0)
        data = data[:start] + data[end:]
    # "ignore" drops half a surrogate pair left by a span that does not match the text.
    return " ".join(data.decode("utf-16-le", errors="ignore").split())


def _token_refused(error: Exception) -> bool:
    return getattr(error, "status", None) == 400 and "invalid reply token" in _body(error).lower()


def _transient(error: Exception) -> bool:
    status = getattr(error, "status", None)
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
