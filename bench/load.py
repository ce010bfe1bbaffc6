"""Load benchmark: the web app as deployed, signed webhooks at rising rates, every reply counted.

    python -m bench.load                          every variant, rates 100..1000 updates/s
    python -m bench.load --variants w1,w2 --rates 200,500 --seconds 5
    python -m bench.load --faults                 the fault table (bench/load_faults.py)

For each variant (worker count, event loop, HTTP parser, settings) it starts redis-server, the
stub APIs and `main.py serve`, then offers updates open-loop at each rate for a few seconds
from thousands of simulated users (each waits for its reply before writing again, as people do).
Per step it prints the offered rate, updates answered per second, webhook latency (the HTTP
response) and end-to-end latency (update sent -> reply at the stub), and replies lost and
duplicated: every update must get exactly one reply. The generator, the stubs and Redis share
the machine with the app, so the figures are a floor for the app alone.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as `python bench/load.py`
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.load_harness import Ledger, Variant, cpu_seconds, deliver, running  # noqa: E402
from bench.load_profile import record, summarise  # noqa: E402
from bench.load_traffic import Phrasebook, Traffic, Update  # noqa: E402

FAST_LOOP = ("uvloop", "httptools")
INLINE = (("TELEGRAM_REPLY_IN_RESPONSE", "true"),)
SEMANTIC = (("MATCHER_SEMANTIC", "use"),)  # the embedding re-rank (needs the semantic extra)
VARIANTS = {
    "w1-asyncio": Variant("1 worker, asyncio + h11"),
    "w1": Variant("1 worker, uvloop + httptools", 1, "uvloop", "httptools"),
    "w2": Variant("2 workers, uvloop + httptools", 2, "uvloop", "httptools"),
    "w1-inline": Variant("1 worker, fast, Telegram reply in response", 1, *FAST_LOOP, INLINE),
    "w2-inline": Variant("2 workers, fast, Telegram reply in response", 2, *FAST_LOOP, INLINE),
    "w2-semantic": Variant("2 workers, fast, semantic re-rank", 2, *FAST_LOOP, SEMANTIC),
}
DRAIN_SECONDS = 10.0
PROFILE = Path("/tmp/bench-load-profile.txt")


@dataclass
class Step:
    offered: int
    seconds: float
    updates: list[Update]
    webhook: list[float]
    starved: int  # updates not sent because every user was still waiting for a reply
    app_cpu: float = 0.0  # CPU seconds the app's processes used in the step and its drain

    @property
    def answered(self) -> list[Update]:
        return [update for update in self.updates if update.replies]

    @property
    def throughput(self) -> float:
        end = min(update.sent_at for update in self.updates) + self.seconds if self.updates else 0
        in_time = [u for u in self.answered if u.answered_at is not None and u.answered_at <= end]
        return len(in_time) / self.seconds

    @property
    def lost(self) -> int:
        return sum(1 for update in self.updates if not update.replies)

    @property
    def duplicated(self) -> int:
        return sum(update.replies - 1 for update in self.updates if update.replies > 1)

    @property
    def end_to_end(self) -> list[float]:
        return [u.answered_at - u.sent_at for u in self.answered if u.answered_at is not None]

    def holds(self) -> bool:
        return (
            self.throughput >= 0.97 * self.offered
            and percentile(self.webhook, 99) <= 0.100
            and self.lost == 0
            and self.duplicated == 0
        )


async def offer(
    session: aiohttp.ClientSession,
    base: str,
    ledger: Ledger,
    traffic: Traffic,
    rate: int,
    seconds: float,
) -> Step:
    """Send `rate` updates a second for `seconds`, open loop, then wait for the last replies."""
    step = Step(rate, seconds, [], [], 0)
    tasks: set[asyncio.Task] = set()
    start = time.monotonic()
    due_so_far = 0
    while (now := time.monotonic()) - start < seconds:
        due = int(rate * (now - start)) - due_so_far
        due_so_far += due
        for _ in range(due):
            if not ledger.idle:
                step.starved += 1
                continue
            update = traffic.next_for(ledger.idle.popleft())
            ledger.sent(update)
            step.updates.append(update)
            task = asyncio.create_task(deliver(session, base, update, ledger, step.webhook))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.sleep(0.002)
    await drain(step, tasks)
    return step


async def drain(step: Step, tasks: set[asyncio.Task]) -> None:
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline and (tasks or step.lost):  # noqa: ASYNC110 (polls a count)
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # a duplicate would arrive just after the first reply


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ms(values: list[float]) -> str:
    return "/".join(f"{percentile(values, q) * 1000:.0f}" for q in (50, 95, 99))


HEADER = (
    f"{'offered/s':>9} {'answered/s':>10} {'webhook p50/95/99 ms':>21} "
    f"{'end-to-end p50/95/99 ms':>24} {'lost':>5} {'dup':>4} {'starved':>7} "
    f"{'app CPU ms/update':>17}"
)


def row(step: Step) -> str:
    return (
        f"{step.offered:>9} {step.throughput:>10.0f} {ms(step.webhook):>21} "
        f"{ms(step.end_to_end):>24} {step.lost:>5} {step.duplicated:>4} {step.starved:>7} "
        f"{step.app_cpu * 1000 / max(len(step.updates), 1):>17.1f}"
    )


async def bench_variant(
    variant: Variant,
    rates: list[int],
    seconds: float,
    users: int,
    log: Path,
    profile_rate: int | None = None,
) -> list[Step]:
    ledger = Ledger()
    traffic = Traffic(Phrasebook.from_faq(ROOT / "faq"))
    ledger.add_users(traffic.users(users))
    connector = aiohttp.TCPConnector(limit=512)
    async with (
        running(variant, ledger, log) as app,
        aiohttp.ClientSession(connector=connector) as session,
    ):
        await offer(session, app.base, ledger, traffic, 50, 1.0)  # warm up: imports, connections
        steps = []
        for rate in rates:
            profiling = None
            if rate == profile_rate:
                pid = (app.worker_pids() or [app.app.pid])[0]
                profiling = asyncio.create_task(record(pid, seconds, PROFILE))
            cpu_before = cpu_seconds(app.app_pids())
            step = await offer(session, app.base, ledger, traffic, rate, seconds)
            step.app_cpu = cpu_seconds(app.app_pids()) - cpu_before
            if profiling and await profiling:
                print(f"-- profile of one worker at {rate}/s:\n{summarise(PROFILE)}")
            print(row(step), flush=True)
            steps.append(step)
            if step.throughput < 0.5 * rate:
                break  # far past the ceiling: higher rates only queue
    print(f"  errors: webhook 5xx/refused {ledger.http_errors}, 4xx {ledger.rejected}, "
          f"stray replies {ledger.stray}")  # fmt: skip
    return steps


def ceiling(steps: list[Step]) -> str:
    held = [step for step in steps if step.holds()]
    if not held:
        return "no step held (answered >= 97 % of offered, p99 <= 100 ms, none lost or duplicated)"
    best = max(held, key=lambda step: step.offered)
    return f"ceiling {best.offered} updates/s offered, {best.throughput:.0f} answered/s"


async def main(args: argparse.Namespace) -> None:
    rates = [int(rate) for rate in args.rates.split(",")]
    log = Path(args.log)
    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} CPUs, load average {load:.2f} at start; app log in {log}")
    print("generator, stubs and redis-server run on the same machine as the app")
    summary = []
    for name in args.variants.split(","):
        variant = VARIANTS[name]
        print(f"\n== {name}: {variant.name} ({args.seconds:g} s per rate, {args.users} users)")
        print(HEADER)
        steps = await bench_variant(variant, rates, args.seconds, args.users, log, args.profile)
        summary.append(f"{name:<12} {ceiling(steps)}")
    print("\n" + "\n".join(summary))


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default=",".join(VARIANTS), help=", ".join(VARIANTS))
    parser.add_argument("--rates", default="100,200,400,600,800,1000")
    parser.add_argument("--seconds", type=float, default=4.0, help="per rate")
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--log", default="/tmp/bench-load-app.log")
    parser.add_argument("--profile", type=int, help="py-spy one worker during this rate's step")
    parser.add_argument("--faults", action="store_true", help="run the fault scenarios instead")
    parser.add_argument("--scenarios", help="with --faults: only these (comma-separated)")
    return parser.parse_args()


if __name__ == "__main__":
    options = arguments()
    if options.faults:
        from bench.load_faults import main as faults_main

        asyncio.run(faults_main(options))
    else:
        asyncio.run(main(options))
