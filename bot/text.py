"""Text normalisation shared by the matcher and the dialog (first version)."""

from __future__ import annotations

import functools
import re
import unicodedata

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[a-zA-Z]")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), case folding, punctuation to spaces, CJK split apart."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(char if char.isalnum() else " " for char in folded)
    spaced = _CJK.sub(lambda match: f" {match.group()} ", kept)
    return " ".join(spaced.split())


def detect_locale(text: str) -> str | None:
    """ "zh-TW" if the text has Chinese characters, "en" if Latin letters, else None."""
    if _CJK.search(text):
        return "zh-TW"
    if _LATIN.search(unicodedata.normalize("NFKC", text)):
        return "en"
    return None


def fold(text: str) -> str:
    """NFKC, case folding and Simplified -> Traditional, keeping spacing and punctuation."""
    return _converter().convert(unicodedata.normalize("NFKC", text).casefold())


@functools.cache
def _converter():
    import opencc

    return opencc.OpenCC("s2t")
