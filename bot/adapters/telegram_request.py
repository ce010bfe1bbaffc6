"""python-telegram-bot's HTTP requests through aiohttp instead of its default httpx.

PTB lets an application bring its own `BaseRequest`; everything above it (the Bot methods, the
JSON replies, the error classes for 4xx/5xx/429) stays PTB's. Under load, httpx and httpcore
spent most of the cost of a sendMessage on their connection pool and anyio locks (about 0.9 ms
of CPU per call here, bench/webhook_cost.py), aiohttp's pool about a third of that; aiohttp is
installed anyway, as line-bot-sdk's client. Parameters go as a form like PTB's own HTTPXRequest
sends them; the bot uploads no files, so multipart is refused rather than half supported.
"""

from __future__ import annotations

import contextlib

import aiohttp
from aiohttp.helpers import get_env_proxy_for_url
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData
from yarl import URL

POOL_SIZE = 256  # connections to the Bot API per process, as PTB's builder gives httpx
READ_TIMEOUT = 5.0  # seconds, PTB's defaults for its httpx client
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 1.0
FORM = "application/x-www-form-urlencoded"


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        *,
        pool_size: int = POOL_SIZE,
        read_timeout: float | None = READ_TIMEOUT,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        pool_timeout: float | None = POOL_TIMEOUT,
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxy: str | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is not None and not self._session.closed:
            return
        # Opened inside the running loop. Proxy settings are read once, on the first request:
        # with trust_env aiohttp would read them (and ~/.netrc) in a worker thread every time.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self._pool_size), trust_env=False
        )

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | DefaultValue | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None:
            raise RuntimeError("this AiohttpRequest is not initialized")
        if request_data is not None and request_data.contains_files:
            raise NetworkError("AiohttpRequest does not upload files")
        # aiohttp has no write timeout; a form of a few kilobytes is written at once.
        timeout = self._timeout(read_timeout, connect_timeout, pool_timeout)
        body = request_data.url_encoded_parameters() if request_data else None
        headers = {"User-Agent": self.USER_AGENT}
        if body is not None:
            headers["Content-Type"] = FORM
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout, proxy=self._proxy_for(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error

    def _timeout(
        self,
        read: float | DefaultValue | None,
        connect: float | DefaultValue | None,
        pool: float | DefaultValue | None,
    ) -> aiohttp.ClientTimeout:
        read = self._read_timeout if isinstance(read, DefaultValue) else read
        connect = self._connect_timeout if isinstance(connect, DefaultValue) else connect
        pool = self._pool_timeout if isinstance(pool, DefaultValue) else pool
        # aiohttp's `connect` covers waiting for a pooled connection plus opening one.
        waiting = None if connect is None or pool is None else connect + pool
        return aiohttp.ClientTimeout(connect=waiting, sock_connect=connect, sock_read=read)

    def _proxy_for(self, url: str) -> str | None:
        if self._proxy is None:
            self._proxy = ""
            with contextlib.suppress(LookupError):
                proxy, _ = get_env_proxy_for_url(URL(url))  # honours NO_PROXY
                self._proxy = str(proxy)
        return self._proxy or None
