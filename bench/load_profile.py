"""Where a web worker spends its time under load: py-spy samples it, we sum the stacks.

py-spy (a sampling profiler, `pip install py-spy`) attaches to the running worker from outside,
so the app runs unmodified. `--format raw` writes one line per distinct stack ("frame;frame;...
count"); a function's inclusive share is the part of samples with it anywhere on the stack.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import sys
from collections import Counter
from pathlib import Path

# Areas of the code, by a pattern on a frame ("function (file:line)"), for the summary.
AREAS = {  # the first pattern that matches a frame wins, so specific ones come first
    "~/.netrc lookups (aiohttp trust_env, in threads)": r"netrc",
    "LINE parse + signature (WebhookParser)": r"linebot/v3/webhook",
    "matching": r"\(bot/(matcher|index|model|text|typo|synonyms|routing|knowledge)\.py",
    "dialog + sessions": r"\(bot/(dialog|sessions|redis_store|resilience|replies)\.py",
    "Redis client (redis-py)": r"redis/",
    "Telegram send (PTB + httpx + httpcore)": r"(telegram/|httpx/|httpcore/)",
    "LINE send (line-bot-sdk + aiohttp)": r"(linebot/v3/messaging|aiohttp/)",
    "web server (uvicorn, starlette)": r"(uvicorn/protocols|starlette/)",
    "JSON + pydantic": r"(json/|pydantic)",
    "logging": r"logging/",
}


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"  # installed into the venv
    return str(beside) if beside.exists() else shutil.which("py-spy")


async def record(pid: int, seconds: float, output: Path) -> bool:
    program = py_spy()
    if program is None:
        print("py-spy is not installed (pip install py-spy): no profile")
        return False
    command = [program, "record", "--pid", str(pid), "--duration", str(round(seconds))]
    command += ["--format", "raw", "--output", str(output), "--nonblocking", "--rate", "200"]
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, error = await process.communicate()
    if process.returncode != 0:
        print(f"py-spy failed: {error.decode().strip()[-300:]}")
        return False
    return True


def summarise(raw: Path, top: int = 12) -> str:
    stacks: list[tuple[list[str], int]] = []
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    total = sum(count for _, count in stacks) or 1
    idle = sum(count for frames, count in stacks if _idle(frames[-1]))
    own: Counter[str] = Counter()
    for frames, count in stacks:
        own[frames[-1]] += count
    lines = [f"{total} samples; idle in the event loop (waiting for I/O): {idle / total:.0%}"]
    lines.append("by area (each sample goes to the area of its innermost matching frame):")
    areas: Counter[str] = Counter()
    for frames, count in stacks:
        areas[_area(frames)] += count
    for area, count in areas.most_common():
        lines.append(f"  {count / total:6.1%}  {area}")
    lines.append(f"top {top} functions by own time:")
    for frame, count in own.most_common(top):
        lines.append(f"  {count / total:6.1%}  {_short(frame)}")
    return "\n".join(lines)


def _area(frames: list[str]) -> str:
    for frame in reversed(frames):
        for area, pattern in AREAS.items():
            if re.search(pattern, frame):
                return area
    return "other (event loop, asyncio, threads)"


def _idle(frame: str) -> bool:
    return bool(re.search(r"\b(select|poll|epoll|run_forever|_run_once)\b", frame))


def _short(frame: str) -> str:
    return re.sub(r"/[^ (]*/site-packages/", "", frame)[:110]
