"""Fit the semantic stage (lexical weight, softmax scale, "none" weights) and write
bot/semantic_weights.py. Needs the semantic extra.

English on mqp dev, Chinese on covid_qq_zh dev, each plus our own off-topic list as "none of
these" examples, as bench/fit_model.py does for the lexical model. The held-out FAQ query
files are never used here.

    python -m bench.fit_semantic            # 2-fold CV report + rewrite the weights
    python -m bench.fit_semantic --dry-run  # report only
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.data import ROOT, Query, benchmark, own_offtopic
from bench.fit_model import ece, fold_of
from bot.embedding import Embedder
from bot.embedding_cache import EmbeddingCache, Semantic
from bot.matcher import MatchDoc, Matcher, Ranked
from bot.model import fit_conditional_logit, probabilities
from bot.semantic import ScriptWeights, SemanticIndex, SemanticWeights, fuse, null_features
from bot.semantic_weights import USE_WEIGHTS
from bot.synonyms import load_synonyms

LEXICAL_GRID = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5)


@dataclass(frozen=True, slots=True)
class Sample:
    ranked: Ranked | None
    labels: np.ndarray
    fold: int
    answerable: bool


def semantic_matcher(
    docs: Sequence[MatchDoc], semantic: Semantic, weights: ScriptWeights = USE_WEIGHTS
) -> Matcher:
    texts = [t for d in docs for t in d.texts]
    index = SemanticIndex(semantic.embedder, semantic.vectors(texts), weights)
    return Matcher(docs, load_synonyms(ROOT / "config" / "synonyms.yaml"), semantic=index)


def collect(matcher: Matcher, queries: Sequence[Query], ids: Sequence[str]) -> list[Sample]:
    out = []
    for i, q in enumerate(queries):
        r = matcher.ranked(q.text, context=q.context)
        labels = (
            np.array([ids[e] == q.expected for e in r.entries], dtype=float)
            if r is not None
            else np.zeros(0)
        )
        out.append(Sample(r, labels, fold_of(q, i), q.expected is not None))
    return out


def _fused(s: Sample, lexical: float) -> np.ndarray:
    assert s.ranked is not None and s.ranked.cosine is not None
    return fuse(s.ranked.cosine, s.ranked.lex_rank, lexical)


def top1(samples: Sequence[Sample], lexical: float) -> float:
    hits = [
        bool(s.labels[int(np.argmax(_fused(s, lexical)))]) if s.ranked is not None else False
        for s in samples
        if s.answerable
    ]
    return float(np.mean(hits))


def fit(samples: Sequence[Sample]) -> SemanticWeights:
    lexical = max(LEXICAL_GRID, key=lambda w: (round(top1(samples, w), 4), -w))
    usable = [s for s in samples if s.ranked is not None]
    fused = [_fused(s, lexical) for s in usable]
    nulls = [
        null_features(f, s.ranked.cosine, s.ranked.lex_prob)  # type: ignore[union-attr,arg-type]
        for f, s in zip(fused, usable, strict=True)
    ]
    scale, null = fit_conditional_logit(
        [f[:, None] for f in fused], nulls, [s.labels for s in usable]
    )
    return SemanticWeights(lexical, float(scale[0]), tuple(float(v) for v in null))


def confidence(s: Sample, w: SemanticWeights) -> tuple[float, bool]:
    """Confidence of the top entry and whether it is the right one."""
    if s.ranked is None or s.ranked.cosine is None:
        return 0.0, False
    f = _fused(s, w.lexical)
    p = probabilities(
        w.scale * f, float(null_features(f, s.ranked.cosine, s.ranked.lex_prob) @ w.null_array())
    )
    j = int(np.argmax(f))
    return float(p[j]), bool(s.labels[j])


def cross_validate(samples: Sequence[Sample]) -> tuple[float, float, float]:
    accs, eces, lex = [], [], []
    for f in (0, 1):
        w = fit([s for s in samples if s.fold != f])
        test = [s for s in samples if s.fold == f]
        pairs = [confidence(s, w) for s in test]
        accs.append(top1(test, w.lexical))
        eces.append(ece(np.array([c for c, _ in pairs]), np.array([r for _, r in pairs], float)))
        lex.append(w.lexical)
    return float(np.mean(accs)), float(np.mean(eces)), float(np.mean(lex))


def fit_all(semantic: Semantic, verbose: bool = True) -> ScriptWeights:
    fitted: dict[str, SemanticWeights] = {}
    for name, locale in (("mqp", "en"), ("covid_qq_zh", "zh-TW")):
        ds = benchmark(name)
        matcher = semantic_matcher(ds.docs, semantic)
        ids = [d.entry_id for d in ds.docs]
        samples = collect(matcher, ds.queries, ids) + collect(matcher, own_offtopic(locale), ids)
        acc, e, lex = cross_validate(samples)
        fitted[locale] = w = fit(samples)
        if verbose:
            print(f"{name}: 2-fold CV top-1 {acc:.3f}  ECE {e:.3f}  (fold lexical w {lex:.3f})")
            print(f"  lexical {w.lexical}  scale {w.scale:.3f}  null {np.round(w.null, 2)}")
    return ScriptWeights(en=fitted["en"], zh=fitted["zh-TW"])


def write_weights(w: ScriptWeights) -> None:
    def fmt(x: SemanticWeights) -> str:
        null = ", ".join(f"{v:.4f}" for v in x.null)
        return f"SemanticWeights({x.lexical}, {x.scale:.4f}, ({null}))"

    (ROOT / "bot" / "semantic_weights.py").write_text(
        '"""Fitted semantic-stage weights (generated by bench/fit_semantic.py; do not hand-edit).\n'
        "\nNull column order: bot.semantic.NULL_FEATURES.\n"
        '"""\n\nfrom bot.semantic import ScriptWeights, SemanticWeights\n\n'
        f"USE_WEIGHTS = ScriptWeights(\n    en={fmt(w.en)},\n    zh={fmt(w.zh)},\n)\n",
        encoding="utf-8",
    )


def use_semantic(embedder: Embedder | None = None) -> Semantic:
    from bot.embedding import UseEmbedder

    return Semantic(embedder or UseEmbedder(), EmbeddingCache(ROOT / ".cache" / "embeddings"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    weights = fit_all(use_semantic())
    if not args.dry_run:
        write_weights(weights)
        print("wrote bot/semantic_weights.py")


if __name__ == "__main__":
    main()
