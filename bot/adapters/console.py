"""Local chat in a terminal, over the same core as the messengers.

Interactive on a terminal; with piped input it reads one message per line and writes one reply
per message, as text or (with json_lines) one JSON object per line. Buttons are shown with a
letter: typing the letter taps the button. Numbers pick "did you mean" choices (the core does that).

To try the human handoff locally, set HANDOFF_CHAT=console:staff: tickets and relayed
messages are printed with who they are for, and a line starting with "!staff " is read as if
written in the staff chat ("!staff #A1B2 hello", "!staff /release A1B2").
"""

from __future__ import annotations

import json
import string
from collections.abc import Awaitable, Callable, Iterable
from typing import TextIO

from bot.core import Choice, IncomingMessage, MessageKind, Reply

PLATFORM = "console"
STAFF_PREFIX = "!staff "
Handler = Callable[[IncomingMessage], Awaitable[Reply]]


class ConsoleChat:
    def __init__(self, handle: Handler, *, user: str = "local", json_lines: bool = False) -> None:
        self._handle = handle
        self._user = user
        self._json = json_lines
        self._buttons: dict[str, Choice] = {}  # letter -> button of the last reply
        self._out: TextIO | None = None

    def parse(self, line: str) -> IncomingMessage:
        text = line.strip()
        address = f"user:{self._user}"
        if text.startswith(STAFF_PREFIX.strip()):
            staff_text = text.removeprefix(STAFF_PREFIX.strip()).strip()
            return IncomingMessage(
                PLATFORM, "staff", staff_text, MessageKind.STAFF, address="chat:staff"
            )
        tapped = self._buttons.get(text.lower()) if len(text) == 1 else None
        if tapped is not None:
            return IncomingMessage(
                PLATFORM,
                self._user,
                tapped.label,
                MessageKind.ACTION,
                tapped.action,
                address=address,
            )
        return IncomingMessage(PLATFORM, self._user, text, address=address)

    def chat_address(self, chat_id: str) -> str:
        return f"chat:{chat_id}"

    async def push(self, address: str, reply: Reply) -> None:
        """A message for someone other than the one typing: shown with who it is for."""
        if self._out is None:
            return
        if self._json:
            self._out.write(
                json.dumps({"to": address, **as_json(reply)}, ensure_ascii=False) + "\n"
            )
        else:
            self._out.write(f"[to {address}] {self._as_text(reply)}\n")
        self._out.flush()

    async def ask(self, line: str) -> Reply:
        reply = await self._handle(self.parse(line))
        lettered = reply.related + reply.buttons
        self._buttons = dict(zip(string.ascii_lowercase, lettered, strict=False))
        return reply

    def render(self, reply: Reply) -> str:
        return (
            json.dumps(as_json(reply), ensure_ascii=False) if self._json else self._as_text(reply)
        )

    def _as_text(self, reply: Reply) -> str:
        parts = [reply.notice] if reply.notice else []
        parts.append(f"** {reply.title} **\n{reply.text}" if reply.title else reply.text)
        if reply.related:
            parts.append("Related / 相關主題:\n" + self._lettered(reply.related, 0))
        if reply.buttons:
            parts.append(self._lettered(reply.buttons, len(reply.related)))
        if reply.links:
            parts.append("\n".join(f"→ {link.title}: {link.url}" for link in reply.links))
        return "\n\n".join(parts)

    def _lettered(self, choices: Iterable[Choice], start: int) -> str:
        letters = string.ascii_lowercase[start:]
        return "\n".join(
            f"  {letter}) {choice.label}" for letter, choice in zip(letters, choices, strict=False)
        )

    async def run(self, lines: Iterable[str], out: TextIO, *, prompt: str = "") -> None:
        self._out = out
        if prompt:
            out.write(prompt)
            out.flush()
        for line in lines:
            if line.strip():
                out.write(self.render(await self.ask(line)) + "\n")
                if not self._json and prompt:
                    out.write("\n")
            if prompt:
                out.write(prompt)
            out.flush()


def as_json(reply: Reply) -> dict[str, object]:
    return {
        "kind": reply.kind.value,
        "entry_id": reply.entry_id,
        "title": reply.title,
        "text": reply.text,
        "notice": reply.notice,
        "locale": reply.locale,
        "related": [choice.entry_id for choice in reply.related],
        "links": [link.url for link in reply.links],
        "suggestions": [choice.entry_id or choice.action for choice in reply.suggestions],
        "buttons": [{"label": choice.label, "action": choice.action} for choice in reply.buttons],
        "faq_version": reply.faq_version,
    }
