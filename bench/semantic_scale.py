"""The semantic stage at scale: FAQ embedding (cold and warm cache), query latency, memory.

Same entries and queries as bench/scale.py. Run inside bench.matcher, or alone to compare
BLAS thread settings (bench.matcher pins them to 1; here they are left as found):

    OPENBLAS_NUM_THREADS=1 python -m bench.semantic_scale --sizes 1000,10000 --threads 1
    python -m bench.semantic_scale --sizes 10000 --threads 2
"""

from __future__ import annotations

import argparse
import gc
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.data import ROOT
from bench.scale import padded_docs, queries, rss_mb
from bot.embedding import Embedder, UseEmbedder
from bot.embedding_cache import EmbeddingCache
from bot.matcher import Matcher
from bot.semantic import SemanticIndex
from bot.semantic_weights import USE_WEIGHTS
from bot.synonyms import load_synonyms


def semantic_scale(embedder: Embedder, sizes: list[int]) -> None:
    syn = load_synonyms(ROOT / "config" / "synonyms.yaml")
    qs = queries()
    print(f"\n## Semantic stage at scale ({embedder.model_id}; 1000 mqp+covid dev queries)")
    print(
        "| entries | embed, cold cache s | warm cache s | one entry edited s | matcher build s "
        "| RSS delta MB | vectors MB | p50 ms | p99 ms | CPU p50 ms | CPU p99 ms | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        docs = padded_docs(n)
        texts = [t for d in docs for t in d.texts]
        edited = [*texts[:-1], texts[-1] + " (edited)"]
        gc.collect()
        before = rss_mb()
        with tempfile.TemporaryDirectory() as folder:
            cache = EmbeddingCache(Path(folder))
            cold = _timed(lambda c=cache, t=texts: c.vectors(embedder, t))
            warm = _timed(lambda c=cache, t=texts: c.vectors(embedder, t))
            edit = _timed(lambda c=cache, t=edited: c.vectors(embedder, t))
            vectors = cache.vectors(embedder, texts)
        t0 = time.perf_counter()
        m = Matcher(docs, syn, semantic=SemanticIndex(embedder, vectors, USE_WEIGHTS))
        build = time.perf_counter() - t0
        delta = rss_mb() - before
        for q in qs[:50]:  # warm-up
            m.search(q)
        p50, p99, c50, c99 = _latency(m, qs)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"| {n} | {cold:.1f} | {warm:.2f} | {edit:.2f} | {build:.2f} | {delta:.0f} "
            f"| {vectors.nbytes / 2**20:.1f} | {p50:.2f} | {p99:.2f} | {c50:.2f} | {c99:.2f} "
            f"| {peak:.0f} |"
        )
        del m, vectors


def _latency(matcher: Matcher, qs: list[str]) -> tuple[float, float, float, float]:
    """Wall and CPU milliseconds per query (p50, p99 each). On a shared machine the wall
    time includes waiting for a core; the process CPU time is what a query costs."""
    wall, cpu = [], []
    for q in qs:
        w0, c0 = time.perf_counter(), time.process_time()
        matcher.search(q)
        cpu.append((time.process_time() - c0) * 1000)
        wall.append((time.perf_counter() - w0) * 1000)
    w50, w99 = np.percentile(wall, [50, 99])
    c50, c99 = np.percentile(cpu, [50, 99])
    return float(w50), float(w99), float(c50), float(c99)


def _timed(work: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    work()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--threads", type=int, default=1, help="USE's own BLAS threads")
    args = parser.parse_args()
    before = rss_mb()
    t0 = time.perf_counter()
    embedder = UseEmbedder(threads=args.threads)
    embedder.encode(["warm up"])
    print(f"model load {time.perf_counter() - t0:.2f} s, RSS +{rss_mb() - before:.0f} MB")
    semantic_scale(embedder, [int(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
