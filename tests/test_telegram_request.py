"""AiohttpRequest under the real python-telegram-bot, against the stub Bot API on loopback."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram_request import AiohttpRequest
from tests.support import free_port
from tests.telegram_stub import TelegramStub
from tests.test_telegram import TOKEN  # the token of the shared `stub` fixture (conftest)


def bot_for(url: str, request: AiohttpRequest | None = None) -> Bot:
    return Bot(TOKEN, base_url=f"{url}/bot", request=request or AiohttpRequest())


async def test_methods_and_their_parameters_reach_the_api(stub: TelegramStub):
    async with bot_for(stub.url) as bot:
        assert bot.username  # getMe on initialize
        sent = await bot.send_message(42, "<b>hi</b> 你好", parse_mode="HTML")
        await bot.send_chat_action(42, "typing")
    assert sent.text == "<b>hi</b> 你好"
    assert stub.sent()[0]["text"] == "<b>hi</b> 你好"
    assert stub.methods() == ["getMe", "sendMessage", "sendChatAction"]


# PTB itself warns, when it builds RetryAfter, that retry_after becomes a timedelta in v23.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_api_errors_become_ptbs_own_exceptions(stub: TelegramStub):
    async with bot_for(stub.url) as bot:
        stub.fail_next("sendMessage", 429, retry_after=3)
        with pytest.raises(RetryAfter):
            await bot.send_message(42, "slow down")
        stub.fail_next("sendMessage", 400)
        with pytest.raises(BadRequest):
            await bot.send_message(42, "bad")
        stub.fail_next("sendMessage", 502)
        with pytest.raises(NetworkError):
            await bot.send_message(42, "bad gateway")


async def test_a_slow_answer_is_timed_out_and_a_closed_port_is_a_network_error(
    stub: TelegramStub,
):
    async with bot_for(stub.url, AiohttpRequest(read_timeout=0.2)) as bot:
        stub.hold()
        try:
            with pytest.raises(TimedOut):
                await bot.send_message(42, "held")
        finally:
            stub.release()
    closed = Bot(TOKEN, base_url=f"http://127.0.0.1:{free_port()}/bot", request=AiohttpRequest())
    with pytest.raises(NetworkError):
        await closed.initialize()
    await closed.shutdown()


async def test_many_sends_at_once_share_the_pool(stub: TelegramStub):
    async with bot_for(stub.url, AiohttpRequest(pool_size=4)) as bot:
        await asyncio.gather(*(bot.send_message(n, f"m{n}") for n in range(40)))
    assert sorted(int(call["chat_id"]) for call in stub.sent()) == list(range(40))


async def test_file_uploads_are_refused_before_anything_is_sent(stub: TelegramStub):
    async with bot_for(stub.url) as bot:
        with pytest.raises(NetworkError, match="does not upload files"):
            await bot.send_document(42, InputFile(b"data", filename="a.txt"))
    assert "sendDocument" not in stub.methods()


async def test_a_request_before_initialize_is_a_clear_error():
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest().do_request("http://127.0.0.1:9/x", "POST")
