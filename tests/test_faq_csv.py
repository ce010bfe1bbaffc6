"""The spreadsheet format: what Excel and Google Sheets write, and mistakes named by row."""

import csv
import dataclasses
import datetime as dt
import io
from pathlib import Path

import pytest

from bot.faq import Entry, Faq, LocalText, Topic
from bot.faq_csv import write_csv
from bot.faq_transfer import import_faq

LOCALES = ("en", "zh-TW")
HEADER = "id,language,topic,topic_title,question,answer"

# As Excel's "CSV UTF-8" saves it: a byte order mark, CRLF between rows, LF inside cells,
# quotes doubled, a blank row, and the second language of each id on a row of its own.
EXCEL = (
    "\ufeffid,language,topic,topic_title,question,answer,alternates,related,links,tags,"
    "enabled,reviewed_by,reviewed_on,review_due,source\r\n"
    'cramps-night,en,cramps,Muscle cramps,"Why do I get leg cramps at night, doctor?",'
    '"First paragraph, with a comma.\n\nSecond ""quoted"" paragraph.",'
    '"leg cramps at night\ncharley horse",cramps-relief,'
    '"Book neurology | https://clinic.example.tw/booking",symptom,,"Dr. Lin, MD",'
    "2026/11/20,2027-11-20,Clinic handout\r\n"
    "\r\n"
    ",,,,,,,,,,,,,,\r\n"
    'cramps-night,zh-TW,cramps,抽筋,為什麼晚上會腳抽筋？,"第一段。\n\n第二段，有「引號」。",'
    '"半夜小腿抽筋\n睡覺腳抽筋",,預約神經內科 | https://clinic.example.tw/booking,,,,,,\r\n'
    "cramps-relief,en,cramps,,How do I stop a cramp?,Stretch the muscle.,,,,,FALSE,,,,\r\n"
    "cramps-relief,zh-TW,,,抽筋怎麼辦？,伸展肌肉。,抽筋怎麼緩解,,,,,,,,\r\n"
)


def write(tmp_path: Path, text: str, name: str = "faq.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def test_reads_what_excel_writes(tmp_path: Path):
    imported = import_faq(write(tmp_path, EXCEL), locales=LOCALES)
    assert imported.errors == ()
    night, relief = imported.entries
    assert night.question == LocalText(
        (("en", "Why do I get leg cramps at night, doctor?"), ("zh-TW", "為什麼晚上會腳抽筋？"))
    )
    assert night.answer.get("en") == 'First paragraph, with a comma.\n\nSecond "quoted" paragraph.'
    assert night.answer.get("zh-TW") == "第一段。\n\n第二段，有「引號」。"
    # Each row adds the alternates of its language; the rows are joined in order.
    assert night.alternates == (
        "leg cramps at night",
        "charley horse",
        "半夜小腿抽筋",
        "睡覺腳抽筋",
    )
    assert night.related == ("cramps-relief",)
    [link] = night.links
    assert link.url == "https://clinic.example.tw/booking"
    assert link.title == LocalText((("en", "Book neurology"), ("zh-TW", "預約神經內科")))
    assert (night.reviewed_by, night.reviewed_on) == ("Dr. Lin, MD", dt.date(2026, 11, 20))
    assert (night.review_due, night.source) == (dt.date(2027, 11, 20), "Clinic handout")
    assert night.enabled and not relief.enabled
    assert relief.topic == "cramps"  # given on its first row only
    assert relief.alternates == ("抽筋怎麼緩解",)
    [topic] = imported.topics
    assert topic.title == LocalText((("en", "Muscle cramps"), ("zh-TW", "抽筋")))
    assert topic.entry_ids == ("cramps-night", "cramps-relief")


def test_topic_titles_combine_by_language_across_entries(tmp_path: Path):
    text = f"{HEADER}\na,en,t,Tests,A?,A.\na,zh-TW,t,,甲？,甲。\nb,en,t,,B?,B.\nb,zh-TW,t,檢查,乙？,乙。\n"
    imported = import_faq(write(tmp_path, text), locales=LOCALES)
    assert imported.errors == ()
    assert imported.topics[0].title == LocalText((("en", "Tests"), ("zh-TW", "檢查")))


def test_a_topic_title_that_differs_between_entries_is_named(tmp_path: Path):
    text = f"{HEADER}\na,en,t,Tests,A?,A.\nb,en,t,Exams,B?,B.\n"
    [error] = import_faq(write(tmp_path, text), locales=LOCALES).errors
    assert (
        str(error)
        == f"{tmp_path / 'faq.csv'}:3: error: topic_title: 'Exams' here but 'Tests' on row 2, same topic"
    )


def test_a_bad_date_is_one_error_not_a_conflict_too(tmp_path: Path):
    text = f"{HEADER},review_due\na,en,t,T,A?,A.,2027-01-01\na,zh-TW,t,T,甲？,甲。,next year\n"
    [error] = import_faq(write(tmp_path, text), locales=LOCALES).errors
    assert "review_due: bad date 'next year'" in str(error)


def test_rows_of_one_entry_need_not_be_next_to_each_other(tmp_path: Path):
    text = f"{HEADER}\na,en,t,T,A?,A.\nb,en,t,T,B?,B.\na,zh-TW,t,T2,甲？,甲。\nb,zh-TW,t,T2,乙？,乙。\n"
    imported = import_faq(write(tmp_path, text), locales=LOCALES)
    assert imported.errors == ()
    assert [entry.question.get("zh-TW") for entry in imported.entries] == ["甲？", "乙？"]


def test_semicolons_and_language_case_as_some_excel_locales_write(tmp_path: Path):
    text = "ID;Language;Topic;Topic_Title;Question;Answer\r\na;EN;t;T;Why, then?;Because.\r\n"
    imported = import_faq(write(tmp_path, text), locales=LOCALES)
    assert imported.errors == ()
    assert imported.entries[0].question == LocalText((("en", "Why, then?"),))


def test_all_stands_for_text_shared_by_every_language(tmp_path: Path):
    text = f"{HEADER}\na,all,t,Tests,What is an EMG?,\na,en,t,,,A muscle test.\na,zh-TW,t,,,肌肉檢查。\n"
    imported = import_faq(write(tmp_path, text), locales=LOCALES)
    assert imported.errors == ()
    [entry] = imported.entries
    assert entry.question == LocalText.plain("What is an EMG?")
    assert entry.answer.locales == ("en", "zh-TW")
    assert imported.topics[0].title == LocalText.plain("Tests")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (["a,en,t,T,Why?,Because.", ",zh-TW,t,T,為什麼？,因為。"], "faq.csv:3: error: id: missing"),
        (["a,en,t,T,,Because."], "faq.csv:2: error: missing required field 'question'"),
        (["a,en,t,T,Why?,"], "faq.csv:2: error: missing required field 'answer'"),
        (["a,fr,t,T,Pourquoi?,Parce que."], "faq.csv:2: error: language: unknown language 'fr'"),
        (["a,,t,T,Why?,Because."], "faq.csv:2: error: language: missing (use en, zh-TW or all)"),
        (
            ["a,en,t,T,Why?,Because.", "a,en,t,T,Why again?,Because."],
            "faq.csv:3: error: language: a second 'en' row for 'a' (row 2)",
        ),
        (
            ["a,en,t,T,Why?,Because.", "a,zh-TW,u,U,為什麼？,因為。"],
            "faq.csv:3: error: topic: 'u' here but 't' on row 2 for the same id",
        ),
        (
            ["a,all,t,T,Why?,Because.", "a,en,t,T,Why?,Because."],
            "faq.csv:3: error: question: given for one language and for 'all' (row 2)",
        ),
        (["a,en,,T,Why?,Because."], "faq.csv:2: error: topic: missing for 'a'"),
        (["a,en,t,,Why?,Because."], "faq.csv:2: error: topic_title: topic 't' has no title"),
        (["a,en,../etc,T,Why?,Because."], "faq.csv:2: error: topic: '../etc': use lowercase"),
        (["a,en,t,T,Why?,Because.,x"], "faq.csv:2: error: text in a column that has no name"),
        (
            ['a,en,t,T,"Why?,Because.', "b,en,t,T,Why?,Because."],
            "faq.csv:2: error: not readable as CSV: a quote opened on this row is never closed",
        ),
    ],
)
def test_import_errors_name_file_and_row(tmp_path: Path, rows: list[str], expected: str):
    path = write(tmp_path, "\n".join([HEADER, *rows]) + "\n")
    errors = [str(error) for error in import_faq(path, locales=LOCALES).errors]
    assert any(error.startswith(str(tmp_path / expected)) for error in errors), errors


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (
            "review_due\n2027-13-01",
            "faq.csv:2: error: review_due: bad date '2027-13-01': write YYYY-MM-DD",
        ),
        ("reviewed_on\n25/11/2027", "faq.csv:2: error: reviewed_on: bad date '25/11/2027'"),
        ("enabled\nmaybe", "faq.csv:2: error: enabled: write true or false, not 'maybe'"),
        (
            "links\nhttps://clinic.example.tw",
            "faq.csv:2: error: links: write each link as 'title | url'",
        ),
        (
            "source\nHandout\nLeaflet",
            "faq.csv:3: error: source: 'Leaflet' here but 'Handout' on row 2",
        ),
        ("tags\nx\ny", "faq.csv:3: error: tags: 'y' here but 'x' on row 2 for the same id"),
        (
            "review_due\n2027-01-01\n2027-02-01",
            "faq.csv:3: error: review_due: '2027-02-01' here but '2027-01-01' on row 2",
        ),
        ("enabled\nfalse\ntrue", "faq.csv:3: error: enabled: true here but false on row 2"),
    ],
)
def test_entry_wide_cells_are_checked_per_row(tmp_path: Path, cells: str, expected: str):
    column, *values = cells.split("\n")
    rows = [
        f"a,{locale},t,T,Q {locale}?,A.,{value}"
        for locale, value in zip(LOCALES, values, strict=False)
    ]
    path = write(tmp_path, "\n".join([f"{HEADER},{column}", *rows]) + "\n")
    errors = [str(error) for error in import_faq(path, locales=LOCALES).errors]
    assert any(error.startswith(str(tmp_path / expected)) for error in errors), errors


def test_a_value_repeated_identically_on_each_row_is_fine(tmp_path: Path):
    text = (
        f"{HEADER},tags,review_due\n"
        'a,en,t,T,Why?,Because.,"tests\nemg",2027-01-01\n'
        'a,zh-TW,t,T,為什麼？,因為。,"tests\nemg",2027/1/1\n'
    )
    imported = import_faq(write(tmp_path, text), locales=LOCALES)
    assert imported.errors == ()
    assert imported.entries[0].tags == ("tests", "emg")
    assert imported.entries[0].review_due == dt.date(2027, 1, 1)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"{HEADER},anwser", "faq.csv:1: error: unknown column 'anwser'"),
        (f"{HEADER},question", "faq.csv:1: error: column 'question' given twice"),
        ("id,language,question,answer", "faq.csv:1: error: missing column(s): topic"),
    ],
)
def test_header_problems_stop_the_import(tmp_path: Path, header: str, expected: str):
    path = write(tmp_path, f"{header}\na,en,t,T,Why?,Because.,x\n")
    imported = import_faq(path, locales=LOCALES)
    assert str(imported.errors[0]).startswith(str(tmp_path / expected))
    assert imported.entries == ()


def test_cells_that_look_like_formulas_stay_text_and_round_trip(tmp_path: Path):
    """Excel would turn "- first…" into #NAME? and run "=…"; a leading space keeps them text."""
    entry = Entry(
        id="a",
        topic="t",
        question=LocalText((("en", "+ or - ?"), ("zh-TW", "加或減？"))),
        answer=LocalText.plain("- first, stretch\n- then rest"),
        alternates=("=HYPERLINK(1)", "@mention"),
    )
    faq = Faq([entry], [Topic("t", LocalText.plain("T"), ("a",))], "v")
    text = write_csv(faq)
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]
    assert {" + or - ?", " - first, stretch\n- then rest", " =HYPERLINK(1)\n@mention"} <= set(cells)
    imported = import_faq(write(tmp_path, text), locales=LOCALES)
    assert imported.errors == ()
    assert [dataclasses.replace(e, file="", line=0) for e in imported.entries] == [entry]
