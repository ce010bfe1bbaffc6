"""Typo-tolerant mapping of unknown English query words onto the vocabulary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA


def max_edits(length: int) -> int:
    """Edits allowed for a word of this length.

    Short words are left alone: "pain" is one edit from "paid", "rain" and
    "main", so correcting them invents matches.  Longer words tolerate one
    typo, and words of 8+ letters two (fasiculation -> fasciculation).
    """
    if length < 5:
        return 0
    return 1 if length < 8 else 2


class TypoFixer:
    """Maps an out-of-vocabulary word to the most frequent close known word.

    Candidates are bucketed by (first letter, length), so one lookup only
    compares against words that can be within the allowed edit distance;
    typos in the first letter are rare and are not corrected.  OSA distance
    counts a swap of two neighbouring letters as one edit (recieve -> receive).
    """

    def __init__(self, words: Iterable[str]) -> None:
        counts = Counter(w for w in words if w.isalpha())
        self._known = frozenset(counts)
        buckets: dict[tuple[str, int], list[str]] = {}
        # Most frequent first, so that ties go to the common word.
        for word, _ in counts.most_common():
            buckets.setdefault((word[0], len(word)), []).append(word)
        self._buckets = buckets
        self._cache: dict[str, str] = {}  # bounded memo of past corrections

    def __contains__(self, word: str) -> bool:
        return word in self._known

    def __call__(self, word: str) -> str:
        edits = max_edits(len(word))
        if edits == 0 or word in self._known or not word.isalpha():
            return word
        fixed = self._cache.get(word)
        if fixed is None:
            fixed = self._closest(word, edits)
            if len(self._cache) >= 100_000:
                self._cache.clear()
            self._cache[word] = fixed
        return fixed

    def _closest(self, word: str, edits: int) -> str:
        best: tuple[str, int] | None = None
        for length in range(len(word) - edits, len(word) + edits + 1):
            bucket = self._buckets.get((word[0], length))
            if not bucket:
                continue
            hit = process.extractOne(word, bucket, scorer=OSA.distance, score_cutoff=edits)
            if hit is not None and (best is None or hit[1] < best[1]):
                best = (hit[0], int(hit[1]))
        return word if best is None else best[0]
