"""Benchmark of the FAQ matcher against plain baselines, at scale, and ablations.

python -m bench.matcher                 # everything
python -m bench.matcher --only quality  # or: scale, ablation
python -m bench.matcher --no-semantic   # leave out the embedding rows (they need [semantic])
"""

from __future__ import annotations

import os

# Single-threaded numeric libraries: the numbers must hold on a shared 2-core box.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402

import numpy as np  # noqa: E402

from bench.baselines import PlainBM25, PlainFuzzy  # noqa: E402
from bench.data import (  # noqa: E402
    ROOT,
    Query,
    benchmark,
    crosslang_sets,
    faq_available,
    faq_docs,
    faq_sets,
)
from bench.fit_model import cross_validate_predictions  # noqa: E402
from bench.fit_semantic import semantic_matcher, use_semantic  # noqa: E402
from bench.scale import scale_table  # noqa: E402
from bench.semantic_scale import semantic_scale  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.decision import Thresholds, decide  # noqa: E402
from bot.embedding_cache import Semantic  # noqa: E402
from bot.matcher import Match, Matcher, MatcherOptions  # noqa: E402
from bot.synonyms import AnalyzerOptions, load_synonyms  # noqa: E402

# The thresholds the bot ships with: config/bot.yaml, as the dialog reads them.
SHIPPED = load_config(ROOT / "config").thresholds
Search = Callable[[Query], list[Match]]


@dataclass(frozen=True, slots=True)
class Row:
    top1: float
    r3: float
    mrr5: float
    answer_rate: float | None
    answer_precision: float | None
    p50_ms: float
    p99_ms: float
    n: int


def run(search: Search, queries: Sequence[Query], thresholds: Thresholds | None) -> Row:
    top1 = r3 = mrr = answered = right = 0.0
    lat: list[float] = []
    for q in queries:
        t0 = time.perf_counter()
        ms = search(q)
        lat.append((time.perf_counter() - t0) * 1000)
        ids = [m.entry_id for m in ms[:5]]
        if q.expected is not None and q.expected in ids:
            rank = ids.index(q.expected)
            top1 += rank == 0
            r3 += rank < 3
            mrr += 1.0 / (rank + 1)
        if thresholds is not None:
            d = decide(ms, thresholds)
            if d.outcome == "answer":
                answered += 1
                right += q.expected is not None and d.matches[0].entry_id == q.expected
    n = len(queries)
    answerable = sum(q.expected is not None for q in queries) or 1
    rate = answered / n if thresholds else None
    prec = (right / answered if answered else float("nan")) if thresholds else None
    p50, p99 = np.percentile(lat, [50, 99])
    return Row(top1 / answerable, r3 / answerable, mrr / answerable, rate, prec, p50, p99, n)


def fmt(v: float | None) -> str:
    return "   -  " if v is None else f"{v:6.3f}"


def print_rows(title: str, rows: dict[str, Row]) -> None:
    print(f"\n### {title}")
    print("| method | n | top-1 | R@3 | MRR@5 | answer rate | answer prec. | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r.n} | {fmt(r.top1)} | {fmt(r.r3)} | {fmt(r.mrr5)} | "
            f"{fmt(r.answer_rate)} | {fmt(r.answer_precision)} | {r.p50_ms:.2f} | {r.p99_ms:.2f} |"
        )


def compare(docs: Sequence, sets: dict[str, list[Query]], semantic: Semantic | None = None) -> None:
    syn = load_synonyms(ROOT / "config" / "synonyms.yaml")
    t0 = time.perf_counter()
    ours = Matcher(docs, syn)
    build = time.perf_counter() - t0
    sem = semantic_matcher(docs, semantic) if semantic is not None else None
    bm25, fuzzy = PlainBM25(docs), PlainFuzzy(docs)
    for name, queries in sets.items():
        has_ctx = any(q.context for q in queries)
        rows = {
            "matcher (ours)": run(
                lambda q: ours.search(q.text, context=q.context), queries, SHIPPED
            ),
        }
        if sem is not None:
            label = f"matcher + semantic ({sem.semantic.embedder.model_id})"  # type: ignore[union-attr]
            rows[label] = run(lambda q: sem.search(q.text, context=q.context), queries, SHIPPED)
        if has_ctx:
            rows["matcher, context ignored"] = run(lambda q: ours.search(q.text), queries, SHIPPED)
        rows["plain BM25"] = run(lambda q: bm25.search(q.text), queries, None)
        rows["extract token_set_ratio"] = run(lambda q: fuzzy.search(q.text), queries, SHIPPED)
        print_rows(f"{name} ({len(docs)} entries, matcher build {build * 1000:.0f} ms)", rows)


def quality(semantic: Semantic | None) -> None:
    print("## Quality (shipped weights and thresholds: " + repr(SHIPPED) + ")")
    print("mqp/covid rows are in-sample for the fitted weights; see the ablation CV numbers.")
    compare(benchmark("mqp").docs, {"mqp dev": list(benchmark("mqp").queries)}, semantic)
    covid = benchmark("covid_qq_zh")
    sets = {
        "covid_qq_zh dev": list(covid.queries),
        "covid_qq_zh dev, Traditional queries (s2twp)": traditional(covid.queries),
    }
    compare(covid.docs, sets, semantic)
    if faq_available():
        compare(faq_docs(), faq_sets(), semantic)
        for name, (docs, queries) in crosslang_sets().items():
            compare(docs, {f"cross-language: {name}": queries}, semantic)
    else:
        print("\n(shipped FAQ not present: skipped)")


def traditional(queries: Sequence[Query]) -> list[Query]:
    """The dev queries as a Taiwanese user would type them (OpenCC s2twp)."""
    from bot.text import make_converter

    s2twp = make_converter("s2twp")
    return [replace(q, text=s2twp.convert(q.text)) for q in queries]


ABLATIONS: dict[str, MatcherOptions] = {
    "full": MatcherOptions(),
    "- stop words": MatcherOptions(analyzer=AnalyzerOptions(stop_words=False)),
    "- stemming": MatcherOptions(analyzer=AnalyzerOptions(stemming=False)),
    "- synonyms": MatcherOptions(analyzer=AnalyzerOptions(synonyms=False)),
    "- S->T folding": MatcherOptions(analyzer=AnalyzerOptions(fold_chinese=False)),
    "- CJK unigrams (bigrams only)": MatcherOptions(
        analyzer=AnalyzerOptions(cjk_unigrams=False), cjk_unigram_weight=1.0
    ),
    "- unigram weight 2 (=1)": MatcherOptions(cjk_unigram_weight=1.0),
    "- fuzzy re-rank": MatcherOptions(fuzzy=False),
    "- typo correction": MatcherOptions(typo_correction=False),
}


def ablation() -> None:
    print("\n## Ablation (each component removed, weights re-fitted; 2-fold CV on dev)")
    print(f"answer = score >= {SHIPPED.answer} and lead >= {SHIPPED.margin}")
    head = "| setup | mqp top-1 | mqp ans.rate | mqp ans.prec | mqp ECE "
    head += "| covid top-1 | covid ans.rate | covid ans.prec | covid ECE |"
    print(head)
    print("|---|---|---|---|---|---|---|---|---|")
    for label, opts in ABLATIONS.items():
        cells = []
        for name, locale in (("mqp", "en"), ("covid_qq_zh", "zh-TW")):
            cv = cross_validate_predictions(benchmark(name), locale, opts, SHIPPED)
            cells += [
                f"{cv.top1:.3f}",
                f"{cv.answer_rate:.3f}",
                f"{cv.answer_precision:.3f}",
                f"{cv.ece:.3f}",
            ]
        print(f"| {label} | " + " | ".join(cells) + " |")
    # Calibration off: same ranking, confidence = query coverage of the best text.
    cells = []
    for name, locale in (("mqp", "en"), ("covid_qq_zh", "zh-TW")):
        cv = cross_validate_predictions(
            benchmark(name), locale, replace(MatcherOptions(), calibrated=False), SHIPPED
        )
        cells += [
            f"{cv.top1:.3f}",
            f"{cv.answer_rate:.3f}",
            f"{cv.answer_precision:.3f}",
            f"{cv.ece:.3f}",
        ]
    print("| - calibration (score = query coverage) | " + " | ".join(cells) + " |")


def faq_ablation() -> None:
    """Concept coverage only matters where entries have many texts: the shipped FAQ."""
    if not faq_available():
        return
    print("\n## Concept coverage on the shipped FAQ (direct answers at the shipped thresholds)")
    print("| setup | set | answer rate | answer prec. |")
    print("|---|---|---|---|")
    synonyms = load_synonyms(ROOT / "config" / "synonyms.yaml")
    for label, opts in (
        ("full", MatcherOptions()),
        ("- concept coverage", MatcherOptions(concept_coverage=False)),
    ):
        ours = Matcher(faq_docs(), synonyms, options=opts)
        for name, queries in faq_sets().items():
            row = run(lambda q, m=ours: m.search(q.text, context=q.context), queries, SHIPPED)
            print(f"| {label} | {name} | {row.answer_rate:.3f} | {row.answer_precision:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("quality", "scale", "ablation"))
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--no-semantic", action="store_true")
    args = parser.parse_args()
    semantic = None if args.no_semantic else use_semantic()
    if args.only in (None, "quality"):
        quality(semantic)
    if args.only in (None, "scale"):
        scale_table([int(s) for s in args.sizes.split(",")])
        if semantic is not None:
            semantic_scale(semantic.embedder, [int(s) for s in args.sizes.split(",")])
    if args.only in (None, "ablation"):
        faq_ablation()
        ablation()


if __name__ == "__main__":
    main()
