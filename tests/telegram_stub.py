"""A small stand-in for the Telegram Bot API on 127.0.0.1, for the real python-telegram-bot.

It answers like Telegram: form-encoded requests at /bot<token>/<method> (structured fields such
as reply_markup are JSON inside the form), `{"ok": true, "result": ...}` bodies, and errors
with `error_code`, `description` and, for 429, `parameters.retry_after`. Every request is
recorded in order, failed ones included. `hold()` keeps sendMessage calls waiting until
`release()`, for tests of what happens to a reply still on its way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# Form fields that PTB sends as JSON strings.
JSON_FIELDS = frozenset(
    {"reply_markup", "reply_parameters", "link_preview_options", "allowed_updates", "entities"}
)
TRUE_METHODS = frozenset(
    {"answerCallbackQuery", "sendChatAction", "deleteWebhook", "setMyCommands", "close"}
)
ERRORS = {
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
}


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class Failure:
    status: int
    retry_after: int | None = None


@dataclass
class TelegramStub:
    token: str
    username: str = "faq_test_bot"
    bot_id: int = 7000000001
    url: str = ""  # where it is served; set by whoever serves it
    calls: list[Call] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    _failures: dict[str, list[Failure]] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _message_id: int = 5000
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    waiting: int = 0  # sendMessage calls held by hold()

    def __post_init__(self) -> None:
        self._released.set()

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self._handle, methods=["POST"])])

    # --- what tests use ---

    def fail_next(self, method: str, status: int, *, retry_after: int | None = None) -> None:
        self._failures.setdefault(method, []).append(Failure(status, retry_after))

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def queue_update(self, update: dict[str, Any]) -> None:
        """Make `update` available to getUpdates (long polling)."""
        self._updates.append(update)
        self._arrived.set()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Parameters of the successful calls to `method`, in order."""
        return [call.params for call in self.calls if call.method == method and call.status == 200]

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]

    # --- the API ---

    async def _handle(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.path_params["method"]
        params = _decode(await request.body())
        if method == "sendMessage" and not self._released.is_set():
            self.waiting += 1
            await self._released.wait()
            self.waiting -= 1
        failures = self._failures.get(method)
        if failures:
            failure = failures.pop(0)
            self.calls.append(Call(method, params, failure.status))
            return _failure(failure)
        self.calls.append(Call(method, params))
        handler = getattr(self, f"_{method}", None)
        if handler is not None:
            return _ok(await handler(params))
        if method in TRUE_METHODS:
            return _ok(True)
        return _error(404, "Not Found")

    async def _getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        self._message_id += 1
        chat_id = int(params["chat_id"])
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        return {
            "message_id": self._message_id,
            "from": self._bot_user(),
            "chat": chat,
            "date": int(time.time()),
            "text": params["text"],
        }

    async def _setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    async def _deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    async def _getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if "allowed_updates" in self.webhook:
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset", 0))
        self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed
        if not self._updates:
            # Long polling, but short: a stopping test should not wait for the full timeout.
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                timeout = min(float(params.get("timeout", 0)), 0.3)
                await asyncio.wait_for(self._arrived.wait(), timeout)
        return list(self._updates)

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "Neuro FAQ",
            "username": self.username,
        }


def _decode(body: bytes) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(body.decode(), keep_blank_values=True))
    for name in JSON_FIELDS & params.keys():
        params[name] = json.loads(params[name])
    return params


def _ok(result: object) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(status: int, description: str, **parameters: int) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


def _failure(failure: Failure) -> JSONResponse:
    description = ERRORS.get(failure.status, "Bad Request").format(retry_after=failure.retry_after)
    if failure.retry_after is None:
        return _error(failure.status, description)
    return _error(failure.status, description, retry_after=failure.retry_after)
