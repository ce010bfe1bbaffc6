"""Re-rank features and the calibrated scoring model.

The model is a conditional logit ("softmax over candidates") with one extra
"none of these" option whose logit is a learned constant.  The probability
of a candidate is therefore directly the probability that it is the right
entry, and whatever is left goes to "none": that is what makes scores
comparable across queries and usable with fixed thresholds.  The weights are
fitted offline by `fit_conditional_logit` (bench/fit_model.py) and pasted
into `SHIPPED_WEIGHTS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

Array = npt.NDArray[np.float64]

FEATURES: tuple[str, ...] = (
    "bm25_rel",  # BM25 / best BM25 among the candidates
    "bm25_abs",  # BM25 / idf mass of the query: absolute strength of the match
    "qcov",  # share of the query's idf mass found in the text
    "tcov",  # share of the text's idf mass found in the query
    "ratio",  # rapidfuzz Indel similarity of the normalised strings
    "tsort",  # token_sort_ratio: word order does not matter
    "tset",  # token_set_ratio: extra words on one side do not matter
)
# Query-level evidence for the "none of these" option: how good the best
# candidate looks in absolute terms, how far ahead it is, how informative the
# query is and how much of it the index has never seen.
NULL_FEATURES: tuple[str, ...] = (
    "bias",
    *(f"top_{f}" for f in FEATURES[1:]),
    "lead",  # rank score of the best candidate minus the second best
    "oov",  # share of the query's idf mass that is unknown to the index
    "log_qmass",  # log idf mass of the query: short queries are less certain
)


@dataclass(frozen=True, slots=True)
class Weights:
    """Ranking weights, their softmax scale and the "none of these" weights.

    Candidate logit = scale * (features . rank); the logit of "none" is
    null_features . null.  Ranking is fitted for top-1 accuracy, the scale and
    null weights for calibration, so calibration never reorders candidates.
    """

    rank: tuple[float, ...]
    scale: float
    null: tuple[float, ...]

    def rank_array(self) -> Array:
        return np.asarray(self.rank, dtype=np.float64)

    def null_array(self) -> Array:
        return np.asarray(self.null, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class ModelWeights:
    """Weights per query script: English and Chinese behave differently."""

    en: Weights
    zh: Weights


@dataclass(frozen=True, slots=True)
class QueryStats:
    mass: float  # sum of idf over the distinct query terms
    oov_mass: float  # part of `mass` from terms the index has never seen


def feature_matrix(
    bm25: Array,
    matched: Array,
    text_idf: Array,
    stats: QueryStats,
    query_fuzzy: str,
    cand_fuzzy: Sequence[str],
    fuzzy: bool = True,
) -> Array:
    """Features for each candidate text (rows) in FEATURES order (columns).

    bm25, matched and text_idf are already restricted to the candidates.
    """
    n = len(cand_fuzzy)
    mass = max(stats.mass, 1e-9)
    cols = {
        "bm25_rel": bm25 / max(float(bm25.max()) if n else 0.0, 1e-9),
        "bm25_abs": bm25 / mass,
        "qcov": matched / mass,
        "tcov": matched / np.maximum(text_idf, 1e-9),
    }
    scorers = (
        ("ratio", fuzz.ratio),
        ("tsort", fuzz.token_sort_ratio),
        ("tset", fuzz.token_set_ratio),
    )
    for name, scorer in scorers:
        if fuzzy and n:
            sim = process.cdist([query_fuzzy], cand_fuzzy, scorer=scorer, dtype=np.float32)
            cols[name] = sim[0] / 100.0
        else:
            cols[name] = np.zeros(n)
    return np.column_stack([np.asarray(cols[f], dtype=np.float64) for f in FEATURES])


def null_features(features: Array, rank_scores: Array, stats: QueryStats) -> Array:
    """NULL_FEATURES for one query, from the candidates' features and rank scores."""
    order = np.argsort(-rank_scores, kind="stable")
    top = features[order[0]]
    lead = rank_scores[order[0]] - (rank_scores[order[1]] if len(order) > 1 else 0.0)
    mass = max(stats.mass, 1e-9)
    return np.array([1.0, *top[1:], lead, stats.oov_mass / mass, np.log1p(stats.mass)])


def probabilities(logits: Array, null_logit: float) -> Array:
    """Softmax over the candidates plus the implicit "none of these" option."""
    top = max(float(logits.max()) if logits.size else null_logit, null_logit)
    e = np.exp(logits - top)
    return e / (e.sum() + np.exp(null_logit - top))  # type: ignore[no-any-return]


def fit_rank_weights(
    groups: Sequence[Array], labels: Sequence[Array], min_gain: float = 0.003
) -> Array:
    """Coordinate ascent on top-1 accuracy, starting from plain relative BM25.

    Top-1 is what the user sees, and a likelihood fit trades it for better
    probabilities of low-ranked candidates, so ranking is fitted directly.
    A move must win at least `min_gain` (a few queries) to count: smaller
    wins are noise and did not survive cross-validation.
    """
    w = np.zeros(groups[0].shape[1])
    w[0] = 1.0  # bm25_rel anchors the scale

    def top1(v: Array) -> float:
        return float(
            np.mean([y[int(np.argmax(g @ v))] for g, y in zip(groups, labels, strict=True)])
        )

    best = top1(w)
    for step in (0.5, 0.2, 0.1, 0.05):
        improved = True
        while improved:
            improved = False
            for j in range(1, len(w)):
                for delta in (step, -step):
                    trial = w.copy()
                    trial[j] += delta
                    score = top1(trial)
                    if score > best + min_gain:
                        best, w, improved = score, trial, True
    return w


def fit_conditional_logit(
    groups: Sequence[Array],
    nulls: Sequence[Array],
    labels: Sequence[Array],
    l2: float = 0.1,
    iters: int = 100,
) -> tuple[Array, Array]:
    """Maximum-likelihood softmax weights by damped Newton steps.

    groups[i] holds one query's candidate columns, nulls[i] the features of
    its "none" option; labels[i] marks the right candidate with 1, or is all
    zero when the right entry is not among the candidates (or the query is
    off-topic), which teaches the "none" weights.  Returns (candidate
    weights, null weights).
    """
    d, e = groups[0].shape[1], len(nulls[0])
    width = max(g.shape[0] for g in groups) + 1
    z = np.zeros((len(groups), width, d + e))
    mask = np.zeros((len(groups), width), dtype=bool)
    target = np.zeros((len(groups), width))
    for i, (g, nf, y) in enumerate(zip(groups, nulls, labels, strict=True)):
        z[i, : len(g), :d] = g
        mask[i, : len(g)] = True
        z[i, -1, d:] = nf
        mask[i, -1] = True
        hit = y.sum() > 0
        target[i, : len(g)] = y / y.sum() if hit else 0.0
        target[i, -1] = 0.0 if hit else 1.0
    theta = np.zeros(d + e)
    for _ in range(iters):
        step = _newton_step(z, mask, target, theta, l2)
        rate = 1.0
        current = _loss(z, mask, target, theta, l2)
        while _loss(z, mask, target, theta - rate * step, l2) > current and rate > 1e-6:
            rate /= 2
        theta = theta - rate * step
        if np.abs(rate * step).max() < 1e-7:
            break
    return theta[:d], theta[d:]


def _softmax(z: Array, mask: npt.NDArray[np.bool_], theta: Array) -> Array:
    s = np.where(mask, z @ theta, -np.inf)
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s)
    return p / p.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def _loss(z: Array, mask: npt.NDArray[np.bool_], target: Array, theta: Array, l2: float) -> float:
    s = np.where(mask, z @ theta, -np.inf)
    top = s.max(axis=1, keepdims=True)
    lse = np.log(np.exp(s - top).sum(axis=1)) + top[:, 0]
    picked = (target * np.where(mask, s, 0.0)).sum()
    return float(-(picked - lse.sum()) + 0.5 * l2 * theta @ theta)


def _newton_step(
    z: Array, mask: npt.NDArray[np.bool_], target: Array, theta: Array, l2: float
) -> Array:
    p = _softmax(z, mask, theta)
    mean = np.einsum("qn,qnd->qd", p, z)
    grad = (np.einsum("qn,qnd->qd", target, z) - mean).sum(axis=0) - l2 * theta
    second = np.einsum("qn,qnd,qne->de", p, z, z) - mean.T @ mean
    hessian = -second - l2 * np.eye(len(theta))
    return np.linalg.solve(hessian, grad)  # type: ignore[no-any-return]
