"""The ASGI app: one webhook route per configured platform, plus a health check.

A webhook is acknowledged as soon as it is authenticated and parsed; answering happens after the
response (LINE counts anything slower than 2 s as a failure, Telegram retries on errors). A
failure while answering is logged with its traceback and the user still gets a reply where
possible; it never turns into a 5xx, which would only make the platform redeliver.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Protocol, cast, runtime_checkable

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.core import IncomingMessage, Reply, ReplyKind, WebhookRejected

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # bytes; a Telegram update or a LINE batch is a few kilobytes


class Webhook(Protocol):
    """What the web app needs from a platform adapter."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[IncomingMessage]: ...

    async def acknowledge(self, message: IncomingMessage) -> None: ...

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
) -> Starlette:
    """The app: webhooks by path, GET /healthz, and `pages` (the admin preview) if given."""

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
        Route(path, _receiver(responder, webhook), methods=["POST"])
        for path, webhook in webhooks.items()
    ]
    return Starlette(routes=routes, lifespan=lifespan)


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _receiver(responder: Responder, webhook: Webhook) -> Callable[[Request], Awaitable[Response]]:
    answers_inline = isinstance(webhook, AnswersInResponse) and webhook.answers_in_response
    inline = cast(AnswersInResponse, webhook) if answers_inline else None

    async def receive(request: Request) -> Response:
        body = await _read_limited(request)
        if body is None:
            return PlainTextResponse("request body too large", status_code=413)
        try:
            messages = webhook.parse(request.headers, body)
        except WebhookRejected as rejected:
            log.warning("webhook %s rejected: %s", request.url.path, rejected.reason)
            return PlainTextResponse(rejected.reason, status_code=rejected.status)
        if not messages:
            return PlainTextResponse("ok")
        if inline is not None and len(messages) == 1:
            return await _answer_in_response(responder, inline, messages[0])
        return PlainTextResponse(
            "ok", background=BackgroundTask(answer_all, responder, webhook, messages)
        )

    return receive


async def _answer_in_response(
    responder: Responder, webhook: AnswersInResponse, message: IncomingMessage
) -> Response:
    """Decide the reply before responding; the courtesy calls (button spinner) go after."""
    reply = await _decide(responder, message)
    call = None if reply.kind is ReplyKind.NONE else webhook.response_call(message, reply)
    if call is not None:
        return JSONResponse(call, background=BackgroundTask(webhook.acknowledge, message))
    sender = cast(Webhook, webhook)
    return PlainTextResponse("ok", background=BackgroundTask(_send, sender, message, reply))


async def _read_limited(request: Request) -> bytes | None:
    """The body, or None past MAX_BODY: platforms send kilobytes, so anything bigger is not
    theirs and must not fill the memory of every worker."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


async def answer_all(
    responder: Responder, webhook: Webhook, messages: list[IncomingMessage]
) -> None:
    for message in messages:
        await answer(responder, webhook, message)


async def answer(responder: Responder, webhook: Webhook, message: IncomingMessage) -> None:
    try:
        await webhook.acknowledge(message)
    except Exception:
        log.exception("acknowledging a %s message failed", message.platform)
    await _send(webhook, message, await _decide(responder, message), acknowledged=True)


async def _decide(responder: Responder, message: IncomingMessage) -> Reply:
    try:
        return await responder.handle(message)
    except Exception:
        log.exception("handling a %s message failed; sending the error reply", message.platform)
        return responder.error_reply(message)


async def _send(
    webhook: Webhook, message: IncomingMessage, reply: Reply, *, acknowledged: bool = False
) -> None:
    try:
        if not acknowledged:
            await webhook.acknowledge(message)
        if reply.kind is not ReplyKind.NONE:
            await webhook.send(message, reply)
    except Exception:
        log.exception("sending a %s reply failed", message.platform)
