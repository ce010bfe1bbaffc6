"""The ASGI app: one webhook route per configured platform, plus a health check.

A webhook is acknowledged as soon as it is authenticated and parsed; answering happens after the
response (LINE counts anything slower than 2 s as a failure, Telegram retries on errors). A
failure while answering is logged with its traceback and the user still gets a reply where
possible; it never turns into a 5xx, which would only make the platform redeliver.

The answering runs as the response's background task, inside the request's task: uvicorn waits
for it on shutdown (up to its graceful-shutdown timeout) before the lifespan closes the clients,
and log lines written while answering carry the request's id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Protocol, cast, runtime_checkable

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.core import NOTHING_TO_SEND, IncomingMessage, Reply, ReplyKind, WebhookRejected
from bot.logs import bind, request_id
from bot.metrics import Metrics

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # bytes; a Telegram update or a LINE batch is a few kilobytes
# Seconds before "typing..." is shown. Most replies are decided in milliseconds, and the typing
# call was one outbound request per message on top of the reply, about as costly as the reply.
TYPING_AFTER = 1.0
REQUEST_ID = "X-Request-ID"


class Webhook(Protocol):
    """What the web app needs from a platform adapter."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[IncomingMessage]: ...

    async def acknowledge(self, message: IncomingMessage) -> None:
        """What the platform expects for every message (Telegram: stop a button's spinner)."""
        ...

    async def show_typing(self, message: IncomingMessage) -> None:
        """A courtesy while a slow reply is worked on (typing dots, loading animation)."""
        ...

    async def send(self, message: IncomingMessage, reply: Reply) -> None: ...

    def chat_address(self, chat_id: str) -> str: ...

    async def push(self, address: str, reply: Reply) -> None: ...


@runtime_checkable
class AnswersInResponse(Protocol):
    """A webhook that can carry a reply in its HTTP response (Telegram: a Bot API method call
    as the response body). Saves an outbound request per reply; the price is that nobody
    learns whether it was delivered."""

    answers_in_response: bool

    def response_call(self, message: IncomingMessage, reply: Reply) -> dict[str, object] | None:
        """The reply as one method call, or None when it needs more (several messages)."""
        ...


class Responder(Protocol):
    async def handle(self, message: IncomingMessage) -> Reply: ...

    def error_reply(self, message: IncomingMessage) -> Reply: ...


def create_app(
    responder: Responder,
    webhooks: Mapping[str, Webhook],
    *,
    on_startup: Sequence[Callable[[], Awaitable[None]]] = (),
    on_shutdown: Sequence[Callable[[], Awaitable[None]]] = (),
    pages: Sequence[Route] = (),
    metrics: Metrics | None = None,
    max_body: int = MAX_BODY,
    typing_after: float = TYPING_AFTER,
) -> Starlette:
    """The app: webhooks by path, GET /healthz, and `pages` (the admin preview, /metrics) if
    given. Without `metrics` the app counts into a registry nobody reads."""
    counted = metrics or Metrics(CollectorRegistry())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for hook in on_startup:
            await hook()
        started: list[Webhook] = []
        try:
            for webhook in webhooks.values():
                await webhook.start()
                started.append(webhook)
            yield
        finally:
            for webhook in reversed(started):
                await webhook.stop()
            for hook in on_shutdown:
                await hook()

    routes = [Route("/healthz", healthz, methods=["GET"]), *pages]
    routes += [
        Route(
            path, _receiver(responder, webhook, counted, max_body, typing_after), methods=["POST"]
        )
        for path, webhook in webhooks.items()
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _receiver(
    responder: Responder, webhook: Webhook, metrics: Metrics, max_body: int, typing_after: float
) -> Callable[[Request], Awaitable[Response]]:
    answers_inline = isinstance(webhook, AnswersInResponse) and webhook.answers_in_response
    inline = cast(AnswersInResponse, webhook) if answers_inline else None

    async def receive(request: Request) -> Response:
        platform = request.url.path.strip("/").partition("/")[0]
        rid = request_id(request.headers.get(REQUEST_ID))
        bind(request_id=rid, platform=platform)
        headers = {REQUEST_ID: rid}
        body = await _read_limited(request, max_body)
        if body is None:
            metrics.updated(platform, "too_large")
            return PlainTextResponse("request body too large", status_code=413, headers=headers)
        try:
            messages = webhook.parse(request.headers, body)
        except WebhookRejected as rejected:
            metrics.updated(platform, rejected.outcome)
            log.warning("webhook %s rejected: %s", request.url.path, rejected.reason)
            return PlainTextResponse(rejected.reason, status_code=rejected.status, headers=headers)
        if not messages:
            return PlainTextResponse("ok", headers=headers)
        if inline is not None and len(messages) == 1:
            return await _answer_in_response(responder, inline, messages[0], metrics, headers)
        answering = BackgroundTask(
            answer_all, responder, webhook, messages, metrics, typing_after=typing_after
        )
        return PlainTextResponse("ok", headers=headers, background=answering)

    return receive


async def _read_limited(request: Request, max_body: int) -> bytes | None:
    """The body, or None past `max_body`: platforms send kilobytes, so anything bigger is not
    theirs and must not fill the memory of every worker."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_body:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_body:
            return None
    return bytes(body)


async def answer_all(
    responder: Responder,
    webhook: Webhook,
    messages: list[IncomingMessage],
    metrics: Metrics | None = None,
    *,
    typing_after: float = TYPING_AFTER,
) -> None:
    for message in messages:
        await answer(responder, webhook, message, metrics, typing_after=typing_after)


async def answer(
    responder: Responder,
    webhook: Webhook,
    message: IncomingMessage,
    metrics: Metrics | None = None,
    *,
    typing_after: float = TYPING_AFTER,
) -> None:
    await _acknowledge(webhook, message)
    typing = asyncio.create_task(_typing_later(webhook, message, typing_after))
    try:
        reply, outcome = await _decide(responder, message, metrics)
    finally:
        # Once the reply is decided it is on its way; "typing..." after it would be wrong.
        typing.cancel()
    await _finish(webhook, message, reply, outcome, metrics)


async def _answer_in_response(
    responder: Responder,
    webhook: AnswersInResponse,
    message: IncomingMessage,
    metrics: Metrics,
    headers: Mapping[str, str],
) -> Response:
    """Decide the reply before responding; the courtesy calls (button spinner) go after."""
    reply, outcome = await _decide(responder, message, metrics)
    call = None if reply.kind in NOTHING_TO_SEND else webhook.response_call(message, reply)
    sender = cast(Webhook, webhook)
    if call is not None:
        metrics.updated(message.platform, outcome)
        metrics.replied(message.platform, reply.kind.value)
        acknowledging = BackgroundTask(_acknowledge, sender, message)
        return JSONResponse(call, headers=dict(headers), background=acknowledging)
    finishing = BackgroundTask(_finish, sender, message, reply, outcome, metrics, ack=True)
    return PlainTextResponse("ok", headers=dict(headers), background=finishing)


async def _acknowledge(webhook: Webhook, message: IncomingMessage) -> None:
    try:
        await webhook.acknowledge(message)
    except Exception:
        log.exception("acknowledging a %s message failed", message.platform)


async def _typing_later(webhook: Webhook, message: IncomingMessage, delay: float) -> None:
    await asyncio.sleep(delay)
    try:
        await webhook.show_typing(message)
    except Exception:
        log.exception("showing typing on %s failed", message.platform)


async def _decide(
    responder: Responder, message: IncomingMessage, metrics: Metrics | None
) -> tuple[Reply, str]:
    """The reply and the outcome /metrics counts if it is sent."""
    started = time.perf_counter()
    try:
        reply = await responder.handle(message)
    except Exception:
        log.exception("handling a %s message failed; sending the error reply", message.platform)
        return responder.error_reply(message), "error"
    if metrics:
        metrics.handled(message.platform, time.perf_counter() - started)
    return reply, "answered"


async def _finish(
    webhook: Webhook,
    message: IncomingMessage,
    reply: Reply,
    outcome: str,
    metrics: Metrics | None,
    *,
    ack: bool = False,
) -> None:
    if ack:
        await _acknowledge(webhook, message)
    outcome = await _send(webhook, message, reply, outcome)
    if metrics:
        metrics.updated(message.platform, outcome)
        if outcome in ("answered", "error"):
            metrics.replied(message.platform, reply.kind.value)


async def _send(webhook: Webhook, message: IncomingMessage, reply: Reply, outcome: str) -> str:
    if reply.kind in NOTHING_TO_SEND:
        return "duplicate" if reply.kind is ReplyKind.DUPLICATE else "silent"
    try:
        await webhook.send(message, reply)
    except Exception:
        log.exception("sending a %s reply failed", message.platform)
        return "send_failed"
    return outcome
