"""Optional semantic stage: re-rank the lexical shortlist by sentence-embedding cosine.

Pure apart from the embedder's forward pass. The shortlist is the lexical candidates plus the
texts nearest to the query by cosine (so an English question can reach an entry written only
in Chinese, where no word overlaps). Each entry is ranked by z(cosine) + w * z(lexical rank),
z taken over the shortlist: the measured optimum has a small lexical weight, because hard
negatives share the user's keywords. Confidence is a conditional logit over the shortlist with
a "none of these" option, as in bot.model, fitted by bench/fit_semantic.py, then combined
with the lexical confidence so that neither stage answers alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.embedding import Embedder, Vectors
from bot.model import probabilities

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

NULL_FEATURES: tuple[str, ...] = (
    "bias",
    "top_cos",  # cosine of the best-ranked entry: how close it is in absolute terms
    "cos_lead",  # its cosine minus the best cosine among the others
    "top_lex_p",  # the lexical model's confidence in that same entry
    "lex_none",  # the lexical model's "none of these" probability
)


@dataclass(frozen=True, slots=True)
class SemanticWeights:
    lexical: float  # w in z(cosine) + w * z(lexical rank)
    scale: float  # softmax scale of the fused rank
    null: tuple[float, ...]  # NULL_FEATURES weights

    def null_array(self) -> Floats:
        return np.asarray(self.null, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class ScriptWeights:
    en: SemanticWeights
    zh: SemanticWeights


@dataclass(frozen=True, slots=True)
class QueryCosines:
    entries: Floats  # best cosine per entry over its texts
    nearest_texts: Ints  # the texts nearest to the query, nearest first


class SemanticIndex:
    """FAQ text vectors (rows in the matcher's text order) and the model that made them."""

    def __init__(
        self,
        embedder: Embedder,
        vectors: Vectors,
        weights: ScriptWeights,
        shortlist: int = 20,
    ) -> None:
        self.embedder = embedder
        self.weights = weights
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._shortlist = shortlist
        self._starts: Ints = np.zeros(0, dtype=np.int64)
        self._nonempty: npt.NDArray[np.bool_] = np.zeros(0, dtype=bool)

    def bind(self, text_entry: Ints, n_entries: int) -> None:
        """Called by the matcher: which entry owns each row (texts are grouped by entry)."""
        if len(text_entry) != len(self._vectors):
            raise ValueError(f"{len(self._vectors)} vectors for {len(text_entry)} texts")
        counts = np.bincount(text_entry, minlength=n_entries)
        self._starts = np.concatenate(([0], np.cumsum(counts)[:-1])).astype(np.int64)
        self._nonempty = counts > 0

    def nbytes(self) -> int:
        return int(self._vectors.nbytes)

    def cosines(self, query: str) -> QueryCosines:
        q = self.embedder.encode([query])[0]
        cos = (self._vectors @ q).astype(np.float64)
        entries = np.full(len(self._starts), -1.0)
        if cos.size:
            entries[self._nonempty] = np.maximum.reduceat(cos, self._starts[self._nonempty])
        k = min(self._shortlist, cos.size)
        near = np.argpartition(-cos, k - 1)[:k] if 0 < k < cos.size else np.arange(cos.size)
        return QueryCosines(entries, near[np.argsort(-cos[near], kind="stable")])

    def rerank(
        self, cos: Floats, lex_rank: Floats, lex_prob: Floats, chinese: bool
    ) -> tuple[Floats, Floats]:
        """(fused rank, confidence) for the shortlisted entries, in the order given."""
        w = self.weights.zh if chinese else self.weights.en
        fused = fuse(cos, lex_rank, w.lexical)
        null = null_features(fused, cos, lex_prob)
        semantic = probabilities(w.scale * fused, float(null @ w.null_array()))
        # Both stages must back a direct answer: on the shipped FAQ the embedding alone was
        # confidently wrong about look-alikes the words rule out (car inspection -> "what to
        # bring to the clinic"). The geometric mean keeps the sum of confidences below 1.
        return fused, np.sqrt(semantic * lex_prob)


def fuse(cos: Floats, lex_rank: Floats, lexical: float) -> Floats:
    return _z(cos) + lexical * _z(lex_rank)


def null_features(fused: Floats, cos: Floats, lex_prob: Floats) -> Floats:
    top = int(np.argmax(fused))
    others = np.delete(cos, top)
    lead = cos[top] - (float(others.max()) if others.size else 0.0)
    return np.array([1.0, cos[top], lead, lex_prob[top], max(0.0, 1.0 - float(lex_prob.sum()))])


def _z(values: Floats) -> Floats:
    if values.size < 2:
        return np.zeros_like(values)
    return (values - values.mean()) / max(float(values.std()), 1e-6)
