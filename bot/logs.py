"""Log lines as JSON objects, each tagged with the request it belongs to.

A webhook request gets an id (the caller's X-Request-ID if it looks like one, else a new one).
The id, the platform and the hashed user ride in a context variable, so every line logged while
handling the request carries them, including the answering that runs after the response: it
runs in the same asyncio task, so it sees the same context. Message text is never added here.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

# A ContextVar is meant to live at module level: each asyncio task sees its own value.
_fields: ContextVar[dict[str, str]] = ContextVar("log_fields")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def bind(**fields: str) -> None:
    """Add fields to every line logged from here on in this task (and tasks it starts)."""
    _fields.set({**_fields.get({}), **fields})


def bound() -> dict[str, str]:
    return dict(_fields.get({}))


def request_id(given: str | None) -> str:
    """The caller's id when it is short and plain (it ends up in logs), else a fresh one."""
    if given and _REQUEST_ID.fullmatch(given):
        return given
    return uuid.uuid4().hex


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _fields.get({}).items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


def configure_logging(level: str, log_format: str) -> None:
    """One handler on the root logger, to stderr: JSON lines, or the plain text of local use."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_ContextFilter())
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(
                "{levelname}{name}{message}",
                style="{",
                timestamp="time",
                rename_fields={"levelname": "level", "name": "logger"},
                json_ensure_ascii=False,
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
