"""Faults under load (`python -m bench.load --faults`): what survives, as a table.

Each scenario starts the deployed app afresh (two workers) with Redis and the stub APIs,
offers a modest steady load, and does one bad thing in the middle of it:

    redis restart   redis-server killed, restarted on the same port 2 s later
    api 429         the stub answers sendMessage and LINE replies 429 (retry_after 1) for 1.5 s
    api 5xx         the same with 502
    duplicates      every update delivered twice at once, some a third time later
    out of order    pairs of a user's updates delivered newest first
    worker stopped  one uvicorn worker gets SIGTERM (graceful); the other keeps serving
    worker killed   one uvicorn worker gets SIGKILL mid-load (a crash)

Lost and duplicated count after redelivery: the generator re-sends what got a 5xx or no
response, as Telegram, LINE and load balancers do. tests/test_faults.py runs the same
scenarios briefly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from bench.load import Step, offer
from bench.load_harness import ROOT, Ledger, Running, Variant, control_stub, deliver, running
from bench.load_traffic import Phrasebook, Traffic, Update
from tests.redis_server import RedisServer

WORKERS = Variant("2 workers", 2, "uvloop", "httptools")
Fault = Callable[[Running, "Load"], Awaitable[str]]


@dataclass
class Load:
    session: aiohttp.ClientSession
    ledger: Ledger
    traffic: Traffic
    rate: int
    seconds: float


@dataclass
class Outcome:
    scenario: str
    updates: int
    lost: int
    duplicated: int
    redelivered: int  # webhook requests that got a 5xx or no answer and were sent again
    server_errors: int  # of which the app answered 5xx
    failures_served: int  # stub answers that were 429/5xx on purpose (each one a retry)
    alive: bool
    note: str


async def run_all(names: list[str], rate: int, seconds: float, log: Path) -> list[Outcome]:
    """One deployment, the scenarios one after the other (the worker ones last: they change
    it), each judged on the updates sent during it."""
    ledger = Ledger()
    traffic = Traffic(Phrasebook.from_faq(ROOT / "faq"))
    ledger.add_users(traffic.users(4000))
    outcomes = []
    async with (
        running(WORKERS, ledger, log) as app,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session,
    ):
        load = Load(session, ledger, traffic, rate, seconds)
        for name in names:
            before = (
                len(ledger.updates),
                ledger.stray,
                ledger.http_errors,
                ledger.failures_served,
                ledger.server_errors,
            )
            note = await SCENARIOS[name](app, load)
            await asyncio.sleep(1.0)  # late duplicates
            alive = app.app.returncode is None and await _healthy(session, app.base)
            updates = ledger.updates[before[0] :]
            outcomes.append(
                Outcome(
                    name,
                    len(updates),
                    sum(1 for update in updates if not update.replies),
                    sum(update.replies - 1 for update in updates if update.replies > 1)
                    + ledger.stray
                    - before[1],
                    ledger.http_errors - before[2],
                    ledger.server_errors - before[4],
                    ledger.failures_served - before[3],
                    alive,
                    note,
                )
            )
            print(table(outcomes[-1:]).splitlines()[1], flush=True)
    return outcomes


async def _healthy(session: aiohttp.ClientSession, base: str) -> bool:
    with contextlib.suppress(aiohttp.ClientError):
        async with session.get(f"{base}/healthz") as response:
            return response.status == 200
    return False


async def steady(load: Load, base: str, seconds: float | None = None) -> Step:
    return await offer(
        load.session, base, load.ledger, load.traffic, load.rate, seconds or load.seconds
    )


async def during(load: Load, base: str, at: float, action: Callable[[], Awaitable[str]]) -> str:
    """Run the steady load, and `action` `at` seconds into it."""
    step = asyncio.create_task(steady(load, base))
    await asyncio.sleep(at)
    note = await action()
    await step
    return note


# --- the scenarios ---


async def redis_restart(app: Running, load: Load) -> str:
    async def restart() -> str:
        port = app.redis.port
        app.redis.stop()
        await asyncio.sleep(2.0)
        app.redis = RedisServer(port=port).start()
        return ""

    await during(load, app.base, load.seconds / 3, restart)
    # The store leaves a failed Redis alone for 2 s (bot/resilience.py) before trying again.
    await asyncio.sleep(2.5)
    # After the restart: a new session is written and read back, and dedupe works again.
    user = load.ledger.idle.popleft()
    first = load.traffic.next_for(user)
    load.ledger.sent(first)
    await deliver(load.session, app.base, first, load.ledger, [])
    await deliver(load.session, app.base, first, load.ledger, [])  # a redelivery
    await asyncio.sleep(1.0)
    client = Redis.from_url(app.redis.url)
    try:
        sessions = len([key async for key in client.scan_iter(match="*session:*")])
    finally:
        await client.aclose()
    return f"{sessions} sessions in the restarted Redis; redelivery after it answered once"


def api_failure(status: int) -> Fault:
    async def fail(app: Running, load: Load) -> str:
        async def start() -> str:
            await control_stub(app.stub_base, status=status, seconds=1.5, retry_after=1)
            return ""

        await during(load, app.base, load.seconds / 3, start)
        return f"{status} for 1.5 s"

    return fail


async def duplicates(app: Running, load: Load) -> str:
    again = random.Random(3)

    async def twice(update: Update) -> None:
        first = deliver(load.session, app.base, update, load.ledger, [])
        second = deliver(load.session, app.base, update, load.ledger, [])
        await asyncio.gather(first, second)
        if again.random() < 0.2:
            await asyncio.sleep(0.3)
            await deliver(load.session, app.base, update, load.ledger, [])

    return await _custom(app, load, twice, "each update 2x at once, 20 % a 3rd time later")


async def out_of_order(app: Running, load: Load) -> str:
    async def newest_first(update: Update) -> None:
        older = update
        newer = load.traffic.next_for(update.user)
        load.ledger.sent(newer)
        await deliver(load.session, app.base, newer, load.ledger, [])
        await deliver(load.session, app.base, older, load.ledger, [])

    return await _custom(app, load, newest_first, "pairs per user, newer delivered first")


async def _custom(
    app: Running, load: Load, send: Callable[[Update], Awaitable[None]], note: str
) -> str:
    tasks = []
    for _ in range(int(load.rate * load.seconds / 2)):
        update = load.traffic.next_for(load.ledger.idle.popleft())
        load.ledger.sent(update)
        tasks.append(asyncio.create_task(send(update)))
        await asyncio.sleep(2 / load.rate)
    await asyncio.gather(*tasks)
    await asyncio.sleep(1.5)
    return note


def worker_signal(sign: signal.Signals) -> Fault:
    async def stop(app: Running, load: Load) -> str:
        async def send_signal() -> str:
            workers = app.worker_pids()
            if not workers:
                return "no worker found"
            os.kill(workers[0], sign)
            return f"{sign.name} to worker {workers[0]} of {len(workers)}"

        return await during(load, app.base, load.seconds / 3, send_signal)

    return stop


SCENARIOS: dict[str, Fault] = {
    "redis restart": redis_restart,
    "api 429": api_failure(429),
    "api 5xx": api_failure(502),
    "duplicates": duplicates,
    "out of order": out_of_order,
    "worker stopped": worker_signal(signal.SIGTERM),
    "worker killed": worker_signal(signal.SIGKILL),
}


def table(outcomes: list[Outcome]) -> str:
    lines = [
        f"{'scenario':<15} {'updates':>7} {'lost':>5} {'dup':>4} {'redelivered':>11} {'5xx':>4} "
        f"{'API errors served':>17} {'alive':>5}  note"
    ]
    for o in outcomes:
        lines.append(
            f"{o.scenario:<15} {o.updates:>7} {o.lost:>5} {o.duplicated:>4} {o.redelivered:>11} "
            f"{o.server_errors:>4} "
            f"{o.failures_served:>17} {'yes' if o.alive else 'NO':>5}  {o.note}"
        )
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    rate = int(args.rates.split(",")[0]) if args.rates != "100,200,400,600,800,1000" else 60
    chosen = args.scenarios.split(",") if args.scenarios else list(SCENARIOS)
    print(f"fault scenarios at {rate} updates/s for {args.seconds:g} s each, 2 workers")
    print(table([]))
    outcomes = await run_all(chosen, rate, args.seconds, Path(args.log))
    print("\n" + table(outcomes))
