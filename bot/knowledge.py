"""What the bot knows at one moment: a FAQ and the matcher built from it, swapped as one."""

from __future__ import annotations

from dataclasses import dataclass

from bot.faq import Faq
from bot.matcher import MatchDoc, Matcher, Synonyms


@dataclass(frozen=True, slots=True)
class Knowledge:
    faq: Faq
    matcher: Matcher

    @property
    def version(self) -> str:
        return self.faq.version

    @classmethod
    def build(cls, faq: Faq, synonyms: Synonyms | None = None) -> Knowledge:
        docs = [
            MatchDoc(
                entry_id=entry.id,
                texts=(*entry.question.texts, *entry.alternates),
                topic=entry.topic,
                related=entry.related,
            )
            for entry in faq
        ]
        return cls(faq, Matcher(docs, synonyms))
