"""`faq eval`: how well the matcher and the dialog's thresholds do on labelled queries."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.decision import Thresholds, decide
from bot.knowledge import Knowledge


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    query: str
    expected_id: str | None  # None: the bot must not answer it directly
    context: str | None = None  # the previous entry, for follow-up queries


@dataclass(frozen=True, slots=True)
class Report:
    n: int
    positives: int
    top1: float
    recall_at_3: float
    mrr_at_5: float
    answer_rate: float
    answer_precision: float
    suggest_rate: float
    fallback_rate: float
    negatives_answered: float
    p50_ms: float
    p99_ms: float

    def as_dict(self) -> dict[str, float | int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def read_queries(path: Path) -> list[LabelledQuery]:
    queries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            queries.append(
                LabelledQuery(str(row["query"]), row.get("expected_id"), row.get("context"))
            )
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path}:{number}: not a query line ({error})") from None
    return queries


def evaluate(
    knowledge: Knowledge, queries: Sequence[LabelledQuery], thresholds: Thresholds
) -> Report:
    top1 = recall3 = reciprocal = 0.0
    answered = answered_right = suggested = fell_back = negatives_answered = 0
    timings: list[float] = []
    for item in queries:
        started = time.perf_counter()
        matches = knowledge.matcher.search(item.query, context=item.context, limit=5)
        outcome = decide(matches, thresholds).outcome
        timings.append((time.perf_counter() - started) * 1000)
        ids = [match.entry_id for match in matches]
        if item.expected_id is not None:
            top1 += ids[:1] == [item.expected_id]
            recall3 += item.expected_id in ids[:3]
            reciprocal += (
                1 / (ids.index(item.expected_id) + 1) if item.expected_id in ids[:5] else 0
            )
        if outcome == "answer":
            answered += 1
            answered_right += item.expected_id is not None and ids[0] == item.expected_id
            negatives_answered += item.expected_id is None
        suggested += outcome == "suggest"
        fell_back += outcome == "fallback"
    n = len(queries)
    positives = sum(item.expected_id is not None for item in queries)
    negatives = n - positives
    return Report(
        n=n,
        positives=positives,
        top1=_share(top1, positives),
        recall_at_3=_share(recall3, positives),
        mrr_at_5=_share(reciprocal, positives),
        answer_rate=_share(answered, n),
        answer_precision=_share(answered_right, answered),
        suggest_rate=_share(suggested, n),
        fallback_rate=_share(fell_back, n),
        negatives_answered=_share(negatives_answered, negatives),
        p50_ms=round(_percentile(timings, 50), 3),
        p99_ms=round(_percentile(timings, 99), 3),
    )


def _share(part: float, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _percentile(values: list[float], percent: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def format_report(report: Report) -> str:
    rows = [
        ("queries", f"{report.n} ({report.positives} with an expected entry)"),
        ("top-1", f"{report.top1:.3f}"),
        ("recall@3", f"{report.recall_at_3:.3f}"),
        ("MRR@5", f"{report.mrr_at_5:.3f}"),
        ("answered directly", f"{report.answer_rate:.3f}"),
        ("answer precision", f"{report.answer_precision:.3f}"),
        ("did-you-mean", f"{report.suggest_rate:.3f}"),
        ("fallback", f"{report.fallback_rate:.3f}"),
        ("unanswerable answered", f"{report.negatives_answered:.3f}"),
        ("latency p50 / p99", f"{report.p50_ms:.2f} / {report.p99_ms:.2f} ms"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)
