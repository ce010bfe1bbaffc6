"""Choosing the embedding backend, and what the USE backend returns."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core import ConfigError
from bot.embedding import BACKENDS, UseEmbedder, load_embedder


def test_off_means_the_lexical_matcher_alone() -> None:
    assert load_embedder("off") is None


def test_auto_takes_the_installed_backend() -> None:
    assert isinstance(load_embedder("auto"), UseEmbedder)


def test_auto_without_the_extra_falls_back_to_lexical(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BACKENDS, "use", (lambda: False, UseEmbedder))
    assert load_embedder("auto") is None


def test_asking_for_a_missing_backend_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(BACKENDS, "use", (lambda: False, UseEmbedder))
    with pytest.raises(ConfigError, match=r"\[semantic\]"):
        load_embedder("use")


def test_an_unknown_choice_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="MATCHER_SEMANTIC"):
        load_embedder("bert")


def test_vectors_are_unit_length_rows(use_embedder: UseEmbedder) -> None:
    vectors = use_embedder.encode(["Is ALS hereditary?", "漸凍症會遺傳嗎？"])
    assert vectors.shape == (2, 512)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert use_embedder.encode([]).shape == (0, 512)


def test_both_chinese_scripts_embed_alike(use_embedder: UseEmbedder) -> None:
    traditional, simplified = use_embedder.encode(["漸凍症會遺傳嗎？", "渐冻症会遗传吗？"])
    assert float(traditional @ simplified) > 0.99
