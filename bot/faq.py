"""The FAQ as the bot sees it, and loading it from the admins' files.

`load_faq(path)` returns a `Faq` or raises `FaqError` naming file, line and field;
`check_faq(path)` returns every problem (errors and warnings) for `faq check`.
A path is either a folder of topic files (`*.yaml`) or one `.jsonl` file of
`{"id", "question", "alternates"?, "answer"?}` lines (benchmark corpora).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.core import FaqError, Problem

DEFAULT_LOCALES = ("en", "zh-TW")


@dataclass(frozen=True, slots=True)
class LocalText:
    """Text in one or more locales. A plain string in the file serves every locale."""

    values: tuple[tuple[str, str], ...]  # (locale, text); locale "*" for a plain string

    @classmethod
    def plain(cls, text: str) -> LocalText:
        return cls((("*", text),))

    def get(self, locale: str) -> str:
        by_locale = dict(self.values)
        language = locale.split("-")[0]
        for candidate in (locale, "*"):
            if candidate in by_locale:
                return by_locale[candidate]
        for key, text in self.values:
            if key.split("-")[0] == language:
                return text
        return self.values[0][1]

    @property
    def locales(self) -> tuple[str, ...]:
        return tuple(locale for locale, _ in self.values)

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.values)

    def as_data(self) -> str | dict[str, str]:
        """As written in a topic file: a plain string, or a mapping of locale to text."""
        if self.locales == ("*",):
            return self.values[0][1]
        return dict(self.values)


@dataclass(frozen=True, slots=True)
class EntryLink:
    title: LocalText
    url: str


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    topic: str  # the key of the topic (its file name without .yaml)
    question: LocalText
    answer: LocalText
    alternates: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    links: tuple[EntryLink, ...] = ()
    tags: tuple[str, ...] = ()
    enabled: bool = True
    reviewed_by: str | None = None
    reviewed_on: dt.date | None = None
    review_due: dt.date | None = None
    source: str | None = None
    file: str = ""
    line: int = 0
    field_lines: tuple[tuple[str, int], ...] = field(default=(), compare=False, repr=False)

    def line_of(self, name: str) -> int:
        return dict(self.field_lines).get(name, self.line)


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    title: LocalText
    entry_ids: tuple[str, ...]


class Faq:
    """Enabled entries by id, topics in file order, and a version naming the exact content."""

    def __init__(self, entries: Iterable[Entry], topics: Iterable[Topic], version: str) -> None:
        # Disabled entries are kept apart so that `faq export` can carry them over.
        self.all_entries = tuple(entries)
        self.entries = tuple(entry for entry in self.all_entries if entry.enabled)
        self._by_id = {entry.id: entry for entry in self.entries}
        self.topics = tuple(topics)
        self.version = version

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def topic(self, key: str) -> Topic | None:
        return next((topic for topic in self.topics if topic.key == key), None)


def load_faq(path: Path, *, locales: tuple[str, ...] = DEFAULT_LOCALES) -> Faq:
    faq, problems = check_faq(path, locales=locales)
    errors = [problem for problem in problems if problem.severity == "error"]
    if errors or faq is None:
        raise FaqError(errors or [Problem(str(path), 0, "", "no FAQ entries found")])
    return faq


def check_faq(
    path: Path,
    *,
    locales: tuple[str, ...] = DEFAULT_LOCALES,
    today: dt.date | None = None,
) -> tuple[Faq | None, list[Problem]]:
    """Load and validate; the Faq is None when there are errors."""
    # Imported here because the rules import this module's types.
    from bot.faq_rules import check_files

    if path.suffix == ".jsonl":
        return _load_jsonl(path)
    if not path.is_dir():
        return None, [Problem(str(path), 0, "", "not a folder of .yaml files or a .jsonl file")]
    files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
    if not files:
        return None, [Problem(str(path), 0, "", "no .yaml files in this folder")]
    entries, topics, problems = check_files(files, locales=locales, today=today or dt.date.today())
    if any(problem.severity == "error" for problem in problems):
        return None, problems
    return Faq(entries, topics, _version(files)), problems


def _version(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def _load_jsonl(path: Path) -> tuple[Faq | None, list[Problem]]:
    entries: list[Entry] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            entry_id, question = str(row["id"]), str(row["question"])
        except (ValueError, KeyError, TypeError) as error:
            problems.append(Problem(str(path), number, "", f"not a JSON entry line ({error})"))
            continue
        if entry_id in seen:
            problems.append(Problem(str(path), number, "id", f"duplicate id {entry_id!r}"))
            continue
        seen.add(entry_id)
        entries.append(
            Entry(
                id=entry_id,
                topic=str(row.get("category") or ""),
                question=LocalText.plain(question),
                answer=LocalText.plain(str(row.get("answer") or question)),
                alternates=tuple(str(text) for text in row.get("alternates") or ()),
                file=str(path),
                line=number,
            )
        )
    if problems or not entries:
        return None, problems or [Problem(str(path), 0, "", "no entries")]
    return Faq(entries, (), _version([path])), []
