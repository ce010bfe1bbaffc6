"""From ranked matches to what the bot does: answer, offer choices, or say it does not know."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.matcher import Match

Outcome = Literal["answer", "suggest", "fallback"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Decision thresholds on calibrated scores (read from config as floats).

    answer:  minimum score of the best match for a direct answer.
    margin:  minimum lead of the best match over the second for a direct answer.
    suggest: minimum score of the best match for a did-you-mean list.
    suggest_floor: matches below this are never offered as suggestions.
    """

    answer: float = 0.85
    margin: float = 0.2
    suggest: float = 0.1
    suggest_floor: float = 0.03


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    matches: tuple[Match, ...] = ()  # 1 for "answer", up to 3 for "suggest"


def decide(matches: Sequence[Match], thresholds: Thresholds, max_suggestions: int = 3) -> Decision:
    """Answer when confident and clearly ahead, suggest when plausible, else fall back."""
    if not matches:
        return Decision("fallback")
    best = matches[0]
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    if best.score >= thresholds.answer and best.score - runner_up >= thresholds.margin:
        return Decision("answer", (best,))
    # Matches come in rank order; concept coverage may have lowered the confidence of the
    # top-ranked one below that of the next, so the gate looks at the most confident match.
    picks = [m for m in matches[:max_suggestions] if m.score >= thresholds.suggest_floor]
    if picks and max(m.score for m in matches) >= thresholds.suggest:
        return Decision("suggest", tuple(picks))
    # Unsure, but some entries mention everything the user named (ALS, twitching, EMG...):
    # offering them beats "I don't know" for a patient; the user picks or says none fits.
    covering = [m for m in matches if m.covers_concepts][:max_suggestions]
    if covering:
        return Decision("suggest", tuple(covering))
    return Decision("fallback")
