"""A lean stand-in for the Telegram Bot API and the LINE Messaging API, for bench/load.py.

tests/telegram_stub.py and tests/line_stub.py check every field and keep every request, which
is right for tests and too slow to stay out of the way at hundreds of replies a second. This one
runs in its own process on aiohttp (uvloop when installed), answers just enough for the real
SDKs, and reports each reply as one line on stdout, so that the load generator can match it to
the update it answers the moment it arrives:

    tg <chat_id> <monotonic>      a Telegram sendMessage that succeeded
    lr <replyToken> <monotonic>   a LINE reply that succeeded
    lp <userId> <monotonic>       a LINE push (the reply token was refused)
    xf <method> <monotonic>       a request the stub failed on purpose (a 429 or a 5xx)

time.monotonic() is the same clock in every process on Linux, so end-to-end latency can be
taken across processes. POST /control {"status": 429, "seconds": 3, "retry_after": 1} makes
sendMessage and LINE replies fail with that status for a while (fault injection).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from urllib.parse import parse_qsl

from aiohttp import web

TELEGRAM_OK_TRUE = b'{"ok":true,"result":true}'
BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "Neuro FAQ", "username": "faq_bot"}
GET_ME = json.dumps(
    {
        "ok": True,
        "result": {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        },
    }
).encode()
LINE_SENT = b'{"sentMessages":[{"id":"461230966842064898","quoteToken":"qt"}]}'


class Stub:
    def __init__(self) -> None:
        self._used_tokens: set[str] = set()
        self._fail_status = 0
        self._fail_until = 0.0
        self._retry_after = 1
        self._message_id = 5000

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.telegram)
        app.router.add_post("/v2/bot/message/reply", self.line_reply)
        app.router.add_post("/v2/bot/message/push", self.line_push)
        app.router.add_post("/v2/bot/chat/loading/start", self.line_loading)
        app.router.add_post("/control", self.control)
        return app

    async def telegram(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            return _json(GET_ME)
        if method != "sendMessage":
            return _json(TELEGRAM_OK_TRUE)  # sendChatAction, answerCallbackQuery...
        params = dict(parse_qsl((await request.read()).decode()))
        if self._failing():
            _report("xf", "sendMessage")
            return self._telegram_failure()
        chat_id = params["chat_id"]
        _report("tg", chat_id)
        self._message_id += 1
        result = {
            "message_id": self._message_id,
            "from": BOT_USER,
            "chat": {"id": int(chat_id), "type": "private"},
            "date": int(time.time()),
            "text": params.get("text", ""),
        }
        return _json(json.dumps({"ok": True, "result": result}).encode())

    async def line_reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self._failing():
            _report("xf", "reply")
            return web.json_response({"message": "stub failure"}, status=self._fail_status)
        token = body.get("replyToken", "")
        if token in self._used_tokens:
            return web.json_response({"message": "Invalid reply token"}, status=400)
        self._used_tokens.add(token)
        _report("lr", token)
        return _json(LINE_SENT)

    async def line_push(self, request: web.Request) -> web.Response:
        body = await request.json()
        _report("lp", body.get("to", ""))
        return _json(LINE_SENT)

    async def line_loading(self, request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202, body=b"{}", content_type="application/json")

    async def control(self, request: web.Request) -> web.Response:
        order = await request.json()
        self._fail_status = int(order["status"])
        self._retry_after = int(order.get("retry_after", 1))
        self._fail_until = time.monotonic() + float(order["seconds"])
        return web.json_response({"ok": True})

    def _failing(self) -> bool:
        return bool(self._fail_status) and time.monotonic() < self._fail_until

    def _telegram_failure(self) -> web.Response:
        body: dict[str, object] = {
            "ok": False,
            "error_code": self._fail_status,
            "description": "Too Many Requests" if self._fail_status == 429 else "Bad Gateway",
        }
        if self._fail_status == 429:
            body["parameters"] = {"retry_after": self._retry_after}
        return web.json_response(body, status=self._fail_status)


def _json(body: bytes) -> web.Response:
    return web.Response(body=body, content_type="application/json")


def _report(kind: str, key: str) -> None:
    sys.stdout.write(f"{kind} {key} {time.monotonic():.6f}\n")
    sys.stdout.flush()


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--port", type=int, required=True)
    port = arguments.parse_args().port
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    web.run_app(Stub().app(), host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
