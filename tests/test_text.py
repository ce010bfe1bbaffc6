"""Behaviour of the pure text helpers."""

from __future__ import annotations

import pytest

from bot.text import cjk_ngrams, detect_locale, normalise, split_runs, stem


def test_simplified_and_traditional_normalise_the_same() -> None:
    assert normalise("渐冻症") == normalise("漸凍症")
    assert normalise("肌电图检查") == normalise("肌電圖檢查")


def test_taiwan_variant_characters_are_folded() -> None:
    assert normalise("裡面") == normalise("里面") == normalise("裏面")
    assert normalise("台灣") == normalise("台湾")


def test_case_punctuation_and_full_width_are_ignored() -> None:
    assert normalise("ＡＬＳ？") == normalise("als") == normalise("  ALS!!! ")
    assert normalise("Lou Gehrig’s disease") == normalise("lou gehrig's disease")
    assert normalise("漸凍症，會遺傳嗎？") == normalise("漸凍症 會遺傳嗎")


def test_detect_locale() -> None:
    assert detect_locale("what is ALS?") == "en"
    assert detect_locale("ALS 是什麼") == "zh-TW"
    assert detect_locale("渐冻症") == "zh-TW"
    assert detect_locale("") is None
    assert detect_locale("2") is None
    assert detect_locale("👍") is None


def test_runs_split_chinese_from_latin_without_spaces() -> None:
    runs = split_runs(normalise("我有ALS嗎？肌肉跳"))
    assert runs == [(True, "我有"), (False, "als"), (True, "嗎"), (True, "肌肉跳")]


@pytest.mark.parametrize(
    ("words", "same"),
    [
        (["twitching", "twitches", "twitched", "twitch"], True),
        (["treatment", "treating", "treated", "treat"], True),
        (["worried", "worries", "worry"], True),
        (["diseases", "disease"], True),
        (["bleeding", "bleed"], True),
        (["numbness", "numb"], True),
    ],
)
def test_stemmer_maps_inflections_together(words: list[str], same: bool) -> None:
    assert (len({stem(w) for w in words}) == 1) is same


def test_stemmer_leaves_short_words_and_numbers() -> None:
    assert stem("als") == "als"
    assert stem("2024") == "2024"


def test_cjk_ngrams_bigrams_and_unigrams() -> None:
    assert cjk_ngrams("肌肉跳", unigrams=False) == ["肌肉", "肉跳"]
    assert sorted(cjk_ngrams("肌肉", unigrams=True)) == sorted(["肌肉", "肌", "肉"])
    assert cjk_ngrams("麻", unigrams=False) == ["麻"]
