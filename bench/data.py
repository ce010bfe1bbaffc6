"""Benchmark data loading (I/O lives here, never in bot/)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.matcher import MatchDoc  # noqa: E402

# The public benchmarks carry no open licence: they are read from beside the project
# (../shared/data), never copied into it. BENCH_DATA points elsewhere if needed.
DATA = Path(os.environ.get("BENCH_DATA", ROOT.parent / "shared" / "data"))
FAQ_DIR = ROOT / "faq"
FAQ_TESTS = ROOT / "tests" / "data"
OWN_OFFTOPIC = Path(__file__).resolve().parent / "offtopic_own.jsonl"


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    expected: str | None  # None: off-topic, must not be answered
    context: str | None = None


@dataclass(frozen=True, slots=True)
class Dataset:
    name: str
    docs: tuple[MatchDoc, ...]
    queries: tuple[Query, ...]


def read_jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _queries(path: Path) -> list[Query]:
    return [
        Query(str(r["query"]), r.get("expected_id"), r.get("context"))  # type: ignore[arg-type]
        for r in read_jsonl(path)
    ]


def benchmark(name: str) -> Dataset:
    """mqp or covid_qq_zh: one text per entry, dev queries."""
    corpus = read_jsonl(DATA / name / "corpus.jsonl")
    docs = tuple(MatchDoc(str(r["id"]), (str(r["question"]),)) for r in corpus)
    return Dataset(name, docs, tuple(_queries(DATA / name / "dev_queries.jsonl")))


def own_offtopic(locale: str | None = None) -> list[Query]:
    """Our own off-topic list (used to fit the "none" option; not the held-out one)."""
    qs = _queries(OWN_OFFTOPIC)
    if locale is None:
        return qs
    from bot.text import detect_locale

    return [q for q in qs if detect_locale(q.text) == locale]


def faq_docs(folder: Path = FAQ_DIR) -> tuple[MatchDoc, ...]:
    """Shipped FAQ files: one topic per file, entries with question/alternates/related."""
    docs: list[MatchDoc] = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for e in data.get("entries") or []:
            question = e.get("question") or {}
            texts = [str(v) for v in question.values() if v]
            texts += [str(a) for a in e.get("alternates") or [] if a]
            related = tuple(str(r) for r in e.get("related") or [])
            docs.append(MatchDoc(str(e["id"]), tuple(texts), path.stem, related))
    return tuple(docs)


def crosslang_sets() -> dict[str, tuple[tuple[MatchDoc, ...], list[Query]]]:
    """Our cross-language set: the shipped FAQ with one language's texts removed, and
    questions in the other language (tests/data/crosslang_queries.jsonl)."""
    from bot.text import has_cjk

    rows = read_jsonl(FAQ_TESTS / "crosslang_queries.jsonl")
    out = {}
    for keep, label in (
        ("zh", "English questions, Chinese-only FAQ"),
        ("en", "Chinese questions, English-only FAQ"),
    ):
        docs = tuple(
            MatchDoc(
                d.entry_id,
                tuple(t for t in d.texts if has_cjk(t) == (keep == "zh")),
                d.topic,
                d.related,
            )
            for d in faq_docs()
        )
        queries = [Query(str(r["query"]), str(r["expected_id"])) for r in rows if r["faq"] == keep]
        out[label] = (docs, queries)
    return out


def faq_available() -> bool:
    return FAQ_DIR.is_dir() and (FAQ_TESTS / "faq_queries.jsonl").is_file()


def faq_sets() -> dict[str, list[Query]]:
    """The held-out FAQ query files that exist right now."""
    out: dict[str, list[Query]] = {}
    for name in ("faq_queries", "faq_queries_holdout", "offtopic_queries", "followup_queries"):
        path = FAQ_TESTS / f"{name}.jsonl"
        if path.is_file():
            out[name] = _queries(path)
    return out
