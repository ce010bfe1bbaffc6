"""Red-flag detector: recall on true emergencies and false-alarm rate on look-alikes.

    python bench/redflags.py [FILE ...]        (default: tests/data/redflags*.jsonl)

Prints, per file and per language, how many emergencies were caught and how many ordinary
messages raised a false alarm, then lists every mistake.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402


def measure(path: Path) -> bool:
    safety = load_config(ROOT / "config").safety
    assert safety is not None
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # caught, true, alarms, false
    mistakes = []
    for row in rows:
        flagged = safety.detector.check(row["text"]) is not None
        for group in ("all", row["lang"]):
            counts = tally[group]
            if row["emergency"]:
                counts[0] += flagged
                counts[1] += 1
            else:
                counts[2] += flagged
                counts[3] += 1
        if flagged != row["emergency"]:
            mistakes.append(("missed" if row["emergency"] else "false alarm", row["text"]))
    print(f"\n{path.relative_to(ROOT)}  ({len(rows)} messages)")
    print(f"  {'group':<6} {'recall':>14} {'false alarms':>16}")
    for group, (caught, true, alarms, false) in sorted(tally.items()):
        recall = f"{caught}/{true} = {caught / true:.3f}" if true else "-"
        rate = f"{alarms}/{false} = {alarms / false:.3f}" if false else "-"
        print(f"  {group:<6} {recall:>14} {rate:>16}")
    for kind, text in mistakes:
        print(f"  {kind}: {text}")
    caught, true, alarms, false = tally["all"]
    return caught == true and alarms <= 0.10 * false


def main(paths: list[str]) -> int:
    files = [Path(p).resolve() for p in paths] or sorted(
        (ROOT / "tests" / "data").glob("redflags*.jsonl")
    )
    results = [measure(path) for path in files]
    print("\ntarget: recall 1.000 and false alarms <= 0.100:", "met" if all(results) else "NOT met")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
