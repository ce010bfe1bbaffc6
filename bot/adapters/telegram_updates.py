"""Telegram update -> IncomingMessage, including the group rule and the reply address.

In private chats every message is for us. In groups we answer only what is addressed to the
bot: a message that @mentions it, a reply to one of its messages, or a command (`/help@ourbot`,
or a bare `/help` if it is one of our commands, since other bots may own the rest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import NoneType

from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    MaybeInaccessibleMessage,
    Message,
    MessageEntity,
    Update,
    User,
)

from bot.core import IncomingMessage, MessageKind

PLATFORM = "telegram"
GROUP_CHATS = frozenset({"group", "supergroup"})
# The dialog's commands; a bare command in a group is ours only if it is one of these.
COMMANDS = frozenset({"start", "help", "topics", "lang", "language"})
# "/start", "/start@our_bot", "/start@our_bot payload": 1-32 letters, digits and underscores.
_COMMAND = re.compile(r"/(\w{1,32})(?:@(\w+))?(?:\s+(.*))?", re.ASCII | re.DOTALL)


_OPTIONAL_STR = (str, NoneType)


@dataclass(frozen=True, slots=True)
class Address:
    """Where and how to answer; travels as IncomingMessage.address, read only by this adapter."""

    chat_id: int
    reply_to: int | None = None  # quoted in groups, so it is clear whom the answer is for
    thread_id: int | None = None  # forum topic the question came from
    callback_id: str | None = None  # the button press to answer

    def encode(self) -> str:
        fields = (self.chat_id, self.reply_to, self.thread_id, self.callback_id)
        return "|".join("" if value is None else str(value) for value in fields)

    @classmethod
    def decode(cls, text: str) -> Address:
        chat, reply_to, thread, callback = text.split("|")
        return cls(
            int(chat),
            int(reply_to) if reply_to else None,
            int(thread) if thread else None,
            callback or None,
        )


def to_incoming(update: Update, bot: Bot, staff_chat: int | None = None) -> IncomingMessage | None:
    """None for what we do not answer: edits, channel posts, other bots, other update types.

    Text in the staff chat (HANDOFF_CHAT) is a STAFF message, with the text of the message it
    replies to: staff answer a ticket by replying to it.
    """
    if not _well_typed(update):
        return None
    if update.callback_query is not None:
        return _from_button(update.update_id, update.callback_query)
    message = update.message
    if message is not None and staff_chat is not None and message.chat.id == staff_chat:
        return _from_staff(update.update_id, message, bot)
    if message is not None:
        return _from_message(update.update_id, message, bot)
    return None


def _well_typed(update: Update) -> bool:
    """PTB builds objects from whatever JSON it gets without checking types; Telegram's own
    updates always pass. The fields read below must have their documented types, or a
    malformed update would fail later, while answering (found by tests/test_fuzz_webhooks.py)."""
    query = update.callback_query
    message = query.message if query is not None else update.message
    fields: list[tuple[object, tuple[type, ...]]] = []
    if query is not None:
        fields += [(query.id, (str,)), (query.data, _OPTIONAL_STR), (query.from_user, (User,))]
        fields += _user_fields(query.from_user)
    if message is not None:
        chat = message.chat
        fields += [(message.message_id, (int,)), (chat, (Chat,))]
        if isinstance(chat, Chat):
            fields += [(chat.id, (int,)), (chat.type, (str,))]
        if isinstance(message, Message):
            fields += [(message.text, _OPTIONAL_STR), (message.caption, _OPTIONAL_STR)]
            fields += [(message.message_thread_id, (int, NoneType))]
            fields += _user_fields(message.from_user)
    return all(isinstance(value, types) and not isinstance(value, bool) for value, types in fields)


def _user_fields(user: User | None) -> list[tuple[object, tuple[type, ...]]]:
    return [] if user is None else [(user.id, (int,)), (user.language_code, _OPTIONAL_STR)]


def _from_staff(update_id: int, message: Message, bot: Bot) -> IncomingMessage | None:
    user = message.from_user
    if message.text is None or user is None or user.is_bot:
        return None
    quoted = message.reply_to_message.text if message.reply_to_message else None
    command = _COMMAND.fullmatch(message.text.strip())
    text = message.text
    if command is not None:  # "/release@our_bot A1B2" reads as "/release A1B2"
        name, _, argument = command.groups()
        text = f"/{name} {argument or ''}".strip()
    address = Address(message.chat.id, reply_to=message.message_id, thread_id=_thread(message))
    return IncomingMessage(
        PLATFORM,
        str(user.id),
        text,
        MessageKind.STAFF,
        event_id=str(update_id),
        address=address.encode(),
        quoted=quoted,
    )


def _from_message(update_id: int, message: Message, bot: Bot) -> IncomingMessage | None:
    user = message.from_user
    if user is None or user.is_bot:
        return None
    group = message.chat.type in GROUP_CHATS
    if message.text is not None:
        text = _addressed_text(message, bot, group=group)
        kind = MessageKind.TEXT
    elif message.effective_attachment is not None:
        addressed = not group or _mentions(message, bot) or _replies_to(message, bot)
        text, kind = ("" if addressed else None), MessageKind.UNSUPPORTED
    else:
        return None  # service messages: members joining, pinned messages...
    if text is None:
        return None
    address = Address(
        message.chat.id,
        reply_to=message.message_id if group else None,
        thread_id=_thread(message),
    )
    return IncomingMessage(
        PLATFORM,
        str(user.id),
        text,
        kind,
        event_id=str(update_id),
        locale_hint=user.language_code,
        address=address.encode(),
    )


def _addressed_text(message: Message, bot: Bot, *, group: bool) -> str | None:
    """The text the dialog should see, or None when the message is not for us."""
    text = message.text or ""
    command = _COMMAND.fullmatch(text.strip())
    if command is not None:
        name, target, argument = command.groups()
        if target and target.lower() != bot.username.lower():
            return None  # another bot's command
        if group and not target and name.lower() not in COMMANDS:
            return None
        return f"/{name} {argument or ''}".strip()
    if not group:
        return text
    if _mentions(message, bot):
        mention = re.compile(rf"@{re.escape(bot.username)}\b", re.IGNORECASE)
        return " ".join(mention.sub(" ", text).split())
    return text if _replies_to(message, bot) else None


def _mentions(message: Message, bot: Bot) -> bool:
    # Entities rather than a text search: "@our_bot" inside a URL or an e-mail is not a mention.
    wanted = f"@{bot.username}".lower()
    mentions = [
        *message.parse_entities([MessageEntity.MENTION]).values(),
        *message.parse_caption_entities([MessageEntity.MENTION]).values(),
    ]
    return any(mention.lower() == wanted for mention in mentions)


def _replies_to(message: Message, bot: Bot) -> bool:
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot.id


def _from_button(update_id: int, query: CallbackQuery) -> IncomingMessage | None:
    shown = query.message  # the message carrying the keyboard; absent for inline-mode messages
    if query.data is None or shown is None:
        return None
    address = Address(shown.chat.id, thread_id=_thread(shown), callback_id=query.id)
    return IncomingMessage(
        PLATFORM,
        str(query.from_user.id),
        _button_label(shown, query.data),
        MessageKind.ACTION,
        action=query.data,
        event_id=str(update_id),
        locale_hint=query.from_user.language_code,
        address=address.encode(),
    )


def _thread(message: MaybeInaccessibleMessage) -> int | None:
    """The forum topic to answer in; None outside forum supergroups."""
    if isinstance(message, Message) and message.is_topic_message:
        return message.message_thread_id
    return None


def _button_label(shown: MaybeInaccessibleMessage, data: str) -> str:
    """The tapped button's label: its language helps if answering fails and we must apologise."""
    markup = shown.reply_markup if isinstance(shown, Message) else None
    rows = markup.inline_keyboard if markup else ()
    return next((b.text for row in rows for b in row if b.callback_data == data), "")
