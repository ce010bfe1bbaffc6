"""A FAQ as JSON Lines: one entry per line with its full structure (for scripts and backups).

Text in several languages is a mapping of locale to text, or a plain string for text shared by
every language, exactly as in a topic file. Each line repeats its topic's key and title.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core import Problem
from bot.faq import Faq
from bot.faq_records import Read, Record, TitleRecord, entries_in_order, parse_date
from bot.faq_rules import ENTRY_FIELDS

FIELDS = (
    "id", "topic", "topic_title", "question", "answer", "alternates", "related", "links",
    "tags", "enabled", "reviewed_by", "reviewed_on", "review_due", "source",
)  # fmt: skip


def write_jsonl(faq: Faq) -> str:
    lines = []
    for topic, entry in entries_in_order(faq):
        row = {
            "id": entry.id,
            "topic": entry.topic,
            "topic_title": topic.title.as_data(),
            "question": entry.question.as_data(),
            "answer": entry.answer.as_data(),
            "alternates": list(entry.alternates),
            "related": list(entry.related),
            "links": [{"title": link.title.as_data(), "url": link.url} for link in entry.links],
            "tags": list(entry.tags),
            "enabled": entry.enabled,
            "reviewed_by": entry.reviewed_by,
            "reviewed_on": entry.reviewed_on.isoformat() if entry.reviewed_on else None,
            "review_due": entry.review_due.isoformat() if entry.review_due else None,
            "source": entry.source,
        }
        lines.append(json.dumps(row, ensure_ascii=False) + "\n")
    return "".join(lines)


def read_jsonl(text: str, source: Path, locales: tuple[str, ...]) -> Read:
    records: list[Record] = []
    titles: dict[str, TitleRecord] = {}
    problems: list[Problem] = []

    def report(line: int, where: str, message: str) -> None:
        problems.append(Problem(str(source), line, where, message))

    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as error:
            report(number, "", f"not a JSON line ({error})")
            continue
        if not isinstance(row, dict):
            report(number, "", 'each line must be one JSON object {"id": …, "question": …}')
            continue
        for key in sorted(row.keys() - set(FIELDS)):
            report(number, key, f"unknown field {key!r}")
        topic = row.get("topic")
        if not isinstance(topic, str) or not topic.strip():
            report(number, "topic", "missing: every entry needs the key of its topic")
            continue
        title = titles.setdefault(topic, TitleRecord(topic, None, number))
        if row.get("topic_title") is None:
            pass
        elif title.value is None:
            title.value, title.line = row["topic_title"], number
        elif title.value != row["topic_title"]:
            report(number, "topic_title", f"differs from line {title.line} for topic {topic!r}")
        records.append(Record(topic, _entry_data(row, number, report), {(): number}))
    return records, list(titles.values()), problems


def _entry_data(
    row: dict[str, Any], line: int, report: Callable[[int, str, str], None]
) -> dict[str, Any]:
    # null stands for "not given", as a missing key in a topic file.
    data = {key: value for key, value in row.items() if key in ENTRY_FIELDS and value is not None}
    for key in ("reviewed_on", "review_due"):
        if key in data:
            date = parse_date(data[key]) if isinstance(data[key], str) else None
            if date is None:
                report(line, key, f"bad date {data.pop(key)!r}: write YYYY-MM-DD")
            else:
                data[key] = date
    return data
