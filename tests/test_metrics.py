"""GET /metrics on the app as `serve` builds it (main.build_app), with the real SDKs and stubs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

import main
from bot.metrics import Metrics
from bot.settings import Settings
from tests.conftest import ROOT, TINY_FAQ
from tests.line_stub import LineApiStub
from tests.support import eventually, free_port, serving
from tests.telegram_stub import TelegramStub
from tests.test_line import SECRET as LINE_SECRET
from tests.test_line import TOKEN as LINE_TOKEN
from tests.test_line import deliver, recorded
from tests.test_telegram import SECRET, TOKEN, Chat, said

METRICS_TOKEN = "scrape-token-0123456789"


@pytest_asyncio.fixture
async def stubs() -> AsyncIterator[tuple[TelegramStub, LineApiStub]]:
    telegram, line = TelegramStub(TOKEN), LineApiStub(LINE_TOKEN)
    async with serving(telegram.app) as telegram_url, serving(line.app) as line_url:
        telegram.url, line.url = telegram_url, line_url
        yield telegram, line


def settings_for(telegram: TelegramStub, line: LineApiStub, **changes: Any) -> Settings:
    return Settings(
        faq_dir=TINY_FAQ,
        config_dir=ROOT / "config",
        user_hash_key="a-long-random-test-key",
        telegram_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base_url=f"{telegram.url}/bot",
        line_channel_secret=LINE_SECRET,
        line_channel_access_token=LINE_TOKEN,
        line_api_base_url=line.url,
        max_body_bytes=16 * 1024,
        **changes,
    )


@contextlib.asynccontextmanager
async def app_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        serving(main.build_app(settings)) as url,
        httpx.AsyncClient(base_url=url) as http,
    ):
        yield http


async def scrape(http: httpx.AsyncClient, **headers: str) -> dict[str, float]:
    """Samples by `name{label=value,...}`, labels sorted."""
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


def samples(text: str) -> dict[str, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


async def test_updates_replies_and_the_faq_are_counted(stubs):
    telegram, line = stubs
    async with app_for(settings_for(telegram, line)) as http:
        chat = Chat(http, telegram)
        await chat.send(said("what is an EMG test", 8001))
        await chat.send(said("qwzx vbnm plkj", 8002))
        assert (await chat.post(said("what is an EMG test", 8001))).status_code == 200
        assert (await chat.post(said("hi", 8003), secret="wrong")).status_code == 403
        assert (await chat.post(b"{not json")).status_code == 400
        assert (await chat.post(b"x" * 20_000)).status_code == 413
        assert (await deliver(http, recorded("text_en"))).status_code == 200
        assert (await deliver(http, recorded("text_en"), signature="bad")).status_code == 400
        await eventually(lambda: len(line.sent("reply")) == 1)
        last = (
            "bot_updates_total{outcome=duplicate,platform=telegram}",
            "bot_updates_total{outcome=answered,platform=line}",
        )  # counted after the stub has answered, so just after what the test waited for
        for _ in range(500):
            seen = await scrape(http)
            if all(seen.get(key) == 1 for key in last):
                break
            await asyncio.sleep(0.01)
    assert seen["bot_updates_total{outcome=answered,platform=telegram}"] == 2
    assert seen["bot_updates_total{outcome=rejected_secret,platform=telegram}"] == 1
    assert seen["bot_updates_total{outcome=bad_request,platform=telegram}"] == 1
    assert seen["bot_updates_total{outcome=too_large,platform=telegram}"] == 1
    assert seen["bot_updates_total{outcome=answered,platform=line}"] == 1
    assert seen["bot_updates_total{outcome=rejected_signature,platform=line}"] == 1
    assert seen["bot_replies_total{kind=answer,platform=telegram}"] == 1
    assert seen["bot_replies_total{kind=fallback,platform=telegram}"] == 1
    assert seen["bot_handle_seconds_count{platform=telegram}"] == 3
    [version] = [key for key in seen if key.startswith("bot_faq_info{")]
    assert version.startswith("bot_faq_info{version=") and seen[version] == 1
    assert seen["bot_faq_entries{}"] == 4
    assert seen["bot_redis_errors_total{}"] == 0
    assert "process_cpu_seconds_total{}" in seen


async def test_failed_redis_operations_are_counted_while_the_bot_keeps_answering(stubs):
    telegram, line = stubs
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    async with app_for(settings_for(telegram, line, redis_url=dead_redis)) as http:
        [reply] = await Chat(http, telegram).send(said("what is an EMG test", 8101))
        assert "What is an EMG test?" in reply["text"]
        for _ in range(500):  # counted just after the stub answered the send
            figures = await scrape(http)
            if "bot_updates_total{outcome=answered,platform=telegram}" in figures:
                break
            await asyncio.sleep(0.01)
    assert figures["bot_redis_errors_total{}"] >= 1
    assert figures["bot_updates_total{outcome=answered,platform=telegram}"] == 1


async def test_a_metrics_token_keeps_strangers_out(stubs):
    telegram, line = stubs
    async with app_for(settings_for(telegram, line, metrics_token=METRICS_TOKEN)) as http:
        assert (await http.get("/metrics")).status_code == 401
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        figures = await scrape(http, Authorization=f"Bearer {METRICS_TOKEN}")
    assert "bot_redis_errors_total{}" in figures


def test_several_processes_add_up_in_a_shared_directory(tmp_path):
    # In multiprocess mode prometheus-client reads the directory at import, so each "worker"
    # is a fresh interpreter; the scrape here reads what both wrote.
    script = (
        "from prometheus_client import CollectorRegistry\n"
        "from bot.metrics import Metrics\n"
        f"m = Metrics(CollectorRegistry(), {str(tmp_path)!r})\n"
        "m.updated('line', 'answered')\n"
    )
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True)
    reader = subprocess.run(
        [sys.executable, "-c", "from prometheus_client import CollectorRegistry\n"
         "from bot.metrics import Metrics\n"
         f"print(Metrics(CollectorRegistry(), {str(tmp_path)!r}).exposition().decode())"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    figures = samples(reader.stdout)
    assert figures["bot_updates_total{outcome=answered,platform=line}"] == 2
    assert "process_cpu_seconds_total{}" not in figures, "per-process figures would not add up"


def test_metrics_without_a_multiprocess_directory_are_this_process_only():
    metrics = Metrics(CollectorRegistry())
    metrics.replied("telegram", "answer")
    metrics.watch_faq(lambda: "abc123", lambda: 7)
    figures = samples(metrics.exposition().decode())
    assert figures["bot_replies_total{kind=answer,platform=telegram}"] == 1
    assert figures["bot_faq_info{version=abc123}"] == 1
    assert json.dumps(figures)  # plain numbers
