"""Fuzzing both webhooks through the app `serve` builds, the real SDKs inside, stubs behind.

Random bytes, random JSON, mutated recorded payloads (tests/data/telegram, tests/data/line),
with right, wrong and missing secrets and signatures. Whatever comes in: never a 5xx, nothing
logged as an error (an unhandled exception would be), and no request at the platform's API for
a Telegram request without the right secret or a LINE body without a valid signature.

One error line is allowed: the Telegram adapter's own "could not read Telegram update; ignoring
it", for an authenticated update whose parts PTB cannot read (say, entity offsets that are
lists). Only Telegram knows the secret and it sends well-formed updates, so such a line means a
bug or an API change and rightly carries a traceback; the request still gets its 200.

Hypothesis runs examples synchronously, so each test serves the app and the stubs on the
event loop (in the main thread, where the app may install its signal handlers) and runs the
examples in a worker thread as plain blocking HTTP requests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest_asyncio
from hypothesis import given
from hypothesis import strategies as st

import main
from bot.settings import Settings
from tests.conftest import DATA, ROOT, TINY_FAQ
from tests.fuzzing import fuzz_settings, json_values, mutated, mutated_bytes
from tests.line_stub import LineApiStub
from tests.support import eventually, serving
from tests.telegram_stub import TelegramStub
from tests.test_line import SECRET as LINE_SECRET
from tests.test_line import TOKEN as LINE_TOKEN
from tests.test_line import sign
from tests.test_telegram import SECRET, TOKEN

TELEGRAM_PAYLOADS = [json.loads(p.read_text()) for p in sorted((DATA / "telegram").glob("*.json"))]
UNREADABLE = "bot.adapters.telegram: could not read Telegram update"
LINE_PAYLOADS = [json.loads(p.read_text()) for p in sorted((DATA / "line").glob("*.json"))]


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Live:
    url: str
    telegram: TelegramStub
    line: LineApiStub
    errors: _Errors
    http: httpx.Client = field(init=False)
    examples: int = 0

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.url)

    def api_requests(self) -> int:
        return len(self.telegram.calls) + len(self.line.requests)

    def telegram_post(self, body: bytes, secret: str | None = SECRET) -> httpx.Response:
        self.examples += 1
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return self.http.post("/telegram/webhook", content=body, headers=headers)

    def line_post(self, body: bytes, signature: str | None) -> httpx.Response:
        self.examples += 1
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if signature is not None:
            headers["X-Line-Signature"] = signature
        return self.http.post("/line/webhook", content=body, headers=headers)

    async def fuzz(self, examples: Callable[[], None]) -> None:
        """Run the Hypothesis test `examples`, then check nothing was logged as an error."""
        await asyncio.to_thread(examples)
        print(f"{self.examples} requests sent")  # shown with -s; the README quotes the counts
        await self._settle()
        logged = [f"{r.name}: {r.getMessage()}" for r in self.errors.records]
        unreadable = [line for line in logged if UNREADABLE in line]
        print(f"{len(unreadable)} unreadable Telegram updates ignored")
        assert [line for line in logged if UNREADABLE not in line] == []

    async def _settle(self) -> None:
        """A fresh, valid private message and its reply: earlier examples have been answered."""
        update_id = uuid.uuid4().int % 10**9
        update = {
            "update_id": update_id,
            "message": {
                "message_id": 1,
                "date": 1700000000,
                "chat": {"id": 42, "type": "private"},
                "from": {"id": 42, "is_bot": False, "first_name": "Settle"},
                "text": "what is an EMG test",
            },
        }
        response = await asyncio.to_thread(self.telegram_post, json.dumps(update).encode())
        assert response.status_code == 200
        await eventually(lambda: any(s["chat_id"] == "42" for s in self.telegram.sent()))


def _unlimited_config(directory: Path) -> Path:
    """The shipped config with a rate limit fuzzing cannot reach: every example gets answered."""
    shutil.copytree(ROOT / "config", directory, dirs_exist_ok=True)
    bot = directory / "bot.yaml"
    bot.write_text(bot.read_text().replace("messages: 20", "messages: 1000000"))
    return directory


@pytest_asyncio.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    config_dir = _unlimited_config(tmp_path / "config")
    telegram, line = TelegramStub(TOKEN), LineApiStub(LINE_TOKEN)
    errors = _Errors()
    watched = [logging.getLogger(), logging.getLogger("uvicorn")]
    for logger in watched:
        logger.addHandler(errors)
    try:
        async with serving(telegram.app) as telegram_url, serving(line.app) as line_url:
            telegram.url, line.url = telegram_url, line_url
            settings = Settings(
                faq_dir=TINY_FAQ,
                config_dir=config_dir,
                user_hash_key="a-long-random-test-key",
                telegram_token=TOKEN,
                telegram_webhook_secret=SECRET,
                telegram_api_base_url=f"{telegram_url}/bot",
                line_channel_secret=LINE_SECRET,
                line_channel_access_token=LINE_TOKEN,
                line_api_base_url=line_url,
            )
            async with serving(main.build_app(settings)) as url:
                bot = Live(url, telegram, line, errors)
                yield bot
                bot.http.close()
    finally:
        for logger in watched:
            logger.removeHandler(errors)


def _fresh_ids(payload: Any) -> Any:
    """New delivery ids, so examples are not dropped as redeliveries of each other."""
    if isinstance(payload, dict) and "update_id" in payload:
        payload = {**payload, "update_id": uuid.uuid4().int % 10**9}
    if isinstance(payload, dict) and isinstance(payload.get("events"), list):
        events = [
            {**e, "webhookEventId": uuid.uuid4().hex} if isinstance(e, dict) else e
            for e in payload["events"]
        ]
        payload = {**payload, "events": events}
    return payload


telegram_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.sampled_from(TELEGRAM_PAYLOADS)
    .flatmap(mutated)
    .map(_fresh_ids)
    .map(lambda value: json.dumps(value).encode()),
    st.sampled_from(TELEGRAM_PAYLOADS)
    .map(lambda value: json.dumps(value).encode())
    .flatmap(mutated_bytes),
)
line_bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.sampled_from(LINE_PAYLOADS)
    .flatmap(mutated)
    .map(_fresh_ids)
    .map(lambda value: json.dumps(value, ensure_ascii=False).encode()),
    st.sampled_from(LINE_PAYLOADS)
    .map(lambda value: json.dumps(value).encode())
    .flatmap(mutated_bytes),
)


async def test_telegram_with_the_secret_never_fails(live: Live):
    @fuzz_settings()
    @given(body=telegram_bodies)
    def examples(body: bytes) -> None:
        assert live.telegram_post(body).status_code in (200, 400)

    await live.fuzz(examples)


async def test_telegram_without_the_secret_is_refused_and_never_answered(live: Live):
    @fuzz_settings()
    @given(body=telegram_bodies, secret=st.none() | st.text(max_size=40))
    def examples(body: bytes, secret: str | None) -> None:
        if secret == SECRET:
            return
        before = live.api_requests()
        try:
            response = live.telegram_post(body, secret)
        except (UnicodeEncodeError, httpx.LocalProtocolError):
            return  # not a header value at all (control characters, not ASCII)
        # A control character the client let through is refused by uvicorn's HTTP parser
        # (httptools) with 400 before the app sees it; any other value reaches the secret check.
        printable = secret is None or all(c == "\t" or " " <= c <= "~" for c in secret)
        assert response.status_code in ((403,) if printable else (400, 403))
        assert live.api_requests() == before

    await live.fuzz(examples)


async def test_line_signed_bodies_never_fail(live: Live):
    @fuzz_settings()
    @given(body=line_bodies)
    def examples(body: bytes) -> None:
        assert live.line_post(body, sign(body)).status_code in (200, 400)

    await live.fuzz(examples)


async def test_line_unsigned_or_missigned_bodies_are_refused_and_never_answered(live: Live):
    signatures = (
        st.none()
        | st.text(alphabet=st.characters(codec="ascii"), max_size=60)
        | st.binary(min_size=32, max_size=32).map(lambda b: sign(b, "some-other-secret"))
    )

    @fuzz_settings()
    @given(body=line_bodies, signature=signatures)
    def examples(body: bytes, signature: str | None) -> None:
        if signature == sign(body):
            return
        before = live.api_requests()
        try:
            response = live.line_post(body, signature)
        except (UnicodeEncodeError, httpx.LocalProtocolError):
            return  # not a header value at all (control characters)
        assert response.status_code == 400
        assert live.api_requests() == before

    await live.fuzz(examples)
