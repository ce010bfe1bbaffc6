"""The web app's contract with adapters, using a recording webhook instead of a platform."""

from collections.abc import Mapping

import httpx

from bot.core import IncomingMessage, Reply, ReplyKind, WebhookRejected
from bot.dialog import Dialog
from bot.web import create_app
from tests.support import eventually, serving


class RecordingWebhook:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.sent: list[Reply] = []

    async def start(self) -> None:
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[IncomingMessage]:
        if headers.get("x-secret") != "ok":
            raise WebhookRejected(403, "bad secret")
        if not body:
            return []
        return [IncomingMessage("test", "u1", line) for line in body.decode().splitlines()]

    async def acknowledge(self, message: IncomingMessage) -> None:
        self.events.append("ack")

    async def show_typing(self, message: IncomingMessage) -> None:
        self.events.append("typing")

    async def send(self, message: IncomingMessage, reply: Reply) -> None:
        self.sent.append(reply)


class Exploding:
    def __init__(self, dialog: Dialog) -> None:
        self.dialog = dialog

    async def handle(self, message: IncomingMessage) -> Reply:
        raise RuntimeError("boom")

    def error_reply(self, message: IncomingMessage) -> Reply:
        return self.dialog.error_reply(message)


async def test_lifespan_starts_and_stops_webhooks(dialog: Dialog):
    webhook = RecordingWebhook()
    async with (
        serving(create_app(dialog, {"/hook": webhook})) as url,
        httpx.AsyncClient() as client,
    ):
        assert webhook.events == ["start"]
        assert (await client.get(f"{url}/healthz")).json() == {"status": "ok"}
    assert webhook.events == ["start", "stop"]


async def test_messages_are_answered_after_acknowledging(dialog: Dialog):
    webhook = RecordingWebhook()
    async with (
        serving(create_app(dialog, {"/hook": webhook})) as url,
        httpx.AsyncClient() as client,
    ):
        headers = {"x-secret": "ok"}
        response = await client.post(
            f"{url}/hook", content="what is an EMG test\nthanks", headers=headers
        )
        assert response.status_code == 200
        await eventually(lambda: len(webhook.sent) == 2)
    assert [reply.kind for reply in webhook.sent] == [ReplyKind.ANSWER, ReplyKind.SMALLTALK]
    assert webhook.events.count("ack") == 2


async def test_rejected_requests_get_the_adapters_status(dialog: Dialog):
    webhook = RecordingWebhook()
    async with (
        serving(create_app(dialog, {"/hook": webhook})) as url,
        httpx.AsyncClient() as client,
    ):
        assert (
            await client.post(f"{url}/hook", content="hi", headers={"x-secret": "no"})
        ).status_code == 403
        assert (
            await client.post(f"{url}/hook", content="", headers={"x-secret": "ok"})
        ).status_code == 200
        assert (await client.get(f"{url}/hook")).status_code == 405
    assert webhook.sent == []


async def test_a_crash_while_answering_still_answers_and_returns_200(dialog: Dialog):
    webhook = RecordingWebhook()
    async with (
        serving(create_app(Exploding(dialog), {"/hook": webhook})) as url,
        httpx.AsyncClient() as client,
    ):
        response = await client.post(f"{url}/hook", content="肌肉跳", headers={"x-secret": "ok"})
        assert response.status_code == 200
        await eventually(lambda: len(webhook.sent) == 1)
    [reply] = webhook.sent
    assert reply.kind is ReplyKind.FALLBACK
    assert reply.locale == "zh-TW"


async def test_an_oversized_body_is_refused_without_reading_it_all(dialog: Dialog):
    webhook = RecordingWebhook()
    async with (
        serving(create_app(dialog, {"/hook": webhook})) as url,
        httpx.AsyncClient() as client,
    ):
        response = await client.post(
            f"{url}/hook", content=b"x" * (2 * 1024 * 1024), headers={"x-secret": "ok"}
        )
    assert response.status_code == 413
    assert webhook.sent == []


async def test_the_body_limit_is_a_setting_and_holds_for_streamed_bodies(dialog: Dialog):
    webhook = RecordingWebhook()
    app = create_app(dialog, {"/hook": webhook}, max_body=1000)

    async def chunks(total: int):
        for _ in range(total // 100):
            yield b"x" * 100

    async with serving(app) as url, httpx.AsyncClient() as client:
        headers = {"x-secret": "ok"}
        declared = await client.post(f"{url}/hook", content=b"x" * 1001, headers=headers)
        # No Content-Length: sent chunked, so only counting the bytes can stop it.
        streamed = await client.post(f"{url}/hook", content=chunks(5000), headers=headers)
        assert "content-length" not in streamed.request.headers
        within = await client.post(f"{url}/hook", content=chunks(900), headers=headers)
    assert (declared.status_code, streamed.status_code, within.status_code) == (413, 413, 200)
    assert streamed.headers["X-Request-ID"]
