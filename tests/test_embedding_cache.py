"""FAQ vectors on disk: computed once per FAQ version, edits re-embed only what changed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bot.embedding import UseEmbedder, Vectors
from bot.embedding_cache import EmbeddingCache, Semantic

TEXTS = ["What is ALS?", "漸凍症會遺傳嗎？", "Why do my hands shake?"]


class CountingEmbedder:
    """The real backend, counting the texts it was asked to embed."""

    def __init__(self, inner: UseEmbedder) -> None:
        self.inner = inner
        self.embedded: list[str] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.embedded += texts
        return self.inner.encode(texts)


def test_a_second_build_reads_the_vectors_from_disk(
    use_embedder: UseEmbedder, tmp_path: Path
) -> None:
    counting = CountingEmbedder(use_embedder)
    first = EmbeddingCache(tmp_path).vectors(counting, TEXTS)
    second = EmbeddingCache(tmp_path).vectors(counting, TEXTS)
    assert counting.embedded == TEXTS
    assert np.array_equal(first, second)


def test_an_edit_embeds_only_the_changed_text(use_embedder: UseEmbedder, tmp_path: Path) -> None:
    counting = CountingEmbedder(use_embedder)
    cache = EmbeddingCache(tmp_path)
    before = cache.vectors(counting, TEXTS)
    edited = [*TEXTS[:2], "Why do my hands tremble?"]
    after = cache.vectors(counting, edited)
    assert counting.embedded == [*TEXTS, "Why do my hands tremble?"]
    assert np.array_equal(after[:2], before[:2])
    assert np.allclose(after[2], use_embedder.encode(edited[2:])[0], atol=1e-6)


def test_old_versions_are_pruned(use_embedder: UseEmbedder, tmp_path: Path) -> None:
    cache = EmbeddingCache(tmp_path, keep=2)
    for i in range(4):
        cache.vectors(use_embedder, [*TEXTS, f"version {i}"])
    assert len(list(tmp_path.glob("*.npz"))) == 2


def test_an_unwritable_folder_still_gives_vectors(
    use_embedder: UseEmbedder, tmp_path: Path
) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    vectors = Semantic(use_embedder, EmbeddingCache(blocked / "cache")).vectors(TEXTS)
    assert vectors.shape == (3, 512)
