"""Request ids and the fields every log line carries (the JSON output itself is tested on a real
`serve` process in tests/test_main_serve.py)."""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import logging

import pytest

from bot import logs


def test_a_plain_caller_id_is_kept_and_anything_else_replaced():
    assert logs.request_id("abc-123_x.y:z") == "abc-123_x.y:z"
    for given in (None, "", "has space", "x" * 65, "new\nline", '"quoted"'):
        fresh = logs.request_id(given)
        assert fresh != given and len(fresh) == 32


async def test_bound_fields_stay_in_their_task():
    async def request(rid: str) -> dict[str, str]:
        logs.bind(request_id=rid)
        await asyncio.sleep(0)
        logs.bind(user="hashed")
        return logs.bound()

    first, second = await asyncio.gather(request("a"), request("b"))
    assert first == {"request_id": "a", "user": "hashed"}
    assert second == {"request_id": "b", "user": "hashed"}
    assert "request_id" not in logs.bound()


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_configured_lines_carry_the_bound_fields(log_format, monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.configure_logging("INFO", log_format)

        def log_in_a_request() -> None:
            logs.bind(request_id="r-9", platform="line")
            logging.getLogger("bot.test").warning("reply %s failed", "x", extra={"tries": 2})

        contextvars.copy_context().run(log_in_a_request)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    line = stream.getvalue().strip()
    if log_format == "text":
        assert line.endswith("WARNING bot.test: reply x failed")
        return
    record = json.loads(line)
    assert record["message"] == "reply x failed" and record["level"] == "WARNING"
    assert record["logger"] == "bot.test" and record["tries"] == 2
    assert record["request_id"] == "r-9" and record["platform"] == "line"
    assert record["time"].endswith("+00:00")
