"""Synonym groups: loading and matching of multi-word / multi-character terms."""

from __future__ import annotations

from pathlib import Path

from bot.synonyms import Analyzer, Synonyms, is_group_token, load_synonyms

ROOT = Path(__file__).resolve().parent.parent


def groups_in(analyzer: Analyzer, text: str) -> set[str]:
    return {t for t in analyzer.analyse(text).terms if is_group_token(t)}


def test_multi_word_and_multi_character_terms_share_one_token() -> None:
    a = Analyzer(Synonyms.from_groups([["ALS", "Lou Gehrig's disease", "漸凍症"]]))
    tokens = [
        groups_in(a, t) for t in ("ALS", "lou gehrigs disease", "漸凍症", "渐冻症", "我有漸凍症嗎")
    ]
    assert all(len(t) == 1 for t in tokens)
    assert len(set().union(*tokens)) == 1


def test_inflections_of_terms_match() -> None:
    a = Analyzer(Synonyms.from_groups([["twitching", "肌肉跳"]]))
    assert groups_in(a, "my muscles twitched") == groups_in(a, "twitches") == groups_in(a, "肌肉跳")


def test_single_character_chinese_term_only_matches_on_its_own() -> None:
    a = Analyzer(Synonyms.from_groups([["numbness", "麻"]]))
    assert groups_in(a, "麻") == groups_in(a, "numbness")
    assert groups_in(a, "麻煩你了") == set()


def test_longest_term_wins() -> None:
    a = Analyzer(Synonyms.from_groups([["myasthenia gravis", "重症肌無力"], ["weakness", "無力"]]))
    assert groups_in(a, "重症肌無力") == groups_in(a, "myasthenia gravis")
    assert groups_in(a, "腳無力") == groups_in(a, "weakness")


def test_empty_and_single_term_groups_are_dropped() -> None:
    s = Synonyms.from_groups([[], ["only"], ["a", " ", "b"]])
    assert s.groups == (("a", "b"),)


def test_shipped_file_loads(tmp_path: Path) -> None:
    shipped = load_synonyms(ROOT / "config" / "synonyms.yaml")
    assert len(shipped.groups) >= 25
    f = tmp_path / "syn.yaml"
    f.write_text("groups:\n  - [ALS, 漸凍症]\n  - [cramp, 抽筋]\n", encoding="utf-8")
    assert load_synonyms(f).groups == (("ALS", "漸凍症"), ("cramp", "抽筋"))


def test_empty_file(tmp_path: Path) -> None:
    f = tmp_path / "syn.yaml"
    f.write_text("", encoding="utf-8")
    assert load_synonyms(f).groups == ()
