"""Behaviour of the matcher through its public interface, on a small self-made FAQ."""

from __future__ import annotations

import pytest

from bot.decision import Thresholds, decide
from bot.matcher import MatchDoc, Matcher, MatcherOptions
from bot.synonyms import Synonyms

DOCS = (
    MatchDoc(
        "als-what-is",
        ("What is ALS?", "什麼是漸凍症？", "what is motor neuron disease", "漸凍症是什麼病"),
        topic="als",
        related=("als-hereditary", "als-worse"),
    ),
    MatchDoc(
        "als-hereditary",
        ("Is ALS hereditary?", "漸凍症會遺傳嗎？", "does ALS run in families"),
        topic="als",
        related=("als-what-is",),
    ),
    MatchDoc(
        "als-worse",
        ("Does ALS get worse over time?", "漸凍症會越來越嚴重嗎？"),
        topic="als",
    ),
    MatchDoc(
        "twitching-causes",
        ("What causes muscle twitching?", "肌肉跳是什麼原因？", "why do my muscles twitch"),
        topic="twitching",
        related=("twitching-worse",),
    ),
    MatchDoc(
        "twitching-worse",
        ("Will my muscle twitching get worse?", "肌肉跳會越來越嚴重嗎？"),
        topic="twitching",
        related=("twitching-causes",),
    ),
    MatchDoc(
        "emg-pain",
        ("Does an EMG hurt?", "肌電圖檢查會痛嗎？", "is the needle test painful"),
        topic="tests",
        related=("emg-what",),
    ),
    MatchDoc(
        "emg-what",
        ("What is an EMG test?", "肌電圖是什麼檢查？", "electromyography explained"),
        topic="tests",
        related=("emg-pain",),
    ),
    MatchDoc(
        "cramps-night",
        ("Why do I get leg cramps at night?", "晚上腿抽筋怎麼辦？"),
        topic="cramps",
    ),
    MatchDoc(
        "tremor-causes",
        ("Why are my hands shaking?", "為什麼會手抖？"),
        topic="tremor",
    ),
    MatchDoc(
        "mg-what-is",
        ("What is myasthenia gravis?", "什麼是重症肌無力？"),
        topic="mg",
    ),
)
SYNONYMS = Synonyms.from_groups(
    [
        ["ALS", "Lou Gehrig's disease", "motor neuron disease", "漸凍症", "漸凍人"],
        ["twitching", "twitch", "fasciculation", "肌肉跳", "肉跳", "抽動"],
        ["cramp", "charley horse", "抽筋"],
        ["EMG", "electromyography", "肌電圖"],
        ["tremor", "shaking", "手抖", "顫抖"],
        ["hereditary", "genetic", "inherited", "遺傳"],
        ["pain", "hurt", "painful", "痛"],
    ]
)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(DOCS, SYNONYMS)


def top(m: Matcher, query: str, context: str | None = None) -> str | None:
    hits = m.search(query, context=context)
    return hits[0].entry_id if hits else None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("漸凍症會遺傳嗎", "als-hereditary"),
        ("渐冻症会遗传吗", "als-hereditary"),  # Simplified input
        ("渐冻症是什么病", "als-what-is"),
        ("肌肉跳是什么原因", "twitching-causes"),
        ("肌電圖會痛嗎", "emg-pain"),
    ],
)
def test_chinese_without_spaces(matcher: Matcher, query: str, expected: str) -> None:
    assert top(matcher, query) == expected


@pytest.mark.parametrize(
    "query", ["IS ALS HEREDITARY???", "is als hereditary", "ｉｓ ＡＬＳ ｈｅｒｅｄｉｔａｒｙ？"]
)
def test_case_punctuation_and_full_width_insensitive(matcher: Matcher, query: str) -> None:
    assert top(matcher, query) == "als-hereditary"


def test_simplified_and_traditional_score_alike(matcher: Matcher) -> None:
    a = matcher.search("漸凍症會遺傳嗎")
    b = matcher.search("渐冻症会遗传吗")
    assert [m.entry_id for m in a] == [m.entry_id for m in b]
    assert a[0].score == pytest.approx(b[0].score)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("is Lou Gehrig's disease genetic", "als-hereditary"),  # multi-word synonym
        ("what causes fasciculations", "twitching-causes"),
        ("why do I get a charley horse at night", "cramps-night"),
        ("does electromyography hurt", "emg-pain"),
        ("漸凍人會遺傳嗎", "als-hereditary"),
        ("ALS會遺傳嗎", "als-hereditary"),  # English term inside Chinese
    ],
)
def test_synonyms(matcher: Matcher, query: str, expected: str) -> None:
    assert top(matcher, query) == expected


def test_synonyms_change_the_result() -> None:
    plain = Matcher(DOCS)
    assert top(plain, "is Lou Gehrig's disease inherited") != "als-hereditary"
    assert top(Matcher(DOCS, SYNONYMS), "is Lou Gehrig's disease inherited") == "als-hereditary"


def test_stop_words_do_not_drive_the_match(matcher: Matcher) -> None:
    # Only stop words: nothing informative to match.
    assert matcher.search("what is the of and to") == []
    # Stop words around a content word do not pull towards "What is ...?" entries.
    assert top(matcher, "what is the reason my hands are shaking") == "tremor-causes"


@pytest.mark.parametrize(
    ("query", "expected"),
    [("is ALS heriditary", "als-hereditary"), ("what is myasthenia gravs", "mg-what-is")],
)
def test_typos(matcher: Matcher, query: str, expected: str) -> None:
    assert top(matcher, query) == expected


@pytest.mark.parametrize(
    "query",
    [
        "what's the weather tomorrow",
        "tell me a joke",
        "how do I reset my password",
        "今天天氣如何",
        "推薦好吃的牛肉麵",
    ],
)
def test_off_topic_is_not_answered(matcher: Matcher, query: str) -> None:
    assert decide(matcher.search(query), Thresholds()).outcome != "answer"


def test_clear_question_is_answered(matcher: Matcher) -> None:
    d = decide(matcher.search("Is ALS hereditary?"), Thresholds())
    assert d.outcome == "answer"
    assert d.matches[0].entry_id == "als-hereditary"


@pytest.mark.parametrize(
    ("context", "query", "expected"),
    [
        ("als-what-is", "will it get worse?", "als-worse"),
        ("twitching-causes", "will it get worse?", "twitching-worse"),
        ("twitching-causes", "會越來越嚴重嗎", "twitching-worse"),
        ("emg-what", "does it hurt?", "emg-pain"),
        ("als-what-is", "會遺傳嗎", "als-hereditary"),
    ],
)
def test_follow_up_uses_context(matcher: Matcher, context: str, query: str, expected: str) -> None:
    assert top(matcher, query, context=context) == expected


def test_context_does_not_hijack_a_new_question(matcher: Matcher) -> None:
    assert top(matcher, "why do I get leg cramps at night", context="als-what-is") == "cramps-night"
    assert top(matcher, "what is myasthenia gravis", context="emg-pain") == "mg-what-is"


def test_unknown_context_is_ignored(matcher: Matcher) -> None:
    assert top(matcher, "is ALS hereditary", context="no-such-entry") == "als-hereditary"


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "？？！", "..."])
def test_empty_or_blank_query(matcher: Matcher, query: str) -> None:
    assert matcher.search(query) == []
    assert decide(matcher.search(query), Thresholds()).outcome == "fallback"


@pytest.mark.parametrize(
    "query", ["is ALS hereditary", "漸凍症", "weather", "肌肉", "twitch twitch twitch", "a"]
)
def test_scores_are_probabilities_in_order(matcher: Matcher, query: str) -> None:
    hits = matcher.search(query, limit=10)
    assert all(0.0 <= m.score <= 1.0 for m in hits)
    assert sum(m.score for m in hits) <= 1.0 + 1e-9
    assert [m.score for m in hits] == sorted((m.score for m in hits), reverse=True)
    assert len({m.entry_id for m in hits}) == len(hits)


def test_limit(matcher: Matcher) -> None:
    assert len(matcher.search("ALS", limit=2)) <= 2


def test_empty_faq() -> None:
    assert Matcher([]).search("anything") == []


def test_a_generic_alternate_does_not_answer_for_a_disease_the_entry_never_mentions() -> None:
    docs = (
        MatchDoc("mg-tests", ("How is myasthenia gravis diagnosed?", "what tests confirm it")),
        MatchDoc("als-tests", ("How is ALS diagnosed?", "漸凍症怎麼診斷")),
    )
    synonyms = Synonyms.from_groups(
        [["ALS", "漸凍症", "motor neuron disease"], ["myasthenia gravis", "重症肌無力"]]
    )
    question = "what tests confirm motor neuron disease"
    covered = Matcher(docs, synonyms).search(question)
    uncovered = Matcher(docs, synonyms, options=MatcherOptions(concept_coverage=False))
    by_id = {match.entry_id: match.score for match in covered}
    assert by_id.get("mg-tests", 0.0) < 0.05, "the query's disease is nowhere in mg-tests"
    assert uncovered.search(question)[0].entry_id == covered[0].entry_id, "ranking unchanged"


def test_a_query_word_for_word_an_entrys_text_is_answered_even_when_neighbours_fit() -> None:
    docs = (
        MatchDoc("alone", ("If I only have muscle twitching, could it be ALS?",)),
        MatchDoc("worse", ("Does muscle twitching in ALS get worse?",)),
        MatchDoc("weak", ("Does ALS twitching show up in weak muscles?",)),
    )
    [best, *_] = Matcher(docs).search("if i only have muscle twitching, could it be ALS")
    assert best.entry_id == "alone"
    assert (
        decide(
            Matcher(docs).search("If I only have muscle twitching, could it be ALS?"), Thresholds()
        ).outcome
        == "answer"
    )
