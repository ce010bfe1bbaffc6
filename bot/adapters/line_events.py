"""LINE webhook events -> IncomingMessage, and the reply address only the adapter reads."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from linebot.v3.models.events import UnknownEvent
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

from bot.core import IncomingMessage, MessageKind

PLATFORM = "line"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Address:
    """Where to answer: the reply token, and the chat to push to if the token is refused."""

    chat: str  # "user", "group" or "room"
    target: str  # the user, group or room id
    reply_token: str

    def encode(self) -> str:
        # LINE ids and reply tokens are alphanumeric, so "|" cannot occur in them.
        return f"{self.chat}|{self.target}|{self.reply_token}"

    @classmethod
    def decode(cls, address: str) -> Address:
        chat, target, reply_token = address.split("|", 2)
        return cls(chat, target, reply_token)


@dataclass(frozen=True, slots=True)
class _Chat:
    kind: str  # "user", "group" or "room"
    target: str
    user_id: str  # whose session: the sender, or the group itself when LINE omits the sender


def chat_kind(chat_id: str) -> str:
    """LINE ids say what they are: U… a user, C… a group, R… a room."""
    return {"C": "group", "R": "room"}.get(chat_id[:1], "user")


def to_incoming(event: Event, staff_group: str | None = None) -> IncomingMessage | None:
    """None for what we do not answer; messages in the staff group are STAFF messages."""
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
        if staff_group and chat.target == staff_group:
            return _from_staff(event, chat)
        return _from_message(event, chat)
    if isinstance(event, PostbackEvent):
        data = event.postback.data
        return _make(event, chat, event.reply_token, kind=MessageKind.ACTION, action=data)
    if isinstance(event, FollowEvent):
        return _make(event, chat, event.reply_token, kind=MessageKind.FOLLOW)
    log.debug("LINE %s event: nothing to answer", event.type)
    return None


def _from_staff(event: MessageEvent, chat: _Chat) -> IncomingMessage | None:
    """Staff talk to the bot without mentioning it; the core ignores what is not for a ticket."""
    content = event.message
    if not isinstance(content, TextMessageContent):
        return None
    text = _addressed_text(content) or content.text
    return _make(event, chat, event.reply_token, text=text, kind=MessageKind.STAFF)


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
    address = Address(chat.kind, chat.target, reply_token or "")
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
