"""Telegram end to end: recorded updates POSTed to the real web app under uvicorn, the real
python-telegram-bot inside it, and a stub Bot API on loopback that records what the bot sent."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import dataclasses
import json
import logging
import os
import re
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio

import main
from bot.adapters.telegram import build_application
from bot.config import BotConfig
from bot.core import IncomingMessage, Reply
from bot.decision import Thresholds
from bot.dialog import Dialog
from bot.faq import load_faq
from bot.journal import MemoryJournal
from bot.sessions import MemorySessionStore
from bot.settings import Settings
from bot.web import Responder, create_app
from tests.conftest import DATA, ROOT, TINY_FAQ, make_dialog
from tests.support import eventually, free_port, serving
from tests.telegram_stub import TelegramStub

TOKEN = "7000000001:AAEtest-Token_0123456789abcdef"
SECRET = "s3cret-Token_for-tests"
UPDATES = DATA / "telegram"
GROUP_ID = -1001987654321
ALEX = 701234567  # the English-speaking user of the recorded private chats


def update(name: str) -> dict[str, Any]:
    return json.loads((UPDATES / f"{name}.json").read_text())


def said(text: str, update_id: int, *, like: str = "private_text", **fields: Any) -> dict[str, Any]:
    """A recorded message update with other text (commands get their bot_command entity)."""
    payload = copy.deepcopy(update(like))
    message = payload["message"]
    payload["update_id"] = update_id
    message["message_id"] += update_id % 1000
    message["text"] = text
    message.pop("entities", None)
    if text.startswith("/"):
        name = text.split()[0]
        message["entities"] = [{"offset": 0, "length": len(name), "type": "bot_command"}]
    message.update(fields)
    return payload


def tap(data: str, update_id: int, label: str = "") -> dict[str, Any]:
    """The recorded button press, on a button with other callback data."""
    payload = copy.deepcopy(update("callback_query"))
    payload["update_id"] = update_id
    query = payload["callback_query"]
    query["id"] = f"30118172894572{update_id}"
    query["data"] = data
    query["message"]["reply_markup"] = {
        "inline_keyboard": [[{"text": label or data, "callback_data": data}]]
    }
    return payload


def buttons(sent: dict[str, Any]) -> list[dict[str, str]]:
    markup = sent.get("reply_markup") or {"inline_keyboard": []}
    return [button for row in markup["inline_keyboard"] for button in row]


def callbacks(sent: dict[str, Any]) -> list[str]:
    return [button["callback_data"] for button in buttons(sent) if "callback_data" in button]


def settings_for(stub: TelegramStub) -> Settings:
    return Settings(
        telegram_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base_url=f"{stub.url}/bot",
    )


def dialog_over(config: BotConfig, faq: Path = TINY_FAQ) -> Dialog:
    return make_dialog(config, MemorySessionStore(), MemoryJournal(), faq)


@dataclasses.dataclass
class Chat:
    """The bot's web app as Telegram sees it: POST updates, read what the stub received."""

    http: httpx.AsyncClient
    stub: TelegramStub

    async def post(self, payload: object, secret: str | None = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        content = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
        return await self.http.post("/telegram/webhook", content=content, headers=headers)

    async def send(self, payload: dict[str, Any], replies: int = 1) -> list[dict[str, Any]]:
        """POST an update and wait for the bot's messages in answer to it."""
        before = len(self.stub.sent())
        response = await self.post(payload)
        assert response.status_code == 200, response.text
        await eventually(lambda: len(self.stub.sent()) >= before + replies)
        return self.stub.sent()[before:]

    async def ignored(self, payload: dict[str, Any]) -> None:
        """POST an update that must not be answered; a private message afterwards proves it."""
        assert (await self.post(payload)).status_code == 200
        before = len(self.stub.sent())
        sentinel = said("thanks", payload["update_id"] + 500_000)
        [reply] = await self.send(sentinel)
        assert reply["chat_id"] == str(ALEX), "the ignored update was answered"
        assert len(self.stub.sent()) == before + 1


@contextlib.asynccontextmanager
async def running(
    stub: TelegramStub, responder: Responder, **options: float
) -> AsyncIterator[Chat]:
    # Wired like `serve`: main.build_webhooks decides the path and builds the adapter.
    webhooks = main.build_webhooks(main.build_adapters(settings_for(stub)))
    app = create_app(responder, webhooks, **options)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        yield Chat(http, stub)


@pytest_asyncio.fixture
async def chat(stub: TelegramStub, dialog: Dialog) -> AsyncIterator[Chat]:
    async with running(stub, dialog) as client:
        yield client


# --- answers and buttons ---


async def test_a_question_is_answered_in_html_with_buttons(chat: Chat):
    [sent] = await chat.send(update("private_text"))
    # Decided in milliseconds: no "typing..." first, which would cost a request of its own.
    assert chat.stub.methods()[:2] == ["getMe", "sendMessage"]
    assert sent["chat_id"] == str(ALEX)
    assert sent["parse_mode"] == "HTML"
    notice, title, *_ = sent["text"].split("\n\n")
    assert notice.startswith("Please note: I give general health information")  # first contact
    assert title == "<b>Is muscle twitching a sign of ALS?</b>"
    assert "Twitching alone is rarely ALS" in sent["text"]
    assert sent["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "What causes muscle twitching?", "callback_data": "e:twitching-causes"}],
            [{"text": "What is an EMG test?", "callback_data": "e:emg-what"}],
            [
                {"text": "👍 Helpful", "callback_data": "f+:twitching-als"},
                {"text": "👎 Not helpful", "callback_data": "f-:twitching-als"},
            ],
            [
                {
                    "text": "Book a neuromuscular clinic",
                    "url": "https://clinic.example.tw/booking/neuromuscular",
                }
            ],
        ]
    }
    assert sent["link_preview_options"] == {"is_disabled": True}
    assert "reply_parameters" not in sent  # private chats need no quote


async def test_a_tapped_button_is_acknowledged_and_opens_its_entry(chat: Chat):
    [sent] = await chat.send(update("callback_query"))
    assert chat.stub.sent("answerCallbackQuery") == [{"callback_query_id": "3011817289457283907"}]
    assert chat.stub.methods().index("answerCallbackQuery") < chat.stub.methods().index(
        "sendMessage"
    )
    assert "<b>What is an EMG test?</b>" in sent["text"]
    assert callbacks(sent) == ["e:emg-pain", "f+:emg-what", "f-:emg-what"]


async def test_did_you_mean_choices_are_numbered_buttons_that_work(stub: TelegramStub, config):
    # Thresholds that never answer outright make every question a "did you mean", whatever the
    # matcher's scores: this test is about the buttons, not the matching.
    unsure = dataclasses.replace(config, thresholds=Thresholds(answer=1.01, suggest=0.0))
    async with running(stub, dialog_over(unsure)) as chat:
        [choices] = await chat.send(said("Does an EMG hurt?", 1001))
        assert "Did you mean one of these?" in choices["text"]
        labels = {b["callback_data"]: b["text"] for b in buttons(choices)}
        assert labels["n"] == "None of these"
        assert any(text.endswith(". Does an EMG hurt?") for text in labels.values())
        assert "e:emg-pain" in labels
        [answer] = await chat.send(tap("e:emg-pain", 1002, labels["e:emg-pain"]))
        assert "<b>Does an EMG hurt?</b>" in answer["text"]
        await chat.send(said("Does an EMG hurt?", 1003))
        [none] = await chat.send(tap("n", 1004, "None of these"))
    assert "I don't have a good answer" in none["text"]
    assert "📞 Call the clinic (Mon–Fri 08:30–17:30): +886-3-000-0000" in none["text"]
    assert callbacks(none) == ["t:", "h"]  # browse topics, talk to a person
    assert [b.get("url") for b in buttons(none)[2:]] == [
        "https://clinic.example.tw/ask-a-doctor",
        "https://clinic.example.tw/booking/neurology",
    ]  # tel: is not a valid button URL, so it went into the text


async def test_a_chinese_question_is_answered_in_chinese(chat: Chat):
    [sent] = await chat.send(update("private_text_zh"))
    assert "<b>肌肉跳動是漸凍症的徵兆嗎？</b>" in sent["text"]
    assert "提醒您" in sent["text"]
    assert [b["text"] for b in buttons(sent)] == [
        "肌肉跳動是什麼原因？",
        "什麼是肌電圖檢查？",
        "👍 有幫助",
        "👎 沒幫助",
        "預約神經肌肉門診",
    ]


# --- commands ---


async def test_start_help_and_lang(chat: Chat):
    [welcome] = await chat.send(update("start"))
    assert welcome["text"].startswith("Hello! I answer common questions")
    assert "not a diagnosis" in welcome["text"]  # the disclaimer
    assert welcome["reply_markup"]["inline_keyboard"] == [
        [{"text": "Browse topics", "callback_data": "t:"}],
        [
            {"text": "English", "callback_data": "l:en"},
            {"text": "繁體中文", "callback_data": "l:zh-TW"},
        ],
    ]
    [help_] = await chat.send(update("help"))
    assert "Commands: /topics to browse" in help_["text"]
    [prompt] = await chat.send(update("lang"))
    assert callbacks(prompt) == ["l:en", "l:zh-TW"]
    [chosen] = await chat.send(tap("l:zh-TW", 410000100, "繁體中文"))
    assert chosen["text"] == "好的，接下來我會用繁體中文回答。"
    [answer] = await chat.send(said("Is muscle twitching a sign of ALS?", 410000101))
    assert "<b>肌肉跳動是漸凍症的徵兆嗎？</b>" in answer["text"]  # the choice wins over detection


async def test_topics_can_be_browsed_down_to_an_answer(chat: Chat):
    [topics] = await chat.send(update("topics"))
    assert topics["text"].endswith("Choose a topic:\n1. Tests\n2. Muscle twitching")
    assert buttons(topics) == [
        {"text": "1. Tests", "callback_data": "t:tests"},
        {"text": "2. Muscle twitching", "callback_data": "t:twitching"},
    ]
    [tests] = await chat.send(tap("t:tests", 410000102, "1. Tests"))
    assert callbacks(tests) == ["e:emg-what", "e:emg-pain", "t:"]
    [answer] = await chat.send(tap("e:emg-pain", 410000103))
    assert "<b>Does an EMG hurt?</b>" in answer["text"]
    [typed] = await chat.send(said("/topics@faq_test_bot", 410000104))
    assert callbacks(typed) == ["t:tests", "t:twitching"]


async def test_a_deep_link_opens_its_entry_after_the_welcome(chat: Chat):
    [sent] = await chat.send(update("start_deep_link"))
    welcome, *_ = sent["text"].split("\n\n")
    assert welcome.startswith("您好！")  # Mei's Telegram is in Chinese
    assert "<b>肌肉跳動是漸凍症的徵兆嗎？</b>" in sent["text"]
    assert callbacks(sent)[:2] == ["e:twitching-causes", "e:emg-what"]


# --- groups and other messages ---


async def test_in_groups_only_what_is_addressed_to_the_bot_is_answered(chat: Chat):
    await chat.ignored(update("group_text"))
    [mention] = await chat.send(update("group_mention"))
    assert mention["chat_id"] == str(GROUP_ID)
    assert mention["reply_parameters"] == {"message_id": 2201, "allow_sending_without_reply": True}
    assert "<b>Does an EMG hurt?</b>" in mention["text"]  # the @mention was taken out
    [reply] = await chat.send(update("group_reply"))
    assert "<b>What is an EMG test?</b>" in reply["text"]
    assert reply["reply_parameters"]["message_id"] == 2203
    [help_] = await chat.send(update("group_command"))
    assert "Commands: /topics to browse" in help_["text"]
    [topics] = await chat.send(said("/topics", 410000201, like="group_text"))
    assert callbacks(topics) == ["t:tests", "t:twitching"]
    await chat.ignored(said("/ban@moderator_bot spammer", 410000202, like="group_text"))
    await chat.ignored(said("/warn", 410000203, like="group_text"))  # another bot's command
    sticker = said(
        "", 410000204, like="group_text", sticker=update("sticker")["message"]["sticker"]
    )
    del sticker["message"]["text"]
    await chat.ignored(sticker)


async def test_stickers_photos_and_voice_get_a_please_type_reply(chat: Chat):
    [sticker] = await chat.send(update("sticker"))
    assert "I can only read text messages. Please type your question." in sticker["text"]
    [voice] = await chat.send(update("voice"))
    assert voice["text"] == "I can only read text messages. Please type your question."
    [photo] = await chat.send(update("photo"))
    assert "我目前只能讀文字訊息" in photo["text"]  # Mei's language_code is zh-hant


async def test_edits_and_redeliveries_are_not_answered(chat: Chat):
    await chat.ignored(update("edited_message"))
    await chat.send(update("help"))
    await chat.ignored(update("help"))  # Telegram redelivers an update after a failure


async def test_a_long_answer_is_split_at_paragraphs_with_buttons_last(stub: TelegramStub, config):
    faq = DATA / "faq_long"
    async with running(stub, dialog_over(config, faq)) as chat:
        assert (
            await chat.post(said("The complete guide to night cramps", 1101))
        ).status_code == 200
        await eventually(lambda: bool(stub.sent() and stub.sent()[-1].get("reply_markup")))
    parts = stub.sent()
    assert len(parts) >= 2
    assert all(len(p["text"].encode("utf-16-le")) // 2 <= 4096 for p in parts)
    assert [bool(p.get("reply_markup")) for p in parts] == [False] * (len(parts) - 1) + [True]
    answer = load_faq(faq).get("night-cramps-guide").answer.get("en")
    escaped = [
        p.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for p in answer.split("\n\n")
    ]
    paragraphs = [para for part in parts for para in part["text"].split("\n\n")]
    numbered = [para for para in paragraphs if para[:2] in {f"{n}." for n in range(1, 9)}]
    assert numbered == escaped  # every paragraph whole, in order, none cut in two


# --- the web route's contract ---


async def test_a_missing_or_wrong_secret_is_refused_with_403(chat: Chat):
    assert (await chat.post(update("private_text"), secret=None)).status_code == 403
    assert (
        await chat.post(update("private_text"), secret="s3cret-Token_for-test")
    ).status_code == 403
    assert (await chat.post(update("private_text"), secret="")).status_code == 403
    assert chat.stub.methods() == ["getMe"]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"message": {"text": "hi"}}',
        b'{"update_id": "1", "message": {}}',
        b'{"update_id": 1, "message": "hi"}',
        b'{"update_id": 1, "message": {"message_id": 1}}',
    ],
)
async def test_a_body_that_is_not_an_update_is_refused_with_400(chat: Chat, body: bytes):
    assert (await chat.post(body)).status_code == 400
    assert chat.stub.methods() == ["getMe"]


class Exploding:
    def __init__(self, dialog: Dialog) -> None:
        self.dialog = dialog

    async def handle(self, message: IncomingMessage) -> Reply:
        raise RuntimeError("the FAQ store is on fire")

    def error_reply(self, message: IncomingMessage) -> Reply:
        return self.dialog.error_reply(message)


class Slow:
    """A dialog that thinks until the stub has seen the typing action."""

    def __init__(self, dialog: Dialog, stub: TelegramStub) -> None:
        self.dialog = dialog
        self.stub = stub

    async def handle(self, message: IncomingMessage) -> Reply:
        await eventually(lambda: "sendChatAction" in self.stub.methods())
        return await self.dialog.handle(message)

    def error_reply(self, message: IncomingMessage) -> Reply:
        return self.dialog.error_reply(message)


async def test_a_slow_reply_shows_typing_first(stub: TelegramStub, dialog: Dialog):
    async with running(stub, Slow(dialog, stub), typing_after=0.01) as chat:
        await chat.send(update("private_text"))
    assert stub.methods()[1:] == ["sendChatAction", "sendMessage"]
    assert stub.sent("sendChatAction") == [{"chat_id": str(ALEX), "action": "typing"}]


async def test_a_crash_while_answering_is_200_and_an_apology(
    stub: TelegramStub, dialog: Dialog, caplog
):
    async with running(stub, Exploding(dialog)) as chat:
        [sent] = await chat.send(update("private_text_zh"))
    assert sent["text"].startswith("抱歉，系統暫時出了點問題")
    assert "致電門診" in sent["text"]
    assert "the FAQ store is on fire" in caplog.text  # logged with its traceback


# --- Bot API errors ---


# PTB itself warns, when it builds RetryAfter, that retry_after becomes a timedelta in v23.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_a_rate_limited_message_is_sent_again_after_retry_after(chat: Chat):
    chat.stub.fail_next("sendMessage", 429, retry_after=1)
    [sent] = await chat.send(update("help"))
    first, second = [call for call in chat.stub.calls if call.method == "sendMessage"]
    assert (first.status, second.status) == (429, 200)
    assert second.at - first.at >= 0.9
    assert second.params == sent


async def test_a_blocked_user_is_logged_once_and_never_retried(chat: Chat, caplog):
    caplog.set_level(logging.WARNING, logger="bot.adapters.telegram")
    chat.stub.fail_next("sendMessage", 403)
    chat.stub.fail_next("sendMessage", 403)

    def statuses() -> list[int]:
        return [call.status for call in chat.stub.calls if call.method == "sendMessage"]

    for count, payload in enumerate((update("help"), update("topics")), 1):
        assert (await chat.post(payload)).status_code == 200
        await eventually(lambda count=count: statuses() == [403] * count)
    await chat.send(update("lang"))  # unblocked again: delivered as usual
    assert statuses() == [403, 403, 200]
    refused = [r for r in caplog.records if "refused the reply" in r.getMessage()]
    assert len(refused) == 1


# --- command line ---


async def test_set_webhook_registers_the_url_secret_and_update_types(stub: TelegramStub, capsys):
    environ = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": f"{stub.url}/bot",
    }
    argv = ["telegram", "set-webhook", "--url", "https://faq.example.tw", "--drop-pending-updates"]
    assert await asyncio.to_thread(main.main, argv, environ) == 0
    assert stub.webhook == {
        "url": "https://faq.example.tw/telegram/webhook",
        "secret_token": SECRET,
        "allowed_updates": ["message", "callback_query"],
        "drop_pending_updates": "true",
    }
    printed = capsys.readouterr().out
    assert "Webhook registered for @faq_test_bot" in printed
    assert "https://faq.example.tw/telegram/webhook" in printed
    assert SECRET not in printed
    plain = ["telegram", "set-webhook", "--url", "http://faq.example.tw/telegram/webhook"]
    assert await asyncio.to_thread(main.main, plain, environ) == 2


def test_the_token_is_appended_to_the_default_and_to_a_self_hosted_api():
    default = build_application(TOKEN, Settings.from_env({}).telegram_api_base_url).bot
    assert default.base_url == f"https://api.telegram.org/bot{TOKEN}"
    assert default.base_file_url == f"https://api.telegram.org/file/bot{TOKEN}"
    local = build_application(TOKEN, "http://127.0.0.1:8081/bot", polling=True).bot
    assert local.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"


def test_the_telegram_commands_say_what_is_missing(capsys):
    assert main.main(["telegram", "polling"], {}) == 2
    assert "TELEGRAM_BOT_TOKEN is not set" in capsys.readouterr().err
    hook = ["telegram", "set-webhook", "--url", "https://faq.example.tw"]
    assert main.main(hook, {"TELEGRAM_BOT_TOKEN": TOKEN}) == 2
    assert "TELEGRAM_WEBHOOK_SECRET is not set" in capsys.readouterr().err
    bad = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "not allowed!"}
    assert main.main(hook, bad) == 2
    assert "must be 1-256 characters of A-Z" in capsys.readouterr().err


async def test_polling_answers_through_the_same_path_and_removes_the_webhook(
    stub: TelegramStub, dialog: Dialog, caplog
):
    stub.webhook = {"url": "https://faq.example.tw/telegram/webhook"}
    stub.queue_update(update("private_text"))
    stop = asyncio.Event()
    adapter = main.build_telegram(settings_for(stub), polling=True)
    polling = asyncio.create_task(main.poll_telegram(adapter, dialog, stop))
    await eventually(lambda: len(stub.sent()) == 1)
    stub.queue_update(update("callback_query"))
    await eventually(lambda: len(stub.sent()) == 2)
    stop.set()
    await asyncio.wait_for(polling, 10)
    answer, tapped = stub.sent()
    assert "<b>Is muscle twitching a sign of ALS?</b>" in answer["text"]
    assert "<b>What is an EMG test?</b>" in tapped["text"]
    assert stub.webhook == {}
    methods = stub.methods()
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    assert stub.sent("getUpdates")[0]["allowed_updates"] == ["message", "callback_query"]
    assert "removing the webhook https://faq.example.tw/telegram/webhook" in caplog.text


async def test_serve_runs_the_webhook_from_the_command_line(stub: TelegramStub):
    port = free_port()
    environ = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "NO_PROXY")},
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": f"{stub.url}/bot",
        "USER_HASH_KEY": "a-long-random-test-key",
        "FAQ_DIR": str(TINY_FAQ),
        "PORT": str(port),
    }
    server = await asyncio.create_subprocess_exec(
        *(sys.executable, "main.py", "serve", "--host", "127.0.0.1"),
        cwd=ROOT,
        env={**environ, "LOG_LEVEL": "INFO"},
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await _wait_healthy(http)
            sent = await Chat(http, stub).send(update("private_text"))
        assert "<b>Is muscle twitching a sign of ALS?</b>" in sent[0]["text"]
    finally:
        server.terminate()
        _, log = await server.communicate()
    assert b"Application startup complete" in log
    assert TOKEN.encode() not in log  # the Bot API puts the token in every URL


async def _wait_healthy(http: httpx.AsyncClient, within: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        with contextlib.suppress(httpx.TransportError):
            if (await http.get("/healthz")).status_code == 200:
                return
        assert asyncio.get_running_loop().time() < deadline, "serve did not come up"
        await asyncio.sleep(0.1)


# --- human handoff through a staff group ---

STAFF_GROUP = -1002000000042


async def test_a_handoff_goes_to_the_staff_group_and_staff_replies_reach_the_user(stub, config):
    settings = dataclasses.replace(settings_for(stub), handoff_chat=f"telegram:{STAFF_GROUP}")
    adapters = main.build_adapters(settings)
    dialog = make_dialog(
        config,
        MemorySessionStore(),
        MemoryJournal(),
        courier=main.Courier(adapters),
        staff_chat=settings.handoff_chat,
    )
    app = create_app(dialog, main.build_webhooks(adapters))
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        chat = Chat(http, stub)
        ticket_message, answer = await chat.send(said("/human", 4101), replies=2)
        assert ticket_message["chat_id"] == str(STAFF_GROUP)
        ticket = re.search(r"#([A-Z2-9]{4})", ticket_message["text"]).group(1)
        assert answer["chat_id"] == str(ALEX)
        staff_reply = copy.deepcopy(update("group_reply"))
        staff_reply["update_id"] = 4102
        message = staff_reply["message"]
        message["chat"]["id"] = STAFF_GROUP
        message["from"]["id"] = 555000111  # a nurse
        message["text"] = "It only stings for a moment."
        message["reply_to_message"]["chat"]["id"] = STAFF_GROUP
        message["reply_to_message"]["text"] = ticket_message["text"]
        relayed, ack = await chat.send(staff_reply, replies=2)
        assert relayed["chat_id"] == str(ALEX)
        assert relayed["text"].endswith("It only stings for a moment.")
        assert "reply_parameters" not in relayed, "a relayed message quotes nothing"
        assert ack["chat_id"] == str(STAFF_GROUP)
        assert ticket in ack["text"]


async def test_admin_commands_answer_admins_and_refuse_others(stub, config, caplog):
    journal = MemoryJournal()
    admin = main.Admin(
        ids=frozenset({f"telegram:{ALEX}"}), journal=journal, reload=None, clock=time.time
    )
    dialog = make_dialog(config, MemorySessionStore(), journal, admin=admin)
    async with running(stub, dialog) as chat:
        [stats] = await chat.send(said("/stats", 4201))
        assert "message(s)" in stats["text"]
        stranger = said("/stats", 4202)
        stranger["message"]["from"]["id"] = stranger["message"]["chat"]["id"] = 42424242
        with caplog.at_level(logging.WARNING, logger="bot.admin"):
            [refused] = await chat.send(stranger)
    assert "clinic staff only" in refused["text"] or "管理人員" in refused["text"]
    assert "refused /stats from a non-admin on telegram" in caplog.text
    assert "42424242" not in caplog.text


# --- replies in the webhook response (TELEGRAM_REPLY_IN_RESPONSE) ---


async def test_a_one_message_reply_can_ride_in_the_webhook_response(stub, dialog):
    settings = dataclasses.replace(settings_for(stub), telegram_reply_in_response=True)
    app = create_app(dialog, main.build_webhooks(main.build_adapters(settings)))
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as http:
        chat = Chat(http, stub)
        call = (await chat.post(update("private_text"))).json()
        assert call["method"] == "sendMessage"
        assert call["chat_id"] == ALEX
        assert call["parse_mode"] == "HTML"
        assert "<b>Is muscle twitching a sign of ALS?</b>" in call["text"]
        assert callbacks(call) == [
            "e:twitching-causes",
            "e:emg-what",
            "f+:twitching-als",
            "f-:twitching-als",
        ]
        assert call["link_preview_options"] == {"is_disabled": True}
        tapped = (await chat.post(update("callback_query"))).json()
        assert "<b>What is an EMG test?</b>" in tapped["text"]
        # The button's spinner is still stopped, by a call after the response.
        await eventually(lambda: len(stub.sent("answerCallbackQuery")) == 1)
        again = await chat.post(update("callback_query"))  # a redelivery
        assert again.text == "ok"
    # No sendMessage and no typing action went out as requests of their own; the redelivered
    # tap is acknowledged again, as on the outbound path.
    assert stub.methods() == ["getMe", "answerCallbackQuery", "answerCallbackQuery"]


async def test_replies_in_the_response_are_off_for_polling():
    settings = Settings(telegram_token=TOKEN, telegram_reply_in_response=True)
    assert not main.build_telegram(settings, polling=True).answers_in_response
    assert main.build_telegram(settings).answers_in_response
