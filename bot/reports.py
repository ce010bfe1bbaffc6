"""Admin reports as text or JSON: unanswered questions (`faq misses`) and usage (`faq stats`)."""

from __future__ import annotations

import datetime as dt
import re

from bot.journal import MissGroup, Usage

_DURATION = re.compile(r"^\s*(\d+)\s*([dhw])\s*$")


def parse_since(value: str, now: float) -> float:
    """ "7d", "24h", "2w" -> the unix time that long ago."""
    match = _DURATION.match(value.lower())
    if not match:
        raise ValueError(f"expected a duration like 7d, 24h or 2w, got {value!r}")
    amount, unit = int(match.group(1)), match.group(2)
    return now - amount * {"h": 3600, "d": 86400, "w": 7 * 86400}[unit]


def misses_json(groups: list[MissGroup]) -> list[dict[str, object]]:
    return [
        {
            "text": group.text,
            "count": group.count,
            "locales": list(group.locales),
            "candidates": list(group.candidates),
            "last_seen": _iso(group.last_at),
            "examples": list(group.examples),
        }
        for group in groups
    ]


def misses_text(groups: list[MissGroup]) -> str:
    if not groups:
        return "No unanswered questions in this period."
    lines = [f"{'count':>5}  {'last seen':<16}  question (closest entries)"]
    for group in groups:
        closest = f"  ({', '.join(group.candidates)})" if group.candidates else ""
        lines.append(f"{group.count:>5}  {_iso(group.last_at)[:16]:<16}  {group.text}{closest}")
        lines += [f"{'':>25}also: {example}" for example in group.examples[1:]]
    return "\n".join(lines)


Feedback = dict[str, tuple[int, int]]  # entry id -> (helpful, not helpful)


def stats_json(
    usage: Usage, feedback: dict[str, tuple[int, int]], top: int = 10
) -> dict[str, object]:
    total = usage.messages
    shares = {kind: round(count / total, 3) for kind, count in usage.kinds.items()} if total else {}
    return {
        "days": usage.days,
        "messages": total,
        "kinds": usage.kinds,
        "shares": shares,
        "top_entries": sorted(usage.entries.items(), key=lambda item: -item[1])[:top],
        "feedback": {
            entry: {"helpful": up, "not_helpful": down} for entry, (up, down) in feedback.items()
        },
    }


def stats_text(usage: Usage, feedback: Feedback, top: int = 10) -> str:
    report = stats_json(usage, feedback, top)
    lines = [f"Last {usage.days} day(s): {usage.messages} message(s)"]
    for kind in ("answer", "suggest", "fallback"):
        count = usage.kinds.get(kind, 0)
        share = count / usage.messages if usage.messages else 0.0
        lines.append(f"  {kind:<9} {count:>6}  {share:6.1%}")
    others = {k: v for k, v in usage.kinds.items() if k not in ("answer", "suggest", "fallback")}
    if others:
        lines.append("  other     " + ", ".join(f"{k} {v}" for k, v in sorted(others.items())))
    lines.append("Top entries:")
    lines += [f"  {count:>6}  {entry}" for entry, count in report["top_entries"]] or ["  (none)"]  # type: ignore[union-attr]
    lines.append("Feedback (helpful / not helpful):")
    ranked = sorted(feedback.items(), key=lambda item: -(item[1][0] + item[1][1]))
    lines += [f"  {up:>4} / {down:<4} {entry}" for entry, (up, down) in ranked] or ["  (none)"]
    return "\n".join(lines)


def _iso(at: float) -> str:
    return dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="seconds")
