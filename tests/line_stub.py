"""A small LINE Messaging API for tests, served on loopback with tests.support.serving().

It records every request in order (path, headers, JSON body), answers like LINE does, and checks
what LINE checks and the SDK does not: text length in UTF-16 units, label length, number of
messages and quick reply items. A reply token works once, as on LINE. Failures on demand:
`fail_next("reply", 400, "Invalid reply token")`, `fail_next("reply", 429, ...)`,
`delay_next("reply", seconds)`, and `hold()` keeps replies and pushes waiting until released.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
LOADING = "/v2/bot/chat/loading/start"
PATHS = {"reply": REPLY, "push": PUSH, "loading": LOADING}


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int  # what the stub answered


class LineApiStub:
    def __init__(self, access_token: str) -> None:
        self.url = ""  # set by the test once served
        self.requests: list[Recorded] = []
        self._token = access_token
        self._failures: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self._delays: dict[str, list[float]] = defaultdict(list)
        self.waiting = 0  # requests held by hold()
        self._used_tokens: set[str] = set()
        self._released = asyncio.Event()
        self._released.set()
        self._ids = itertools.count(461230966842064898)
        self.app = Starlette(
            routes=[Route(path, self._receive, methods=["POST"]) for path in PATHS.values()]
        )

    def fail_next(self, name: str, status: int, message: str) -> None:
        """The next request to `name` ("reply", "push", "loading") gets this error."""
        self._failures[PATHS[name]].append((status, message))

    def delay_next(self, name: str, seconds: float) -> None:
        """The next request to `name` is answered (and takes effect) only after `seconds`."""
        self._delays[PATHS[name]].append(seconds)

    def hold(self) -> None:
        """Replies and pushes wait until `release()`."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def sent(self, name: str) -> list[dict[str, Any]]:
        """Bodies of the requests to `name` that LINE would have accepted."""
        return [r.body for r in self.requests if r.path == PATHS[name] and r.status < 300]

    def calls(self, name: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == PATHS[name]]

    async def _receive(self, request: Request) -> Response:
        body = await request.json()
        path = request.url.path
        if self._delays[path]:
            await asyncio.sleep(self._delays[path].pop(0))
        if path != LOADING and not self._released.is_set():
            self.waiting += 1
            await self._released.wait()
            self.waiting -= 1
        status, answer = self._answer(request, path, body)
        self.requests.append(Recorded(path, dict(request.headers), body, status))
        return JSONResponse(answer, status_code=status)

    def _answer(self, request: Request, path: str, body: dict[str, Any]) -> tuple[int, dict]:
        if request.headers.get("authorization") != f"Bearer {self._token}":
            return 401, {
                "message": "Authentication failed. Confirm that the access token in the authorization header is valid."
            }
        if self._failures[path]:
            status, message = self._failures[path].pop(0)
            return status, {"message": message}
        if path == LOADING:
            return 202, {}
        problems = list(_problems(body.get("messages", [])))
        if problems:
            details = [{"message": message, "property": where} for where, message in problems]
            return 400, {
                "message": f"The request body has {len(problems)} error(s)",
                "details": details,
            }
        if path == REPLY:
            token = body.get("replyToken", "")
            if token in self._used_tokens:
                return 400, {"message": "Invalid reply token"}
            self._used_tokens.add(token)
        return 200, {
            "sentMessages": [
                {"id": str(next(self._ids)), "quoteToken": f"qt-{n}"}
                for n, _ in enumerate(body["messages"])
            ]
        }


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _problems(messages: list[dict[str, Any]]):
    if not 1 <= len(messages) <= 5:
        yield "messages", "Size must be between 1 and 5"
    for n, message in enumerate(messages):
        where = f"messages[{n}]"
        if message["type"] == "text" and not 1 <= utf16_units(message.get("text", "")) <= 5000:
            yield f"{where}.text", "Length must be between 1 and 5000"
        if message["type"] == "flex" and not 1 <= len(message.get("altText", "")) <= 1500:
            yield f"{where}.altText", "Length must be between 1 and 1500"
        items = message.get("quickReply", {}).get("items", [])
        if len(items) > 13:
            yield f"{where}.quickReply.items", "Size must be between 0 and 13"
        for i, item in enumerate(items):
            yield from _action_problems(f"{where}.quickReply.items[{i}].action", item["action"])
        for i, action in enumerate(_flex_actions(message.get("contents", {}))):
            yield from _action_problems(f"{where}.contents.action[{i}]", action)


def _action_problems(where: str, action: dict[str, Any]):
    if not 1 <= len(action.get("label", "")) <= 20:
        yield f"{where}.label", "Length must be between 1 and 20"
    if action["type"] == "postback":
        if len(action.get("data", "")) > 300:
            yield f"{where}.data", "Length must be between 0 and 300"
        if not action.get("displayText") or len(action["displayText"]) > 300:
            yield f"{where}.displayText", "Length must be between 1 and 300"
    if action["type"] == "uri" and not action["uri"].startswith(
        ("https:", "http:", "tel:", "line:")
    ):
        yield f"{where}.uri", "invalid uri scheme"


def _flex_actions(node: Any):
    if isinstance(node, dict):
        if "action" in node:
            yield node["action"]
        for value in node.values():
            yield from _flex_actions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _flex_actions(value)
