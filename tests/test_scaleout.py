"""Scale-out: two `serve` processes (as on two machines behind a load balancer) share nothing
but one Redis, and a conversation that alternates between them reads as one conversation.

tests/test_main_redis.py shows a session surviving into a new `chat` process; here the same
user's updates land on web workers A and B in turn, with the real PTB against the stub Bot API.
"""

from __future__ import annotations

import httpx

from tests.serve_process import serving_process
from tests.support import eventually
from tests.telegram_stub import TelegramStub
from tests.test_telegram import ALEX, SECRET, TOKEN, Chat, said


def worker_env(stub: TelegramStub, redis_url: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": f"{stub.url}/bot",
        "REDIS_URL": redis_url,
        "LOG_FORMAT": "text",
        "MATCHER_SEMANTIC": "off",  # the wording below is the lexical stage's
    }  # the shipped FAQ and config, as deployed


async def test_a_conversation_alternating_between_two_workers_keeps_its_context(
    stub, redis_server, redis_client
):
    environment = worker_env(stub, redis_server.url)
    async with (
        serving_process(environment) as first,
        serving_process(environment) as second,
        httpx.AsyncClient(base_url=first.url) as to_first,
        httpx.AsyncClient(base_url=second.url) as to_second,
    ):
        a, b = Chat(to_first, stub), Chat(to_second, stub)
        [choices] = await a.send(said("ALS", 9001))
        assert "Did you mean" in choices["text"]
        assert "2. If I only have muscle twitching, could it be ALS?" in choices["text"]
        [picked] = await b.send(said("2", 9002))
        assert "<b>If I only have muscle twitching, could it be ALS?</b>" in picked["text"]
        [follow_up] = await a.send(said("will it get worse?", 9003))
        assert "<b>Does muscle twitching in ALS get worse over time?</b>" in follow_up["text"]
        await b.send(said("/lang zh-TW", 9004))
        [chinese] = await a.send(said("what is an EMG test", 9005))
        assert "<b>什麼是肌電圖檢查？</b>" in chinese["text"]
        # The same update delivered to both (a retry that the balancer sent elsewhere).
        before = len(stub.sent())
        assert (await a.post(said("thanks", 9006))).status_code == 200
        assert (await b.post(said("thanks", 9006))).status_code == 200
        await eventually(lambda: len(stub.sent()) >= before + 1)
        await a.send(said("thanks!", 9007))
        assert len(stub.sent()) == before + 2, "the redelivered update was answered twice"
    assert {sent["chat_id"] for sent in stub.sent()} == {str(ALEX)}
    for worker in (first, second):
        assert "Traceback" not in worker.log, worker.log
