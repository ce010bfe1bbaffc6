"""`faq export` and `faq import`: a FAQ folder to and from a CSV or JSON Lines file.

The format follows the file's extension (`FORMATS`). Imported records go through the rules of
`faq check` before anything is written, so every problem names the CSV row or JSONL line the
admin has to fix, not a topic file that was never written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bot.core import FaqError, Problem
from bot.faq import Entry, Faq, Topic
from bot.faq_csv import read_csv, write_csv
from bot.faq_jsonl import read_jsonl, write_jsonl
from bot.faq_records import Reader, Record, TitleRecord, Writer
from bot.faq_rules import ID_PATTERN, check_record, check_title, cross_checks

FORMATS: dict[str, tuple[Reader, Writer]] = {
    ".csv": (read_csv, write_csv),
    ".jsonl": (read_jsonl, write_jsonl),
}


@dataclass(frozen=True, slots=True)
class Imported:
    entries: tuple[Entry, ...]
    topics: tuple[Topic, ...]
    errors: tuple[Problem, ...]


def _format(path: Path) -> tuple[Reader, Writer]:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        names = " or ".join(FORMATS)
        raise FaqError([Problem(str(path), 0, "", f"unknown format: use a file ending in {names}")])
    return FORMATS[suffix]


def export_faq(faq: Faq, path: Path, *, force: bool = False) -> None:
    _, write = _format(path)
    if path.exists() and not force:
        raise FaqError([Problem(str(path), 0, "", "already exists (use --force to replace it)")])
    # CSV gets a byte order mark: without it Excel shows UTF-8 Chinese as mojibake.
    encoding = "utf-8-sig" if path.suffix.lower() == ".csv" else "utf-8"
    try:
        path.write_bytes(write(faq).encode(encoding))
    except OSError as error:
        raise FaqError([Problem(str(path), 0, "", f"cannot write ({error.strerror})")]) from None


def import_faq(path: Path, *, locales: tuple[str, ...]) -> Imported:
    """Entries and topics from a CSV or JSONL file; `errors` name the file and row."""
    read, _ = _format(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise FaqError([Problem(str(path), 0, "", f"cannot read ({error.strerror})")]) from None
    try:
        text = raw.decode("utf-8-sig")  # with or without Excel's byte order mark
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        hint = "in Excel, save as 'CSV UTF-8 (Comma delimited)'"
        return Imported((), (), (Problem(str(path), line, "", f"not UTF-8 text ({hint})"),))
    records, titles, problems = read(text, path, locales)
    entries, topics, found = _validate(path, records, titles, locales)
    # Warnings (e.g. an overdue review) come from checking the written files instead.
    errors = [problem for problem in problems + found if problem.severity == "error"]
    if not errors and not entries:
        errors.append(Problem(str(path), 0, "", "no entries"))
    return Imported(tuple(entries), tuple(topics), tuple(errors))


def _validate(
    source: Path, records: list[Record], titles: list[TitleRecord], locales: tuple[str, ...]
) -> tuple[list[Entry], list[Topic], list[Problem]]:
    entries: list[Entry] = []
    problems: list[Problem] = []
    for record in records:
        entry, found = check_record(
            source, record.data, record.lines, record.topic, locales=locales, today=dt.date.today()
        )
        problems += found
        if entry is not None:
            entries.append(entry)
    topics = []
    for title in titles:
        where = (str(source), title.line)
        if not ID_PATTERN.match(title.key):
            # The key names the topic file, so it must be safe as a file name.
            message = (
                f"{title.key!r}: use lowercase letters, digits and hyphens (it names the file)"
            )
            problems.append(Problem(*where, "topic", message))
            continue
        if title.value is None:
            message = f"topic {title.key!r} has no title: give topic_title on one of its rows"
            problems.append(Problem(*where, "topic_title", message))
            continue
        text, found = check_title(source, title.value, title.line, locales=locales)
        problems += found
        if text is None:
            continue
        ids = tuple(entry.id for entry in entries if entry.topic == title.key)
        topics.append(Topic(title.key, text, ids))
    problems += cross_checks(entries)
    return entries, topics, problems
