"""The rules a FAQ file must follow, each finding tied to a file, a line and a field."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.core import Problem
from bot.faq import Entry, EntryLink, LocalText, Topic
from bot.yamlsource import Path as YamlPath
from bot.yamlsource import YamlDoc, YamlSyntaxError, load_yaml

ENTRY_FIELDS = {
    "id", "question", "answer", "alternates", "related", "links", "tags",
    "enabled", "reviewed_by", "reviewed_on", "review_due", "source",
}  # fmt: skip
REQUIRED_FIELDS = ("id", "question", "answer")
FILE_FIELDS = {"topic", "entries"}
# Ids travel inside button payloads (Telegram allows 64 bytes), so keep them short and plain.
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ID_LENGTH = 48
TEL_PATTERN = re.compile(r"^tel:\+?[0-9][0-9\-. ()]{2,30}$")


class _FileChecker:
    """Collects the problems of one file while turning it into entries."""

    def __init__(self, path: Path, doc: YamlDoc, locales: tuple[str, ...], today: dt.date) -> None:
        self.path, self.doc, self.locales, self.today = path, doc, locales, today
        self.problems: list[Problem] = []

    def report(self, where: tuple[str | int, ...], message: str, severity: str = "error") -> None:
        field = ".".join(str(part) if isinstance(part, str) else f"[{part}]" for part in where)
        field = field.replace(".[", "[")
        self.problems.append(
            Problem(str(self.path), self.doc.line(where), field, message, severity)
        )

    def check(self) -> tuple[list[Entry], Topic | None]:
        for where, line in self.doc.duplicate_keys:
            self.report(where, "key given twice in one mapping")
            self.problems[-1] = replace(self.problems[-1], line=line)
        data = self.doc.data
        if not isinstance(data, dict):
            self.report((), "a FAQ file must be a mapping with 'topic' and 'entries'")
            return [], None
        for key in data.keys() - FILE_FIELDS:
            self.report((key,), f"unknown field {key!r} (allowed: topic, entries)")
        title = self.local_text(("topic",), data.get("topic"))
        raw_entries = data.get("entries")
        if not isinstance(raw_entries, list) or not raw_entries:
            self.report(("entries",), "'entries' must be a non-empty list")
            raw_entries = []
        key = self.path.stem
        entries = [
            entry
            for index, raw in enumerate(raw_entries)
            if (entry := self.entry(("entries", index), raw, key)) is not None
        ]
        topic = Topic(key, title, tuple(e.id for e in entries)) if title else None
        return entries, topic

    def entry(self, where: tuple[str | int, ...], raw: Any, topic: str) -> Entry | None:
        if not isinstance(raw, dict):
            self.report(where, "an entry must be a mapping (id, question, answer, ...)")
            return None
        for key in raw.keys() - ENTRY_FIELDS:
            self.report((*where, key), f"unknown field {key!r}")
        for key in REQUIRED_FIELDS:
            if key not in raw:
                self.report(where, f"missing required field {key!r}")
        entry_id = raw.get("id")
        if "id" in raw and not self.valid_id((*where, "id"), entry_id):
            entry_id = None
        question = answer = None
        if "question" in raw:
            question = self.local_text((*where, "question"), raw["question"])
        if "answer" in raw:
            answer = self.local_text((*where, "answer"), raw["answer"])
        links = self.links((*where, "links"), raw.get("links", []))
        dates = {
            key: self.date((*where, key), raw.get(key)) for key in ("reviewed_on", "review_due")
        }
        if dates["review_due"] and dates["review_due"] < self.today:
            self.report(
                (*where, "review_due"),
                f"review was due on {dates['review_due']:%Y-%m-%d}",
                severity="warning",
            )
        enabled = raw.get("enabled", True)
        if not isinstance(enabled, bool):
            self.report((*where, "enabled"), "must be true or false")
        fields = {
            "alternates": self.strings((*where, "alternates"), raw.get("alternates", [])),
            "related": self.strings((*where, "related"), raw.get("related", [])),
            "tags": self.strings((*where, "tags"), raw.get("tags", [])),
            "reviewed_by": self.optional_string((*where, "reviewed_by"), raw.get("reviewed_by")),
            "source": self.optional_string((*where, "source"), raw.get("source")),
        }
        if not (entry_id and question and answer):
            return None
        return Entry(
            id=entry_id,
            topic=topic,
            question=question,
            answer=answer,
            links=links,
            enabled=enabled is not False,
            reviewed_on=dates["reviewed_on"],
            review_due=dates["review_due"],
            file=str(self.path),
            line=self.doc.line(where),
            field_lines=tuple((str(key), self.doc.line((*where, key))) for key in raw),
            **fields,
        )

    def valid_id(self, where: tuple[str | int, ...], value: Any) -> bool:
        if not isinstance(value, str) or not ID_PATTERN.match(value):
            self.report(where, "id must be lowercase letters, digits and single hyphens")
            return False
        if len(value) > MAX_ID_LENGTH:
            self.report(where, f"id is longer than {MAX_ID_LENGTH} characters")
            return False
        return True

    def local_text(self, where: tuple[str | int, ...], value: Any) -> LocalText | None:
        if isinstance(value, str):
            if not value.strip():
                self.report(where, "is empty")
                return None
            return LocalText.plain(value.strip())
        if not isinstance(value, dict) or not value:
            self.report(
                where, f"must be text or a mapping of locale to text ({', '.join(self.locales)})"
            )
            return None
        values: list[tuple[str, str]] = []
        for locale, text in value.items():
            if locale not in self.locales:
                self.report(
                    (*where, locale),
                    f"unknown locale {locale!r} (known: {', '.join(self.locales)})",
                )
            elif not isinstance(text, str) or not text.strip():
                self.report((*where, locale), "is empty")
            else:
                values.append((locale, text.strip()))
        return LocalText(tuple(values)) if values and len(values) == len(value) else None

    def strings(self, where: tuple[str | int, ...], value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.report(where, "must be a list")
            return ()
        good: list[str] = []
        for index, item in enumerate(value):
            if (
                isinstance(item, str | int | float)
                and not isinstance(item, bool)
                and str(item).strip()
            ):
                good.append(str(item).strip())
            else:
                self.report((*where, index), "must be non-empty text")
        return tuple(good)

    def optional_string(self, where: tuple[str | int, ...], value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        self.report(where, "must be text")
        return None

    def date(self, where: tuple[str | int, ...], value: Any) -> dt.date | None:
        if value is None:
            return None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        self.report(where, "must be a date written as YYYY-MM-DD")
        return None

    def links(self, where: tuple[str | int, ...], value: Any) -> tuple[EntryLink, ...]:
        if not isinstance(value, list):
            self.report(where, "must be a list of {title, url}")
            return ()
        links: list[EntryLink] = []
        for index, item in enumerate(value):
            here = (*where, index)
            if not isinstance(item, dict) or not {"title", "url"} <= item.keys():
                self.report(here, "a link needs 'title' and 'url'")
                continue
            for key in item.keys() - {"title", "url"}:
                self.report((*here, key), f"unknown field {key!r}")
            title = self.local_text((*here, "title"), item["title"])
            url = item["url"]
            if not isinstance(url, str) or not valid_url(url):
                self.report((*here, "url"), f"malformed URL {url!r} (use https://… or tel:+…)")
            elif title:
                links.append(EntryLink(title, url))
        return tuple(links)


def valid_url(url: str) -> bool:
    if url.startswith("tel:"):
        return bool(TEL_PATTERN.match(url))
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and "." in parts.netloc
        and not any(char.isspace() for char in url)
    )


def check_files(
    files: list[Path], *, locales: tuple[str, ...], today: dt.date
) -> tuple[list[Entry], list[Topic], list[Problem]]:
    entries: list[Entry] = []
    topics: list[Topic] = []
    problems: list[Problem] = []
    for path in files:
        try:
            doc = load_yaml(path.read_text(encoding="utf-8"))
        except YamlSyntaxError as error:
            problems.append(Problem(str(path), error.line, "", f"YAML syntax: {error.message}"))
            continue
        except UnicodeDecodeError:
            problems.append(Problem(str(path), 0, "", "not UTF-8 text"))
            continue
        checker = _FileChecker(path, doc, locales, today)
        file_entries, topic = checker.check()
        problems += checker.problems
        entries += file_entries
        if topic:
            topics.append(topic)
    problems += cross_checks(entries)
    return entries, topics, problems


def check_record(
    source: Path,
    data: dict[str, Any],
    lines: dict[YamlPath, int],
    topic: str,
    *,
    locales: tuple[str, ...],
    today: dt.date,
) -> tuple[Entry | None, list[Problem]]:
    """One entry given as plain data (an imported row); `lines` maps its fields to source lines."""
    checker = _FileChecker(source, YamlDoc(data, lines), locales, today)
    return checker.entry((), data, topic), checker.problems


def check_title(
    source: Path, value: Any, line: int, *, locales: tuple[str, ...]
) -> tuple[LocalText | None, list[Problem]]:
    checker = _FileChecker(source, YamlDoc(value, {(): line}), locales, dt.date.min)
    return checker.local_text(("topic_title",), value), checker.problems


def cross_checks(entries: list[Entry]) -> list[Problem]:
    problems: list[Problem] = []

    def report(entry: Entry, field: str, message: str) -> None:
        problems.append(Problem(entry.file, entry.line_of(field), field, message))

    first_by_id: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in first_by_id:
            other = first_by_id[entry.id]
            report(
                entry, "id", f"duplicate id {entry.id!r} (first used at {other.file}:{other.line})"
            )
        else:
            first_by_id[entry.id] = entry
    for entry in entries:
        for related in entry.related:
            if related == entry.id:
                report(entry, "related", "an entry cannot be related to itself")
            elif related not in first_by_id:
                report(entry, "related", f"unknown entry id {related!r}")
    _same_questions(entries, report)
    return problems


def _same_questions(entries: list[Entry], report: Callable[[Entry, str, str], None]) -> None:
    owner: dict[str, Entry] = {}
    for entry in entries:
        for text in set(entry.question.texts):
            key = _comparable(text)
            if key in owner and owner[key].id != entry.id:
                first = owner[key]
                report(
                    entry, "question", f"same question as {first.id!r} ({first.file}:{first.line})"
                )
            owner.setdefault(key, entry)


def _comparable(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(char for char in folded if char.isalnum())
