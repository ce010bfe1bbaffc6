"""The parts bench/load.py and the fault runs share: the processes on loopback, the ledger that
matches replies at the stub to the updates they answer, and delivery the way a platform does it.

Processes: a real redis-server, the stub APIs (bench/load_stub.py, its own process) and the web
app as it is deployed (`main.py serve --workers N`), all on 127.0.0.1 at free ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.load_traffic import LINE_SECRET, TELEGRAM_SECRET, Update, User
from tests.redis_server import RedisServer
from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
REDELIVERY_PAUSE = 0.2  # seconds; platforms wait longer, but the outcome is the same
MAX_DELIVERIES = 8


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of running the web app, compared side by side."""

    name: str
    workers: int = 1
    loop: str = "asyncio"
    http: str = "h11"
    env: tuple[tuple[str, str], ...] = ()


@dataclass
class Ledger:
    """Every update sent and every reply seen, matched to each other."""

    idle: deque[User] = field(default_factory=deque)
    by_token: dict[str, Update] = field(default_factory=dict)  # LINE reply token -> update
    by_chat: dict[str, User] = field(default_factory=dict)
    stray: int = 0  # replies for a user with nothing outstanding: duplicates
    failures_served: int = 0  # requests the stub failed on purpose (each one a retry or a loss)
    http_errors: int = 0  # webhook requests answered 5xx or not at all (then redelivered)
    server_errors: int = 0  # of which answered 5xx: the app must never do that
    rejected: int = 0  # webhook requests answered 4xx
    updates: list[Update] = field(default_factory=list)  # every distinct update sent

    def add_users(self, users: list[User]) -> None:
        for user in users:
            self.by_chat[user.chat] = user
            self.idle.append(user)

    def sent(self, update: Update) -> None:
        self.updates.append(update)
        update.user.waiting = update
        update.user.pending.append(update)
        if update.path.startswith("/line"):
            self.by_token[update.reply_key] = update

    def reply(self, kind: str, key: str, at: float) -> None:
        if kind == "xf":
            self.failures_served += 1
            return
        if kind == "lr":
            update = self.by_token.get(key)
            user = update.user if update else None
        else:
            user = self.by_chat.get(key)
            update = user.pending[0] if user and user.pending else None
        if update is None or user is None:
            self.stray += 1
            return
        update.replies += 1
        if update.replies == 1:
            update.answered_at = at
            with contextlib.suppress(ValueError):
                user.pending.remove(update)
            if user.waiting is update:
                user.waiting = None
                self.idle.append(user)


async def read_replies(stream: asyncio.StreamReader, ledger: Ledger) -> None:
    while line := await stream.readline():
        kind, key, at = line.decode().split()
        ledger.reply(kind, key, float(at))


async def deliver(
    session: aiohttp.ClientSession, base: str, update: Update, ledger: Ledger, latencies: list
) -> None:
    """POST like the platform: a 5xx or a broken connection means try again later."""
    update.sent_at = time.monotonic()
    for _ in range(MAX_DELIVERIES):
        started = time.monotonic()
        try:
            async with session.post(
                base + update.path, data=update.body, headers=update.headers
            ) as r:
                status, body = r.status, await r.read()
        except (TimeoutError, aiohttp.ClientError):
            status, body = 0, b""
        if status == 200:
            latencies.append(time.monotonic() - started)
            _count_inline_reply(body, update, ledger)
            return
        if 400 <= status < 500:
            ledger.rejected += 1
            return
        ledger.http_errors += 1
        ledger.server_errors += status >= 500
        await asyncio.sleep(REDELIVERY_PAUSE)


def _count_inline_reply(body: bytes, update: Update, ledger: Ledger) -> None:
    """A Telegram reply can ride in the webhook response as a Bot API method call."""
    if not body.startswith(b"{"):
        return
    call = json.loads(body)
    if call.get("method") == "sendMessage":
        ledger.reply("tg", str(call["chat_id"]), time.monotonic())


@dataclass
class Running:
    base: str
    stub_base: str
    app: asyncio.subprocess.Process
    redis: RedisServer
    stub_reader: asyncio.Task

    def app_pids(self) -> list[int]:
        return [self.app.pid, *self.worker_pids()]

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes under the app (none when it runs in one process)."""
        path = Path(f"/proc/{self.app.pid}/task/{self.app.pid}/children")
        try:
            pids = [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []
        return [pid for pid in pids if _is_worker(pid)]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _is_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"spawn_main" in command  # not the resource tracker, also a child


def app_env(variant: Variant, stub: str, redis_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123456:bench",
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE_URL": f"{stub}/bot",
        "LINE_CHANNEL_SECRET": LINE_SECRET,
        "LINE_CHANNEL_ACCESS_TOKEN": "bench-access-token",
        "LINE_API_BASE_URL": stub,
        "REDIS_URL": redis_url,
        "USER_HASH_KEY": "bench-user-hash-key",
        "LOG_LEVEL": "WARNING",
        "NO_PROXY": "127.0.0.1,localhost",
        # The lexical matcher unless a variant asks for the embedding stage (~8 ms a query).
        "MATCHER_SEMANTIC": "off",
    }
    env.update(dict(variant.env))
    return env


@contextlib.asynccontextmanager
async def running(variant: Variant, ledger: Ledger, log: Path) -> AsyncIterator[Running]:
    redis = RedisServer().start()
    stub_port, app_port = free_port(), free_port()
    stub_base, base = f"http://127.0.0.1:{stub_port}", f"http://127.0.0.1:{app_port}"
    stub = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.load_stub", "--port", str(stub_port),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert stub.stdout is not None
    reader = asyncio.create_task(read_replies(stub.stdout, ledger))
    command = [sys.executable, "main.py", "serve", "--host", "127.0.0.1", "--port", str(app_port)]
    command += ["--workers", str(variant.workers), "--loop", variant.loop, "--http", variant.http]
    with log.open("ab") as output:
        app = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=app_env(variant, stub_base, redis.url),
            stdout=output, stderr=output,
        )  # fmt: skip
    try:
        await wait_until_up(base, app)
        await wait_until_up(stub_base, stub, path="/control", method="GET")
        run = Running(base, stub_base, app, redis, reader)
        yield run
        redis = run.redis  # a fault may have replaced it
    finally:
        for process in (app, stub):
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), 15)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        reader.cancel()
        redis.stop()


async def wait_until_up(
    base: str, process: asyncio.subprocess.Process, path: str = "/healthz", method: str = "GET"
) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"{path} server exited with {process.returncode}")
            with contextlib.suppress(aiohttp.ClientError):
                async with session.request(method, base + path) as response:
                    if response.status < 500:
                        return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{base} did not come up")


async def control_stub(base: str, **order: float) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{base}/control", json=order) as response,
    ):
        response.raise_for_status()
