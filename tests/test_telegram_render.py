"""Reply -> Telegram HTML and keyboards: escaping, limits, splitting (no server needed)."""

import html
import logging

from bot.adapters.telegram_render import Block, label, render, split_html
from bot.core import Choice, Link, Reply, ReplyKind


def reply(text: str = "An answer.", **fields) -> Reply:
    return Reply(ReplyKind.ANSWER, text, "en", **fields)


def rows(message) -> list[list[tuple[str, str]]]:
    return [
        [(button.text, button.callback_data or button.url) for button in row]
        for row in message.keyboard.inline_keyboard
    ]


def test_faq_and_config_text_is_escaped_and_only_the_title_is_bold():
    [message] = render(
        reply('Take <2> tablets & don\'t "guess".', title="EMG & NCS <basics>", notice="a < b")
    )
    assert message.text == (
        "a &lt; b\n\n"
        "<b>EMG &amp; NCS &lt;basics&gt;</b>\n\n"
        'Take &lt;2&gt; tablets &amp; don\'t "guess".'
    )
    assert message.keyboard is None


def test_phone_links_go_in_the_text_and_web_links_become_url_buttons():
    links = (
        Link("Book", "https://clinic.example.tw/book?a=1&b=2"),
        Link("Call <clinic>", "tel:+886-3-000-0000"),
        Link("Write", "mailto:clinic@example.tw"),
    )
    [message] = render(reply(links=links))
    assert message.text.endswith(
        "📞 Call &lt;clinic&gt;: +886-3-000-0000\n🔗 Write: mailto:clinic@example.tw"
    )
    assert rows(message) == [[("Book", "https://clinic.example.tw/book?a=1&b=2")]]


def test_choices_become_callback_buttons_numbered_like_the_text():
    [message] = render(
        reply(
            suggestions=(Choice("What is an EMG test?", "e:emg-what"), Choice("Tests", "t:tests")),
            related=(Choice("Does an EMG hurt?", "e:emg-pain"),),
            buttons=(
                Choice("None of these", "n"),
                Choice("English", "l:en"),
                Choice("繁體中文", "l:zh-TW"),
                Choice("👍", "f+:emg-what"),
                Choice("👎", "f-:emg-what"),
            ),
        )
    )
    assert rows(message) == [
        [("1. What is an EMG test?", "e:emg-what")],
        [("2. Tests", "t:tests")],
        [("Does an EMG hurt?", "e:emg-pain")],
        [("None of these", "n")],
        [("English", "l:en"), ("繁體中文", "l:zh-TW")],
        [("👍", "f+:emg-what"), ("👎", "f-:emg-what")],
    ]


def test_callback_data_over_64_bytes_drops_the_button_with_a_log_line(caplog):
    fits = "e:" + "a" * 62
    too_long = "e:" + "漸" * 21  # 65 bytes of UTF-8, though only 23 characters
    [message] = render(reply(related=(Choice("Fits", fits), Choice("Too long", too_long))))
    assert rows(message) == [[("Fits", fits)]]
    assert "dropping button" in caplog.text
    assert caplog.records[0].levelno == logging.WARNING


def test_keyboards_stay_within_telegrams_button_limit():
    many = tuple(Choice(f"Q{n}", f"e:q{n}") for n in range(120))
    [message] = render(reply(related=many))
    assert sum(len(row) for row in message.keyboard.inline_keyboard) == 100


def test_long_labels_are_cut_at_a_word_and_cjk_counts_double():
    question = "Is it normal that my calf muscles twitch every evening after long walks?"
    short = label(question)
    assert short == "Is it normal that my calf muscles…"
    assert question.startswith(short.removesuffix("…"))
    chinese = label("晚上走路之後小腿肌肉一直跳動是不是漸凍症的早期徵兆呢")
    assert chinese == "晚上走路之後小腿肌肉一直跳動是不是漸凍…"
    assert label("What is an EMG test?") == "What is an EMG test?"
    assert label("two\nlines") == "two lines"


def test_splitting_prefers_paragraphs_then_lines_then_words():
    fits = "first paragraph\n\nsecond one,\nwith two lines\n\nthird"
    assert split_html([Block(fits)], limit=40) == [
        "first paragraph",
        "second one,\nwith two lines\n\nthird",  # a paragraph that fits stays whole
    ]
    too_long = "first paragraph\n\nsecond paragraph line one\nand its line two, longer\n\nthird"
    assert split_html([Block(too_long)], limit=40) == [
        "first paragraph",
        "second paragraph line one",
        "and its line two, longer\n\nthird",
    ]
    assert split_html([Block("one two three four five six")], limit=10) == [
        "one two",
        "three four",
        "five six",
    ]


def test_a_hard_cut_never_breaks_an_html_entity_or_a_bold_title():
    chunks = split_html([Block("&" * 30, bold=True), Block("<" * 10)], limit=16)
    assert all(len(chunk) <= 16 for chunk in chunks)
    assert all(chunk.startswith("<b>") == chunk.endswith("</b>") for chunk in chunks)
    bold = [c.removeprefix("<b>").removesuffix("</b>") for c in chunks if c.startswith("<b>")]
    assert html.unescape("".join(bold)) == "&" * 30
    assert chunks[-3:] == ["&lt;" * 4, "&lt;" * 4, "&lt;" * 2]


def test_length_counts_utf16_units_and_the_keyboard_goes_last():
    emoji = "😀" * 30  # 60 UTF-16 code units
    messages = render(reply(f"{emoji}\n\n{emoji}", related=(Choice("More", "e:more"),)), limit=64)
    assert [m.text for m in messages] == [emoji, emoji]
    assert [m.keyboard is not None for m in messages] == [False, True]


def test_an_empty_reply_renders_nothing():
    assert render(reply("  ")) == []
