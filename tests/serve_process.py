"""`python main.py serve` as a real child process on a free loopback port, for tests that need
what only a process has: signals, exit status, its own log stream, several of them at once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence

import httpx

from tests.conftest import ROOT
from tests.support import free_port

PASSED_ON = ("PATH", "HOME", "NO_PROXY")


class ServeProcess:
    def __init__(self, env: Mapping[str, str], args: Sequence[str] = ()) -> None:
        self.port = free_port()
        self._args = tuple(args)  # more `serve` options
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {
            **{k: v for k, v in os.environ.items() if k in PASSED_ON},
            "USER_HASH_KEY": "a-long-random-test-key",
            "PORT": str(self.port),
            **env,
        }
        self.lines: list[str] = []  # its stderr, one log line each
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self, within: float = 30.0) -> ServeProcess:
        self._process = await asyncio.create_subprocess_exec(
            *(sys.executable, "main.py", "serve", "--host", "127.0.0.1", *self._args),
            cwd=ROOT,
            env=self._env,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read())
        deadline = asyncio.get_running_loop().time() + within
        async with httpx.AsyncClient(base_url=self.url) as http:
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/healthz")).status_code == 200:
                        return self
                if self._process.returncode is not None or (
                    asyncio.get_running_loop().time() > deadline
                ):
                    await self._reader
                    raise AssertionError("serve did not come up:\n" + self.log)
                await asyncio.sleep(0.1)

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def terminate(self) -> None:
        assert self._process
        self._process.send_signal(signal.SIGTERM)

    async def wait(self, within: float = 60.0) -> int:
        assert self._process and self._reader
        status = await asyncio.wait_for(self._process.wait(), within)
        await self._reader
        return status

    async def logged(self, text: str, within: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + within
        while not any(text in line for line in self.lines):
            assert asyncio.get_running_loop().time() < deadline, f"never logged {text!r}"
            await asyncio.sleep(0.02)

    async def _read(self) -> None:
        assert self._process and self._process.stderr
        async for line in self._process.stderr:
            self.lines.append(line.decode(errors="replace").rstrip("\n"))

    async def stop(self) -> None:
        if self.running:
            self.terminate()
            try:
                await self.wait(within=30)
            except TimeoutError:
                assert self._process
                self._process.kill()
                await self.wait()


@contextlib.asynccontextmanager
async def serving_process(
    env: Mapping[str, str], args: Sequence[str] = ()
) -> AsyncIterator[ServeProcess]:
    server = await ServeProcess(env, args).start()
    try:
        yield server
    finally:
        await server.stop()
