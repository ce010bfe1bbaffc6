"""Pure text normalisation and tokenisation for the FAQ matcher.

Everything here is deterministic and free of I/O.  The only heavy object is
the OpenCC converter pair, which `Normaliser` owns; the module-level helper
functions share one lazily built default instance.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal, Protocol

Locale = Literal["en", "zh-TW"]

# CJK ideographs: the basic block, extension A, compatibility ideographs and
# the supplementary planes (extensions B and later).
_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# Synonym group tokens are single private-use characters, so that a group
# behaves as one "word" in English and as one "character" inside Chinese.
_PUA_CLASS = "\U000f0000-\U000ffffd"
_CJK_RE = re.compile(f"[{_CJK_CLASS}]")
_LATIN_RE = re.compile("[A-Za-z]")
# One run of ideographs (group tokens may sit inside it) or one Latin/digit
# word.  An apostrophe inside a word is kept so that "gehrig's" can be handled.
_RUN_RE = re.compile(
    f"(?P<cjk>[{_CJK_CLASS}{_PUA_CLASS}]+)|(?P<word>[^\\W_{_CJK_CLASS}]+(?:'[^\\W_{_CJK_CLASS}]+)*)"
)
# Variant characters that OpenCC's s2t leaves distinct but that Taiwanese and
# mainland users use interchangeably.  Applied after conversion.
_VARIANTS = str.maketrans({"着": "著", "爲": "為", "麪": "麵", "裏": "裡", "臺": "台", "甚": "什"})
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u02bc": "'"})

# Hand-picked English stop words: function words plus the question framing
# that patients wrap around every question ("hi doctor, can you tell me ...").
_STOP_TEXT = """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during each
    else ever few for from further get gets getting got had has have having he her here hers
    herself him himself his how i if im in into is it its itself ive just let lets me might
    more most must my myself no nor not now of off on once only or other our ours ourselves
    out over own please same shall she should so some such than that thats the their theirs
    them themselves then there these they this those through to too under until up upon us
    very want was we were what whats when where which while who whom will with would you
    your yours yourself dont doesnt didnt cant isnt arent wont shouldnt wouldnt couldnt hi
    hello hey thanks thank dear kindly tell know anyone someone something anything really
    like one ok okay yes yet still much many may"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())
_VOWELS = frozenset("aeiouy")


class Converter(Protocol):
    """The one method of an OpenCC converter this module relies on."""

    def convert(self, text: str) -> str: ...


def make_converter(config: str) -> Converter:
    # Imported lazily so English-only callers never load the dictionaries.
    import opencc

    return opencc.OpenCC(config)  # type: ignore[no-any-return]


class Normaliser:
    """NFKC + case folding + Simplified/Traditional folding.

    S->T folding first maps to Simplified (a many-to-one mapping that merges
    Traditional variants such as 裡/裏) and then back to Traditional with
    OpenCC's phrase tables, so 渐冻症, 漸凍症 and mixed input meet in one form.
    """

    def __init__(self, fold_chinese: bool = True) -> None:
        self._t2s: Converter | None = make_converter("t2s") if fold_chinese else None
        self._s2t: Converter | None = make_converter("s2t") if fold_chinese else None

    def __call__(self, text: str) -> str:
        text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
        if self._t2s is not None and self._s2t is not None and has_cjk(text):
            text = self._s2t.convert(self._t2s.convert(text)).translate(_VARIANTS)
        return text


@functools.cache
def default_normaliser() -> Normaliser:
    """Shared converter pair; building it costs ~0.1 s, so build it once."""
    return Normaliser()


def normalise(text: str) -> str:
    """Normalised text with punctuation replaced by single spaces."""
    return " ".join(m.group(0) for m in _RUN_RE.finditer(default_normaliser()(text)))


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def detect_locale(text: str) -> Locale | None:
    """Any ideograph makes the text Chinese; Latin letters make it English; else None.

    None ("2", "👍", "?") lets the caller fall back on what it knew before.
    """
    if has_cjk(text):
        return "zh-TW"
    return "en" if _LATIN_RE.search(unicodedata.normalize("NFKC", text)) else None


def fold(text: str) -> str:
    """NFKC, case folding and Simplified -> Traditional, keeping spacing and punctuation."""
    return default_normaliser()(text)


def comparable(text: str) -> str:
    """`normalise` with Chinese split into characters: for fuzzy comparison of whole messages."""
    return " ".join(_CJK_RE.sub(lambda m: f" {m.group(0)} ", normalise(text)).split())


def split_runs(normalised: str) -> list[tuple[bool, str]]:
    """Split into (is_cjk, run) pairs; punctuation and spaces separate runs.

    A CJK run is a whitespace-free stretch of ideographs; a non-CJK run is a
    single word.  The caller must pass text already run through a Normaliser.
    """
    return [(m.lastgroup == "cjk", m.group(0)) for m in _RUN_RE.finditer(normalised)]


def clean_word(word: str) -> str:
    """Drop possessive 's and inner apostrophes: gehrig's -> gehrig, don't -> dont."""
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "")


def _has_vowel(s: str) -> bool:
    return any(c in _VOWELS for c in s)


def _undouble(stem: str) -> str:
    # runn(ing) -> run, but keep "ll"/"ss"/"zz" endings (fall, miss, buzz).
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        return stem[:-1]
    return stem


# Derivational suffixes (longest first) mapped to a shared ending, so that
# treat/treatment, infect/infection, pain/painful, sick/sickness meet.
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("ational", "ate"),
    ("ization", "ize"),
    ("fulness", ""),
    ("ousness", "ous"),
    ("iveness", "ive"),
    ("ations", "ate"),
    ("ation", "ate"),
    ("ments", ""),
    ("ment", ""),
    ("ness", ""),
    ("ful", ""),
    ("ical", "ic"),
    ("ally", "al"),
    ("ities", ""),
    ("ity", ""),
    ("ions", ""),
    ("ion", ""),
)


def _strip_inflection(w: str) -> str:
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("sses"):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    for suffix in ("ing", "ed"):
        stem = w[: -len(suffix)]
        # "eed" words (bleed, need) are not past tenses.
        if w.endswith(suffix) and len(stem) >= 3 and _has_vowel(stem) and not w.endswith("eed"):
            return _undouble(stem[:-1] + "y" if stem.endswith("i") else stem)
    return w


def stem(word: str) -> str:
    """A small suffix stemmer (Porter-like, much shorter).

    It only has to map inflections of one word to one key; the key need not
    be a real word.  Short words and digits are left alone.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    w = _strip_inflection(word)
    for suffix, repl in _SUFFIXES:
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            w = w[: -len(suffix)] + repl
            break
    if w.endswith("y") and len(w) > 4:
        w = w[:-1] + "i"
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def cjk_ngrams(run: str, unigrams: bool = True) -> list[str]:
    """Character bigrams of a whitespace-free Chinese run (plus unigrams).

    Chinese has no spaces, so bigrams stand in for words; unigrams keep
    one-character words (痛, 麻, 抖) and single-character overlaps findable.
    """
    grams = [run[i : i + 2] for i in range(len(run) - 1)]
    if unigrams or len(run) == 1:
        grams.extend(run)
    return grams
