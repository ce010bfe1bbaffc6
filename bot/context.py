"""Follow-up context: which entries a previous answer makes likely next."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from bot.matcher import MatchDoc

NEAR = 1.0  # the previous entry and the entries related to it (either direction)
TOPIC = 0.5  # other entries of the same topic


class ContextMap:
    """Precomputed neighbourhoods so that a follow-up costs one array fill."""

    def __init__(self, docs: Sequence[MatchDoc]) -> None:
        self._n = len(docs)
        self._pos = {d.entry_id: i for i, d in enumerate(docs)}
        self._near: list[set[int]] = [{i} for i in range(self._n)]
        for i, d in enumerate(docs):
            for rid in d.related:
                j = self._pos.get(rid)
                if j is not None:
                    self._near[i].add(j)
                    self._near[j].add(i)
        topics: dict[str, list[int]] = {}
        for i, d in enumerate(docs):
            if d.topic:
                topics.setdefault(d.topic, []).append(i)
        self._topic = [topics.get(d.topic, []) if d.topic else [] for d in docs]

    def levels(self, context: str | None) -> npt.NDArray[np.float64] | None:
        """Context level per entry, or None when there is no usable context."""
        i = self._pos.get(context) if context else None
        if i is None:
            return None
        levels = np.zeros(self._n)
        levels[self._topic[i]] = TOPIC
        levels[list(self._near[i])] = NEAR
        return levels
