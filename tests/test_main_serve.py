"""`main.py serve` as a process: its JSON logs, and a SIGTERM that lets replies in flight finish."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.conftest import TINY_FAQ
from tests.serve_process import ServeProcess, serving_process
from tests.support import eventually
from tests.telegram_stub import TelegramStub
from tests.test_telegram import ALEX, SECRET, TOKEN, said


def telegram_env(stub: TelegramStub, **extra: str) -> dict[str, str]:
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": f"{stub.url}/bot",
        "FAQ_DIR": str(TINY_FAQ),
        **extra,
    }


async def post(server: ServeProcess, update: dict, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url) as http:
        return await http.post(
            "/telegram/webhook",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, **headers},
        )


def records(server: ServeProcess) -> list[dict]:
    return [json.loads(line) for line in server.lines if line.startswith("{")]


async def test_serve_logs_json_lines_tagged_with_the_request_and_never_the_text(stub, tmp_path):
    metrics_dir = str(tmp_path / "metrics")  # multiprocess mode, as with several workers
    env = telegram_env(stub, PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    async with serving_process(env, ["--access-log"]) as server:
        stub.fail_next("sendMessage", 400)  # makes the background answering log an error
        response = await post(server, said("what is an EMG test", 7001), **{"X-Request-ID": "r-1"})
        assert response.headers["X-Request-ID"] == "r-1"
        await server.logged("sending a telegram reply failed")
        generated = await post(server, said("thanks", 7002))
        assert len(generated.headers["X-Request-ID"]) == 32, "a fresh id when none was given"
        await eventually(lambda: len(stub.sent()) == 1)
        counted = 'bot_updates_total{outcome="answered",platform="telegram"} 1.0'
        async with httpx.AsyncClient(base_url=server.url) as http:
            for _ in range(500):  # counted just after the stub answered the send
                scraped = (await http.get("/metrics")).text
                if counted in scraped:
                    break
                await asyncio.sleep(0.01)
    assert counted in scraped
    assert 'bot_updates_total{outcome="send_failed",platform="telegram"} 1.0' in scraped
    assert 'bot_replies_total{kind="smalltalk",platform="telegram"} 1.0' in scraped
    assert all(line.startswith("{") for line in server.lines), server.log
    lines = records(server)
    assert {"time", "level", "logger", "message"} <= lines[0].keys()
    [failed] = [line for line in lines if line["message"] == "sending a telegram reply failed"]
    assert failed["level"] == "ERROR" and "Traceback" in failed["exc_info"]
    assert failed["request_id"] == "r-1" and failed["platform"] == "telegram"
    assert len(failed["user"]) >= 16 and str(ALEX) not in failed["user"], "hashed, not the id"
    access = [line for line in lines if line["logger"] == "uvicorn.access"]
    assert any(line.get("request_id") == "r-1" for line in access)
    assert "EMG" not in server.log and "thanks" not in server.log


async def test_sigterm_waits_for_a_reply_still_being_sent_then_exits_0(stub):
    server = await ServeProcess(telegram_env(stub, SHUTDOWN_GRACE="60")).start()
    try:
        stub.hold()
        assert (await post(server, said("what is an EMG test", 7101))).status_code == 200
        await eventually(lambda: stub.waiting == 1, within=20)
        server.terminate()
        await server.logged("Waiting for background tasks to complete")
        assert server.running, "serve must wait for the reply in flight"
        stub.release()
        assert await server.wait() == 0, server.log
    finally:
        await server.stop()
    [reply] = stub.sent()
    assert "What is an EMG test?" in reply["text"]


async def test_the_wait_on_sigterm_is_bounded_by_shutdown_grace(stub):
    server = await ServeProcess(telegram_env(stub, SHUTDOWN_GRACE="0.5")).start()
    try:
        stub.hold()
        assert (await post(server, said("what is an EMG test", 7201))).status_code == 200
        await eventually(lambda: stub.waiting == 1, within=20)
        server.terminate()
        assert await server.wait() == 0, server.log
    finally:
        await server.stop()
    assert "timeout graceful shutdown exceeded" in server.log
    assert stub.sent() == []
