"""JSON Lines: one entry per line with its full structure."""

import json
from pathlib import Path

import pytest

from bot.faq import LocalText, load_faq
from bot.faq_jsonl import FIELDS, write_jsonl
from bot.faq_transfer import import_faq
from tests.conftest import DATA

LOCALES = ("en", "zh-TW")


def test_each_line_is_one_entry_with_every_field():
    lines = write_jsonl(load_faq(DATA / "faq_transfer")).splitlines()
    rows = [json.loads(line) for line in lines]
    assert [row["id"] for row in rows] == ["emg-what", "emg-results", "emg-old", "als-basics"]
    first = rows[0]
    assert tuple(first) == FIELDS
    assert first["question"] == {
        "en": 'What is an EMG, and does it "hurt"?',
        "zh-TW": "什麼是肌電圖？會痛嗎？",
    }
    assert first["topic_title"] == {"en": 'Tests, scans and "results"', "zh-TW": "檢查與結果"}
    assert first["links"][2] == {"title": "Clinic map", "url": "https://clinic.example.tw/map"}
    assert first["reviewed_on"] == "2026-11-20"
    assert rows[1]["question"] == "When do I get my EMG results?"  # shared by every language
    assert rows[2]["enabled"] is False
    assert "漸凍人" in lines[3]  # Chinese stays readable


def test_reads_lines_with_optional_fields_left_out(tmp_path: Path):
    path = tmp_path / "faq.jsonl"
    path.write_text(
        '{"id": "a", "topic": "t", "topic_title": "T", "question": {"en": "Why?"}, "answer": "So."}\n'
        "\n"
        '{"id": "b", "topic": "t", "question": "How?", "answer": "Thus.", "reviewed_on": null}\n'
    )
    imported = import_faq(path, locales=LOCALES)
    assert imported.errors == ()
    assert [entry.id for entry in imported.entries] == ["a", "b"]
    assert imported.entries[0].question == LocalText((("en", "Why?"),))
    assert imported.topics[0].entry_ids == ("a", "b")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("not json", "faq.jsonl:2: error: not a JSON line"),
        ("[1, 2]", "faq.jsonl:2: error: each line must be one JSON object"),
        ('{"id": "b", "question": "Q?", "answer": "A."}', "faq.jsonl:2: error: topic: missing"),
        (
            '{"id": "b", "topic": "t", "answer": "A."}',
            "faq.jsonl:2: error: missing required field 'question'",
        ),
        (
            '{"id": "b", "topic": "t", "question": {"fr": "Q?"}, "answer": "A."}',
            "faq.jsonl:2: error: question.fr: unknown locale 'fr'",
        ),
        (
            '{"id": "b", "topic": "t", "question": "Q?", "answer": "A.", "anwser": 1}',
            "faq.jsonl:2: error: anwser: unknown field 'anwser'",
        ),
        (
            '{"id": "b", "topic": "t", "question": "Q?", "answer": "A.", "review_due": "soon"}',
            "faq.jsonl:2: error: review_due: bad date 'soon'",
        ),
        (
            '{"id": "a", "topic": "t", "question": "Q?", "answer": "A."}',
            "faq.jsonl:2: error: id: duplicate id 'a'",
        ),
        (
            '{"id": "b", "topic": "t", "topic_title": "Other", "question": "Q?", "answer": "A."}',
            "faq.jsonl:2: error: topic_title: differs from line 1",
        ),
    ],
)
def test_import_errors_name_file_and_line(tmp_path: Path, line: str, expected: str):
    path = tmp_path / "faq.jsonl"
    first = '{"id": "a", "topic": "t", "topic_title": "T", "question": "Why?", "answer": "So."}'
    path.write_text(f"{first}\n{line}\n")
    errors = [str(error) for error in import_faq(path, locales=LOCALES).errors]
    assert any(error.startswith(str(tmp_path / expected)) for error in errors), errors
