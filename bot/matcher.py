"""FAQ matcher: BM25 candidates, fused re-rank, calibrated confidence.

Pure: no I/O, no platform types.  Stage 1 (bot.index) finds candidate texts
by BM25 over words, synonym groups and Chinese character n-grams.  Stage 2
(bot.model) scores each candidate with a few lexical and rapidfuzz features
and turns them into one probability per entry.  An optional stage 3
(bot.semantic) re-ranks those entries, plus the texts nearest by sentence
embedding, by cosine.  bot.decision turns the ranked matches into an
answer / did-you-mean / fallback outcome.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from bot.context import ContextMap
from bot.evidence import concept_coverage, concepts, entry_concepts, exact_texts
from bot.index import InvertedIndex, QueryScores
from bot.model import (
    FEATURES,
    ModelWeights,
    QueryStats,
    feature_matrix,
    null_features,
    probabilities,
)
from bot.semantic import SemanticIndex
from bot.shipped_weights import SHIPPED_WEIGHTS
from bot.synonyms import Analysis, Analyzer, AnalyzerOptions, Synonyms
from bot.text import has_cjk, normalise
from bot.typo import TypoFixer

EXACT_CONFIDENCE = 0.99  # a query that is word for word one entry's question or alternate
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class MatchDoc:
    entry_id: str
    texts: tuple[str, ...]  # the entry's question in every locale + all its alternates
    topic: str = ""  # topic key (file) - used for follow-up context
    related: tuple[str, ...] = ()  # ids of related entries - used for follow-up context


@dataclass(frozen=True, slots=True)
class Match:
    entry_id: str
    score: float  # calibrated confidence in [0, 1]
    # The entry mentions every concept (synonym group) the query names, and it names some.
    covers_concepts: bool = False


@dataclass(frozen=True, slots=True)
class MatcherOptions:
    """Tuning knobs; the defaults are the shipped configuration.

    The switches exist for the ablation study in bench/matcher.py.
    """

    analyzer: AnalyzerOptions = field(default_factory=AnalyzerOptions)
    typo_correction: bool = True
    fuzzy: bool = True
    calibrated: bool = True
    concept_coverage: bool = True  # scale confidence by the query concepts an entry mentions
    weights: ModelWeights = SHIPPED_WEIGHTS
    candidates: int = 40  # texts re-ranked per query
    context_candidates: int = 10  # extra texts taken from the follow-up context
    context_boost: float = (
        0.3  # rank bonus (BM25-relative units) for the previous entry's neighbours
    )
    short_query_units: int = 3  # at most this many words/characters: a follow-up
    cjk_unigram_weight: float = 2.0  # query weight of single Chinese characters (see NOTES)
    k1: float = 1.2
    b: float = 0.75


@dataclass(frozen=True, slots=True)
class Candidates:
    """Stage-1 output for one query: candidate texts and their features."""

    texts: npt.NDArray[np.int64]
    entries: npt.NDArray[np.int64]
    features: npt.NDArray[np.float64]
    context: npt.NDArray[np.float64]  # context level per candidate (0, 0.5 or 1)
    stats: QueryStats
    chinese: bool


@dataclass(frozen=True, slots=True)
class Ranked:
    """Candidate entries of one query with their lexical and (if on) semantic scores."""

    entries: npt.NDArray[np.int64]
    lex_rank: Floats
    lex_prob: Floats
    # Best cosine per candidate entry; None without the semantic stage, and for a short
    # follow-up resolved inside its context, where the lexical context boost decides.
    cosine: Floats | None
    chinese: bool


class Matcher:
    def __init__(
        self,
        docs: Sequence[MatchDoc],
        synonyms: Synonyms | None = None,
        *,
        options: MatcherOptions | None = None,
        semantic: SemanticIndex | None = None,
    ) -> None:
        self.options = options or MatcherOptions()
        self._docs = tuple(docs)
        self._analyzer = Analyzer(synonyms, self.options.analyzer)
        owners = [i for i, d in enumerate(self._docs) for _ in d.texts]
        analyses = [self._analyzer.analyse(t) for d in self._docs for t in d.texts]
        self._text_entry = np.asarray(owners, dtype=np.int64)
        self._entry_concepts = entry_concepts(len(self._docs), owners, [a.terms for a in analyses])
        self._exact = exact_texts(self._docs)
        self._fuzzy = [a.fuzzy for a in analyses]
        self._index = InvertedIndex([a.terms for a in analyses], self.options.k1, self.options.b)
        self._context = ContextMap(self._docs)
        self.semantic = semantic
        if semantic is not None:
            semantic.bind(self._text_entry, len(self._docs))
        self._typo: TypoFixer | None = None
        if self.options.typo_correction:
            words = [w for a in analyses for w in a.words]
            self._typo = TypoFixer([*words, *self._analyzer.phrase_words])

    def __len__(self) -> int:
        return len(self._docs)

    def index_nbytes(self) -> int:
        """Size of the numpy arrays behind the index (for the benchmark)."""
        return self._index.nbytes() + self._text_entry.nbytes

    def search(self, query: str, *, context: str | None = None, limit: int = 5) -> list[Match]:
        """Best entries for the query, most confident first (may be empty)."""
        analysis = self.analyse(query)
        ranked = self._ranked(analysis, query, context)
        if ranked is None:
            return []
        entries, rank, scores = ranked.entries, ranked.lex_rank, ranked.lex_prob
        if self.semantic is not None and ranked.cosine is not None:
            rank, scores = self.semantic.rerank(ranked.cosine, rank, scores, ranked.chinese)
        wanted = concepts(analysis.terms)
        coverage = concept_coverage(wanted, entries, self._entry_concepts, self._index.term_idf)
        if self.options.concept_coverage:
            scores = scores * coverage
        complete = (coverage >= 1.0) & bool(wanted)
        exact = self._exact.get(normalise(query))
        if exact is not None and exact in entries:
            # Word for word one entry's question or alternate: the admins wrote exactly
            # this for that entry, even if its content words also fit its neighbours.
            hit = int(np.flatnonzero(entries == exact)[0])
            rank[hit] = rank.max() + 1.0
            scores[hit] = max(scores[hit], EXACT_CONFIDENCE)
        order = np.argsort(-rank, kind="stable")[:limit]
        return [
            Match(self._docs[entries[i]].entry_id, float(scores[i]), bool(complete[i]))
            for i in order
        ]

    def analyse(self, query: str) -> Analysis:
        return self._analyzer.analyse(query, fix=self._typo)

    def candidates(self, query: str, *, context: str | None = None) -> Candidates | None:
        """Stage 1 plus features; exposed for fitting the model (bench/)."""
        return self._candidates(self.analyse(query), context)

    def ranked(self, query: str, *, context: str | None = None) -> Ranked | None:
        """Stages 1-2 and the cosines; exposed for fitting the semantic stage (bench/)."""
        return self._ranked(self.analyse(query), query, context)

    def _ranked(self, analysis: Analysis, query: str, context: str | None) -> Ranked | None:
        in_context = context is not None and self._is_short(analysis)
        near = None
        if self.semantic is not None and not in_context:
            near = self.semantic.cosines(query)
        cands = self._candidates(analysis, context, near.nearest_texts if near else None)
        if cands is None:
            return None
        entries, rank, prob = self._entry_scores(cands)
        cosine = near.entries[entries] if near is not None else None
        return Ranked(entries, rank, prob, cosine, cands.chinese)

    def _candidates(
        self,
        analysis: Analysis,
        context: str | None,
        nearest: npt.NDArray[np.int64] | None = None,
    ) -> Candidates | None:
        if not analysis.terms:
            return None
        bag = self._bag(analysis)
        scores = self._index.score(bag)
        levels = self._context.levels(context)
        texts = self._pick_texts(scores, levels, short=self._is_short(analysis))
        # Texts nearest by embedding join the shortlist, after the lexical ones: they reach
        # entries that share no word with the query.
        if nearest is not None:
            texts = np.concatenate((texts, nearest[~np.isin(nearest, texts)]))
        if texts.size == 0:
            return None
        stats = self._stats(bag)
        feats = feature_matrix(
            scores.bm25[texts],
            scores.matched_idf[texts],
            self._index.text_idf[texts],
            stats,
            analysis.fuzzy,
            [self._fuzzy[t] for t in texts],
            fuzzy=self.options.fuzzy,
        )
        entries = self._text_entry[texts]
        ctx = levels[entries] if levels is not None else np.zeros(len(texts))
        return Candidates(texts, entries, feats, ctx, stats, has_cjk(analysis.fuzzy))

    def _bag(self, analysis: Analysis) -> dict[str, float]:
        """Query term weights: counts, with single CJK characters re-weighted."""
        bag: dict[str, float] = dict(Counter(analysis.terms))
        if self.options.cjk_unigram_weight != 1.0:
            for term in bag:
                if len(term) == 1 and has_cjk(term):
                    bag[term] *= self.options.cjk_unigram_weight
        return bag

    def _stats(self, bag: dict[str, float]) -> QueryStats:
        idf = [(self._index.term_idf(t), t in self._index.vocab) for t in bag]
        return QueryStats(sum(v for v, _ in idf), sum(v for v, known in idf if not known))

    def _is_short(self, analysis: Analysis) -> bool:
        units = sum(len(p) if has_cjk(p) else 1 for p in analysis.fuzzy.split())
        return units <= self.options.short_query_units

    def _pick_texts(
        self, scores: QueryScores, levels: npt.NDArray[np.float64] | None, short: bool
    ) -> npt.NDArray[np.int64]:
        bm25 = scores.bm25
        if levels is None:
            return _top(bm25, self.options.candidates)
        in_ctx = levels[self._text_entry] > 0
        local = _top(np.where(in_ctx, bm25, 0.0), self.options.context_candidates)
        # A short follow-up ("does it hurt?") is only resolved inside the
        # context; a longer query still competes with the whole FAQ.
        if short and local.size:
            return local
        merged = np.union1d(_top(bm25, self.options.candidates), local)
        return merged[np.argsort(-bm25[merged], kind="stable")]

    def _entry_scores(self, c: Candidates) -> tuple[npt.NDArray[np.int64], Floats, Floats]:
        """(entries, rank score, confidence) per candidate entry."""
        w = self.options.weights.zh if c.chinese else self.options.weights.en
        rank = c.features @ w.rank_array() + self.options.context_boost * c.context
        entries, best = _max_per_entry(c.entries, rank)
        if not self.options.calibrated:
            # Ablation only: the kind of ad-hoc confidence a plain matcher reports.
            qcov = np.clip(c.features[:, FEATURES.index("qcov")], 0.0, 1.0)
            return entries, best, _max_per_entry(c.entries, qcov)[1]
        null_logit = float(null_features(c.features, rank, c.stats) @ w.null_array())
        return entries, best, probabilities(w.scale * best, null_logit)


def _max_per_entry(
    entries: npt.NDArray[np.int64], values: Floats
) -> tuple[npt.NDArray[np.int64], Floats]:
    """An entry is as good as its best-matching text (question or alternate)."""
    uniq, inverse = np.unique(entries, return_inverse=True)
    best = np.full(len(uniq), -np.inf)
    np.maximum.at(best, inverse, values)
    return uniq, best


def _top(values: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.int64]:
    """Indices of the k largest positive values, largest first."""
    positive = np.flatnonzero(values > 0)
    if positive.size > k:
        part = np.argpartition(-values[positive], k - 1)[:k]
        positive = positive[part]
    return positive[np.argsort(-values[positive], kind="stable")]
