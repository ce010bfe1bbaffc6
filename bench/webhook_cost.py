"""CPU per webhook update, in one process: the real app, driven without an HTTP server.

    python -m bench.webhook_cost                   2,000 updates, 32 at a time, mixed traffic
    python -m bench.webhook_cost --updates 5000 --concurrency 64 --profile
    python -m bench.webhook_cost --env TELEGRAM_REPLY_IN_RESPONSE=true

The app is built by main.build_app with Redis (a real redis-server) and the lean stub APIs of
bench/load_stub.py, both in processes of their own, so the CPU time this process uses is the
app's: parsing, dialog, Redis client, sending through the SDKs. Requests go straight into the
ASGI app (no uvicorn, no sockets on the inbound side), and each call returns once the reply is
sent (Starlette runs the background task before the call ends). The traffic is bench/load.py's
mix of Telegram and LINE users. It prints CPU microseconds per update, the Redis commands per
update (INFO commandstats) and with --profile the cProfile time by area; a change to the hot
path can be measured in seconds, side by side, without the noise of the full load run.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as `python bench/webhook_cost.py`
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.load_harness import app_env  # noqa: E402
from bench.load_profile import AREAS  # noqa: E402
from bench.load_traffic import Phrasebook, Traffic, Update  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.support import free_port  # noqa: E402

Message = dict[str, Any]
PROFILE = Path("/tmp/bench-webhook-cost.prof")


async def call(app: Any, update: Update) -> int:
    """One webhook request through the ASGI app; returns the status."""
    headers = [(k.lower().encode(), v.encode()) for k, v in update.headers.items()]
    headers.append((b"content-length", str(len(update.body)).encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": update.path, "raw_path": update.path.encode(),
        "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    body_sent = False
    status = 0

    async def receive() -> Message:
        nonlocal body_sent
        if body_sent:
            await asyncio.sleep(3600)  # a client that stays connected
        body_sent = True
        return {"type": "http.request", "body": update.body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


class Lifespan:
    """Runs the app's startup and shutdown the way a server does."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._outbox: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self._task = asyncio.create_task(self._app(scope, self._inbox.get, self._outbox.put))
        await self._inbox.put({"type": "lifespan.startup"})
        answer = await self._outbox.get()
        if answer["type"] != "lifespan.startup.complete":
            raise RuntimeError(f"app did not start: {answer}")

    async def __aexit__(self, *exc: object) -> None:
        await self._inbox.put({"type": "lifespan.shutdown"})
        await self._outbox.get()
        if self._task is not None:
            await self._task


def updates_for(count: int, users: int) -> list[list[Update]]:
    """`count` updates in rounds; within a round every user has at most one (as people wait)."""
    traffic = Traffic(Phrasebook.from_faq(ROOT / "faq"))
    people = traffic.users(users)
    made = [traffic.next_for(people[n % users]) for n in range(count)]
    return [made[start : start + users] for start in range(0, count, users)]


async def drive(app: Any, rounds: list[list[Update]], concurrency: int) -> Counter[int]:
    statuses: Counter[int] = Counter()
    gate = asyncio.Semaphore(concurrency)

    async def one(update: Update) -> None:
        async with gate:
            statuses[await call(app, update)] += 1

    for batch in rounds:
        await asyncio.gather(*(one(update) for update in batch))
    return statuses


def redis_calls(url: str) -> Counter[str]:
    stats = redis.Redis.from_url(url).info("commandstats")
    return Counter({name.removeprefix("cmdstat_"): row["calls"] for name, row in stats.items()})


def area_times(profile: cProfile.Profile) -> list[tuple[str, float]]:
    """Own time per area, the same areas as the py-spy summary of bench/load.py."""
    stats = pstats.Stats(profile)
    areas: Counter[str] = Counter()
    for (file, line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        frame = f"{name} ({file}:{line})"
        area = next((a for a, p in AREAS.items() if re.search(p, frame)), "other")
        if area == "other" and "/bot/" in file:
            area = f"bot: {Path(file).name}"
        elif area == "other":
            area = f"other: {_package(file)}"
        areas[area] += row[2]  # tottime
    return areas.most_common()


def _package(file: str) -> str:
    """site-packages/redis/asyncio/x.py -> redis; builtins keep their name."""
    if "site-packages/" in file:
        return file.partition("site-packages/")[2].split("/")[0]
    if "/python3" in file:
        return "stdlib " + Path(file).name
    return file


async def measure(args: argparse.Namespace) -> None:
    from bot.logs import configure_logging
    from bot.settings import Settings
    from main import build_app  # after the environment is set: Settings reads it

    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_level, "json")  # as each served worker does
    app = build_app(settings)
    rounds = updates_for(args.warmup + args.updates, args.users)
    warm_rounds = args.warmup // args.users
    async with Lifespan(app):
        await drive(app, rounds[:warm_rounds], args.concurrency)
        measured = rounds[warm_rounds:]
        count = sum(len(batch) for batch in measured)
        before = redis_calls(os.environ["REDIS_URL"])
        profile = cProfile.Profile() if args.profile else None
        started_cpu, started = time.process_time(), time.perf_counter()
        if profile:
            profile.enable()
        statuses = await drive(app, measured, args.concurrency)
        if profile:
            profile.disable()
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
        after = redis_calls(os.environ["REDIS_URL"])
    commands = after - before
    commands["info"] = 0
    print(f"{count} updates, {args.concurrency} at a time; statuses {dict(statuses)}")
    print(
        f"CPU per update: {cpu / count * 1e6:,.0f} µs   (wall {wall:.2f} s, {count / wall:.0f}/s)"
    )
    per_update = sum(commands.values()) / count
    detail = ", ".join(f"{name} {n / count:.2f}" for name, n in commands.most_common() if n)
    print(f"Redis commands per update: {per_update:.2f}  ({detail})")
    if profile:
        total = sum(seconds for _, seconds in area_times(profile)) or 1.0
        print("cProfile own time by area (profiling slows everything, shares are what count):")
        for area, seconds in area_times(profile)[:25]:
            print(f"  {seconds / total:6.1%}  {area}")
        profile.dump_stats(PROFILE)
        print(f"raw profile: {PROFILE} (python -m pstats)")


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--updates", type=int, default=2000)
    arguments.add_argument("--warmup", type=int, default=400)
    arguments.add_argument("--users", type=int, default=200)
    arguments.add_argument("--concurrency", type=int, default=32)
    arguments.add_argument("--profile", action="store_true", help="cProfile by area")
    arguments.add_argument("--env", action="append", default=[], help="NAME=value for the app")
    args = arguments.parse_args()
    redis_server = RedisServer().start()
    port = free_port()
    stub = subprocess.Popen(
        [sys.executable, "-m", "bench.load_stub", "--port", str(port)],
        cwd=ROOT, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for(port)
        from bench.load_harness import Variant

        variant = Variant("bench", env=tuple(tuple(e.split("=", 1)) for e in args.env))
        os.environ.update(app_env(variant, f"http://127.0.0.1:{port}", redis_server.url))
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        asyncio.run(measure(args))
    finally:
        stub.terminate()
        stub.wait()
        redis_server.stop()


def _wait_for(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the stub API did not come up")


if __name__ == "__main__":
    main()
