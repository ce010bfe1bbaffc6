"""Entries -> topic files written the way the admins write them by hand (for `faq import`).

Keys come in the order faq/README.md shows, multi-line text as `|-` blocks, ids and tags as
`[a, b]`, link titles as `{en: …, zh-TW: …}`, one blank line between entries. PyYAML does the
quoting, so any text (a colon, a leading "-", "yes", "2027") loads back exactly as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.core import FaqError, Problem
from bot.faq import Entry, Topic

REVIEW_FIELDS = ("reviewed_by", "reviewed_on", "review_due", "source")


class _Flow(list):
    """A list written on one line: `[a, b]`."""


class _FlowMap(dict):
    """A mapping written on one line: `{en: …, zh-TW: …}`."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # PyYAML puts list items flush with their key; the admins' files indent them ("  - id:").
        return super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # "|" asks for a block; PyYAML falls back to a quoted string by itself when a block cannot
    # hold the text exactly (e.g. a line ending in spaces).
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


def _flow_list(dumper: yaml.SafeDumper, items: _Flow) -> yaml.SequenceNode:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=True)


def _flow_map(dumper: yaml.SafeDumper, items: _FlowMap) -> yaml.MappingNode:
    return dumper.represent_mapping("tag:yaml.org,2002:map", items.items(), flow_style=True)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(_Flow, _flow_list)
_Dumper.add_representer(_FlowMap, _flow_map)


def entry_data(entry: Entry) -> dict[str, Any]:
    """The entry as it stands in a topic file; fields left at their default are left out."""
    data: dict[str, Any] = {
        "id": entry.id,
        "question": entry.question.as_data(),
        "answer": entry.answer.as_data(),
    }
    if entry.alternates:
        data["alternates"] = list(entry.alternates)
    if entry.related:
        data["related"] = _Flow(entry.related)
    if entry.links:
        data["links"] = [
            {"title": _title(link.title.as_data()), "url": link.url} for link in entry.links
        ]
    if entry.tags:
        data["tags"] = _Flow(entry.tags)
    if not entry.enabled:
        data["enabled"] = False
    for key in REVIEW_FIELDS:
        if (value := getattr(entry, key)) is not None:
            data[key] = value
    return data


def _title(value: str | dict[str, str]) -> str | _FlowMap:
    return _FlowMap(value) if isinstance(value, dict) else value


def topic_yaml(topic: Topic, entries: Sequence[Entry], source: str) -> str:
    document = {"topic": topic.title.as_data(), "entries": [entry_data(e) for e in entries]}
    text = yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,  # never fold a long line: admins edit paragraphs as single lines
    )
    head, _, body = text.partition("entries:\n")
    # Only entries start at column 2 ("  - id:"); text inside them is indented further.
    body = body.replace("\n  - ", "\n\n  - ")
    return (
        f"# Written by `faq import` from {source}. Lines starting with # are comments.\n"
        f"{head}entries:\n{body}"
    )


def write_topics(
    folder: Path,
    topics: Iterable[Topic],
    entries: Iterable[Entry],
    *,
    source: str,
    force: bool = False,
) -> list[Path]:
    """One file per topic in `folder`; refuses (FaqError, nothing written) to mix with old files."""
    by_id = {entry.id: entry for entry in entries}
    files = {
        folder / f"{topic.key}.yaml": topic_yaml(
            topic, [by_id[entry_id] for entry_id in topic.entry_ids], source
        )
        for topic in topics
    }
    _refuse_clashes(folder, files.keys(), force=force)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path, text in files.items():
            # Through a temporary file, so an interrupted import never leaves half a topic file.
            partial = path.with_name(f".{path.name}.partial")
            partial.write_text(text, encoding="utf-8")
            os.replace(partial, path)
    except OSError as error:
        where = error.filename or folder
        raise FaqError([Problem(str(where), 0, "", f"cannot write ({error.strerror})")]) from None
    return list(files)


def _refuse_clashes(folder: Path, targets: Iterable[Path], *, force: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise FaqError([Problem(str(folder), 0, "", "is a file, not a folder")])
    targets = set(targets)
    present = set(folder.glob("*.yaml")) | set(folder.glob("*.yml")) if folder.is_dir() else set()
    problems = [
        Problem(str(path), 0, "", "already exists (use --force to replace it)")
        for path in sorted(present & targets)
        if not force
    ]
    # The bot loads every topic file in the folder: an old topic the import does not replace
    # would be served next to the new ones.
    problems += [
        Problem(str(path), 0, "", "is not in the import: remove it, or import into an empty folder")
        for path in sorted(present - targets)
    ]
    if problems:
        raise FaqError(problems)
