"""The red-flag layer: emergencies caught before matching, look-alikes left alone."""

import json

import pytest

from bot.core import IncomingMessage, ReplyKind
from bot.dialog import Dialog
from bot.redflags import RedFlagDetector
from tests.conftest import DATA


@pytest.fixture(scope="module")
def detector(config) -> RedFlagDetector:
    assert config.safety is not None
    return config.safety.detector


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("I can't swallow and I'm choking now", "breathing"),
        ("cant breath help", "breathing"),
        ("我爸突然嘴歪，講話不清楚", "stroke"),
        ("my moms face is drooping and her speech is slurd", "stroke"),
        ("抽搐不停已經五分鐘了", "seizure"),
        ("worst headach of my life", "headache"),
        ("我不想活了", "suicide"),
        ("我想死", "suicide"),
        ("呼吸困难 喘不过气", "breathing"),  # Simplified folds to Traditional
    ],
)
def test_emergencies_are_caught_with_typos_and_both_scripts(detector, text, category):
    flag = detector.check(text)
    assert flag is not None and flag.category == category


@pytest.mark.parametrize(
    "text",
    [
        "is trouble swallowing a symptom of ALS?",
        "what are the signs of a stroke?",
        "I had a seizure last year, can I drive?",
        "漸凍症會造成呼吸困難嗎？",
        "does ALS increase suicide risk?",
        "I'm dying to know if an EMG hurts",
        "my muscles twitch at night",
    ],
)
def test_questions_about_symptoms_are_not_emergencies(detector, text):
    assert detector.check(text) is None


def test_suicide_risk_is_a_crisis_even_when_it_sounds_mild(detector):
    flag = detector.check("sometimes I think about killing myself")
    assert flag is not None and flag.kind == "crisis"


@pytest.mark.parametrize(
    "name", ["redflags.jsonl", "redflags_holdout.jsonl", "redflags_holdout2.jsonl"]
)
def test_labelled_sets_meet_the_targets(detector, name):
    rows = [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]
    flagged = [(detector.check(row["text"]) is not None, row["emergency"]) for row in rows]
    missed = [
        row["text"] for row, (hit, real) in zip(rows, flagged, strict=True) if real and not hit
    ]
    alarms = sum(hit and not real for hit, real in flagged)
    assert missed == [], "every true emergency must be caught"
    assert alarms <= 0.10 * sum(not real for _, real in flagged)


async def test_the_dialog_answers_an_emergency_with_the_number_and_no_faq(dialog: Dialog, journal):
    reply = await dialog.handle(
        IncomingMessage("console", "u1", "my dad's face is drooping right now")
    )
    assert reply.kind is ReplyKind.EMERGENCY
    assert reply.entry_id is None and not reply.related
    assert "119" in reply.text
    assert reply.links[0].url == "tel:119"
    [alert] = await journal.alerts(since=0)
    assert (alert.category, alert.platform) == ("stroke", "console")


async def test_suicide_risk_gets_the_crisis_lines_in_the_users_language(dialog: Dialog):
    reply = await dialog.handle(IncomingMessage("console", "u1", "我真的不想活了"))
    assert reply.kind is ReplyKind.EMERGENCY
    assert reply.locale == "zh-TW"
    assert [link.url for link in reply.links] == ["tel:1925", "tel:1995", "tel:119"]
    assert "1925" in reply.links[0].title


async def test_an_emergency_is_never_rate_limited(config, store, journal):
    from dataclasses import replace

    from tests.conftest import make_dialog

    limited = make_dialog(replace(config, rate_limit=1), store, journal)
    await limited.handle(IncomingMessage("console", "u1", "what is an EMG test"))
    await limited.handle(IncomingMessage("console", "u1", "what is an EMG test"))
    reply = await limited.handle(IncomingMessage("console", "u1", "I can't breathe"))
    assert reply.kind is ReplyKind.EMERGENCY


async def test_alert_text_is_redacted(dialog: Dialog, journal):
    await dialog.handle(IncomingMessage("console", "u1", "I can't breathe, call me 0912345678"))
    [alert] = await journal.alerts(since=0)
    assert "0912345678" not in alert.text
