"""Telegram update -> IncomingMessage: the rules, on recorded updates, without a server."""

import copy
import json
from types import SimpleNamespace
from typing import Any

import pytest
from telegram import Update

from bot.adapters.telegram_updates import Address, to_incoming
from bot.core import IncomingMessage, MessageKind
from tests.conftest import DATA

# to_incoming needs only the bot's id and username (from getMe, in the running adapter).
BOT = SimpleNamespace(id=7000000001, username="faq_test_bot")


def recorded(name: str) -> dict[str, Any]:
    return json.loads((DATA / "telegram" / f"{name}.json").read_text())


def incoming(payload: dict[str, Any]) -> IncomingMessage | None:
    return to_incoming(Update.de_json(payload, None), BOT)  # type: ignore[arg-type]


def in_group(text: str, **fields: Any) -> dict[str, Any]:
    payload = copy.deepcopy(recorded("group_text"))
    payload["message"].update(text=text, **fields)
    return payload


def test_a_private_message_carries_user_event_language_and_chat():
    message = incoming(recorded("private_text"))
    assert message == IncomingMessage(
        "telegram",
        "701234567",
        "Is muscle twitching a sign of ALS?",
        MessageKind.TEXT,
        event_id="410000001",
        locale_hint="en",
        address="701234567|||",
    )


def test_a_button_press_carries_its_payload_label_and_query_id():
    message = incoming(recorded("callback_query"))
    assert message is not None
    assert (message.kind, message.action, message.text) == (
        MessageKind.ACTION,
        "e:emg-what",
        "What is an EMG test?",
    )
    assert Address.decode(message.address) == Address(701234567, callback_id="3011817289457283907")


@pytest.mark.parametrize(
    ("text", "seen"),
    [
        ("/start", "/start"),
        ("/start twitching-als", "/start twitching-als"),
        ("/start@faq_test_bot twitching-als", "/start twitching-als"),
        ("/HELP@FAQ_Test_Bot", "/HELP"),
        ("/lang   zh-TW ", "/lang zh-TW"),
        ("/start@other_bot", None),
        ("/path/to/file is broken", "/path/to/file is broken"),  # not a command: plain text
    ],
)
def test_commands_lose_our_username_and_other_bots_commands_are_ignored(text, seen):
    payload = copy.deepcopy(recorded("help"))
    payload["message"]["text"] = text
    message = incoming(payload)
    assert (message.text if message else None) == seen


def test_in_groups_the_mention_is_removed_and_the_answer_quotes_the_question():
    message = incoming(recorded("group_mention"))
    assert message is not None
    assert message.text == "Does an EMG hurt?"
    assert Address.decode(message.address) == Address(-1001987654321, reply_to=2201)


@pytest.mark.parametrize(
    "payload",
    [
        in_group("hello everyone"),
        in_group("mail faq_test_bot@example.com"),  # no mention entity
        in_group("/ban@moderator_bot"),
        in_group("/warn"),  # bare commands in groups only if they are ours
        in_group("thanks", reply_to_message={**recorded("group_text")["message"]}),
        recorded("edited_message"),
    ],
)
def test_group_messages_not_for_the_bot_and_edits_are_ignored(payload):
    assert incoming(payload) is None


def test_in_groups_a_photo_is_answered_when_its_caption_mentions_the_bot():
    photo = recorded("photo")["message"]["photo"]
    caption = {
        "caption": "@faq_test_bot",
        "caption_entities": [{"offset": 0, "length": 13, "type": "mention"}],
    }
    payload = in_group("", photo=photo, **caption)
    del payload["message"]["text"]
    message = incoming(payload)
    assert message is not None and message.kind is MessageKind.UNSUPPORTED


@pytest.mark.parametrize("name", ["sticker", "photo", "voice"])
def test_stickers_photos_and_voice_are_unsupported_not_errors(name):
    message = incoming(recorded(name))
    assert message is not None
    assert (message.kind, message.text) == (MessageKind.UNSUPPORTED, "")


def test_service_messages_and_other_bots_are_ignored():
    joined = copy.deepcopy(recorded("group_text"))
    del joined["message"]["text"]
    joined["message"]["new_chat_members"] = [joined["message"]["from"]]
    assert incoming(joined) is None
    from_bot = copy.deepcopy(recorded("private_text"))
    from_bot["message"]["from"]["is_bot"] = True
    assert incoming(from_bot) is None


def test_forum_topics_are_answered_in_their_topic():
    payload = in_group("/topics", message_thread_id=77, is_topic_message=True)
    message = incoming(payload)
    assert message is not None
    assert Address.decode(message.address).thread_id == 77


def test_addresses_survive_the_round_trip():
    for address in (
        Address(555),
        Address(-1001987654321, reply_to=12, thread_id=7),
        Address(555, callback_id="4382bfdwdsb323b2d9"),
    ):
        assert Address.decode(address.encode()) == address
