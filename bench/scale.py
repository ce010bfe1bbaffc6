"""Build time, memory and latency at 1k / 10k / 100k entries.

Entries: the mqp and covid_qq_zh corpora (10,770 questions), then generated
variants of those questions (random.Random(seed=7)): English variants drop one
word and swap two words; Chinese variants drop one character and swap two
neighbouring characters.  Queries: a fixed sample of the mqp + covid dev queries.
"""

from __future__ import annotations

import gc
import random
import time
from pathlib import Path

import numpy as np

from bench.baselines import PlainBM25
from bench.data import ROOT, benchmark
from bot.matcher import MatchDoc, Matcher
from bot.synonyms import load_synonyms
from bot.text import default_normaliser, has_cjk

SEED = 7


def _variant(text: str, rng: random.Random) -> str:
    if has_cjk(text):
        chars = list(text)
        if len(chars) > 4:
            del chars[rng.randrange(len(chars))]
            i = rng.randrange(len(chars) - 1)
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        return "".join(chars)
    words = text.split()
    if len(words) > 3:
        del words[rng.randrange(len(words))]
        i, j = rng.randrange(len(words)), rng.randrange(len(words))
        words[i], words[j] = words[j], words[i]
    return " ".join(words)


def padded_docs(n: int) -> list[MatchDoc]:
    base = [d for name in ("mqp", "covid_qq_zh") for d in benchmark(name).docs]
    docs = base[:n]
    rng = random.Random(SEED)
    i = 0
    while len(docs) < n:
        src = base[i % len(base)]
        k = i // len(base) + 1
        docs.append(MatchDoc(f"{src.entry_id}~v{k}", (_variant(src.texts[0], rng),)))
        i += 1
    return docs


def queries(count: int = 1000) -> list[str]:
    qs = [q.text for name in ("mqp", "covid_qq_zh") for q in benchmark(name).queries]
    return random.Random(SEED).sample(qs, min(count, len(qs)))


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _latency(search, qs: list[str]) -> tuple[float, float]:
    lat = []
    for q in qs:
        t0 = time.perf_counter()
        search(q)
        lat.append((time.perf_counter() - t0) * 1000)
    p50, p99 = np.percentile(lat, [50, 99])
    return float(p50), float(p99)


def scale_table(sizes: list[int]) -> None:
    syn = load_synonyms(ROOT / "config" / "synonyms.yaml")
    default_normaliser()("预热")  # load the OpenCC dictionaries before measuring memory
    qs = queries()
    print("\n## Scale (single process, 1 thread; queries: 1000 mqp+covid dev queries)")
    print(
        "| entries | build s | RSS delta MB | index arrays MB | p50 ms | p99 ms "
        "| plain BM25 p50 ms | plain BM25 p99 ms |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        docs = padded_docs(n)
        gc.collect()
        before = rss_mb()
        t0 = time.perf_counter()
        m = Matcher(docs, syn)
        build = time.perf_counter() - t0
        delta = rss_mb() - before
        for q in qs[:50]:  # warm-up
            m.search(q)
        p50, p99 = _latency(lambda q, m=m: m.search(q), qs)
        plain = PlainBM25(docs)
        b50, b99 = _latency(lambda q, p=plain: p.search(q), qs[:300])
        arrays = m.index_nbytes() / 2**20
        print(
            f"| {n} | {build:.2f} | {delta:.0f} | {arrays:.1f} | {p50:.2f} | {p99:.2f} "
            f"| {b50:.2f} | {b99:.2f} |"
        )
        del m, plain
