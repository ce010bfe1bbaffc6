"""A compact BM25 inverted index over analysed texts, built on numpy arrays.

Postings are stored CSR-style: for term id t, texts `post_text[ptr[t]:ptr[t+1]]`
with precomputed BM25 weights `post_w[...]`.  A query gathers the slices of
its terms and accumulates them with one `np.bincount`, which keeps a query at
a few milliseconds for 100k entries without any per-document Python work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class QueryScores:
    """Per-text accumulators for one query (arrays of length n_texts)."""

    bm25: npt.NDArray[np.float64]
    matched_idf: npt.NDArray[np.float64]  # sum of idf of the query terms each text contains


class InvertedIndex:
    """BM25 (k1, b) over a fixed list of term sequences, one per text."""

    def __init__(
        self, term_lists: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75
    ) -> None:
        self.vocab: dict[str, int] = {}
        ids, owners = self._term_ids(term_lists)
        self.n_texts = len(term_lists)
        n_terms = len(self.vocab)
        # Unique (term, text) pairs and their counts in one vectorised pass.
        key = ids.astype(np.int64) * max(self.n_texts, 1) + owners
        uniq, tf = np.unique(key, return_counts=True)
        p_term = (uniq // max(self.n_texts, 1)).astype(np.int32)
        p_text = (uniq % max(self.n_texts, 1)).astype(np.int32)
        self.df = np.bincount(p_term, minlength=n_terms).astype(np.int32)
        self.idf = self._idf(self.df, self.n_texts)
        doc_len = np.bincount(owners, minlength=self.n_texts).astype(np.float32)
        avg = float(doc_len.mean()) if self.n_texts else 1.0
        norm = k1 * (1.0 - b + b * doc_len[p_text] / max(avg, 1e-9))
        self.post_w = (self.idf[p_term] * tf * (k1 + 1.0) / (tf + norm)).astype(np.float32)
        self.post_text = p_text  # already grouped by term: np.unique sorted the keys
        self.ptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(self.df, out=self.ptr[1:])
        # Sum of idf over the distinct terms of each text: the "size" of a text
        # used for text-side coverage (how much of the entry the query explains).
        self.text_idf = np.bincount(p_text, weights=self.idf[p_term], minlength=self.n_texts)
        self.unseen_idf = float(self._idf(np.zeros(1, np.int32), self.n_texts)[0])

    def _term_ids(self, term_lists: Sequence[Sequence[str]]) -> tuple[IntArray, IntArray]:
        vocab = self.vocab
        flat: list[int] = []
        lengths: list[int] = []
        for terms in term_lists:
            flat.extend(vocab.setdefault(t, len(vocab)) for t in terms)
            lengths.append(len(terms))
        owners = np.repeat(np.arange(len(term_lists), dtype=np.int32), lengths)
        return np.asarray(flat, dtype=np.int32), owners

    @staticmethod
    def _idf(df: npt.NDArray[np.int32], n: int) -> FloatArray:
        # BM25+ style idf that stays positive even for terms in most texts.
        return np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)

    def term_idf(self, term: str) -> float:
        tid = self.vocab.get(term)
        return self.unseen_idf if tid is None else float(self.idf[tid])

    def score(self, query: Mapping[str, float]) -> QueryScores:
        """BM25 and matched-idf per text for a weighted bag of query terms."""
        texts: list[IntArray] = []
        bm25: list[FloatArray] = []
        idf: list[FloatArray] = []
        for term, weight in query.items():
            tid = self.vocab.get(term)
            if tid is None:
                continue
            lo, hi = self.ptr[tid], self.ptr[tid + 1]
            texts.append(self.post_text[lo:hi])
            bm25.append(self.post_w[lo:hi] * np.float32(weight))
            idf.append(np.full(hi - lo, self.idf[tid] * min(weight, 1.0), dtype=np.float32))
        if not texts:
            zeros = np.zeros(self.n_texts)
            return QueryScores(zeros, zeros)
        idx = np.concatenate(texts)
        return QueryScores(
            np.bincount(idx, weights=np.concatenate(bm25), minlength=self.n_texts),
            np.bincount(idx, weights=np.concatenate(idf), minlength=self.n_texts),
        )

    def nbytes(self) -> int:
        arrays = (self.df, self.idf, self.post_w, self.post_text, self.ptr, self.text_idf)
        return sum(a.nbytes for a in arrays)
