"""Fit the re-rank/calibration weights on the dev splits and write bot/shipped_weights.py.

English weights are fitted on mqp dev, Chinese weights on covid_qq_zh dev, each
plus our own off-topic list (bench/offtopic_own.jsonl) as "none of these"
examples.  The held-out FAQ query files are never used here.

    python bench/fit_model.py            # 2-fold CV report + rewrite shipped weights
    python bench/fit_model.py --dry-run  # report only
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.data import ROOT, Dataset, Query, benchmark, own_offtopic
from bot.decision import Thresholds, decide
from bot.matcher import Match, Matcher, MatcherOptions
from bot.model import (
    FEATURES,
    ModelWeights,
    QueryStats,
    Weights,
    fit_conditional_logit,
    fit_rank_weights,
    null_features,
    probabilities,
)
from bot.synonyms import Synonyms, load_synonyms


@dataclass(frozen=True, slots=True)
class Sample:
    features: np.ndarray  # one row per candidate entry
    labels: np.ndarray  # 1.0 for the expected entry
    fold: int
    answerable: bool  # False for off-topic queries
    stats: QueryStats


def fold_of(query: Query, index: int) -> int:
    """Paraphrases of one entry stay in one fold, so CV does not leak."""
    key = query.expected or f"offtopic-{index}"
    return hashlib.sha256(key.encode()).digest()[0] % 2


def collect(matcher: Matcher, queries: Sequence[Query], ids: Sequence[str]) -> list[Sample]:
    samples: list[Sample] = []
    for i, q in enumerate(queries):
        c = matcher.candidates(q.text, context=q.context)
        stats = QueryStats(0.0, 0.0)
        if c is None:
            feats, labels = np.zeros((1, len(FEATURES))), np.zeros(1)
        else:
            stats = c.stats
            # Keep each entry's best-BM25 text (rows arrive in BM25 order).
            _, first = np.unique(c.entries, return_index=True)
            first.sort()
            feats = c.features[first]
            labels = np.array([ids[e] == q.expected for e in c.entries[first]], dtype=float)
        samples.append(Sample(feats, labels, fold_of(q, i), q.expected is not None, stats))
    return samples


def fit(samples: Sequence[Sample]) -> Weights:
    """Ranking by coordinate ascent on top-1, then scale + "none" weights by likelihood."""
    answerable = [s for s in samples if s.answerable]
    rank = fit_rank_weights([s.features for s in answerable], [s.labels for s in answerable])
    scores = [s.features @ rank for s in samples]
    nulls = [null_features(s.features, r, s.stats) for s, r in zip(samples, scores, strict=True)]
    scale, null = fit_conditional_logit(
        [r[:, None] for r in scores], nulls, [s.labels for s in samples]
    )
    return Weights(tuple(float(v) for v in rank), float(scale[0]), tuple(float(v) for v in null))


def predict(s: Sample, w: Weights) -> np.ndarray:
    r = s.features @ w.rank_array()
    return probabilities(w.scale * r, float(null_features(s.features, r, s.stats) @ w.null_array()))


def evaluate(samples: Sequence[Sample], w: Weights) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Top-1 accuracy, expected calibration error, and the (confidence, correct) pairs."""
    conf, right = [], []
    for s in samples:
        p = predict(s, w)
        j = int(np.argmax(p))
        conf.append(p[j])
        right.append(s.labels[j])
    c, r = np.array(conf), np.array(right)
    return float(r.mean()), ece(c, r), c, r


def ece(conf: np.ndarray, right: np.ndarray, bins: int = 10) -> float:
    edges = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = edges == b
        if m.any():
            total += m.mean() * abs(conf[m].mean() - right[m].mean())
    return total


def cross_validate(samples: Sequence[Sample]) -> tuple[float, float]:
    """2-fold CV: top-1 over answerable queries, ECE over all (off-topic included)."""
    accs, eces = [], []
    for f in (0, 1):
        w = fit([s for s in samples if s.fold != f])
        test = [s for s in samples if s.fold == f]
        accs.append(evaluate([s for s in test if s.answerable], w)[0])
        eces.append(evaluate(test, w)[1])
    return float(np.mean(accs)), float(np.mean(eces))


@dataclass(frozen=True, slots=True)
class CVResult:
    top1: float
    answer_rate: float  # over answerable + own off-topic queries
    answer_precision: float
    ece: float


def cross_validate_predictions(
    ds: Dataset, locale: str, options: MatcherOptions, thresholds: Thresholds
) -> CVResult:
    """2-fold CV of the whole fit, scored with the decision rule at `thresholds`."""
    samples, _ = script_samples(ds, locale, options)
    top1, conf, right, answered, good = [], [], [], 0, 0
    for f in (0, 1):
        w = fit([s for s in samples if s.fold != f])
        for s in (s for s in samples if s.fold == f):
            p = predict(s, w) if options.calibrated else _coverage(s)
            order = np.argsort(-(s.features @ w.rank_array()), kind="stable")
            j = int(order[0])
            ok = bool(s.labels[j]) if s.labels.size else False
            if s.answerable:
                top1.append(ok)
            conf.append(float(p[j]))
            right.append(ok)
            matches = [Match(str(i), float(p[i])) for i in order[:5]]
            if decide(matches, thresholds).outcome == "answer":
                answered += 1
                good += ok
    c, r = np.array(conf), np.array(right, dtype=float)
    prec = good / answered if answered else float("nan")
    return CVResult(float(np.mean(top1)), answered / len(samples), prec, ece(c, r))


def _coverage(s: Sample) -> np.ndarray:
    """The uncalibrated alternative: query coverage of each candidate."""
    return np.clip(s.features[:, FEATURES.index("qcov")], 0.0, 1.0)


def script_samples(ds: Dataset, locale: str, options: MatcherOptions) -> tuple[list[Sample], int]:
    """Dev queries + own off-topic queries of one script; returns (samples, n_answerable)."""
    matcher = Matcher(ds.docs, load_shipped_synonyms(options), options=options)
    ids = [d.entry_id for d in ds.docs]
    answerable = collect(matcher, ds.queries, ids)
    return answerable + collect(matcher, own_offtopic(locale), ids), len(answerable)


def load_shipped_synonyms(options: MatcherOptions) -> Synonyms | None:
    return load_synonyms(ROOT / "config" / "synonyms.yaml") if options.analyzer.synonyms else None


def fit_all(options: MatcherOptions, verbose: bool = True) -> ModelWeights:
    fitted: dict[str, Weights] = {}
    for name, locale in (("mqp", "en"), ("covid_qq_zh", "zh-TW")):
        samples, n = script_samples(benchmark(name), locale, options)
        acc, e = cross_validate(samples)
        fitted[locale] = fit(samples)
        if verbose:
            extra = len(samples) - n
            print(
                f"{name}: 2-fold CV top-1 {acc:.3f}  ECE {e:.3f}  ({n} queries + {extra} off-topic)"
            )
            print("  rank", dict(zip(FEATURES, np.round(fitted[locale].rank, 2), strict=True)))
            print(
                "  scale", round(fitted[locale].scale, 3), "null", np.round(fitted[locale].null, 2)
            )
    return ModelWeights(en=fitted["en"], zh=fitted["zh-TW"])


def write_weights(w: ModelWeights) -> None:
    def fmt(x: Weights) -> str:
        rank = ", ".join(f"{v:.4f}" for v in x.rank)
        null = ", ".join(f"{v:.4f}" for v in x.null)
        return f"Weights(\n        ({rank}),\n        {x.scale:.4f},\n        ({null}),\n    )"

    (ROOT / "bot" / "shipped_weights.py").write_text(
        '"""Fitted model weights (generated by bench/fit_model.py; do not hand-edit).\n\n'
        "Column order: bot.model.FEATURES (rank) and bot.model.NULL_FEATURES (null).\n"
        '"""\n\nfrom bot.model import ModelWeights, Weights\n\n'
        f"SHIPPED_WEIGHTS = ModelWeights(\n    en={fmt(w.en)},\n    zh={fmt(w.zh)},\n)\n",
        encoding="utf-8",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    weights = fit_all(MatcherOptions())
    if not args.dry_run:
        write_weights(weights)
        print("wrote bot/shipped_weights.py")


if __name__ == "__main__":
    main()
