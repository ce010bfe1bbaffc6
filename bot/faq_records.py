"""The shape an imported FAQ takes before validation, shared by the CSV and JSONL formats.

A `Record` holds one entry's fields as a topic file would hold them, plus the source line (CSV
row, JSONL line) of each field, so the rules of `faq check` can name the row to fix.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core import Problem
from bot.faq import Entry, Faq, Topic
from bot.yamlsource import Path as YamlPath


@dataclass(slots=True)
class Record:
    topic: str
    data: dict[str, Any]
    lines: dict[YamlPath, int] = field(default_factory=dict)


@dataclass(slots=True)
class TitleRecord:
    key: str
    value: str | dict[str, str] | None  # None: nothing gave the topic a title
    line: int


Read = tuple[list[Record], list[TitleRecord], list[Problem]]
Reader = Callable[[str, Path, tuple[str, ...]], Read]
Writer = Callable[[Faq], str]


def entries_in_order(faq: Faq) -> Iterator[tuple[Topic, Entry]]:
    """Every entry, disabled ones too, topic by topic in file order."""
    by_id = {entry.id: entry for entry in faq.all_entries}
    for topic in faq.topics:
        for entry_id in topic.entry_ids:
            yield topic, by_id[entry_id]


def parse_date(text: str) -> dt.date | None:
    """YYYY-MM-DD, or YYYY/MM/DD as Excel re-saves dates in a Taiwanese locale."""
    match = re.fullmatch(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})", text.strip())
    if not match:
        return None
    try:
        return dt.date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
