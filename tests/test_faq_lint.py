"""Lint: what a valid FAQ can still get wrong, as warnings with file and line."""

import pytest

from bot.config import BotConfig
from bot.faq import Entry, EntryLink, Faq, LocalText, load_faq
from bot.faq_lint import (
    NEAR_DUPLICATE,
    lint_faq,
    long_answers,
    matcher_self_test,
    missing_locales,
    near_duplicates,
)
from bot.knowledge import Knowledge
from bot.matcher import Match
from tests.conftest import DATA, ROOT

LOCALES = ("en", "zh-TW")
LINT = DATA / "faq_lint"


def entry(
    entry_id: str,
    question: str | dict[str, str],
    *,
    answer: str | dict[str, str] = "An answer.",
    alternates: tuple[str, ...] = (),
    tags: tuple[str, ...] = (),
    links: tuple[EntryLink, ...] = (),
) -> Entry:
    def local(value: str | dict[str, str]) -> LocalText:
        return LocalText.plain(value) if isinstance(value, str) else LocalText(tuple(value.items()))

    return Entry(
        id=entry_id,
        topic="t",
        question=local(question),
        answer=local(answer),
        alternates=alternates,
        tags=tags,
        links=links,
        file="t.yaml",
        line=len(entry_id),  # distinct per entry, enough to see which one a warning names
    )


def faq_of(*entries: Entry) -> Faq:
    return Faq(entries, (), "test")


class FakeMatcher:
    """Answers from a script and records what it was asked."""

    def __init__(self, answers: dict[str, list[Match]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def search(self, query: str, *, context: str | None = None, limit: int = 5) -> list[Match]:
        self.asked.append(query)
        return self.answers.get(query, [])[:limit]


# --- the fixture: each finding once ----------------------------------------------------------


def test_the_lint_fixture_has_each_finding_once_with_file_and_line(config: BotConfig):
    faq = load_faq(LINT)
    footer = config.messages["not_a_diagnosis"]
    found = [str(p) for p in lint_faq(faq, locales=LOCALES, footer=footer)]
    assert len(found) == 3, found
    duplicate, language, length = found
    assert duplicate.startswith(f"{LINT}/cramps.yaml:16: warning: question: near-duplicate of ")
    assert f"'cramps-night' ({LINT}/cramps.yaml:6)" in duplicate
    assert (
        language == f"{LINT}/hands.yaml:25: warning: question: no zh-TW text: shown in en instead"
    )
    assert length.startswith(f"{LINT}/long.yaml:10: warning: answer.en: 4397 characters")
    assert "over Telegram's 4096 per message" in length and "LINE" not in length


def test_the_lint_fixture_fails_the_self_test_once_with_the_real_matcher(config: BotConfig):
    """The same alternate in two entries: no matcher can rank each entry first for it. The
    near-duplicate pair confuses a matcher too, but it is already named once."""
    faq = load_faq(LINT)
    matcher = Knowledge.build(faq, config.synonyms).matcher
    found = lint_faq(faq, locales=LOCALES, matcher=matcher)
    [selftest] = [str(p) for p in found if "self-test" in p.message]
    assert f"{LINT}/hands.yaml:" in selftest
    assert "warning: alternates: matcher self-test: 'numb hands at night'" in selftest
    assert len(found) == 4


def test_the_shipped_faq_has_no_lint_findings(config: BotConfig):
    """The checks that do not depend on the matcher; `faq check` runs the self-test too."""
    faq = load_faq(ROOT / "faq")
    footer = config.messages["not_a_diagnosis"]
    assert lint_faq(faq, locales=config.locales, footer=footer) == []


# --- near-duplicate questions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Why do I get leg cramps at night?", "Why do I get cramps at night?"),
        ("What causes muscle twitching?", "What causes muscle twiching?"),
        ("twitching and ALS", "ALS and twitching"),  # word order
        ("抽筋是漸凍症嗎？", "抽筋會是漸凍症嗎"),  # one character and punctuation
        ("做肌電圖會痛嗎", "肌電圖會痛嗎"),
    ],
)
def test_near_duplicate_questions_are_reported_on_the_later_entry(one: str, other: str):
    first, second = entry("first", one), entry("second-entry", other)
    [warning] = near_duplicates(faq_of(first, second))
    assert (warning.file, warning.line, warning.field) == ("t.yaml", 12, "question")
    assert warning.severity == "warning"
    assert "near-duplicate of 'first' (t.yaml:5)" in warning.message


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("How is myasthenia gravis diagnosed?", "How is myasthenia gravis treated?"),
        ("肌肉抽筋是什麼原因造成的？", "肌肉跳動通常是什麼原因造成的？"),
        ("Is ALS hereditary?", "Is SMA hereditary?"),
        ("手抖", "原發性顫抖症和巴金森病的手抖有什麼不同？"),  # a subset is not a duplicate
    ],
)
def test_different_questions_that_look_alike_are_not_reported(one: str, other: str):
    assert near_duplicates(faq_of(entry("first", one), entry("second", other))) == []


def test_an_alternate_close_to_another_entrys_question_is_reported_on_the_alternate():
    night = entry(
        "night", {"en": "Why do I get leg cramps at night?", "zh-TW": "為什麼晚上會腳抽筋？"}
    )
    relief = entry(
        "relief", "How do I stop a cramp?", alternates=("why do I get leg cramps at night",)
    )
    [warning] = near_duplicates(faq_of(night, relief))
    assert (warning.line, warning.field) == (6, "alternates")
    assert "'why do I get leg cramps at night' ~ 'Why do I get leg cramps at night?' (100%)" in (
        warning.message
    )


def test_a_text_with_nothing_to_compare_is_skipped_without_confusing_the_others():
    """ "!!" normalises to nothing; the alternate after it must still be named as one."""
    odd = entry("odd", "!!", alternates=("why do I get leg cramps at night",))
    night = entry("night", "Why do I get leg cramps at night?")
    [warning] = near_duplicates(faq_of(odd, night))
    assert (warning.line, warning.field) == (3, "alternates")


def test_each_pair_of_entries_is_reported_once_with_its_closest_texts():
    one = entry(
        "one",
        {"en": "Does an EMG test hurt?", "zh-TW": "做肌電圖會痛嗎？"},
        alternates=("is an EMG test painful",),
    )
    other = entry(
        "other",
        {"en": "Does the EMG test hurt?", "zh-TW": "肌電圖會痛嗎？"},
        alternates=("is the EMG test painful",),
    )
    [warning] = near_duplicates(faq_of(one, other))
    assert "'one'" in warning.message


def test_an_entrys_own_alternates_may_repeat_its_question():
    assert near_duplicates(faq_of(entry("a", "What is ALS?", alternates=("what is ALS",)))) == []


def test_threshold_is_a_parameter():
    pair = faq_of(entry("a", "Is ALS hereditary?"), entry("b", "Is SMA hereditary?"))
    assert NEAR_DUPLICATE == 90
    assert len(near_duplicates(pair, threshold=85)) == 1


# --- the matcher self-test -------------------------------------------------------------------


def test_self_test_asks_every_question_once_and_every_alternate():
    bilingual = entry("a", {"en": "Same", "zh-TW": "同"}, alternates=("x", "y"))
    plain = entry("b", "Plain question")
    matcher = FakeMatcher({})
    matcher_self_test(faq_of(bilingual, plain), matcher)
    assert matcher.asked == ["Same", "同", "x", "y", "Plain question"]


def test_self_test_names_the_entry_found_first_with_both_scores():
    cramps = entry("cramps", "Why do I cramp?", alternates=("charley horse",))
    matcher = FakeMatcher(
        {
            "Why do I cramp?": [Match("cramps", 1.0)],
            "charley horse": [Match("horse-riding", 0.91), Match("cramps", 0.8)],
        }
    )
    [warning] = matcher_self_test(faq_of(cramps), matcher)
    assert (warning.line, warning.field, warning.severity) == (6, "alternates", "warning")
    assert warning.message == (
        "matcher self-test: 'charley horse' finds 'horse-riding' first (0.91; this entry 0.80)"
    )


def test_self_test_says_when_the_own_entry_is_not_found_at_all():
    cramps = entry("cramps", "Why do I cramp?")
    matcher = FakeMatcher({"Why do I cramp?": [Match("other", 0.5)]})
    [warning] = matcher_self_test(faq_of(cramps), matcher)
    assert (warning.field, warning.line) == ("question", 6)
    assert "finds 'other' first (0.50; this entry not in the top 5)" in warning.message


def test_a_tie_is_reported_once_for_the_pair():
    one = entry("one", "First?", alternates=("shared words",))
    other = entry("other", "Second?", alternates=("Shared words!",))
    tie = [Match("one", 0.9), Match("other", 0.9)]
    matcher = FakeMatcher({"shared words": tie, "Shared words!": tie[::-1]})
    [warning] = matcher_self_test(faq_of(one, other), matcher)
    assert warning.message == (
        "matcher self-test: 'shared words' ties with 'other' (both 0.90): "
        "the bot cannot tell them apart"
    )


def test_self_test_skips_pairs_already_reported():
    one = entry("one", "First?", alternates=("shared words",))
    matcher = FakeMatcher({"shared words": [Match("other", 0.9), Match("one", 0.5)]})
    assert matcher_self_test(faq_of(one), matcher, known={frozenset(("one", "other"))}) == []
    assert len(matcher_self_test(faq_of(one), matcher, known={frozenset(("one", "x"))})) == 1


def test_self_test_is_quiet_when_each_text_finds_its_own_entry_first():
    a = entry("a", "A?", alternates=("a alt",))
    matcher = FakeMatcher({"A?": [Match("a", 0.9), Match("b", 0.89)], "a alt": [Match("a", 0.7)]})
    assert matcher_self_test(faq_of(a), matcher) == []


# --- missing languages ------------------------------------------------------------------------


def test_a_mapping_without_a_configured_language_is_reported_per_field():
    link = EntryLink(LocalText((("en", "Book"),)), "https://clinic.example.tw/b")
    only_english = entry("a", {"en": "Why?"}, answer={"zh-TW": "因為。"}, links=(link,))
    problems = missing_locales(faq_of(only_english), LOCALES)
    assert [(p.field, p.message) for p in problems] == [
        ("question", "no zh-TW text: shown in en instead"),
        ("answer", "no en text: shown in zh-TW instead"),
        ("links[0].title", "no zh-TW text: shown in en instead"),
    ]


def test_a_plain_string_serves_every_language():
    plain = entry("a", "Same text for everyone?", answer="Yes.")
    both = entry("b", {"en": "Why?", "zh-TW": "為什麼？"}, answer={"en": "So.", "zh-TW": "所以。"})
    assert missing_locales(faq_of(plain, both), LOCALES) == []


# --- answers over the platforms' limits --------------------------------------------------------


FOOTER = LocalText((("en", "Not a diagnosis."), ("zh-TW", "並非診斷。")))


def sized(total: int, *, question: str = "Q?", tags: tuple[str, ...] = ()) -> Entry:
    """An entry whose title, blank line and answer make `total` UTF-16 units."""
    return entry("a", question, answer="x" * (total - len(question) - 2), tags=tags)


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (4096, None),
        (4097, "4097 characters with its title and answer, over Telegram's 4096 per message"),
        (5000, "over Telegram's 4096 per message"),
        (5001, "over Telegram's 4096 and LINE's 5000 per message: the bot sends it in parts"),
    ],
)
def test_long_answers_at_the_platform_limits(total: int, expected: str | None):
    problems = long_answers(faq_of(sized(total)), LOCALES, FOOTER)
    if expected is None:
        assert problems == []
    else:
        [warning] = problems  # a plain answer makes the same message in both languages
        assert warning.field == "answer"
        assert warning.message.startswith("in en: ")
        assert expected in warning.message


def test_length_counts_utf16_units_like_both_platforms():
    """An emoji outside the Basic Multilingual Plane is 2 units: 4094 + 2 fits, one more does not."""
    fits = entry("a", "Q?", answer="x" * 4090 + "👍")
    over = entry("a", "Q?", answer="x" * 4091 + "👍")
    assert long_answers(faq_of(fits), ("en",), None) == []
    assert "4097 characters" in long_answers(faq_of(over), ("en",), None)[0].message


def test_the_not_a_diagnosis_line_counts_under_symptom_answers_only():
    near = 4096 - len("\n\nNot a diagnosis.") + 1
    assert long_answers(faq_of(sized(near)), ("en",), FOOTER) == []
    [warning] = long_answers(faq_of(sized(near, tags=("symptom",))), ("en",), FOOTER)
    assert "with its title, answer and 'not a diagnosis' line" in warning.message


def test_each_language_of_a_long_answer_is_named():
    long = entry(
        "a", {"en": "Q?", "zh-TW": "問？"}, answer={"en": "x" * 5000, "zh-TW": "字" * 4500}
    )
    problems = long_answers(faq_of(long), LOCALES, None)
    assert [(p.field, p.message.split(" characters")[0]) for p in problems] == [
        ("answer.en", "5004"),
        ("answer.zh-TW", "4504"),
    ]
