"""The semantic stage through the matcher, with the real USE backend and the shipped FAQ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import BotConfig
from bot.decision import decide
from bot.embedding import UseEmbedder
from bot.embedding_cache import EmbeddingCache, Semantic
from bot.faq import Faq, load_faq
from bot.knowledge import Knowledge
from bot.matcher import MatchDoc, Matcher
from bot.semantic import SemanticIndex
from bot.semantic_weights import USE_WEIGHTS
from bot.text import has_cjk
from tests.conftest import DATA, ROOT

CROSSLANG = [json.loads(line) for line in (DATA / "crosslang_queries.jsonl").open()]


@pytest.fixture(scope="module")
def shipped_faq() -> Faq:
    return load_faq(ROOT / "faq")


def one_language(faq: Faq, chinese: bool) -> list[MatchDoc]:
    """The shipped FAQ with every text of the other language removed."""
    return [
        MatchDoc(
            entry.id,
            tuple(t for t in (*entry.question.texts, *entry.alternates) if has_cjk(t) == chinese),
        )
        for entry in faq
    ]


def semantic_matcher(docs: list[MatchDoc], embedder: UseEmbedder, config: BotConfig) -> Matcher:
    vectors = embedder.encode([t for d in docs for t in d.texts])
    return Matcher(docs, config.synonyms, semantic=SemanticIndex(embedder, vectors, USE_WEIGHTS))


@pytest.mark.parametrize(
    ("query", "chinese_faq", "expected"),
    [
        ("can drinking coffee make my hands tremble", True, "tremor-caffeine-anxiety"),
        ("why does my eyelid keep jumping", True, "twitching-eyelid"),
        ("重症肌無力要怎麼治療", False, "mg-treatment"),
        ("喝咖啡會讓手抖嗎", False, "tremor-caffeine-anxiety"),
    ],
)
def test_a_question_finds_an_entry_written_only_in_the_other_language(
    shipped_faq: Faq,
    use_embedder: UseEmbedder,
    config: BotConfig,
    query: str,
    chinese_faq: bool,
    expected: str,
) -> None:
    matcher = semantic_matcher(one_language(shipped_faq, chinese_faq), use_embedder, config)
    assert matcher.search(query)[0].entry_id == expected


def test_most_of_the_cross_language_set_is_found_in_the_top_three(
    shipped_faq: Faq, use_embedder: UseEmbedder, config: BotConfig
) -> None:
    found = 0
    for chinese_faq in (True, False):
        matcher = semantic_matcher(one_language(shipped_faq, chinese_faq), use_embedder, config)
        rows = [r for r in CROSSLANG if (r["faq"] == "zh") == chinese_faq]
        found += sum(
            r["expected_id"] in [m.entry_id for m in matcher.search(r["query"], limit=3)]
            for r in rows
        )
    assert found >= 0.75 * len(CROSSLANG)


def test_the_semantic_stage_finds_more_across_languages_than_words_alone(
    shipped_faq: Faq, use_embedder: UseEmbedder, config: BotConfig
) -> None:
    docs = one_language(shipped_faq, chinese=True)
    rows = [r for r in CROSSLANG if r["faq"] == "zh"]

    def top1(matcher: Matcher) -> int:
        return sum(
            [m.entry_id for m in matcher.search(r["query"], limit=1)] == [r["expected_id"]]
            for r in rows
        )

    assert top1(semantic_matcher(docs, use_embedder, config)) > top1(Matcher(docs, config.synonyms))


def test_knowledge_built_twice_embeds_the_faq_once(
    shipped_faq: Faq, use_embedder: UseEmbedder, config: BotConfig, tmp_path: Path
) -> None:
    semantic = Semantic(use_embedder, EmbeddingCache(tmp_path))
    first = Knowledge.build(shipped_faq, config.synonyms, semantic)
    files = sorted(tmp_path.iterdir())
    second = Knowledge.build(shipped_faq, config.synonyms, semantic)
    assert len(files) == 1 and sorted(tmp_path.iterdir()) == files
    query = "can coffee make my hands shake"
    assert first.matcher.search(query) == second.matcher.search(query)
    assert second.matcher.search(query)[0].entry_id == "tremor-caffeine-anxiety"


def test_off_topic_questions_are_not_answered_directly(
    shipped_faq: Faq, use_embedder: UseEmbedder, config: BotConfig, tmp_path: Path
) -> None:

    semantic = Semantic(use_embedder, EmbeddingCache(tmp_path))
    matcher = Knowledge.build(shipped_faq, config.synonyms, semantic).matcher
    for line in (DATA / "offtopic_queries.jsonl").open():
        query = json.loads(line)["query"]
        assert decide(matcher.search(query), config.thresholds).outcome != "answer", query
