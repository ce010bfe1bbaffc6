"""Entry-level evidence the per-text BM25 ranking cannot see.

An entry is as good as its best text, and FAQ entries carry many short alternates. Two
checks look at the entry as a whole: does it mention the medical concepts the question
names, and is the question word for word one of its texts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bot.synonyms import is_group_token
from bot.text import normalise

if TYPE_CHECKING:
    from bot.matcher import MatchDoc


def exact_texts(docs: Sequence[MatchDoc]) -> dict[str, int]:
    """Normalised text -> the one entry that has it (texts shared by two entries are left out)."""
    owners: dict[str, set[int]] = {}
    for index, doc in enumerate(docs):
        for text in doc.texts:
            owners.setdefault(normalise(text), set()).add(index)
    return {text: next(iter(ids)) for text, ids in owners.items() if len(ids) == 1 and text}


def concepts(terms: Sequence[str]) -> set[str]:
    """Synonym-group tokens among index terms (a term in two groups carries both)."""
    return {unit for term in terms if term and all(map(is_group_token, term)) for unit in term}


def entry_concepts(
    entries: int, owners: Sequence[int], terms: Sequence[Sequence[str]]
) -> list[frozenset[str]]:
    found: list[set[str]] = [set() for _ in range(entries)]
    for owner, text_terms in zip(owners, terms, strict=True):
        found[owner] |= concepts(text_terms)
    return [frozenset(each) for each in found]


def concept_coverage(
    wanted: set[str],
    entries: npt.NDArray[np.int64],
    mentioned: Sequence[frozenset[str]],
    idf: Callable[[str], float],
) -> npt.NDArray[np.float64]:
    """Share of the query's concepts (idf-weighted) each candidate entry mentions somewhere.

    A generic alternate ("what tests confirm it?") can match a question about a disease the
    entry never names. The calibration was fitted on one-text benchmarks and cannot see that,
    so the caller scales confidence by this share: a missing concept turns an answer into
    "did you mean", without reordering anything.
    """
    if not wanted:
        return np.ones(len(entries))
    weights = {concept: idf(concept) for concept in wanted}
    total = sum(weights.values()) or 1.0
    return np.array(
        [sum(w for c, w in weights.items() if c in mentioned[e]) / total for e in entries]
    )
