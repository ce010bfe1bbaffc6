"""The LINE webhook end to end: the web app under uvicorn on loopback, the real line-bot-sdk,
and a stub Messaging API (tests/line_stub.py) that records what the bot sent.

Webhook bodies are recorded ones from tests/data/line/, signed here with the channel secret.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.adapters.line import LineWebhook
from bot.adapters.line_events import cut_spans
from bot.adapters.line_render import utf16_units
from bot.config import BotConfig
from bot.core import IncomingMessage, MessageKind, Reply, ReplyKind, WebhookRejected
from bot.dialog import Dialog
from bot.faq import load_faq
from bot.journal import MemoryJournal
from bot.sessions import MemorySessionStore
from bot.settings import Settings
from bot.web import TYPING_AFTER, Responder, Webhook, create_app
from main import build_adapters, build_webhooks
from tests.conftest import DATA, make_dialog
from tests.line_stub import LineApiStub
from tests.support import eventually, serving

SECRET = "test-channel-secret"
TOKEN = "test-channel-access-token"
BODIES = DATA / "line"
LIMITS_FAQ = DATA / "faq_line_limits"
USER = "U4af4980629b8e5a3f1f1e0c7a9b6d3e2"
OTHER_USER = "U7c21d0e9f8a7b6c5d4e3f2a1b0c9d8e7"
GROUP = "C9b1e5d4a3f2c1b0a9e8d7c6b5a4f3e2d"


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def recorded(name: str) -> bytes:
    return (BODIES / f"{name}.json").read_bytes()


def token_of(name: str, index: int = 0) -> str:
    return json.loads(recorded(name))["events"][index]["replyToken"]


async def deliver(client: httpx.AsyncClient, body: bytes, signature: str | None = None):
    headers = {"Content-Type": "application/json; charset=utf-8"}
    headers["X-Line-Signature"] = sign(body) if signature is None else signature
    return await client.post("/line/webhook", content=body, headers=headers)


async def settle(client: httpx.AsyncClient, stub: LineApiStub) -> None:
    """Send one more text event and wait for its reply, so that earlier deliveries are done."""
    token = f"sentinel{uuid.uuid4().hex}"
    event = json.loads(recorded("text_zh"))
    event["events"][0] |= {"webhookEventId": uuid.uuid4().hex.upper()[:26], "replyToken": token}
    assert (await deliver(client, json.dumps(event).encode())).status_code == 200
    await eventually(lambda: any(body["replyToken"] == token for body in stub.sent("reply")))


def texts(request: dict) -> list[str]:
    return [message["text"] for message in request["messages"] if message["type"] == "text"]


def quick_replies(request: dict) -> list[dict]:
    *_, last = request["messages"]
    return [item["action"] for item in last.get("quickReply", {}).get("items", [])]


def dialog_over(faq: Path, config: BotConfig) -> Dialog:
    return make_dialog(config, MemorySessionStore(), MemoryJournal(), faq)


@pytest.fixture
async def line_api() -> AsyncIterator[LineApiStub]:
    stub = LineApiStub(TOKEN)
    async with serving(stub.app) as url:
        stub.url = url
        try:
            yield stub
        finally:
            stub.release()  # never leave a held reply blocking the bot's shutdown


@contextlib.asynccontextmanager
async def line_bot(
    stub: LineApiStub,
    dialog: Responder,
    webhook: Webhook | None = None,
    *,
    typing_after: float = TYPING_AFTER,
    **settings: object,
) -> AsyncIterator[httpx.AsyncClient]:
    """The web app as deployed: main.build_webhooks from settings, unless a webhook is given."""
    if webhook is None:
        webhooks = build_webhooks(
            build_adapters(
                Settings(
                    line_channel_secret=SECRET,
                    line_channel_access_token=TOKEN,
                    line_api_base_url=stub.url,
                    **settings,  # type: ignore[arg-type]
                )
            )
        )
    else:
        webhooks = {"/line/webhook": webhook}
    async with (
        serving(create_app(dialog, webhooks, typing_after=typing_after)) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        yield client


@pytest.fixture
async def bot(line_api: LineApiStub, dialog: Dialog) -> AsyncIterator[httpx.AsyncClient]:
    async with line_bot(line_api, dialog) as client:
        yield client


# --- parsing, without servers ------------------------------------------------------------


def parse(name: str):
    webhook = LineWebhook(channel_secret=SECRET, access_token=TOKEN)
    body = recorded(name)
    return webhook.parse({"x-line-signature": sign(body)}, body)


def test_events_become_incoming_messages():
    [text] = parse("text_zh")
    assert (text.platform, text.user_id, text.kind) == ("line", USER, MessageKind.TEXT)
    assert text.text == "肌肉跳動是漸凍症的徵兆嗎？"
    assert text.event_id == "01JDA7R1B3C5D7F9G1H3J5K7M9"
    [postback] = parse("postback")
    assert (postback.kind, postback.action) == (MessageKind.ACTION, "e:emg-pain")
    assert [message.kind for message in parse("follow")] == [MessageKind.FOLLOW]
    for name in ("sticker", "image", "audio", "location"):
        assert [message.kind for message in parse(name)] == [MessageKind.UNSUPPORTED]


def test_events_with_nothing_to_answer_are_skipped(caplog):
    with caplog.at_level(logging.INFO, logger="bot.adapters.line_events"):
        for name in ("unfollow", "standby", "unknown", "group_no_mention", "verify"):
            assert parse(name) == [], name
    assert "unknown type 'unknownFutureEvent'" in caplog.text


def test_a_group_message_counts_only_when_the_bot_is_mentioned_and_loses_the_mention():
    [message] = parse("group_mention")
    assert message.text == "🙂 What is an EMG test?"  # the mention starts after a 2-unit emoji
    assert message.user_id == OTHER_USER


def test_mentions_are_cut_by_utf16_position():
    assert cut_spans("@bot hi", [(0, 4)]) == "hi"
    assert cut_spans("🍎🍎 @bot 肌電圖？", [(5, 4)]) == "🍎🍎 肌電圖？"
    assert cut_spans("ask @bot and @bot", [(4, 4), (13, 4)]) == "ask and"
    assert cut_spans("🍎 x", [(1, 1)]) == "x"  # a span splitting a pair drops the orphan


def test_several_events_in_one_body_keep_their_order():
    messages = parse("several")
    assert [(m.user_id, m.kind) for m in messages] == [
        (USER, MessageKind.TEXT),
        (OTHER_USER, MessageKind.ACTION),
        (OTHER_USER, MessageKind.TEXT),  # the unfollow between them is skipped
    ]


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        ({}, recorded("text_en"), "missing X-Line-Signature"),
        ({"x-line-signature": sign(b"other")}, recorded("text_en"), "invalid X-Line-Signature"),
        (
            {"x-line-signature": sign(recorded("text_en"), "wrong-secret")},
            recorded("text_en"),
            "invalid",
        ),
        ({"x-line-signature": sign(b"not json")}, b"not json", "malformed"),
        ({"x-line-signature": sign(b"\xff\xfe")}, b"\xff\xfe", "malformed"),
        (
            {"x-line-signature": sign(b'{"destination": "U1"}')},
            b'{"destination": "U1"}',
            "malformed",
        ),
    ],
)
def test_unsigned_or_malformed_bodies_are_rejected_with_400(headers, body, reason):
    webhook = LineWebhook(channel_secret=SECRET, access_token=TOKEN)
    with pytest.raises(WebhookRejected) as rejected:
        webhook.parse(headers, body)
    assert rejected.value.status == 400
    assert reason in rejected.value.reason


# --- end to end ----------------------------------------------------------------------------


async def test_a_text_message_is_answered_with_quick_replies_and_links(bot, line_api):
    response = await deliver(bot, recorded("text_en"))
    assert response.status_code == 200
    await eventually(lambda: len(line_api.sent("reply")) == 1)
    [reply] = line_api.requests  # decided in milliseconds: no loading animation first
    assert reply.headers["authorization"] == f"Bearer {TOKEN}"
    assert reply.body["replyToken"] == token_of("text_en")
    notice, answer = texts(reply.body)
    assert "not a diagnosis" in notice  # first contact: the disclaimer comes first
    assert answer.startswith("Is muscle twitching a sign of ALS?\n\nTwitching alone is rarely ALS")
    *_, links = reply.body["messages"]
    assert links["type"] == "flex"
    [row] = links["contents"]["body"]["contents"]
    assert row["action"] == {
        "type": "uri",
        "label": "Book a neuromuscula…",
        "uri": "https://clinic.example.tw/booking/neuromuscular",
    }
    assert quick_replies(reply.body) == [
        {
            "type": "postback",
            "label": "What causes muscle…",
            "data": "e:twitching-causes",
            "displayText": "What causes muscle twitching?",
        },
        {
            "type": "postback",
            "label": "What is an EMG test?",
            "data": "e:emg-what",
            "displayText": "What is an EMG test?",
        },
        {
            "type": "postback",
            "label": "👍 Helpful",
            "data": "f+:twitching-als",
            "displayText": "👍 Helpful",
        },
        {
            "type": "postback",
            "label": "👎 Not helpful",
            "data": "f-:twitching-als",
            "displayText": "👎 Not helpful",
        },
    ]


async def test_a_chinese_question_is_answered_in_chinese(bot, line_api):
    await deliver(bot, recorded("text_zh"))
    await eventually(lambda: len(line_api.sent("reply")) == 1)
    [reply] = line_api.sent("reply")
    notice, answer = texts(reply)
    assert "119" in notice
    assert answer.startswith("肌肉跳動是漸凍症的徵兆嗎？\n\n單純肌肉跳動很少是漸凍症")
    assert [action["displayText"] for action in quick_replies(reply)] == [
        "肌肉跳動是什麼原因？",
        "什麼是肌電圖檢查？",
        "👍 有幫助",
        "👎 沒幫助",
    ]


async def test_a_tapped_choice_opens_the_chosen_entry(bot, line_api):
    await deliver(bot, recorded("postback"))
    await eventually(lambda: len(line_api.sent("reply")) == 1)
    [reply] = line_api.sent("reply")
    assert reply["replyToken"] == token_of("postback")
    # A tap carries no text to detect the language from: a new user gets the default, zh-TW.
    assert any(text.startswith("做肌電圖會痛嗎？") for text in texts(reply))
    assert [action["data"] for action in quick_replies(reply)] == [
        "e:emg-what",
        "f+:emg-pain",
        "f-:emg-pain",
    ]


async def test_following_the_bot_sends_the_welcome_with_disclaimer(bot, line_api):
    await deliver(bot, recorded("follow"))
    await eventually(lambda: len(line_api.sent("reply")) == 1)
    [reply] = line_api.sent("reply")
    [welcome] = texts(reply)
    assert "您好" in welcome and "119" in welcome
    assert [action["data"] for action in quick_replies(reply)] == ["t:", "l:en", "l:zh-TW"]


@pytest.mark.parametrize("name", ["sticker", "image", "audio", "location"])
async def test_non_text_messages_get_please_type_your_question(bot, line_api, name):
    await deliver(bot, recorded(name))
    await eventually(lambda: len(line_api.sent("reply")) == 1)
    [reply] = line_api.sent("reply")
    assert "請直接輸入您的問題" in texts(reply)[-1]


@pytest.mark.parametrize("name", ["unfollow", "standby", "unknown", "group_no_mention", "verify"])
async def test_events_with_nothing_to_answer_send_nothing(bot, line_api, name):
    assert (await deliver(bot, recorded(name))).status_code == 200
    await settle(bot, line_api)
    assert len(line_api.sent("reply")) == 1  # the sentinel's
    assert all(body["chatId"] == USER for body in line_api.sent("loading"))


async def test_a_group_mention_is_answered_in_the_group_without_loading_animation(bot, line_api):
    await deliver(bot, recorded("group_mention"))
    await eventually(lambda: len(line_api.sent("reply")) == 1)
    [reply] = line_api.sent("reply")
    assert reply["replyToken"] == token_of("group_mention")
    assert any(text.startswith("What is an EMG test?\n\n") for text in texts(reply))
    assert line_api.sent("loading") == []  # LINE shows it in 1:1 chats only


async def test_a_redelivered_event_is_not_answered_twice(bot, line_api):
    await deliver(bot, recorded("text_en"))
    await eventually(lambda: len(line_api.sent("reply")) == 1)
    assert (await deliver(bot, recorded("redelivered"))).status_code == 200
    await settle(bot, line_api)
    tokens = [body["replyToken"] for body in line_api.sent("reply")]
    assert token_of("text_en") in tokens
    assert token_of("redelivered") not in tokens
    assert line_api.sent("push") == []


async def test_several_events_in_one_body_are_answered_in_order(bot, line_api):
    assert (await deliver(bot, recorded("several"))).status_code == 200
    await eventually(lambda: len(line_api.sent("reply")) == 3)
    tokens = [body["replyToken"] for body in line_api.sent("reply")]
    assert tokens == [token_of("several", 0), token_of("several", 1), token_of("several", 3)]


async def test_bad_or_missing_signatures_get_400_and_nothing_is_sent(bot, line_api):
    body = recorded("text_en")
    assert (await deliver(bot, body, signature="")).status_code == 400
    assert (await deliver(bot, body, signature=sign(body, "wrong-secret"))).status_code == 400
    reformatted = json.dumps(json.loads(body)).encode()  # same JSON, different bytes
    assert (await deliver(bot, reformatted, signature=sign(body))).status_code == 400
    assert (await deliver(bot, b"[not json", signature=sign(b"[not json"))).status_code == 400
    assert line_api.requests == []


async def test_the_verify_button_gets_200(bot, line_api):
    response = await deliver(bot, recorded("verify"))
    assert response.status_code == 200
    assert line_api.requests == []


async def test_the_webhook_is_acknowledged_before_the_reply_is_sent(bot, line_api):
    line_api.hold()  # LINE's API does not answer the reply yet
    response = await deliver(bot, recorded("text_en"))
    assert response.status_code == 200
    await eventually(lambda: line_api.waiting == 1)  # the reply is in flight after the 200
    assert line_api.sent("reply") == []
    line_api.release()
    await eventually(lambda: len(line_api.sent("reply")) == 1)


async def test_an_expired_reply_token_falls_back_to_a_push_message(bot, line_api, caplog):
    line_api.fail_next("reply", 400, "Invalid reply token")
    with caplog.at_level(logging.INFO):
        await deliver(bot, recorded("text_en"))
        # The adapter logs once the push has returned, just after the stub recorded it.
        await eventually(lambda: "sent a push message to a user chat instead" in caplog.text)
    [failed] = line_api.calls("reply")
    [push] = line_api.calls("push")
    assert push.body["to"] == USER
    assert push.body["messages"] == failed.body["messages"]
    assert push.headers["x-line-retry-key"]
    assert USER not in caplog.text


async def test_the_push_fallback_goes_to_the_group_for_group_chats(bot, line_api):
    line_api.fail_next("reply", 400, "Invalid reply token")
    await deliver(bot, recorded("group_mention"))
    await eventually(lambda: len(line_api.sent("push")) == 1)
    assert line_api.sent("push")[0]["to"] == GROUP


async def test_without_push_fallback_an_expired_token_is_logged_and_dropped(
    line_api, dialog, caplog
):
    line_api.fail_next("reply", 400, "Invalid reply token")
    async with line_bot(line_api, dialog, line_push_fallback=False) as client:
        with caplog.at_level(logging.WARNING):
            await deliver(client, recorded("text_en"))
            await eventually(lambda: "no push fallback: dropped" in caplog.text)
        await settle(client, line_api)
    assert line_api.calls("push") == []


async def test_a_rate_limited_reply_is_logged_not_retried_or_pushed(bot, line_api, caplog):
    line_api.fail_next("reply", 429, "You have reached your monthly limit.")
    with caplog.at_level(logging.ERROR):
        await deliver(bot, recorded("text_en"))
        await eventually(lambda: "LINE reply failed: HTTP 429" in caplog.text)
    await settle(bot, line_api)
    assert [call.status for call in line_api.calls("reply")] == [429, 200]  # + the sentinel
    assert line_api.calls("push") == []


async def test_a_server_error_on_reply_is_retried_once(line_api, dialog):
    webhook = LineWebhook(
        channel_secret=SECRET, access_token=TOKEN, api_base_url=line_api.url, retry_pause=0.01
    )
    line_api.fail_next("reply", 500, "Internal server error")
    async with line_bot(line_api, dialog, webhook) as client:
        await deliver(client, recorded("text_en"))
        await eventually(lambda: len(line_api.sent("reply")) == 1)
    assert [call.status for call in line_api.calls("reply")] == [500, 200]
    assert line_api.calls("push") == []


async def test_a_reply_that_times_out_is_retried_without_sending_twice(line_api, dialog):
    webhook = LineWebhook(
        channel_secret=SECRET,
        access_token=TOKEN,
        api_base_url=line_api.url,
        retry_pause=0.01,
        send_timeout=0.2,
    )
    line_api.delay_next("reply", 0.5)  # LINE gets the first attempt, but answers too late
    async with line_bot(line_api, dialog, webhook) as client:
        await deliver(client, recorded("text_en"))
        await eventually(lambda: len(line_api.calls("reply")) == 2)
    assert len(line_api.sent("reply")) == 1  # the token works once: no duplicate message
    assert line_api.calls("push") == []


class Slow:
    """A dialog that thinks until the stub has been asked for the loading animation."""

    def __init__(self, dialog: Dialog, stub: LineApiStub) -> None:
        self.dialog = dialog
        self.stub = stub

    async def handle(self, message: IncomingMessage) -> Reply:
        await eventually(lambda: bool(self.stub.calls("loading")))
        return await self.dialog.handle(message)

    def error_reply(self, message: IncomingMessage) -> Reply:
        return self.dialog.error_reply(message)


async def test_a_slow_reply_shows_the_loading_animation_first(line_api, dialog):
    async with line_bot(line_api, Slow(dialog, line_api), typing_after=0.01) as bot:
        await deliver(bot, recorded("text_en"))
        await eventually(lambda: len(line_api.sent("reply")) == 1)
    loading, reply = line_api.requests
    assert loading.path == "/v2/bot/chat/loading/start"
    assert loading.body == {"chatId": USER, "loadingSeconds": 10}
    assert reply.body["replyToken"] == token_of("text_en")


async def test_a_failing_loading_animation_does_not_cost_the_answer(line_api, dialog):
    line_api.fail_next("loading", 500, "Internal server error")
    async with line_bot(line_api, Slow(dialog, line_api), typing_after=0.01) as bot:
        await deliver(bot, recorded("text_en"))
        await eventually(lambda: len(line_api.sent("reply")) == 1)
    assert [call.status for call in line_api.calls("loading")] == [500]


async def test_many_related_topics_fit_lines_quick_reply_limits(line_api, config):
    async with line_bot(line_api, dialog_over(LIMITS_FAQ, config)) as client:
        body = recorded("text_en").replace(
            b"Is muscle twitching a sign of ALS?",
            b"Which tests and treatments are used for neuromuscular diseases?",
        )
        await deliver(client, body)
        await eventually(lambda: len(line_api.sent("reply")) == 1)
    [reply] = line_api.sent("reply")  # the stub checks LINE's limits: it was accepted
    actions = quick_replies(reply)
    assert len(actions) == 13  # of 17 related entries
    assert actions[0] == {
        "type": "postback",
        "label": "What happens during…",
        "data": "e:nerve-conduction",
        "displayText": "What happens during a nerve conduction study?",
    }
    assert all(len(action["label"]) <= 20 for action in actions)
    *_, links = reply["messages"]
    rows = links["contents"]["body"]["contents"]
    assert [row["action"]["uri"] for row in rows] == [
        "https://clinic.example.tw/booking/neuromuscular",
        "tel:+886-3-000-0000",
    ]


@pytest.mark.parametrize(
    ("question", "locale"),
    [
        ("How should I prepare for a full day of neuromuscular testing?", "en"),
        ("整天的神經肌肉檢查要怎麼準備？", "zh-TW"),
    ],
)
async def test_a_6000_character_answer_is_split_into_several_messages(
    line_api, config, question, locale
):
    async with line_bot(line_api, dialog_over(LIMITS_FAQ, config)) as client:
        body = recorded("text_en").replace(b"Is muscle twitching a sign of ALS?", question.encode())
        await deliver(client, body)
        await eventually(lambda: len(line_api.sent("reply")) == 1)
    [reply] = line_api.sent("reply")
    notice, *answer = texts(reply)
    assert "119" in notice
    assert len(answer) == 2
    assert all(utf16_units(text) <= 5000 for text in answer)
    expected = load_faq(LIMITS_FAQ).get("long-preparation").answer.get(locale)
    sent = "".join(answer).removeprefix(question).replace("\n", "").replace(" ", "")
    assert sent == expected.replace("\n", "").replace(" ", "")


def test_the_webhook_is_registered_only_when_line_is_configured():
    assert build_adapters(Settings()) == {}
    only_secret = Settings(line_channel_secret=SECRET)
    assert build_adapters(only_secret) == {}
    configured = Settings(line_channel_secret=SECRET, line_channel_access_token=TOKEN)
    assert isinstance(build_webhooks(build_adapters(configured))["/line/webhook"], LineWebhook)


# --- human handoff: the staff group and pushes -------------------------------------------


def test_messages_in_the_staff_group_are_staff_messages_without_a_mention():
    webhook = LineWebhook(channel_secret=SECRET, access_token=TOKEN, staff_group=GROUP)
    body = recorded("group_no_mention")
    [message] = webhook.parse({"x-line-signature": sign(body)}, body)
    assert message.kind is MessageKind.STAFF
    assert message.text == json.loads(body)["events"][0]["message"]["text"]


async def test_push_reaches_a_chat_by_its_id(line_api):
    webhook = LineWebhook(channel_secret=SECRET, access_token=TOKEN, api_base_url=line_api.url)
    await webhook.start()
    try:
        address = webhook.chat_address(GROUP)
        await webhook.push(address, Reply(ReplyKind.HANDOFF, "🙋 #A1B2 needs a person", "zh-TW"))
    finally:
        await webhook.stop()
    [push] = line_api.sent("push")
    assert push["to"] == GROUP
    assert push["messages"][0]["text"] == "🙋 #A1B2 needs a person"


async def test_the_proxy_is_read_from_the_environment_once_at_start(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    direct = LineWebhook(
        channel_secret=SECRET, access_token=TOKEN, api_base_url="http://127.0.0.1:9"
    )
    proxied = LineWebhook(channel_secret=SECRET, access_token=TOKEN)  # https://api.line.me
    for webhook in (direct, proxied):
        await webhook.start()
    try:
        assert direct.api.api_client.rest_client.proxy is None
        assert proxied.api.api_client.rest_client.proxy == "http://proxy.example:3128"
        # Not looked up again for every request, in a thread.
        assert not proxied.api.api_client.rest_client.pool_manager.trust_env
    finally:
        for webhook in (direct, proxied):
            await webhook.stop()
