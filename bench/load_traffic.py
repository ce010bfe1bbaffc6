"""What the simulated users of bench/load.py say, as signed Telegram and LINE webhook requests.

Each user keeps one language and walks a short conversation: a question from the shipped FAQ,
a numbered choice, a button press (callback_query / postback), an off-topic line, a follow-up
(another wording of a question), and so on round. Bodies are built the way the platforms send
them: Telegram with the secret header, LINE signed with HMAC-SHA256 of the exact body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from bot.faq import load_faq

OFF_TOPIC = {
    "en": ("what time does the train leave", "recommend a good movie", "is it raining today"),
    "zh-TW": ("火車幾點開", "推薦一部好看的電影", "今天會下雨嗎"),
}
STEPS = ("question", "choice", "button", "off-topic", "follow-up")
TELEGRAM_SECRET = "bench-webhook-secret"
LINE_SECRET = "bench-channel-secret"


@dataclass(frozen=True, slots=True)
class Phrasebook:
    questions: dict[str, tuple[str, ...]]  # locale -> FAQ questions
    follow_ups: dict[str, tuple[str, ...]]  # locale -> other wordings (alternates)
    buttons: tuple[str, ...]  # action payloads of entries, as the bot's buttons carry them

    @classmethod
    def from_faq(cls, faq_dir: Path) -> Phrasebook:
        faq = load_faq(faq_dir)
        questions = {
            locale: tuple(entry.question.get(locale) for entry in faq) for locale in OFF_TOPIC
        }
        alternates = tuple(alt for entry in faq for alt in entry.alternates)
        chinese = tuple(alt for alt in alternates if any("\u4e00" <= c <= "\u9fff" for c in alt))
        english = tuple(alt for alt in alternates if alt not in chinese)
        return cls(
            questions=questions,
            follow_ups={"en": english or questions["en"], "zh-TW": chinese or questions["zh-TW"]},
            buttons=tuple(f"e:{entry.id}" for entry in faq),
        )


@dataclass(slots=True)
class Update:
    """One webhook request and what identifies its reply at the stub."""

    user: User
    path: str
    headers: dict[str, str]
    body: bytes
    reply_key: str  # LINE: the reply token; Telegram: the chat id
    sent_at: float = 0.0
    answered_at: float | None = None
    replies: int = 0


@dataclass(slots=True)
class User:
    platform: str
    number: int
    locale: str
    turn: int = 0
    waiting: Update | None = None  # one message at a time, as people do
    pending: list[Update] = field(default_factory=list)

    @property
    def chat(self) -> str:
        if self.platform == "telegram":
            return str(100_000_000 + self.number)
        return "U" + hashlib.md5(str(self.number).encode()).hexdigest()


class Traffic:
    """Makes the next update for a user; ids and reply tokens are unique per run."""

    def __init__(self, phrases: Phrasebook, seed: int = 9) -> None:
        self._phrases = phrases
        self._random = random.Random(seed)
        self._ids = itertools.count(1)

    def users(self, count: int) -> list[User]:
        platforms = itertools.cycle(("telegram", "line"))
        locales = itertools.cycle(("en", "en", "zh-TW"))
        return [User(next(platforms), n, next(locales)) for n in range(count)]

    def next_for(self, user: User) -> Update:
        step = STEPS[user.turn % len(STEPS)]
        user.turn += 1
        if step == "button":
            return self.button(user, self._random.choice(self._phrases.buttons))
        return self.text(user, self._text_for(step, user.locale))

    def text(self, user: User, text: str) -> Update:
        number = next(self._ids)
        if user.platform == "telegram":
            message = {
                "message_id": number,
                "from": {"id": int(user.chat), "is_bot": False, "first_name": "Load"},
                "chat": {"id": int(user.chat), "type": "private", "first_name": "Load"},
                "date": int(time.time()),
                "text": text,
            }
            return telegram_update(user, {"update_id": number, "message": message})
        content = {"type": "text", "id": str(number), "quoteToken": f"q{number}", "text": text}
        return line_update(user, number, {"type": "message", "message": content})

    def button(self, user: User, action: str) -> Update:
        number = next(self._ids)
        if user.platform == "telegram":
            chat = {"id": int(user.chat), "type": "private", "first_name": "Load"}
            shown = {"message_id": number, "from": {**BOT}, "chat": chat, "date": 0, "text": "…"}
            query = {
                "id": f"cb{number}",
                "from": {"id": int(user.chat), "is_bot": False, "first_name": "Load"},
                "message": shown,
                "chat_instance": "1",
                "data": action,
            }
            return telegram_update(user, {"update_id": number, "callback_query": query})
        return line_update(user, number, {"type": "postback", "postback": {"data": action}})

    def _text_for(self, step: str, locale: str) -> str:
        if step == "choice":
            return self._random.choice("123")
        if step == "off-topic":
            return self._random.choice(OFF_TOPIC[locale])
        pool = self._phrases.questions if step == "question" else self._phrases.follow_ups
        return self._random.choice(pool[locale])


BOT = {"id": 7000000001, "is_bot": True, "first_name": "Neuro FAQ", "username": "faq_bot"}


def telegram_update(user: User, update: dict[str, object]) -> Update:
    headers = {
        "content-type": "application/json",
        "x-telegram-bot-api-secret-token": TELEGRAM_SECRET,
    }
    body = json.dumps(update, ensure_ascii=False).encode()
    return Update(user, "/telegram/webhook", headers, body, user.chat)


def line_update(user: User, number: int, event: dict[str, object]) -> Update:
    token = f"rt{number:020d}"
    event = {
        **event,
        "webhookEventId": f"ev{number:024d}",
        "deliveryContext": {"isRedelivery": False},
        "timestamp": int(time.time() * 1000),
        "mode": "active",
        "source": {"type": "user", "userId": user.chat},
        "replyToken": token,
    }
    body = json.dumps({"destination": "Ubench", "events": [event]}, ensure_ascii=False).encode()
    return Update(user, "/line/webhook", line_headers(body), body, token)


def line_headers(body: bytes) -> dict[str, str]:
    digest = hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()
    return {
        "content-type": "application/json",
        "x-line-signature": base64.b64encode(digest).decode(),
    }
