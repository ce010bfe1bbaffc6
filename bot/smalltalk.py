"""Greetings, thanks and the like: whole short messages that are not questions."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process

from bot.config import SmalltalkIntent
from bot.text import comparable

# Longer messages carry a question even when they open with "hi" or "thanks".
MAX_LENGTH = 40
MIN_SIMILARITY = 86


class SmalltalkDetector:
    def __init__(self, intents: Sequence[SmalltalkIntent]) -> None:
        self._phrases: list[str] = []
        self._owners: list[SmalltalkIntent] = []
        for intent in intents:
            for phrase in intent.phrases:
                self._phrases.append(comparable(phrase))
                self._owners.append(intent)

    def detect(self, text: str) -> SmalltalkIntent | None:
        wanted = comparable(text)
        if not wanted or len(wanted) > MAX_LENGTH or not self._phrases:
            return None
        best = process.extractOne(
            wanted, self._phrases, scorer=fuzz.ratio, score_cutoff=MIN_SIMILARITY
        )
        return self._owners[best[2]] if best else None
