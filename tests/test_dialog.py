import asyncio
import logging
from dataclasses import replace

from bot.core import Action, IncomingMessage, MessageKind, ReplyKind
from bot.decision import Thresholds
from bot.dialog import Dialog
from tests.conftest import make_dialog


def text(body: str, user: str = "u1") -> IncomingMessage:
    return IncomingMessage("console", user, body)


def tap(action: str, user: str = "u1") -> IncomingMessage:
    return IncomingMessage("console", user, kind=MessageKind.ACTION, action=action)


async def test_answers_with_related_topics_links_and_disclaimer_once(dialog: Dialog):
    first = await dialog.handle(text("Is muscle twitching a sign of ALS?"))
    assert first.kind is ReplyKind.ANSWER
    assert first.entry_id == "twitching-als"
    assert [choice.entry_id for choice in first.related] == ["twitching-causes", "emg-what"]
    assert first.links[0].url == "https://clinic.example.tw/booking/neuromuscular"
    assert "not a diagnosis" in first.text
    assert "general health information" in (first.notice or "")
    again = await dialog.handle(text("Is muscle twitching a sign of ALS?"))
    assert again.notice is None


async def test_same_question_in_chinese_is_answered_in_chinese(dialog: Dialog):
    reply = await dialog.handle(text("肌肉跳動是漸凍症的徵兆嗎"))
    assert reply.kind is ReplyKind.ANSWER
    assert reply.entry_id == "twitching-als"
    assert reply.locale == "zh-TW"
    assert "漸凍症" in reply.text


async def test_tapping_a_related_topic_opens_it(dialog: Dialog):
    reply = await dialog.handle(tap(Action.open("emg-pain")))
    assert reply.kind is ReplyKind.ANSWER
    assert reply.entry_id == "emg-pain"


async def test_unknown_entry_button_falls_back_politely(dialog: Dialog):
    reply = await dialog.handle(tap(Action.open("removed-entry")))
    assert reply.kind is ReplyKind.FALLBACK


async def test_fallback_offers_escalation_links(dialog: Dialog):
    reply = await dialog.handle(text("qwzx vbnm plkj"))
    assert reply.kind is ReplyKind.FALLBACK
    assert any(link.url.startswith("tel:") for link in reply.links)
    assert reply.buttons[0].action == Action.TOPIC


async def test_numbered_choice_picks_from_the_last_list(dialog: Dialog):
    topics = await dialog.handle(text("/topics"))
    assert topics.kind is ReplyKind.TOPICS
    assert [choice.action for choice in topics.suggestions] == ["t:tests", "t:twitching"]
    listing = await dialog.handle(text("2"))
    assert [choice.entry_id for choice in listing.suggestions] == [
        "twitching-causes",
        "twitching-als",
    ]
    picked = await dialog.handle(text("2."))
    assert picked.entry_id == "twitching-als"


async def test_a_number_without_a_list_is_not_a_choice(dialog: Dialog):
    reply = await dialog.handle(text("2"))
    assert reply.kind is not ReplyKind.ANSWER


async def test_greetings_and_thanks_are_not_fallbacks(dialog: Dialog):
    assert (await dialog.handle(text("hello!"))).kind is ReplyKind.SMALLTALK
    thanks = await dialog.handle(text("謝謝"))
    assert thanks.kind is ReplyKind.SMALLTALK
    assert thanks.locale == "zh-TW"
    assert (await dialog.handle(text("hi, what is an EMG test?"))).kind is ReplyKind.ANSWER


async def test_start_welcomes_and_deep_link_opens_the_entry(dialog: Dialog):
    welcome = await dialog.handle(text("/start"))
    assert welcome.kind is ReplyKind.WELCOME
    assert "119" in welcome.text  # the disclaimer is part of the welcome
    deep = await dialog.handle(text("/start emg-what", user="u2"))
    assert deep.kind is ReplyKind.ANSWER
    assert deep.entry_id == "emg-what"
    assert deep.notice and "119" in deep.notice


async def test_language_preference_overrides_detection(dialog: Dialog):
    prompt = await dialog.handle(text("/lang"))
    assert prompt.kind is ReplyKind.LANGUAGE
    assert [choice.action for choice in prompt.buttons] == ["l:en", "l:zh-TW"]
    chosen = await dialog.handle(tap("l:zh-TW"))
    assert chosen.locale == "zh-TW"
    reply = await dialog.handle(text("what is an EMG test"))
    assert reply.locale == "zh-TW"
    assert reply.title == "什麼是肌電圖檢查？"
    await dialog.handle(text("/lang en"))
    assert (await dialog.handle(text("肌電圖是什麼"))).locale == "en"


async def test_locale_hint_is_used_when_the_text_says_nothing(dialog: Dialog):
    message = IncomingMessage("telegram", "u9", "👍", locale_hint="zh-hant")
    assert (await dialog.handle(message)).locale == "zh-TW"


async def test_a_command_does_not_decide_the_language(dialog: Dialog):
    # "/start" is Latin letters whatever the user's language; the platform's hint is better.
    message = IncomingMessage("telegram", "u9", "/start emg-what", locale_hint="zh-hant")
    reply = await dialog.handle(message)
    assert (reply.locale, reply.title) == ("zh-TW", "什麼是肌電圖檢查？")


async def test_non_text_messages_ask_for_text(dialog: Dialog):
    reply = await dialog.handle(IncomingMessage("line", "u1", kind=MessageKind.UNSUPPORTED))
    assert reply.kind is ReplyKind.UNSUPPORTED


async def test_follow_shows_welcome(dialog: Dialog):
    reply = await dialog.handle(IncomingMessage("line", "u1", kind=MessageKind.FOLLOW))
    assert reply.kind is ReplyKind.WELCOME


async def test_users_do_not_share_sessions(dialog: Dialog):
    await dialog.handle(text("/topics", user="a"))
    reply = await dialog.handle(text("1", user="b"))
    assert reply.kind is not ReplyKind.TOPICS


def test_error_reply_needs_no_storage(dialog: Dialog):
    reply = dialog.error_reply(text("肌肉"))
    assert reply.kind is ReplyKind.FALLBACK
    assert reply.locale == "zh-TW"
    assert reply.links


async def test_a_redelivered_update_is_not_answered_twice(dialog: Dialog):
    message = IncomingMessage("telegram", "u1", "what is an EMG test", event_id="900000001")
    assert (await dialog.handle(message)).kind is ReplyKind.ANSWER
    assert (await dialog.handle(message)).kind is ReplyKind.DUPLICATE


async def test_answers_carry_feedback_buttons_that_are_counted(dialog: Dialog, journal):
    answer = await dialog.handle(text("what is an EMG test"))
    assert [choice.action for choice in answer.buttons] == ["f+:emg-what", "f-:emg-what"]
    thanks = await dialog.handle(tap("f+:emg-what"))
    assert thanks.kind is ReplyKind.INFO
    sorry = await dialog.handle(tap("f-:emg-what"))
    assert sorry.links, "not helpful offers the escalation links"
    assert await journal.feedback() == {"emg-what": (1, 1)}


async def test_rate_limit_says_so_once_then_stays_quiet(config, store, journal):
    limited = make_dialog(replace(config, rate_limit=3), store, journal)
    kinds = [(await limited.handle(text("what is an EMG test"))).kind for _ in range(5)]
    assert kinds[:3] == [ReplyKind.ANSWER] * 3
    assert kinds[3:] == [ReplyKind.RATE_LIMITED, ReplyKind.NONE]
    assert (
        await limited.handle(text("what is an EMG test", user="someone-else"))
    ).kind is ReplyKind.ANSWER


async def test_fallbacks_are_logged_redacted_for_admins(dialog: Dialog, journal):
    await dialog.handle(text("qwzx vbnm call me on 0912-345-678"))
    [miss] = await journal.misses(since=0)
    assert miss.text == "qwzx vbnm call me on [phone]"
    assert miss.reason == "fallback"
    assert miss.locale == "en"


async def test_none_of_these_logs_the_question_behind_the_choices(config, store, journal):
    # Thresholds that never answer directly make every match a "did you mean".
    always_ask = replace(config, thresholds=Thresholds(answer=1.01, suggest=0.0, margin=0.0))
    unsure = make_dialog(always_ask, store, journal)
    suggest = await unsure.handle(text("EMG test, my email is a.b@example.com"))
    assert suggest.kind is ReplyKind.SUGGEST
    assert await journal.misses(since=0) == []
    picked = await unsure.handle(text("1"))
    assert picked.kind is ReplyKind.ANSWER
    await unsure.handle(text("EMG test, my email is a.b@example.com"))
    await unsure.handle(tap("n"))
    [miss] = await journal.misses(since=0)
    assert miss.reason == "none_of_these"
    assert miss.text == "EMG test, my email is [email]"
    assert miss.candidates[0][0] in ("emg-what", "emg-pain")


async def test_forget_deletes_the_session(dialog: Dialog, store):
    await dialog.handle(text("/lang zh-TW"))
    forgotten = await dialog.handle(text("/forget"))
    assert forgotten.kind is ReplyKind.INFO
    after = await dialog.handle(text("what is an EMG test"))
    assert after.locale == "en", "the language preference is gone"
    assert after.notice, "so is the fact that the disclaimer was shown"


async def test_two_messages_at_once_both_land_in_a_redis_session(config, redis_client, journal):
    from bot.redis_store import RedisSessionStore
    from bot.sessions import user_key

    store = RedisSessionStore(redis_client)
    shared = make_dialog(config, store, journal)
    replies = await asyncio.gather(
        shared.handle(text("/lang zh-TW")),
        shared.handle(text("what is an EMG test")),
        shared.handle(tap("t:tests")),
    )
    assert {reply.kind for reply in replies} == {
        ReplyKind.LANGUAGE,
        ReplyKind.ANSWER,
        ReplyKind.TOPICS,
    }
    session = await store.get(user_key("test-key", "console", "u1"))
    assert session.locale == "zh-TW"
    assert session.last_entry_id == "emg-what"
    assert session.welcomed


async def test_a_follow_up_is_resolved_in_the_context_of_the_last_answer(config, store, journal):
    from tests.conftest import ROOT

    shipped = make_dialog(config, store, journal, ROOT / "faq")
    first = await shipped.handle(text("If I only have muscle twitching, could it be ALS?"))
    assert first.entry_id == "als-twitching-alone"
    assert (await shipped.handle(text("will it get worse?"))).entry_id == "als-twitching-worse"
    await shipped.handle(text("只有肌肉跳動，會是漸凍症嗎？", user="u2"))
    assert (
        await shipped.handle(text("會越來越嚴重嗎", user="u2"))
    ).entry_id == "als-twitching-worse"
    cold = await shipped.handle(text("will it get worse?", user="u3"))
    assert cold.kind is not ReplyKind.ANSWER, "without context the same words are too vague"


async def test_message_text_stays_out_of_logs_unless_an_operator_opts_in(
    config, store, journal, caplog
):
    secret = "my neighbour Mr Lin has twitching"
    quiet = make_dialog(config, store, journal)
    with caplog.at_level(logging.DEBUG):
        await quiet.handle(text(secret, user="555123"))
    assert secret not in caplog.text and "555123" not in caplog.text
    chatty = make_dialog(config, store, journal, log_text=True)
    with caplog.at_level(logging.DEBUG, logger="bot.dialog"):
        await chatty.handle(text(secret, user="555123"))
    assert secret in caplog.text
    assert "555123" not in caplog.text, "even then, user ids are hashed"
