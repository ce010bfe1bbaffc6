import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.core import FaqError
from bot.faq import LocalText, check_faq, load_faq
from tests.conftest import DATA, TINY_FAQ

BROKEN = DATA / "faq_broken"


def with_broken(tmp_path: Path, name: str) -> Path:
    """The valid tiny FAQ plus one broken file."""
    folder = tmp_path / "faq"
    shutil.copytree(TINY_FAQ, folder)
    shutil.copy(BROKEN / name, folder / name)
    return folder


def errors_of(folder: Path) -> list[str]:
    _, problems = check_faq(folder)
    return [str(problem) for problem in problems if problem.severity == "error"]


def test_loads_entries_topics_and_both_languages():
    faq = load_faq(TINY_FAQ)
    assert len(faq) == 4
    assert [topic.key for topic in faq.topics] == ["tests", "twitching"]
    entry = faq.get("twitching-als")
    assert entry is not None
    assert entry.topic == "twitching"
    assert entry.question.get("en") == "Is muscle twitching a sign of ALS?"
    assert entry.question.get("zh-TW") == "肌肉跳動是漸凍症的徵兆嗎？"
    assert entry.related == ("twitching-causes", "emg-what")
    assert entry.links[0].url.startswith("https://")
    assert entry.links[0].title.get("zh-TW") == "預約神經肌肉門診"


def test_version_changes_with_content(tmp_path: Path):
    folder = tmp_path / "faq"
    shutil.copytree(TINY_FAQ, folder)
    before = load_faq(folder).version
    path = folder / "tests.yaml"
    path.write_text(path.read_text().replace("fine needle", "thin needle"))
    assert load_faq(folder).version != before


def test_disabled_entries_are_not_served(tmp_path: Path):
    folder = tmp_path / "faq"
    shutil.copytree(TINY_FAQ, folder)
    path = folder / "tests.yaml"
    path.write_text(
        path.read_text().replace("  - id: emg-pain\n", "  - id: emg-pain\n    enabled: false\n")
    )
    faq = load_faq(folder)
    assert faq.get("emg-pain") is None
    assert len(faq) == 3


def test_local_text_falls_back_sensibly():
    text = LocalText((("en", "hello"), ("zh-TW", "你好")))
    assert text.get("zh-TW") == "你好"
    assert text.get("zh-HK") == "你好"
    assert text.get("ja") == "hello"
    assert LocalText.plain("same").get("zh-TW") == "same"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("yaml_syntax.yaml", "yaml_syntax.yaml:4: error: YAML syntax"),
        (
            "unknown_field.yaml",
            "unknown_field.yaml:5: error: entries[0].anwser: unknown field 'anwser'",
        ),
        (
            "missing_field.yaml",
            "missing_field.yaml:3: error: entries[0]: missing required field 'answer'",
        ),
        (
            "unknown_related.yaml",
            "unknown_related.yaml:6: error: related: unknown entry id 'no-such-entry'",
        ),
        ("empty_answer.yaml", "empty_answer.yaml:9: error: entries[0].answer.zh-TW: is empty"),
        ("bad_url.yaml", "bad_url.yaml:8: error: entries[0].links[0].url: malformed URL"),
        ("bad_id.yaml", "bad_id.yaml:3: error: entries[0].id: id must be lowercase"),
        (
            "unknown_locale.yaml",
            "unknown_locale.yaml:6: error: entries[0].question.fr: unknown locale 'fr'",
        ),
        ("duplicate_key.yaml", "duplicate_key.yaml:6: error: entries[0].answer: key given twice"),
        ("not_mapping.yaml", "not_mapping.yaml:1: error: a FAQ file must be a mapping"),
    ],
)
def test_each_broken_file_is_reported_with_file_line_and_field(
    tmp_path: Path, name: str, expected: str
):
    folder = with_broken(tmp_path, name)
    errors = errors_of(folder)
    assert any(expected in error for error in errors), errors
    with pytest.raises(FaqError) as raised:
        load_faq(folder)
    assert name in raised.value.file
    assert raised.value.line >= 1


@pytest.mark.parametrize(
    ("name", "clash"),
    [
        ("duplicate_id.yaml", "duplicate id 'twitching-causes'"),
        ("same_question.yaml", "same question as"),
    ],
)
def test_clashes_between_files_name_both_places(tmp_path: Path, name: str, clash: str):
    """Files load in name order, so the clash is reported on whichever entry comes second."""
    folder = with_broken(tmp_path, name)
    [error] = [error for error in errors_of(folder) if clash in error]
    assert f"{name}:3" in error
    assert "twitching.yaml:" in error


def test_overdue_review_is_a_warning_not_an_error(tmp_path: Path):
    folder = with_broken(tmp_path, "review_due.yaml")
    faq, problems = check_faq(folder, today=dt.date(2026, 11, 25))
    assert faq is not None
    [warning] = problems
    assert warning.severity == "warning"
    assert "review_due.yaml:7" in str(warning)
    assert "review was due on 2021-01-01" in str(warning)


def test_empty_folder_and_missing_path_are_errors(tmp_path: Path):
    with pytest.raises(FaqError, match=r"no \.yaml files"):
        load_faq(tmp_path)
    with pytest.raises(FaqError, match="not a folder"):
        load_faq(tmp_path / "missing")


def test_jsonl_corpus_loads_as_entries(tmp_path: Path):
    path = tmp_path / "corpus.jsonl"
    path.write_text(
        '{"id": "q-1", "question": "Why do I cramp at night?", "alternates": ["night cramps"]}\n'
        '{"id": "q-2", "question": "What is an EMG?", "answer": "A muscle test."}\n'
    )
    faq = load_faq(path)
    assert [entry.id for entry in faq] == ["q-1", "q-2"]
    assert faq.get("q-1").alternates == ("night cramps",)
    assert faq.get("q-2").answer.get("en") == "A muscle test."


def test_jsonl_with_a_bad_line_names_it(tmp_path: Path):
    path = tmp_path / "corpus.jsonl"
    path.write_text('{"id": "q-1", "question": "ok"}\nnot json\n')
    with pytest.raises(FaqError, match=r"corpus\.jsonl:2"):
        load_faq(path)


def test_a_control_character_is_a_syntax_error_on_its_line(tmp_path: Path):
    # Found by tests/test_fuzz_faq.py: PyYAML refuses it before parsing, outside its usual errors.
    text = (TINY_FAQ / "tests.yaml").read_text().replace("topic:", "topic:\x00", 1)
    (tmp_path / "tests.yaml").write_text(text)
    with pytest.raises(FaqError) as raised:
        load_faq(tmp_path)
    [problem] = raised.value.problems
    assert (Path(problem.file).name, problem.line) == ("tests.yaml", 1)
    assert "YAML syntax: special characters are not allowed" in problem.message
