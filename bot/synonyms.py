"""Synonym groups and the text analyser that applies them.

A synonym group is a list of equivalent terms ("ALS", "Lou Gehrig's disease",
"漸凍症", ...).  Every occurrence of any of its terms is replaced by one
canonical group token, a private-use character, so the inverted index and the
fuzzy scorers see the group as a single word (or a single Chinese character).
Terms go through the same normalisation, stemming and stop-word removal as
the text they are matched in, so "twitches" matches the term "twitching".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.text import (
    STOP_WORDS,
    Normaliser,
    cjk_ngrams,
    clean_word,
    default_normaliser,
    split_runs,
    stem,
)

_GROUP_BASE = 0xF0000  # Supplementary Private Use Area-A
_CACHE_LIMIT = 200_000


def group_token(gid: int) -> str:
    return chr(_GROUP_BASE + gid)


def is_group_token(unit: str) -> bool:
    return len(unit) == 1 and ord(unit) >= _GROUP_BASE


@dataclass(frozen=True, slots=True)
class Synonyms:
    """Groups of equivalent terms, as written by clinic admins."""

    groups: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def from_groups(cls, groups: Iterable[Iterable[str]]) -> Synonyms:
        cleaned = (tuple(t.strip() for t in g if t and t.strip()) for g in groups)
        return cls(tuple(g for g in cleaned if len(g) >= 2))


def load_synonyms(path: str | Path) -> Synonyms:
    """Read a `groups: [[term, ...], ...]` YAML file (the only I/O here)."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    groups = data.get("groups") or []
    return Synonyms.from_groups([str(t) for t in g] for g in groups if isinstance(g, list))


@dataclass(frozen=True, slots=True)
class AnalyzerOptions:
    """Switches for the ablation study; the defaults are the shipped setup."""

    stop_words: bool = True
    stemming: bool = True
    synonyms: bool = True
    fold_chinese: bool = True
    cjk_unigrams: bool = True


@dataclass(slots=True)
class Unit:
    """One word, one Chinese character or one group token, with its run id."""

    text: str
    cjk: bool
    run: int


@dataclass(frozen=True, slots=True)
class Analysis:
    terms: tuple[str, ...]  # index terms: words, group tokens, CJK n-grams
    fuzzy: str  # compact string for rapidfuzz: words spaced, Chinese unspaced
    words: tuple[str, ...] = field(default=())  # pre-synonym words (typo vocabulary)


WordFixer = Callable[[str], str]


class Analyzer:
    """Turns raw text into index terms; shared by documents and queries."""

    def __init__(
        self, synonyms: Synonyms | None = None, options: AnalyzerOptions | None = None
    ) -> None:
        self.options = options or AnalyzerOptions()
        self._normalise: Normaliser = (
            default_normaliser() if self.options.fold_chinese else Normaliser(fold_chinese=False)
        )
        # phrase (tuple of units) -> group tokens; indexed by first unit.
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self.phrase_words: set[str] = set()
        # raw word -> processed word; stemming is the hot spot of long queries.
        self._word_cache: dict[str, str | None] = {}
        if synonyms is not None and self.options.synonyms:
            self._compile(synonyms)

    def _compile(self, synonyms: Synonyms) -> None:
        table: dict[tuple[str, ...], list[str]] = {}
        for gid, group in enumerate(synonyms.groups):
            for term in group:
                units = tuple(u.text for u in self._units(term))
                if units and group_token(gid) not in table.setdefault(units, []):
                    table[units].append(group_token(gid))
        for units, tokens in table.items():
            self._phrases.setdefault(units[0], []).append((units, "".join(tokens)))
            self.phrase_words.update(u for u in units if len(u) > 1)
        for entries in self._phrases.values():
            entries.sort(key=lambda e: -len(e[0]))  # longest match wins

    def _word(self, raw: str) -> str | None:
        cached = self._word_cache.get(raw, "")
        if cached != "":
            return cached
        w: str | None = clean_word(raw)
        if not w or (self.options.stop_words and w in STOP_WORDS):
            w = None
        elif self.options.stemming:
            w = stem(w)
        if len(self._word_cache) >= _CACHE_LIMIT:
            self._word_cache.clear()  # bounded: a flood of random words cannot grow it
        self._word_cache[raw] = w
        return w

    def _units(self, text: str, fix: WordFixer | None = None) -> list[Unit]:
        units: list[Unit] = []
        for run_id, (is_cjk, run) in enumerate(split_runs(self._normalise(text))):
            if is_cjk:
                units.extend(Unit(ch, True, run_id) for ch in run)
                continue
            word = self._word(run)
            if word is not None:
                units.append(Unit(fix(word) if fix else word, False, run_id))
        return units

    def _match_at(self, units: Sequence[Unit], i: int) -> tuple[int, str] | None:
        for phrase, token in self._phrases.get(units[i].text, ()):
            n = len(phrase)
            if tuple(u.text for u in units[i : i + n]) != phrase:
                continue
            # A one-character Chinese term (麻, 抖) would fire inside unrelated
            # words (麻煩), so it only counts when it is the whole run.
            if n == 1 and units[i].cjk and not _alone_in_run(units, i):
                continue
            return n, token
        return None

    def _apply_synonyms(self, units: list[Unit]) -> tuple[list[Unit], list[Unit]]:
        """Return (units for index terms, units for the fuzzy string).

        Matched terms become their group token.  A Chinese span also keeps
        its single characters as loose unigrams (not bigrams): partial
        overlaps such as 咳 in 咳痰 vs 咳嗽 rely on them, while the span's
        bigrams would make the literal wording outweigh the synonym.
        """
        if not self._phrases:
            return units, units
        terms: list[Unit] = []
        fuzzy: list[Unit] = []
        extra: list[Unit] = []
        i = 0
        while i < len(units):
            hit = self._match_at(units, i)
            if hit is None:
                terms.append(units[i])
                fuzzy.append(units[i])
                i += 1
                continue
            n, tokens = hit
            # Each group token is a run of its own: it must not glue onto
            # neighbouring characters as a bigram ("ALS會" vs "漸凍症會").
            group = [Unit(tok, False, -1) for tok in tokens]
            fuzzy.extend(group)
            terms.extend(group)
            if units[i].cjk:
                # Distinct negative run ids keep the characters apart.
                extra.extend(
                    Unit(u.text, True, -2 - len(extra) - k) for k, u in enumerate(units[i : i + n])
                )
            i += n
        return terms + extra, fuzzy

    def analyse(self, text: str, fix: WordFixer | None = None) -> Analysis:
        raw_units = self._units(text, fix)
        term_units, fuzzy_units = self._apply_synonyms(raw_units)
        terms: list[str] = []
        for run in _group_runs(term_units):
            if run[0].cjk:
                terms.extend(cjk_ngrams("".join(u.text for u in run), self.options.cjk_unigrams))
            else:
                terms.extend(u.text for u in run)
        pieces = ["".join(u.text for u in run) for run in _group_runs(fuzzy_units)]
        words = tuple(u.text for u in raw_units if not u.cjk)
        return Analysis(tuple(terms), " ".join(pieces), words)


def _alone_in_run(units: Sequence[Unit], i: int) -> bool:
    run = units[i].run
    before = i > 0 and units[i - 1].run == run
    after = i + 1 < len(units) and units[i + 1].run == run
    return not (before or after)


def _group_runs(units: Sequence[Unit]) -> list[list[Unit]]:
    """Consecutive CJK characters of one run form a group; others stand alone."""
    runs: list[list[Unit]] = []
    for u in units:
        if u.cjk and runs and runs[-1][0].cjk and runs[-1][-1].run == u.run:
            runs[-1].append(u)
        else:
            runs.append([u])
    return runs
