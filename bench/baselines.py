"""Plain baselines measured side by side with the matcher in bench/matcher.py."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process

from bot.matcher import Match, MatchDoc

_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff]+")


def plain_tokens(text: str) -> list[str]:
    """Lower-cased words for English, character bigrams for Chinese: no other processing."""
    low = text.lower()
    grams = [run[i : i + 2] for run in _CJK.findall(low) for i in range(max(len(run) - 1, 1))]
    return _WORD.findall(low) + grams


class PlainBM25:
    """Textbook BM25 (k1=1.5, b=0.75) over plain_tokens, max over an entry's texts."""

    def __init__(self, docs: Sequence[MatchDoc], k1: float = 1.5, b: float = 0.75) -> None:
        self._ids = [d.entry_id for d in docs]
        texts = [(i, plain_tokens(t)) for i, d in enumerate(docs) for t in d.texts]
        self._owner = np.array([i for i, _ in texts])
        self._post: dict[str, list[tuple[int, float]]] = {}
        avg = sum(len(t) for _, t in texts) / max(len(texts), 1)
        df = Counter(term for _, t in texts for term in set(t))
        n = len(texts)
        for j, (_, toks) in enumerate(texts):
            norm = k1 * (1 - b + b * len(toks) / max(avg, 1e-9))
            for term, tf in Counter(toks).items():
                idf = math.log1p((n - df[term] + 0.5) / (df[term] + 0.5))
                self._post.setdefault(term, []).append((j, idf * tf * (k1 + 1) / (tf + norm)))
        self._n = n

    def search(self, query: str, limit: int = 5) -> list[Match]:
        scores = np.zeros(self._n)
        for term in plain_tokens(query):
            for j, w in self._post.get(term, ()):
                scores[j] += w
        best: dict[int, float] = {}
        for j in np.argsort(-scores)[: limit * 4]:
            if scores[j] > 0:
                e = int(self._owner[j])
                best[e] = max(best.get(e, 0.0), float(scores[j]))
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
        return [Match(self._ids[e], s) for e, s in ranked]


class PlainFuzzy:
    """rapidfuzz.process.extract(scorer=token_set_ratio) over all texts, lower-cased."""

    def __init__(self, docs: Sequence[MatchDoc]) -> None:
        self._ids = [d.entry_id for d in docs]
        pairs = [(i, t.lower()) for i, d in enumerate(docs) for t in d.texts]
        self._owner = [i for i, _ in pairs]
        self._texts = [t for _, t in pairs]

    def search(self, query: str, limit: int = 5) -> list[Match]:
        hits = process.extract(
            query.lower(), self._texts, scorer=fuzz.token_set_ratio, limit=limit * 4
        )
        best: dict[int, float] = {}
        for _, score, j in hits:
            e = self._owner[j]
            best.setdefault(e, score / 100.0)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
        return [Match(self._ids[e], s) for e, s in ranked]
