"""Red flags: is this message an emergency happening now? Checked before any FAQ matching.

Phrases come from config/redflags.yaml. English phrases match as a bag of word stems close
together, with typo-tolerant words; Chinese phrases match as characters in order with small
gaps. Cue words then tell an emergency ("my dad's face is drooping") from a question about a
symptom ("is face drooping a sign of stroke?"). When the cues are unclear, the alarm wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from bot.text import fold

_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Contractions and their common typos, so "cant", "can't" and "cnat" all read "cannot".
_CONTRACTIONS = {
    "can't": "cannot", "cant": "cannot", "cnat": "cannot", "cannt": "cannot", "cnt": "cannot",
    "can not": "cannot", "couldn't": "could not", "couldnt": "could not", "won't": "will not",
    "wont": "will not", "don't": "do not", "dont": "do not", "doesn't": "does not",
    "doesnt": "does not", "isn't": "is not", "isnt": "is not", "i'm": "i am", "im": "i am",
    "wanna": "want to", "gonna": "going to",
}  # fmt: skip
_CONTRACTION = re.compile(r"\b(" + "|".join(re.escape(k) for k in _CONTRACTIONS) + r")\b")
# Words that carry no meaning inside a phrase; "worst headache in my life" must still match
# "worst headache of my life".
_FILLER = frozenset({
    "a", "an", "the", "of", "to", "is", "are", "am", "was", "be", "been", "has", "have", "had",
    "in", "on", "at", "my", "his", "her", "its", "it", "for", "and", "with", "this", "that", "like",
})  # fmt: skip
_SLACK = 5  # other words allowed inside an English phrase


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s", "y", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@dataclass(frozen=True, slots=True)
class Message:
    """A message prepared once for every phrase check."""

    tokens: tuple[str, ...]  # all words (stemmed), contractions expanded
    stems: tuple[str, ...]  # content-word stems, typos corrected against the phrase vocabulary
    cjk: str  # the text without spaces, for Chinese phrases


class PhraseSet:
    def __init__(self, phrases: Iterable[str]) -> None:
        self.english: list[tuple[str, tuple[str, ...]]] = []
        self.exact: list[tuple[str, tuple[str, ...]]] = []  # "quoted": these words, in order
        self.chinese: list[tuple[str, re.Pattern[str]]] = []
        for phrase in phrases:
            folded = fold(phrase).strip()
            if folded.startswith('"') and folded.endswith('"'):
                words = tuple(_stem(w) for w in _WORD.findall(_expand(folded.strip('"'))))
                self.exact.append((phrase, words))
            elif _CJK.search(folded):
                parts = [re.escape(part) for part in folded.replace(" ", "").split("*")]
                self.chinese.append((phrase, re.compile(".{0,4}".join(parts))))
            else:
                words = _content_stems(_expand(folded))
                self.english.append((phrase, words or tuple(_WORD.findall(folded))))

    @property
    def vocabulary(self) -> set[str]:
        return {word for _, words in self.english for word in words}

    def find(self, message: Message) -> str | None:
        for phrase, pattern in self.chinese:
            if pattern.search(message.cjk):
                return phrase
        for phrase, words in self.english:
            if _near_each_other(words, message.stems):
                return phrase
        for phrase, words in self.exact:
            if _contains(message.tokens, words):
                return phrase
        return None


class CueSet:
    """Cue words and short phrases, matched exactly (no stemming, no typo correction)."""

    def __init__(self, cues: Iterable[str]) -> None:
        self.english: list[tuple[str, ...]] = []
        self.chinese: list[str] = []
        for cue in cues:
            folded = fold(cue).strip()
            if _CJK.search(folded):
                self.chinese.append(folded.replace(" ", ""))
            else:
                self.english.append(tuple(_stem(w) for w in _WORD.findall(_expand(folded))))

    def any_in(self, message: Message) -> bool:
        if any(cue in message.cjk for cue in self.chinese):
            return True
        return any(_contains(message.tokens, cue) for cue in self.english)


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    kind: str  # "emergency" or "crisis"
    phrases: PhraseSet


@dataclass(frozen=True, slots=True)
class RedFlag:
    category: str
    kind: str
    phrase: str  # what matched, for the admins' log


class RedFlagDetector:
    def __init__(
        self,
        categories: Sequence[Category],
        *,
        now: CueSet,
        personal: CueSet,
        question: CueSet,
        not_now: CueSet,
        mild: CueSet,
        neutral: Sequence[str] = (),
    ) -> None:
        self._categories = categories
        self._now, self._personal, self._question, self._not_now = now, personal, question, not_now
        self._mild = mild
        # Set phrases that only look alarming ("until now", "choking on laughter"): removed first.
        self._neutral = [_expand(fold(phrase)).strip() for phrase in neutral]
        vocabulary = sorted(set().union(*(c.phrases.vocabulary for c in categories)))
        self._vocabulary = frozenset(vocabulary)
        # Candidates for a misspelt word share its first letter; sorted, so ties resolve the same
        # way every run. Anagrams of four-letter words are looked up by their sorted letters.
        self._by_initial: dict[str, list[str]] = {}
        self._anagrams: dict[str, str] = {}
        for word in vocabulary:
            self._by_initial.setdefault(word[0], []).append(word)
            if len(word) == 4:
                self._anagrams.setdefault("".join(sorted(word)), word)
        # People reuse the same few words, and every message is checked: remember corrections.
        self._corrections: dict[str, str] = {}

    def check(self, text: str) -> RedFlag | None:
        message = self._prepare(text)
        for category in self._categories:
            phrase = category.phrases.find(message)
            if phrase is not None and self._is_current(message, category.kind):
                return RedFlag(category.id, category.kind, phrase)
        return None

    def _is_current(self, message: Message, kind: str) -> bool:
        if self._now.any_in(message):
            return True
        if self._not_now.any_in(message):
            return False
        if kind == "emergency" and self._mild.any_in(message):
            return False
        if self._personal.any_in(message):
            return True
        return not self._question.any_in(message)

    def _prepare(self, text: str) -> Message:
        folded = _expand(fold(text))
        for phrase in self._neutral:
            folded = folded.replace(phrase, " ")
        tokens = tuple(_stem(word) for word in _WORD.findall(folded))
        stems = tuple(self._correct(stem) for stem in _content_stems(folded))
        return Message(tokens, stems, re.sub(r"\s+", "", folded))

    def _correct(self, stem: str) -> str:
        """Map a misspelt word onto a phrase word: same first letter, one edit (two if long)."""
        if len(stem) < 4 or stem in self._vocabulary:
            return stem
        corrected = self._corrections.get(stem)
        if corrected is None:
            corrected = self._closest(stem)
            if len(self._corrections) >= _MAX_CORRECTIONS:
                self._corrections.clear()
            self._corrections[stem] = corrected
        return corrected

    def _closest(self, stem: str) -> str:
        if len(stem) == 4:  # swapped letters only ("wnat"): one edit would make "room" "roof"
            return self._anagrams.get("".join(sorted(stem)), stem)
        allowed = 2 if len(stem) >= 8 else 1
        for word in self._by_initial.get(stem[0], ()):
            if abs(len(word) - len(stem)) <= allowed and OSA.distance(stem, word) <= allowed:
                return word
        return stem


_MAX_CORRECTIONS = 20_000  # remembered misspellings per detector; a few MB at most


def _expand(text: str) -> str:
    text = text.replace("\u2019", "'")
    return _CONTRACTION.sub(lambda match: _CONTRACTIONS[match.group(1)], text)


def _content_stems(text: str) -> tuple[str, ...]:
    return tuple(_stem(word) for word in _WORD.findall(text) if word not in _FILLER)


def _near_each_other(words: Sequence[str], stems: Sequence[str]) -> bool:
    """Every word of the phrase appears, in any order, within a short stretch of the message."""
    span = len(words) + _SLACK
    first = words[0]
    for position, stem in enumerate(stems):
        if stem != first:
            continue
        window = stems[max(0, position - span + 1) : position + span]
        if all(word in window for word in words[1:]):
            return True
    return False


def _contains(tokens: Sequence[str], words: Sequence[str]) -> bool:
    size = len(words)
    return any(
        tuple(tokens[start : start + size]) == tuple(words)
        for start in range(len(tokens) - size + 1)
    )
