"""A platform-neutral `Reply` as LINE messages, within the Messaging API's limits.

The SDK checks only some limits (13 quick reply items, 300-character postback data, 5 messages)
and raises on them, which would lose the whole reply; others (label and text length) it passes
on, and LINE then refuses the request. So every limit is enforced here by trimming, and each
trim is logged.

One reply is at most 5 messages, in this order:
  1. the notice (the first-contact disclaimer), when there is one;
  2. the title and the text, plain, split into as many messages as needed;
  3. the escalation links as one Flex bubble of tappable rows. A Flex bubble shows each link's
     full title (action labels stop at 20 characters), takes tel: links, and stays in the chat,
     while quick replies disappear after the next tap.
Quick reply buttons go on the last message: suggestions, then related topics, then the rest.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexMessage,
    FlexText,
    Message,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
    URIAction,
)

from bot.core import Choice, Link, Reply

log = logging.getLogger(__name__)

MAX_MESSAGES = 5  # per reply or push request
MAX_TEXT_UNITS = 5000  # per text message, in UTF-16 code units
MAX_QUICK_REPLIES = 13
MAX_LABEL = 20  # action labels, in grapheme clusters
MAX_POSTBACK_DATA = 300
MAX_DISPLAY_TEXT = 300
MAX_URI = 1000
MAX_LINKS = 10  # keeps the bubble far below LINE's size limit and still readable
MAX_ALT_TEXT = 400  # a preview in notifications and the chat list; kept short on purpose
URI_SCHEMES = ("https:", "http:", "tel:", "line:")  # LINE refuses the request for any other
ELLIPSIS = "…"
LINK_COLOR = "#1A66C2"
ROW_BACKGROUND = "#EEF3FA"

# Sentence ends then spaces: where to cut a paragraph that does not fit in one message.
_BREAKS = ("\n\n", "\n", "。", "！", "？", ". ", "! ", "? ", "；", "; ", "，", ", ", " ")
_ZWJ = "\u200d"


def render(reply: Reply) -> list[Message]:
    links = _links_message(reply.links)
    room = MAX_MESSAGES - (1 if links else 0)
    messages: list[Message] = [TextMessage(text=text) for text in _fit(_texts(reply), room)]
    if links:
        messages.append(links)
    quick_reply = _quick_reply(reply.choices)
    if messages and quick_reply:
        messages[-1].quick_reply = quick_reply
    return messages


def utf16_units(text: str) -> int:
    """LINE counts text length in UTF-16 code units: 🍎 is 2."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT_UNITS) -> list[str]:
    """Pieces of at most `limit` UTF-16 units: cut at paragraphs, then lines, then sentences,
    then spaces, and only then anywhere (never inside a character)."""
    chunks: list[str] = []
    rest = text.strip()
    while utf16_units(rest) > limit:
        cut = _cut_point(rest, limit)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    chunks.append(rest)
    return [chunk for chunk in chunks if chunk]


def _cut_point(text: str, limit: int) -> int:
    end = _prefix_within(text, limit)
    # A boundary in the first half would leave a short message (e.g. a title on its own).
    floor = end // 2
    for separator in _BREAKS:
        found = text.rfind(separator, floor, end)
        if found != -1:
            return found + len(separator)
    return max(end, 1)  # always progress, even with a limit smaller than one character


def _prefix_within(text: str, limit: int) -> int:
    """The number of characters of `text` that fit in `limit` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def clip_units(text: str, limit: int) -> str:
    """`text` cut to `limit` UTF-16 units, ending with an ellipsis when it was cut."""
    if utf16_units(text) <= limit:
        return text
    return text[: _prefix_within(text, limit - 1)].rstrip() + ELLIPSIS


def clip_label(text: str, limit: int = MAX_LABEL) -> str:
    """`text` on one line, cut to `limit` user-perceived characters, ending with an ellipsis
    when it was cut; an emoji sequence or an accented letter is never split."""
    text = " ".join(text.split())
    clusters = _clusters(text)
    if len(clusters) <= limit:
        return text
    return "".join(clusters[: limit - 1]).rstrip() + ELLIPSIS


def _clusters(text: str) -> list[str]:
    """An approximation of Unicode grapheme clusters, which LINE uses to count labels."""
    clusters: list[str] = []
    for char in text:
        if clusters and (_extends(char) or clusters[-1].endswith(_ZWJ) or _pairs(clusters, char)):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _extends(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or char == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag sequences (subdivision flags)
    )


def _pairs(clusters: list[str], char: str) -> bool:
    """Two regional indicators make one flag."""
    last = clusters[-1]
    return _regional(char) and len(last) == 1 and _regional(last)


def _regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _texts(reply: Reply) -> list[str]:
    body = f"{reply.title}\n\n{reply.text}" if reply.title else reply.text
    return [chunk for part in (reply.notice, body) if part for chunk in split_text(part)]


def _fit(texts: list[str], room: int) -> list[str]:
    if len(texts) <= room:
        return texts
    log.warning(
        "LINE reply truncated: its text needs %d messages, %d fit in one reply",
        len(texts),
        room,
    )
    kept = texts[:room]
    kept[-1] = clip_units(kept[-1] + ELLIPSIS, MAX_TEXT_UNITS)
    return kept


def _quick_reply(choices: Sequence[Choice]) -> QuickReply | None:
    items: list[QuickReplyItem] = []
    seen: set[str] = set()
    for choice in _usable(choices):
        if choice.action in seen:
            continue
        seen.add(choice.action)
        if len(items) == MAX_QUICK_REPLIES:
            log.info("LINE quick reply: %d buttons, the last ones dropped", len(choices))
            break
        items.append(QuickReplyItem(action=_postback(choice)))
    return QuickReply(items=items) if items else None


def _usable(choices: Iterable[Choice]) -> Iterable[Choice]:
    for choice in choices:
        if not choice.label.strip() or len(choice.action) > MAX_POSTBACK_DATA:
            log.warning("LINE quick reply: button %r skipped (empty label or long data)", choice)
            continue
        yield choice


def _postback(choice: Choice) -> PostbackAction:
    # displayText is what appears in the chat as the user's message: the whole label.
    return PostbackAction(
        label=clip_label(choice.label),
        data=choice.action,
        display_text=clip_label(choice.label, MAX_DISPLAY_TEXT),
    )


def _links_message(links: Sequence[Link]) -> FlexMessage | None:
    usable = [link for link in links if _usable_uri(link.url)]
    if len(usable) > MAX_LINKS:
        log.info("LINE links: %d links, only the first %d shown", len(usable), MAX_LINKS)
        usable = usable[:MAX_LINKS]
    if not usable:
        return None
    bubble = FlexBubble(
        body=FlexBox(layout="vertical", spacing="sm", contents=[_link_row(x) for x in usable])
    )
    alt_text = clip_units("\n".join(_title(link) for link in usable), MAX_ALT_TEXT)
    return FlexMessage(alt_text=alt_text, contents=bubble)


def _usable_uri(url: str) -> bool:
    if url.lower().startswith(URI_SCHEMES) and len(url) <= MAX_URI:
        return True
    log.warning("LINE links: %r skipped (LINE takes http(s), tel or line URIs)", url[:80])
    return False


def _link_row(link: Link) -> FlexBox:
    title = _title(link)
    # The whole row is the button, so the full title can show; the label is for screen readers.
    return FlexBox(
        layout="vertical",
        padding_all="md",
        corner_radius="md",
        background_color=ROW_BACKGROUND,
        action=URIAction(label=clip_label(title), uri=link.url),
        contents=[FlexText(text=title, wrap=True, color=LINK_COLOR, weight="bold")],
    )


def _title(link: Link) -> str:
    return " ".join(link.title.split()) or link.url
