"""Human handoff through the dialog, with a courier that records what it was asked to send."""

import datetime as dt
import re
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from bot.core import Action, IncomingMessage, MessageKind, Reply, ReplyKind
from bot.dialog import Dialog
from tests.conftest import make_dialog

STAFF = "console:staff-room"
TAIPEI = ZoneInfo("Asia/Taipei")


class RecordingCourier:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, Reply]] = []

    def chat_address(self, platform: str, chat_id: str) -> str | None:
        return f"chat:{chat_id}"

    async def deliver(self, platform: str, address: str, reply: Reply) -> bool:
        self.sent.append((platform, address, reply))
        return True

    def to(self, address: str) -> list[str]:
        return [reply.text for _, to, reply in self.sent if to == address]


class Clock:
    def __init__(self, when: dt.datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now


def user(text: str, who: str = "u1") -> IncomingMessage:
    return IncomingMessage("console", who, text, address=f"user:{who}", locale_hint="en")


def staff(text: str, quoted: str | None = None) -> IncomingMessage:
    return IncomingMessage(
        "console", "nurse", text, MessageKind.STAFF, address="chat:staff-room", quoted=quoted
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 11, 25, 10, 0, tzinfo=TAIPEI))  # a Wednesday morning


@pytest.fixture
def courier() -> RecordingCourier:
    return RecordingCourier()


@pytest.fixture
def staffed(config, store, journal, courier, clock) -> Dialog:
    return make_dialog(config, store, journal, courier=courier, staff_chat=STAFF, clock=clock)


def ticket_of(courier: RecordingCourier) -> str:
    [notice] = courier.to("chat:staff-room")[:1]
    found = re.search(r"#([A-Z2-9]{4})", notice)
    assert found, notice
    return found.group(1)


async def test_without_a_staff_chat_the_user_gets_the_clinics_contacts(dialog: Dialog):
    reply = await dialog.handle(user("/human"))
    assert reply.kind is ReplyKind.HANDOFF
    assert "contact the clinic" in reply.text
    assert any(link.url.startswith("tel:") for link in reply.links)


async def test_asking_for_a_person_opens_a_ticket_with_the_recent_questions(staffed, courier):
    await staffed.handle(user("what is an EMG test"))
    await staffed.handle(user("qwzx vbnm, call me on 0912-345-678"))
    reply = await staffed.handle(user("/human"))
    assert reply.kind is ReplyKind.HANDOFF
    assert "Monday to Friday" in reply.text and "soon" in reply.text
    notice = courier.to("chat:staff-room")[0]
    assert "what is an EMG test" in notice
    assert "[phone]" in notice and "0912" not in notice, "stored questions are redacted"


async def test_outside_office_hours_the_user_is_told_when_to_expect_a_reply(
    config, store, journal, courier
):
    saturday = Clock(dt.datetime(2026, 11, 28, 22, 0, tzinfo=TAIPEI))
    late = make_dialog(config, store, journal, courier=courier, staff_chat=STAFF, clock=saturday)
    reply = await late.handle(user("我要找真人"))
    assert reply.kind is ReplyKind.HANDOFF
    assert "非服務時間" in reply.text


async def test_the_button_and_the_phrase_also_ask_for_a_person(staffed, courier):
    assert (
        await staffed.handle(
            IncomingMessage(
                "console", "u1", kind=MessageKind.ACTION, action=Action.HUMAN, address="user:u1"
            )
        )
    ).kind is ReplyKind.HANDOFF
    assert (await staffed.handle(user("talk to a person", who="u2"))).kind is ReplyKind.HANDOFF
    assert len(courier.to("chat:staff-room")) == 2


async def test_while_waiting_messages_go_to_staff_and_staff_replies_come_back(staffed, courier):
    await staffed.handle(user("/human"))
    ticket = ticket_of(courier)
    waiting = await staffed.handle(user("does an EMG hurt"))
    assert waiting.kind is ReplyKind.HANDOFF, "no FAQ answer while staff have the conversation"
    # Staff read the clinic's language (zh-TW here); the user's words are passed on as typed.
    assert courier.to("chat:staff-room")[-1] == f"#{ticket}：does an EMG hurt"
    ack = await staffed.handle(staff(f"#{ticket} It stings a little, like an injection."))
    assert ack.kind is ReplyKind.INFO and ticket in ack.text
    assert courier.to("user:u1")[-1] == "Clinic staff:\nIt stings a little, like an injection."
    await staffed.handle(
        staff("Bring your medication list.", quoted=courier.to("chat:staff-room")[0])
    )
    assert courier.to("user:u1")[-1].endswith("Bring your medication list.")


async def test_staff_release_hands_the_user_back_to_the_bot(staffed, courier):
    await staffed.handle(user("/human"))
    ticket = ticket_of(courier)
    released = await staffed.handle(staff(f"/release {ticket}"))
    assert ticket in released.text
    assert "automatic assistant" in courier.to("user:u1")[-1]
    assert (await staffed.handle(user("what is an EMG test"))).kind is ReplyKind.ANSWER
    unknown = await staffed.handle(staff(f"#{ticket} are you there?"))
    assert "找不到" in unknown.text


async def test_the_user_can_go_back_to_the_bot(staffed, courier):
    await staffed.handle(user("/human"))
    ticket = ticket_of(courier)
    back = await staffed.handle(user("/bot"))
    assert back.kind is ReplyKind.INFO
    assert courier.to("chat:staff-room")[-1] == f"#{ticket}：使用者已回到自動小幫手。"
    assert (await staffed.handle(user("what is an EMG test"))).kind is ReplyKind.ANSWER


async def test_after_the_timeout_the_bot_answers_again_and_says_so(staffed, courier, clock):
    await staffed.handle(user("/human"))
    clock.now += staffed.config.handoff.timeout_seconds + 1
    reply = await staffed.handle(user("what is an EMG test"))
    assert reply.kind is ReplyKind.ANSWER
    assert reply.notice and "could not reply in time" in reply.notice


async def test_a_red_flag_is_answered_even_while_waiting_for_staff(staffed):
    await staffed.handle(user("/human"))
    assert (await staffed.handle(user("I can't breathe"))).kind is ReplyKind.EMERGENCY


async def test_staff_chatter_without_a_ticket_is_ignored(staffed):
    assert (await staffed.handle(staff("coffee anyone?"))).kind is ReplyKind.NONE
    assert (await staffed.handle(staff("/release"))).kind is ReplyKind.INFO


async def test_a_broken_staff_chat_does_not_leave_the_user_waiting(config, store, journal):
    class Refusing(RecordingCourier):
        async def deliver(self, platform: str, address: str, reply: Reply) -> bool:
            return False

    broken = make_dialog(config, store, journal, courier=Refusing(), staff_chat=STAFF)
    reply = await broken.handle(user("/human"))
    assert "contact the clinic" in reply.text
    assert (await broken.handle(user("what is an EMG test"))).kind is ReplyKind.ANSWER


def test_office_hours_follow_the_clinics_timezone(config):
    hours = replace(config.handoff.hours)
    assert hours.is_open(dt.datetime(2026, 11, 25, 9, 0, tzinfo=TAIPEI).timestamp())
    assert not hours.is_open(dt.datetime(2026, 11, 25, 18, 0, tzinfo=TAIPEI).timestamp())
    assert not hours.is_open(dt.datetime(2026, 11, 29, 10, 0, tzinfo=TAIPEI).timestamp())  # Sunday


async def test_forget_also_closes_an_open_ticket(staffed, courier, store):
    await staffed.handle(user("/human"))
    ticket = ticket_of(courier)
    assert await store.ticket(ticket) is not None
    await staffed.handle(user("/forget"))
    assert await store.ticket(ticket) is None


async def test_whoami_tells_users_their_own_id(dialog):
    reply = await dialog.handle(user("/whoami", who="12345"))
    assert "console:12345" in reply.text
