"""Reply -> Telegram messages: HTML text split under the length limit, plus an inline keyboard.

Every string from the FAQ, the config or the user is escaped; the only markup is ours. Lengths
are measured on the HTML we send, in UTF-16 code units: Telegram counts the text after parsing
entities, which is never longer, so a chunk that fits here fits there.
"""

from __future__ import annotations

import html
import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import Choice, Link, Reply

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # sendMessage text limit
MAX_CALLBACK_BYTES = 64  # callback_data limit, in bytes; PTB does not check it
MAX_BUTTONS = 100  # per message; undocumented by Telegram, from PTB's InlineKeyboardMarkupLimit
MAX_ROW = 8  # buttons per row, same source
# Phones show about 30-40 Latin characters across one button; CJK characters are twice as wide.
LABEL_WIDTH = 40
# Paragraphs, then lines, then words: the places a long text may be split, best first.
SEPARATORS = ("\n\n", "\n", " ")
BUTTON_SCHEMES = ("https://", "http://")  # Telegram URL buttons refuse tel: and most others


@dataclass(frozen=True, slots=True)
class Block:
    text: str
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Outgoing:
    text: str  # HTML
    keyboard: InlineKeyboardMarkup | None = None


def render(reply: Reply, limit: int = MAX_TEXT) -> list[Outgoing]:
    """The messages to send for `reply`; the keyboard goes under the last one."""
    chunks = split_html(blocks(reply), limit)
    if not chunks:
        return []
    last = Outgoing(chunks[-1], keyboard(reply))
    return [Outgoing(chunk) for chunk in chunks[:-1]] + [last]


def blocks(reply: Reply) -> list[Block]:
    parts = [Block(reply.notice or ""), Block(reply.title or "", bold=True), Block(reply.text)]
    lines = [_link_line(link) for link in reply.links if not _is_button_url(link.url)]
    parts.append(Block("\n".join(lines)))
    return [part for part in parts if part.text.strip()]


def _link_line(link: Link) -> str:
    if link.url.startswith("tel:"):
        return f"📞 {link.title}: {link.url.removeprefix('tel:')}"
    return f"🔗 {link.title}: {link.url}"


def _is_button_url(url: str) -> bool:
    return url.startswith(BUTTON_SCHEMES)


# --- text ---------------------------------------------------------------------------------


def split_html(parts: Sequence[Block], limit: int = MAX_TEXT) -> list[str]:
    pieces = [piece for part in parts for piece in _fit(part.text.strip(), part.bold, limit)]
    return _pack(pieces, "\n\n", limit)


def _fit(raw: str, bold: bool, limit: int, separators: Sequence[str] = SEPARATORS) -> list[str]:
    """`raw` as HTML pieces of at most `limit`, split at the coarsest separator that works."""
    markup = _markup(raw, bold)
    if _size(markup) <= limit:
        return [markup]
    if not separators:
        return _cut(raw, bold, limit)
    separator, finer = separators[0], separators[1:]
    pieces = [
        piece
        for part in raw.split(separator)
        if part.strip()
        for piece in _fit(part.strip(), bold, limit, finer)
    ]
    return _pack(pieces, separator, limit)


def _pack(pieces: Iterable[str], separator: str, limit: int) -> list[str]:
    """Join consecutive pieces (each within `limit`) while the result stays within `limit`."""
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        joined = f"{current}{separator}{piece}" if current else piece
        if _size(joined) <= limit:
            current = joined
            continue
        if current:
            chunks.append(current)
        current = piece
    if current:
        chunks.append(current)
    return chunks


def _cut(raw: str, bold: bool, limit: int) -> list[str]:
    """Last resort for a word longer than a message: cut between characters, never in `&amp;`."""
    budget = limit - _size(_markup("", bold))
    pieces: list[str] = []
    current, used = "", 0
    for char in raw:
        size = _size(html.escape(char, quote=False))
        if used + size > budget and current:
            pieces.append(_markup(current, bold))
            current, used = "", 0
        current, used = current + char, used + size
    if current:
        pieces.append(_markup(current, bold))
    return pieces


def _markup(raw: str, bold: bool) -> str:
    escaped = html.escape(raw, quote=False)
    return f"<b>{escaped}</b>" if bold else escaped


def _size(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- keyboard -----------------------------------------------------------------------------


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    numbered = [
        Choice(f"{number}. {choice.label}", choice.action)
        for number, choice in enumerate(reply.suggestions, 1)
    ]  # the numbers match the list in the text, so typing "2" and tapping agree
    rows = [[button] for button in _callback_buttons(numbered)]
    rows += [[button] for button in _callback_buttons(reply.related)]
    rows += _rows_by_kind(reply.buttons)
    rows += [
        [InlineKeyboardButton(label(link.title), url=link.url)]
        for link in reply.links
        if _is_button_url(link.url)
    ]
    rows = _within_limits(rows)
    return InlineKeyboardMarkup(rows) if rows else None


def _rows_by_kind(choices: Sequence[Choice]) -> list[list[InlineKeyboardButton]]:
    """Neighbouring buttons of one kind share a row (English | 繁體中文, 👍 | 👎)."""
    rows: list[list[Choice]] = []
    for choice in choices:
        if rows and _kind(rows[-1][-1]) == _kind(choice) and len(rows[-1]) < 3:
            rows[-1].append(choice)
        else:
            rows.append([choice])
    built = [_callback_buttons(row, LABEL_WIDTH // len(row)) for row in rows]
    return [row for row in built if row]


def _kind(choice: Choice) -> str:
    return choice.action.split(":")[0].rstrip("+-")


def _callback_buttons(
    choices: Iterable[Choice], width: int = LABEL_WIDTH
) -> list[InlineKeyboardButton]:
    buttons = []
    for choice in choices:
        size = len(choice.action.encode())
        if not 1 <= size <= MAX_CALLBACK_BYTES:
            # Would be refused by Telegram, and with it the whole message: drop just the button.
            log.warning("dropping button %r: callback data is %d bytes", choice.action, size)
            continue
        text = label(choice.label, width)
        buttons.append(InlineKeyboardButton(text, callback_data=choice.action))
    return buttons


def _within_limits(rows: list[list[InlineKeyboardButton]]) -> list[list[InlineKeyboardButton]]:
    kept: list[list[InlineKeyboardButton]] = []
    count = 0
    for row in rows:
        cut = row[: min(MAX_ROW, MAX_BUTTONS - count)]
        if cut:
            kept.append(cut)
            count += len(cut)
    if count < sum(len(row) for row in rows):
        log.warning("keyboard cut to %d buttons (Telegram's limit)", count)
    return kept


def label(text: str, width: int = LABEL_WIDTH) -> str:
    """One line of at most `width` columns, cut at a word where one is near, marked with "…".

    The full text is never lost: suggestions are listed in the message, and a topic opened
    from a button shows its whole question as the title.
    """
    text = " ".join(text.split())
    if _width(text) <= width:
        return text
    kept, used = "", 0
    for char in text:
        used += _width(char)
        if used > width - 1:
            break
        kept += char
    space = kept.rfind(" ")
    if space >= len(kept) * 2 // 3:
        kept = kept[:space]
    return kept.rstrip(" ,.;:，。、；：") + "…"


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
