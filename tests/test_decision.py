"""The answer / did-you-mean / fallback decision on ranked matches."""

from __future__ import annotations

from bot.decision import Decision, Thresholds, decide
from bot.matcher import Match


def test_decide_outcomes() -> None:
    t = Thresholds(answer=0.7, margin=0.2, suggest=0.2, suggest_floor=0.05)
    assert decide([], t) == Decision("fallback")
    assert decide([Match("a", 0.9), Match("b", 0.05)], t).outcome == "answer"
    close = decide([Match("a", 0.75), Match("b", 0.6), Match("c", 0.3), Match("d", 0.2)], t)
    assert close.outcome == "suggest"
    assert [m.entry_id for m in close.matches] == ["a", "b", "c"]
    low = decide([Match("a", 0.3), Match("b", 0.01)], t)
    assert low.outcome == "suggest" and [m.entry_id for m in low.matches] == ["a"]
    assert decide([Match("a", 0.1)], t).outcome == "fallback"
