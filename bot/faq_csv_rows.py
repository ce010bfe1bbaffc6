"""The rows of a spreadsheet -> FAQ records: one entry's rows merged, disagreements named.

Texts of one language (question, answer, topic_title, link titles) come from that language's
row; `all` stands for text shared by every language. The columns that belong to the whole entry
may be filled on any of its rows, and rows that repeat one must agree. Alternates are the
exception: each row may add its own, and they are joined in row order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core import Problem
from bot.faq_records import Read, Record, TitleRecord, parse_date
from bot.yamlsource import Path as YamlPath

COLUMNS = (
    "id", "language", "topic", "topic_title", "question", "answer", "alternates", "related",
    "links", "tags", "enabled", "reviewed_by", "reviewed_on", "review_due", "source",
)  # fmt: skip
REQUIRED = ("id", "language", "topic", "question", "answer")
ALL = "all"  # the `language` of text shared by every language
LOCALIZED = ("question", "answer")
ENTRY_WIDE = ("related", "tags", "enabled", "reviewed_by", "reviewed_on", "review_due", "source")
TRUE, FALSE = {"true", "yes", "1"}, {"false", "no", "0"}  # Excel writes TRUE / FALSE


def cell_text(text: str) -> str:
    # Excel may save line breaks inside a cell as CRLF; spaces at line ends are invisible.
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def _items(cell: str) -> list[str]:
    return [line.strip() for line in cell.split("\n") if line.strip()]


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return repr(", ".join(value))
    if isinstance(value, bool):
        return str(value).lower()
    return repr(value.isoformat() if isinstance(value, dt.date) else value)


@dataclass(slots=True)
class _Entry:
    """What the rows of one id said so far, each value with the row it came from."""

    row: int
    topic: tuple[str, int] | None = None
    rows_by_locale: dict[str, int] = field(default_factory=dict)
    texts: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    titles: dict[str, tuple[str, int]] = field(default_factory=dict)  # the topic's, by locale
    alternates: list[tuple[str, int]] = field(default_factory=list)
    links: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)  # url -> titles
    values: dict[str, tuple[Any, int]] = field(default_factory=dict)


class RowReader:
    def __init__(self, source: Path, locales: tuple[str, ...]) -> None:
        self.source, self.locales = source, locales
        self.entries: dict[str, _Entry] = {}
        self.problems: list[Problem] = []

    def report(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(str(self.source), row, column, message))

    def header(self, names: list[str]) -> bool:
        for index, name in enumerate(names):
            if name and name not in COLUMNS:
                self.report(1, "", f"unknown column {name!r} (columns: {', '.join(COLUMNS)})")
            elif name and name in names[:index]:
                self.report(1, "", f"column {name!r} given twice")
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            self.report(1, "", f"missing column(s): {', '.join(missing)}")
        return not self.problems

    def row(self, number: int, names: list[str], values: list[str]) -> None:
        if any(
            value for index, value in enumerate(values) if index >= len(names) or not names[index]
        ):
            self.report(number, "", "text in a column that has no name in the header row")
            return
        self.take(number, {name: value for name, value in zip(names, values, strict=False) if name})

    def take(self, row: int, cells: dict[str, str]) -> None:
        entry_id, language = cells.get("id", ""), self.language(row, cells.get("language", ""))
        if not entry_id:
            self.report(row, "id", "missing: every row needs the id of its entry")
        if not entry_id or language is None:
            return
        entry = self.entries.setdefault(entry_id, _Entry(row))
        if language in entry.rows_by_locale:
            name = ALL if language == "*" else language
            other = entry.rows_by_locale[language]
            self.report(row, "language", f"a second {name!r} row for {entry_id!r} (row {other})")
            return
        entry.rows_by_locale[language] = row
        if topic := cells.get("topic"):
            if entry.topic is None:
                entry.topic = (topic, row)
            elif entry.topic[0] != topic:
                self.conflict(row, "topic", topic, entry.topic)
        for column in LOCALIZED:
            if cells.get(column):
                entry.texts.setdefault(column, {})[language] = (cells[column], row)
        if cells.get("topic_title"):
            entry.titles[language] = (cells["topic_title"], row)
        entry.alternates += [(text, row) for text in _items(cells.get("alternates", ""))]
        self.take_links(entry, language, row, cells.get("links", ""))
        for column in ENTRY_WIDE:
            if cells.get(column):
                value = self.value(row, column, cells[column])
                if value is None:  # a bad date, already reported
                    continue
                known = entry.values.setdefault(column, (value, row))
                if known[0] != value:
                    self.conflict(row, column, value, known)

    def conflict(self, row: int, column: str, value: Any, known: tuple[Any, int]) -> None:
        here, there = _show(value), _show(known[0])
        self.report(row, column, f"{here} here but {there} on row {known[1]} for the same id")

    def language(self, row: int, text: str) -> str | None:
        known = {locale.casefold(): locale for locale in self.locales} | {ALL: "*"}
        if text.casefold() in known:
            return known[text.casefold()]
        problem = f"unknown language {text!r}" if text else "missing"
        self.report(row, "language", f"{problem} (use {', '.join(self.locales)} or {ALL})")
        return None

    def value(self, row: int, column: str, text: str) -> Any:
        if column == "related":
            return tuple(text.replace(",", " ").split())  # ids never hold commas or spaces
        if column == "tags":
            return tuple(_items(text))
        if column == "enabled":
            if text.casefold() not in TRUE | FALSE:
                self.report(row, column, f"write true or false, not {text!r}")
            return text.casefold() not in FALSE
        if column in ("reviewed_on", "review_due"):
            if (date := parse_date(text)) is None:
                self.report(row, column, f"bad date {text!r}: write YYYY-MM-DD")
            return date
        return text

    def take_links(self, entry: _Entry, language: str, row: int, cell: str) -> None:
        seen = set()
        for line in _items(cell):
            title, bar, url = (part.strip() for part in line.rpartition("|"))
            if not bar or not url:
                self.report(
                    row, "links", f"write each link as 'title | url' on its own line: {line!r}"
                )
            elif url in seen:
                self.report(row, "links", f"{url} is given twice")
            else:
                seen.add(url)
                entry.links.setdefault(url, {})[language] = (title, row)

    def records(self) -> Read:
        records: list[Record] = []
        titles: dict[str, dict[str, tuple[str, int]]] = {}  # topic -> locale -> (title, row)
        first_rows: dict[str, int] = {}
        for entry_id, entry in self.entries.items():
            if entry.topic is None:
                self.report(entry.row, "topic", f"missing for {entry_id!r}: give it on its rows")
                continue
            key = entry.topic[0]
            records.append(self.record(entry_id, entry, key))
            first_rows.setdefault(key, entry.row)
            known = titles.setdefault(key, {})
            for language, (text, row) in entry.titles.items():
                first = known.setdefault(language, (text, row))
                if first[0] != text:
                    message = f"{text!r} here but {first[0]!r} on row {first[1]}, same topic"
                    self.report(row, "topic_title", message)
        topics = [self.title(key, titles[key], first_rows[key]) for key in titles]
        return records, topics, self.problems

    def title(self, key: str, texts: dict[str, tuple[str, int]], row: int) -> TitleRecord:
        if not texts:
            return TitleRecord(key, None, row)
        lines: dict[YamlPath, int] = {}
        value = self.local(texts, "topic_title", lines, ())
        return TitleRecord(key, value, lines[()])

    def record(self, entry_id: str, entry: _Entry, topic: str) -> Record:
        data: dict[str, Any] = {"id": entry_id}
        lines: dict[YamlPath, int] = {(): entry.row, ("id",): entry.row}
        for column, texts in entry.texts.items():
            data[column] = self.local(texts, column, lines, (column,))
        if entry.alternates:
            data["alternates"] = [text for text, _ in entry.alternates]
            lines[("alternates",)] = entry.alternates[0][1]
            lines |= {("alternates", i): row for i, (_, row) in enumerate(entry.alternates)}
        if entry.links:
            data["links"] = []
            for index, (url, titles) in enumerate(entry.links.items()):
                where = ("links", index)
                title = self.local(titles, "links", lines, (*where, "title"))
                data["links"].append({"title": title, "url": url})
                lines[where] = lines[(*where, "url")] = lines[(*where, "title")]
            lines[("links",)] = lines[("links", 0)]
        for column, (value, row) in entry.values.items():
            data[column] = list(value) if isinstance(value, tuple) else value
            lines[(column,)] = row
        return Record(topic, data, lines)

    def local(
        self,
        texts: dict[str, tuple[str, int]],
        column: str,
        lines: dict[YamlPath, int],
        where: YamlPath,
    ) -> str | dict[str, str]:
        """Texts by language as in a topic file; `all` stands alone (it is a plain string)."""
        lines[where] = min(row for _, row in texts.values())
        lines |= {(*where, locale): row for locale, (_, row) in texts.items()}
        if list(texts) == ["*"]:
            return texts["*"][0]
        if "*" in texts:
            shared = texts["*"][1]
            self.report(
                max(row for _, row in texts.values()),
                column,
                f"given for one language and for {ALL!r} (row {shared}): use one or the other",
            )
        return {locale: text for locale, (text, _) in texts.items() if locale != "*"}
