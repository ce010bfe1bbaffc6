"""Which matching stage runs: the embedding re-rank when MATCHER_SEMANTIC and the installed
extras allow it. Shared by the bot (main.py) and the admin commands (`faq eval`), so an
evaluation measures the matcher the bot would use."""

from __future__ import annotations

import logging

from bot.embedding import load_embedder
from bot.embedding_cache import EmbeddingCache, Semantic
from bot.settings import Settings

log = logging.getLogger(__name__)


def build_semantic(settings: Settings) -> Semantic | None:
    """The embedding re-rank stage if MATCHER_SEMANTIC allows it; says which stage runs."""
    embedder = load_embedder(settings.semantic)
    if embedder is None:
        why = "off" if settings.semantic == "off" else "not installed"
        log.info("matcher: lexical only (semantic stage %s)", why)
        return None
    # The cosine scan is one matrix-vector product per query; extra BLAS threads only spin
    # and steal the core the event loop needs (see bench/README.md, semantic stage).
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")
    log.info(
        "matcher: lexical shortlist + semantic re-rank by %s (embeddings cached in %s)",
        embedder.model_id,
        settings.embedding_cache_dir,
    )
    return Semantic(embedder, EmbeddingCache(settings.embedding_cache_dir))
