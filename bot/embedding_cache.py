"""FAQ embeddings on disk, so start-up and hot reload do not re-embed an unchanged FAQ.

A file holds the vectors of one FAQ version for one model, named by a hash of the model id
and every text. On a miss, rows of the model's newest files are reused for texts that did not
change, so an edit to a 10k-entry FAQ embeds only the edited texts. Writes go to a temporary
file renamed into place, so workers sharing the folder never read half a file. A folder that
cannot be written is logged and the vectors are simply computed again next time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.embedding import Embedder, Vectors

log = logging.getLogger(__name__)
DEFAULT_DIR = Path(".cache/embeddings")


def text_hashes(texts: Sequence[str]) -> np.ndarray:
    return np.array(
        [hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts], dtype="S16"
    )


def content_key(model_id: str, hashes: np.ndarray) -> str:
    digest = hashlib.sha256(model_id.encode() + b"\0")
    digest.update(hashes.tobytes())
    return digest.hexdigest()[:24]


class EmbeddingCache:
    def __init__(self, folder: Path = DEFAULT_DIR, keep: int = 4) -> None:
        self.folder = folder
        self._keep = keep  # files kept per model: the live version and a few before it

    def vectors(self, embedder: Embedder, texts: Sequence[str]) -> Vectors:
        hashes = text_hashes(texts)
        prefix = re.sub(r"[^A-Za-z0-9.+-]", "_", embedder.model_id)
        path = self.folder / f"{prefix}-{content_key(embedder.model_id, hashes)}.npz"
        stored = _read(path)
        if stored is not None and np.array_equal(stored[0], hashes):
            return stored[1]
        vectors = self._reuse_and_fill(embedder, texts, hashes, prefix)
        self._write(path, hashes, vectors, prefix)
        return vectors

    def _reuse_and_fill(
        self, embedder: Embedder, texts: Sequence[str], hashes: np.ndarray, prefix: str
    ) -> Vectors:
        known: dict[bytes, np.ndarray] = {}
        for older in self._files(prefix)[: self._keep]:
            stored = _read(older)
            if stored is not None:
                known.update(
                    (h, v)
                    for h, v in zip(stored[0].tolist(), stored[1], strict=True)
                    if h not in known
                )
        missing = [i for i, h in enumerate(hashes.tolist()) if h not in known]
        fresh = embedder.encode([texts[i] for i in missing])
        if not known:
            return fresh
        width = fresh.shape[1] if missing else len(next(iter(known.values())))
        out = np.empty((len(texts), width), dtype=np.float32)
        for i, h in enumerate(hashes.tolist()):
            if h in known:
                out[i] = known[h]
        if missing:
            out[missing] = fresh
        log.info("embedded %d changed texts, reused %d", len(missing), len(texts) - len(missing))
        return out

    def _files(self, prefix: str) -> list[Path]:
        """The model's cache files, newest first."""
        try:
            files = list(self.folder.glob(f"{prefix}-*.npz"))
            return sorted(files, key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError:
            return []

    def _write(self, path: Path, hashes: np.ndarray, vectors: Vectors, prefix: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                np.savez(f, hashes=hashes, vectors=vectors)
            os.replace(tmp, path)
            for old in self._files(prefix)[self._keep :]:
                old.unlink(missing_ok=True)
        except OSError as error:
            log.warning("embedding cache not written (%s): %s", self.folder, error)


def _read(path: Path) -> tuple[np.ndarray, Vectors] | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            return data["hashes"], data["vectors"].astype(np.float32, copy=False)
    except (OSError, KeyError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Semantic:
    """What the knowledge builder needs: the model, and where its FAQ vectors are kept."""

    embedder: Embedder
    cache: EmbeddingCache | None = None

    def vectors(self, texts: Sequence[str]) -> Vectors:
        if self.cache is None:
            return self.embedder.encode(texts)
        return self.cache.vectors(self.embedder, texts)
