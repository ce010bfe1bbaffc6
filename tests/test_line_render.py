"""Replies rendered as LINE messages: LINE's limits are enforced here, not by the SDK."""

import logging

import pytest

from bot.adapters.line_render import clip_label, clip_units, render, split_text, utf16_units
from bot.core import Choice, Link, Reply, ReplyKind


def as_json(reply: Reply) -> list[dict]:
    return [message.to_dict() for message in render(reply)]


def reply(text: str = "An answer.", **fields: object) -> Reply:
    return Reply(ReplyKind.ANSWER, text, "en", **fields)  # type: ignore[arg-type]


def test_text_length_is_counted_in_utf16_units():
    assert utf16_units("abc") == 3
    assert utf16_units("肌電圖") == 3
    assert utf16_units("🍎") == 2
    assert split_text("🍎" * 2500) == ["🍎" * 2500]  # exactly 5000 units
    assert len(split_text("🍎" * 2501)) == 2


def test_long_text_is_cut_at_paragraphs_first():
    paragraphs = [f"Paragraph {n}. " + "x" * 1500 for n in range(6)]
    chunks = split_text("\n\n".join(paragraphs))
    assert all(utf16_units(chunk) <= 5000 for chunk in chunks)
    assert chunks == ["\n\n".join(paragraphs[:3]), "\n\n".join(paragraphs[3:])]


def test_a_paragraph_too_long_for_one_message_is_cut_at_a_sentence_end():
    sentence = "肌肉跳動多半與疲勞、壓力或咖啡因有關。"  # 19 characters
    text = sentence * 300
    chunks = split_text(text)
    assert [len(chunk) for chunk in chunks] == [19 * 263, 19 * 37]
    assert "".join(chunks) == text


def test_text_without_any_boundary_is_hard_cut_between_characters():
    text = "🍎" * 2000 + "肌" * 3000  # 7000 units, no spaces or punctuation
    chunks = split_text(text)
    assert [utf16_units(chunk) for chunk in chunks] == [5000, 2000]
    assert "".join(chunks) == text
    assert all("\ud83c" not in chunk for chunk in chunks)  # no half of a surrogate pair


def test_a_title_stays_with_the_start_of_a_long_text():
    chunks = split_text("Title\n\n" + "y " * 4000)
    assert chunks[0].startswith("Title\n\ny y")
    assert len(chunks) == 2


def test_clipping_counts_units_and_marks_the_cut():
    assert clip_units("short", 10) == "short"
    clipped = clip_units("🍎" * 10, 9)
    assert clipped == "🍎" * 4 + "…"
    assert utf16_units(clipped) <= 9


def test_labels_are_cut_to_20_characters_without_splitting_emoji_or_accents():
    assert clip_label("Browse topics") == "Browse topics"
    assert clip_label("x" * 20) == "x" * 20
    assert clip_label("Is muscle twitching a sign of ALS?") == "Is muscle twitching…"
    family = "👨\u200d👩\u200d👧"
    assert clip_label(family * 25) == family * 19 + "…"
    assert clip_label("e\u0301" * 25) == "e\u0301" * 19 + "…"
    assert clip_label("🇹🇼" * 25) == "🇹🇼" * 19 + "…"
    assert clip_label("two\nlines") == "two lines"


def test_notice_title_and_text_are_plain_text_messages_in_order():
    messages = as_json(reply("The <b>answer</b>.", title="Q?", notice="Disclaimer."))
    assert [message["text"] for message in messages] == ["Disclaimer.", "Q?\n\nThe <b>answer</b>."]
    assert all(message["type"] == "text" for message in messages)


def test_quick_replies_are_postbacks_in_order_and_deduplicated():
    choices = {
        "suggestions": (Choice("What causes muscle twitching?", "e:twitching-causes"),),
        "related": (
            Choice("What causes muscle twitching?", "e:twitching-causes"),
            Choice("Does an EMG hurt?", "e:emg-pain"),
        ),
        "buttons": (Choice("None of these", "n"),),
    }
    [message] = as_json(reply(**choices))
    items = message["quickReply"]["items"]
    assert [item["action"] for item in items] == [
        {
            "type": "postback",
            "label": "What causes muscle…",
            "data": "e:twitching-causes",
            "displayText": "What causes muscle twitching?",
        },
        {
            "type": "postback",
            "label": "Does an EMG hurt?",
            "data": "e:emg-pain",
            "displayText": "Does an EMG hurt?",
        },
        {"type": "postback", "label": "None of these", "data": "n", "displayText": "None of these"},
    ]


def test_at_most_13_quick_replies_and_unusable_buttons_are_skipped(caplog):
    related = tuple(Choice(f"Related question number {n}", f"e:entry-{n}") for n in range(20))
    broken = (Choice("  ", "e:blank"), Choice("Too long", "e:" + "x" * 300))
    with caplog.at_level(logging.INFO, logger="bot.adapters.line_render"):
        [message] = as_json(reply(related=broken + related))
    items = message["quickReply"]["items"]
    assert [item["action"]["data"] for item in items] == [f"e:entry-{n}" for n in range(13)]
    assert "last ones dropped" in caplog.text
    assert "skipped" in caplog.text


def test_links_become_one_flex_bubble_of_full_titles_with_quick_replies_on_it():
    links = (
        Link("Book a neurology appointment", "https://clinic.example.tw/booking/neurology"),
        Link("致電門診（週一至週五 08:30–17:30）", "tel:+886-3-000-0000"),
        Link("Not a web link", "javascript:alert(1)"),
    )
    text, flex = as_json(reply(links=links, buttons=(Choice("Browse topics", "t:"),)))
    assert "quickReply" not in text
    assert flex["type"] == "flex"
    assert flex["quickReply"]["items"][0]["action"]["data"] == "t:"
    rows = flex["contents"]["body"]["contents"]
    assert [row["action"]["uri"] for row in rows] == [link.url for link in links[:2]]
    assert [row["contents"][0]["text"] for row in rows] == [link.title for link in links[:2]]
    assert [row["action"]["label"] for row in rows] == [
        "Book a neurology ap…",
        "致電門診（週一至週五 08:30–17…",
    ]
    assert flex["altText"] == "Book a neurology appointment\n致電門診（週一至週五 08:30–17:30）"


def test_only_links_that_line_accepts_make_a_bubble():
    [text] = as_json(reply(links=(Link("FTP", "ftp://files.example.tw/a"),)))
    assert text["type"] == "text"


@pytest.mark.parametrize("with_links", [False, True])
def test_text_needing_more_than_five_messages_is_truncated_with_a_mark(with_links, caplog):
    text = "\n\n".join("z" * 4000 for _ in range(8))
    links = (Link("Ask a doctor", "https://clinic.example.tw/ask"),) if with_links else ()
    with caplog.at_level(logging.WARNING, logger="bot.adapters.line_render"):
        messages = as_json(reply(text, notice="Disclaimer.", links=links))
    assert len(messages) == 5
    texts = [message["text"] for message in messages if message["type"] == "text"]
    assert len(texts) == (4 if with_links else 5)
    assert texts[-1].endswith("…")
    assert all(utf16_units(text) <= 5000 for text in texts)
    assert "LINE reply truncated" in caplog.text
