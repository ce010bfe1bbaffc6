"""Text -> ranked FAQ entries with scores in [0, 1] (first version: rapidfuzz over every text)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.text import normalize


@dataclass(frozen=True, slots=True)
class MatchDoc:
    entry_id: str
    texts: tuple[str, ...]
    topic: str = ""
    related: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Match:
    entry_id: str
    score: float


@dataclass(frozen=True, slots=True)
class Thresholds:
    answer: float = 0.75
    suggest: float = 0.45
    margin: float = 0.05


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: str  # "answer" | "suggest" | "fallback"
    matches: tuple[Match, ...]


class Synonyms:
    def __init__(self, groups: Sequence[Sequence[str]] = ()) -> None:
        self.groups = tuple(tuple(group) for group in groups)

    @classmethod
    def from_groups(cls, groups: Sequence[Sequence[str]]) -> Synonyms:
        return cls(groups)


class Matcher:
    def __init__(self, docs: Sequence[MatchDoc], synonyms: Synonyms | None = None) -> None:
        self._owners: list[str] = []
        self._texts: list[str] = []
        self._docs = {doc.entry_id: doc for doc in docs}
        for doc in docs:
            for text in doc.texts:
                self._owners.append(doc.entry_id)
                self._texts.append(normalize(text))

    def search(self, query: str, *, context: str | None = None, limit: int = 5) -> list[Match]:
        wanted = normalize(query)
        if not wanted:
            return []
        best: dict[str, float] = {}
        hits = process.extract(wanted, self._texts, scorer=fuzz.token_sort_ratio, limit=limit * 8)
        for _, score, index in hits:
            owner = self._owners[index]
            best[owner] = max(best.get(owner, 0.0), score / 100)
        ranked = sorted(best.items(), key=lambda item: -item[1])[:limit]
        return [Match(entry_id, round(score, 4)) for entry_id, score in ranked]


def decide(matches: Sequence[Match], thresholds: Thresholds) -> Decision:
    if not matches or matches[0].score < thresholds.suggest:
        return Decision("fallback", tuple(matches))
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    if matches[0].score >= thresholds.answer and matches[0].score - runner_up >= thresholds.margin:
        return Decision("answer", tuple(matches))
    return Decision("suggest", tuple(matches))
