"""Export a FAQ folder, import it back: the same FAQ, whatever the format."""

import dataclasses
from pathlib import Path

import pytest

from bot.core import FaqError
from bot.faq import Entry, Faq, load_faq
from bot.faq_transfer import export_faq, import_faq
from bot.faq_writer import write_topics
from tests.conftest import DATA, ROOT

SHIPPED = ROOT / "faq"
ALL_FIELDS = DATA / "faq_transfer"
LOCALES = ("en", "zh-TW")


def comparable(faq: Faq) -> tuple[list[Entry], list[tuple]]:
    """Entries (disabled ones too) without where they were read from, and the topics."""
    entries = [dataclasses.replace(entry, file="", line=0) for entry in faq.all_entries]
    return entries, [(topic.key, topic.title, topic.entry_ids) for topic in faq.topics]


def round_trip(folder: Path, tmp_path: Path, suffix: str) -> tuple[Faq, Path]:
    exported = tmp_path / f"faq{suffix}"
    export_faq(load_faq(folder), exported)
    imported = import_faq(exported, locales=LOCALES)
    assert imported.errors == ()
    out = tmp_path / "imported"
    write_topics(out, imported.topics, imported.entries, source=exported.name)
    return load_faq(out), exported


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("folder", [SHIPPED, ALL_FIELDS], ids=["shipped", "all-fields"])
def test_export_then_import_gives_the_same_faq(tmp_path: Path, folder: Path, suffix: str):
    original = load_faq(folder)
    back, _ = round_trip(folder, tmp_path, suffix)
    assert comparable(back) == comparable(original)
    if folder == SHIPPED:
        assert len(back) == 51


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("folder", [SHIPPED, ALL_FIELDS], ids=["shipped", "all-fields"])
def test_export_import_export_is_byte_identical(tmp_path: Path, folder: Path, suffix: str):
    back, first = round_trip(folder, tmp_path, suffix)
    second = tmp_path / f"again{suffix}"
    export_faq(back, second)
    assert second.read_bytes() == first.read_bytes()


def test_csv_starts_with_a_byte_order_mark_for_excel_and_jsonl_does_not(tmp_path: Path):
    faq = load_faq(ALL_FIELDS)
    export_faq(faq, tmp_path / "faq.csv")
    export_faq(faq, tmp_path / "faq.jsonl")
    assert (tmp_path / "faq.csv").read_bytes().startswith(b"\xef\xbb\xbfid,language,")
    assert (tmp_path / "faq.jsonl").read_bytes().startswith(b'{"id": "emg-what"')


def test_export_refuses_to_replace_a_file_unless_forced(tmp_path: Path):
    faq = load_faq(ALL_FIELDS)
    target = tmp_path / "faq.csv"
    target.write_text("my edits")
    with pytest.raises(FaqError, match="already exists"):
        export_faq(faq, target)
    assert target.read_text() == "my edits"
    export_faq(faq, target, force=True)
    assert target.read_text(encoding="utf-8-sig").startswith("id,")


def test_a_file_that_cannot_be_written_is_an_error_not_a_crash(tmp_path: Path):
    with pytest.raises(FaqError, match=r"no-such-folder/faq\.csv: error: cannot write"):
        export_faq(load_faq(ALL_FIELDS), tmp_path / "no-such-folder" / "faq.csv")
    (tmp_path / "taken").write_text("")
    imported = import_faq(_exported(tmp_path), locales=LOCALES)
    with pytest.raises(FaqError, match="cannot write"):
        write_topics(tmp_path / "taken" / "faq", imported.topics, imported.entries, source="x")


def _exported(tmp_path: Path) -> Path:
    path = tmp_path / "faq.jsonl"
    export_faq(load_faq(ALL_FIELDS), path)
    return path


def test_unknown_format_is_refused(tmp_path: Path):
    with pytest.raises(FaqError, match=r"use a file ending in \.csv or \.jsonl"):
        export_faq(load_faq(ALL_FIELDS), tmp_path / "faq.xlsx")
    with pytest.raises(FaqError, match=r"\.csv or \.jsonl"):
        import_faq(tmp_path / "faq.xlsx", locales=LOCALES)


def test_a_file_saved_in_big5_is_named_with_the_fix(tmp_path: Path):
    """Excel's plain "CSV" in a Taiwanese Windows is Big5, not UTF-8."""
    path = tmp_path / "faq.csv"
    path.write_bytes(
        "id,language,topic,question,answer\r\na,zh-TW,t,抽筋？,多喝水。\r\n".encode("big5")
    )
    [error] = import_faq(path, locales=LOCALES).errors
    assert str(error).startswith(f"{path}:2: error: not UTF-8 text")
    assert "CSV UTF-8" in str(error)


def test_an_empty_file_is_an_error(tmp_path: Path):
    path = tmp_path / "faq.jsonl"
    path.write_text("\n")
    [error] = import_faq(path, locales=LOCALES).errors
    assert "no entries" in str(error)


def test_import_runs_the_faq_rules_with_the_row_of_each_field(tmp_path: Path):
    path = tmp_path / "faq.csv"
    path.write_text(
        "id,language,topic,topic_title,question,answer,related,links\n"
        "a,en,t,T,Why?,Because.,b,Book | https://clinic.example.tw/a\n"
        "a,zh-TW,t,T,為什麼？,因為。,,預約 | not-a-url\n"
        "Bad_Id,en,t,T,Other?,Yes.,,\n"
    )
    errors = [str(error) for error in import_faq(path, locales=LOCALES).errors]
    assert f"{path}:2: error: related: unknown entry id 'b'" in errors
    assert any(
        error.startswith(f"{path}:3: error: links[1].url: malformed URL") for error in errors
    )
    assert any(error.startswith(f"{path}:4: error: id: id must be lowercase") for error in errors)
