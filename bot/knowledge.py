"""What the bot knows at one moment: a FAQ and the matcher built from it, swapped as one."""

from __future__ import annotations

from dataclasses import dataclass

from bot.embedding_cache import Semantic
from bot.faq import Faq
from bot.matcher import MatchDoc, Matcher, Synonyms
from bot.semantic import SemanticIndex
from bot.semantic_weights import USE_WEIGHTS


@dataclass(frozen=True, slots=True)
class Knowledge:
    faq: Faq
    matcher: Matcher

    @property
    def version(self) -> str:
        return self.faq.version

    @classmethod
    def build(
        cls, faq: Faq, synonyms: Synonyms | None = None, semantic: Semantic | None = None
    ) -> Knowledge:
        docs = [
            MatchDoc(
                entry_id=entry.id,
                texts=(*entry.question.texts, *entry.alternates),
                topic=entry.topic,
                related=entry.related,
            )
            for entry in faq
        ]
        index = None
        if semantic is not None:
            # Embedding a large FAQ takes seconds; the cache makes it once per FAQ version.
            vectors = semantic.vectors([t for d in docs for t in d.texts])
            index = SemanticIndex(semantic.embedder, vectors, USE_WEIGHTS)
        return cls(faq, Matcher(docs, synonyms, semantic=index))
