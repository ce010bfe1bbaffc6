"""Topic files written by `faq import`: the admins' own style, and loading back exactly."""

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from bot.core import FaqError
from bot.faq import Entry, EntryLink, LocalText, Topic, load_faq
from bot.faq_writer import topic_yaml, write_topics


def bilingual(en: str, zh: str) -> LocalText:
    return LocalText((("en", en), ("zh-TW", zh)))


NIGHT = Entry(
    id="cramps-night",
    topic="cramps",
    question=bilingual("Why do I get leg cramps at night?", "為什麼晚上會腳抽筋？"),
    answer=bilingual("First paragraph.\n\nSecond paragraph.", "第一段。\n\n第二段。"),
    alternates=("charley horse at night", "半夜小腿抽筋"),
    related=("cramps-relief",),
    links=(EntryLink(bilingual("Book neurology", "預約神經內科"), "https://clinic.example.tw/b"),),
    tags=("symptom", "cramps"),
    reviewed_by="Dr. Example",
    reviewed_on=dt.date(2026, 11, 20),
    review_due=dt.date(2027, 11, 20),
    source="Clinic handout",
)
RELIEF = Entry(
    id="cramps-relief",
    topic="cramps",
    question=LocalText.plain("How do I stop a cramp?"),
    answer=bilingual("Stretch the muscle.", "伸展肌肉。"),
    related=("cramps-night",),
    enabled=False,
)
CRAMPS = Topic("cramps", bilingual("Muscle cramps", "抽筋"), ("cramps-night", "cramps-relief"))

EXPECTED = """\
# Written by `faq import` from faq.csv. Lines starting with # are comments.
topic:
  en: Muscle cramps
  zh-TW: 抽筋
entries:
  - id: cramps-night
    question:
      en: Why do I get leg cramps at night?
      zh-TW: 為什麼晚上會腳抽筋？
    answer:
      en: |-
        First paragraph.

        Second paragraph.
      zh-TW: |-
        第一段。

        第二段。
    alternates:
      - charley horse at night
      - 半夜小腿抽筋
    related: [cramps-relief]
    links:
      - title: {en: Book neurology, zh-TW: 預約神經內科}
        url: https://clinic.example.tw/b
    tags: [symptom, cramps]
    reviewed_by: Dr. Example
    reviewed_on: 2026-11-20
    review_due: 2027-11-20
    source: Clinic handout

  - id: cramps-relief
    question: How do I stop a cramp?
    answer:
      en: Stretch the muscle.
      zh-TW: 伸展肌肉。
    related: [cramps-night]
    enabled: false
"""


def loaded(folder: Path) -> list[Entry]:
    return [dataclasses.replace(e, file="", line=0) for e in load_faq(folder).all_entries]


def test_writes_the_style_of_the_hand_written_files():
    assert topic_yaml(CRAMPS, [NIGHT, RELIEF], "faq.csv") == EXPECTED


def test_written_files_load_back_as_the_same_entries(tmp_path: Path):
    write_topics(tmp_path / "faq", [CRAMPS], [NIGHT, RELIEF], source="faq.csv")
    assert loaded(tmp_path / "faq") == [NIGHT, RELIEF]


@pytest.mark.parametrize(
    "text",
    [
        "Note: a colon",
        "- starts like a list item",
        "# starts like a comment",
        "yes",
        "2027",
        "2027-11-20",
        "null",
        "\"quoted\" and 'single'",
        "{not: a mapping}",
        "[not, a list]",
        "emoji 👍 and 全形：標點",
        "first line\n  indented second line",
        "line ending in spaces   \nnext",
        "tab\tinside",
        "a | pipe, and > angle",
        "@at and `backtick`",
        "%percent",
        "*star &amp",
    ],
)
def test_any_text_loads_back_exactly(tmp_path: Path, text: str):
    entry = dataclasses.replace(
        RELIEF,
        question=bilingual(text, "問？"),
        answer=LocalText.plain(text),
        alternates=(text,),
        tags=(text,),
        links=(EntryLink(LocalText.plain(text), "https://clinic.example.tw/x"),),
        source=text,
        related=(),
        enabled=True,
    )
    write_topics(
        tmp_path / "faq", [Topic("t", LocalText.plain(text), (entry.id,))], [entry], source="x"
    )
    assert loaded(tmp_path / "faq") == [dataclasses.replace(entry, topic="t")]


def test_creates_the_folder_and_refuses_to_replace_files_unless_forced(tmp_path: Path):
    folder = tmp_path / "new" / "faq"
    [path] = write_topics(folder, [CRAMPS], [NIGHT, RELIEF], source="faq.csv")
    assert path == folder / "cramps.yaml"
    path.write_text("# hand edits\n")
    with pytest.raises(FaqError, match="already exists"):
        write_topics(folder, [CRAMPS], [NIGHT, RELIEF], source="faq.csv")
    assert path.read_text() == "# hand edits\n"
    write_topics(folder, [CRAMPS], [NIGHT, RELIEF], source="faq.csv", force=True)
    assert path.read_text() == EXPECTED
    assert [p.name for p in folder.iterdir()] == ["cramps.yaml"]  # no temporary file left


def test_refuses_a_folder_holding_other_topic_files_even_when_forced(tmp_path: Path):
    """The bot would serve the old topic next to the imported ones."""
    (tmp_path / "old-topic.yaml").write_text("topic: Old\n")
    with pytest.raises(FaqError) as raised:
        write_topics(tmp_path, [CRAMPS], [NIGHT, RELIEF], source="faq.csv", force=True)
    assert "old-topic.yaml: error: is not in the import" in str(raised.value)
    assert not (tmp_path / "cramps.yaml").exists()


def test_refuses_a_file_given_as_the_folder(tmp_path: Path):
    (tmp_path / "faq").write_text("")
    with pytest.raises(FaqError, match="is a file, not a folder"):
        write_topics(tmp_path / "faq", [CRAMPS], [NIGHT, RELIEF], source="faq.csv")
