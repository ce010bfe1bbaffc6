"""A FAQ as a spreadsheet: one row per entry and language, as spreadsheet users keep FAQs.

Each row carries the texts of one language: question, answer, topic_title and link titles.
`language` is a locale (en, zh-TW) or `all` for text shared by every language (a plain string
in a topic file). The other columns belong to the whole entry: export fills them on its first
row (faq_csv_rows.py says how an import merges rows). Export puts each alternate on the row of
its language. A cell holds lists one item per line; a link is written `title | url`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.faq import Entry, Faq, LocalText, Topic
from bot.faq_csv_rows import ALL, COLUMNS, RowReader, cell_text
from bot.faq_records import Read, entries_in_order
from bot.text import detect_locale

# A cell starting with one of these is a formula to Excel and Google Sheets ("- first..." would
# come back as #NAME?). A leading space keeps it text; the import strips it again.
FORMULA_START = ("=", "+", "-", "@")


# --- export ---------------------------------------------------------------------------------


def write_csv(faq: Faq) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180, what Excel writes
    writer.writerow(COLUMNS)
    previous_topic = None
    for topic, entry in entries_in_order(faq):
        writer.writerows(_rows(entry, topic, first_of_topic=topic.key != previous_topic))
        previous_topic = topic.key
    return out.getvalue()


def _rows(entry: Entry, topic: Topic, *, first_of_topic: bool) -> list[list[str]]:
    texts = [entry.question, entry.answer, *(link.title for link in entry.links)]
    if first_of_topic:  # a topic title in a language no entry uses still needs a row
        texts.append(topic.title)
    locales = list(dict.fromkeys(locale for text in texts for locale in text.locales))
    alternates = _alternates_by_row(entry.alternates, locales)
    rows = []
    for index, locale in enumerate(locales):
        cells = {
            "id": entry.id,
            "language": ALL if locale == "*" else locale,
            "topic": entry.topic,
            "topic_title": _exact(topic.title, locale),
            "question": _exact(entry.question, locale),
            "answer": _exact(entry.answer, locale),
            "alternates": "\n".join(alternates[locale]),
            "links": "\n".join(
                f"{_exact(link.title, locale)} | {link.url}"
                for link in entry.links
                if locale in link.title.locales
            ),
        }
        if index == 0:
            cells |= _entry_wide(entry)
        rows.append([_as_text(cells.get(column, "")) for column in COLUMNS])
    return rows


def _as_text(cell: str) -> str:
    return f" {cell}" if cell.startswith(FORMULA_START) else cell


def _exact(text: LocalText, locale: str) -> str:
    return dict(text.values).get(locale, "")  # no fallback: an empty cell means "not given"


def _entry_wide(entry: Entry) -> dict[str, str]:
    return {
        "related": "\n".join(entry.related),
        "tags": "\n".join(entry.tags),
        "enabled": "" if entry.enabled else "false",
        "reviewed_by": entry.reviewed_by or "",
        "reviewed_on": entry.reviewed_on.isoformat() if entry.reviewed_on else "",
        "review_due": entry.review_due.isoformat() if entry.review_due else "",
        "source": entry.source or "",
    }


def _alternates_by_row(alternates: tuple[str, ...], locales: list[str]) -> dict[str, list[str]]:
    """Each alternate on the row of its language, so a zh-TW editor sees the Chinese ones.

    Import joins the rows in order, so this is done only when that gives the same order back.
    """
    rows: dict[str, list[str]] = {locale: [] for locale in locales}
    current = locales[0]
    for text in alternates:
        found = detect_locale(text)
        current = found if found in rows else current
        rows[current].append(text)
    if [text for locale in locales for text in rows[locale]] != list(alternates):
        rows = {locale: [] for locale in locales}
        rows[locales[0]] = list(alternates)
    return rows


# --- import ---------------------------------------------------------------------------------


def read_csv(text: str, source: Path, locales: tuple[str, ...]) -> Read:
    reader = RowReader(source, locales)
    # Excel writes ";" between cells where "," is the decimal mark; the header row tells.
    delimiter = max(",;\t", key=text.partition("\n")[0].count)
    # strict: an unclosed quote is an error instead of swallowing the rest of the file.
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    names: list[str] = []
    number = 0  # rows are numbered as the spreadsheet shows them: a blank row counts
    try:
        for number, cells in enumerate(rows, start=1):
            values = [cell_text(cell) for cell in cells]
            if number == 1:
                names = [value.casefold() for value in values]
                if not reader.header(names):
                    break
            elif any(values):
                reader.row(number, names, values)
    except csv.Error as error:
        unclosed = "unexpected end of data" in str(error)
        reason = "a quote opened on this row is never closed" if unclosed else str(error)
        reader.report(number + 1, "", f"not readable as CSV: {reason}")
    return reader.records()
