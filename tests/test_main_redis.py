"""The console chat and admin commands on a real Redis, across processes and through a crash."""

import json
import os
import subprocess
import sys
import time

from tests.conftest import ROOT, TINY_FAQ
from tests.redis_server import RedisServer
from tests.test_main import run


def chat_json(redis_url: str, *lines: str, user: str = "alice") -> list[dict]:
    result = run(
        "chat", "--faq", str(TINY_FAQ), "--json", "--user", user,
        stdin="\n".join(lines) + "\n",
        env={"REDIS_URL": redis_url},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


async def test_a_session_started_in_one_process_continues_in_another(redis_server, redis_client):
    [topics] = chat_json(redis_server.url, "/topics")
    assert topics["suggestions"] == ["t:tests", "t:twitching"]
    [listing] = chat_json(redis_server.url, "2")  # a new process, same user
    assert listing["suggestions"] == ["twitching-causes", "twitching-als"]
    [other] = chat_json(redis_server.url, "2", user="bob")
    assert other["kind"] != "topics", "bob has no list to pick from"


async def test_misses_and_stats_commands_report_what_redis_recorded(redis_server, redis_client):
    chat_json(
        redis_server.url,
        "qwzx vbnm plkj",
        "qwzx vbnm plkj!",
        "zzyy ttrr 0912345678",
        "what is an EMG test",
        "b",  # taps "Helpful" (related is a, feedback buttons b and c)
    )
    result = run("faq", "misses", "--since", "1d", "--json", env={"REDIS_URL": redis_server.url})
    assert result.returncode == 0, result.stderr
    groups = json.loads(result.stdout)
    assert [(g["text"], g["count"]) for g in groups] == [
        ("qwzx vbnm plkj", 2),
        ("zzyy ttrr [phone]", 1),
    ]
    assert "0912345678" not in result.stdout
    text = run("faq", "misses", env={"REDIS_URL": redis_server.url}).stdout
    assert "qwzx vbnm plkj" in text
    stats = json.loads(run("faq", "stats", "--json", env={"REDIS_URL": redis_server.url}).stdout)
    assert stats["kinds"]["fallback"] == 3
    assert stats["kinds"]["answer"] == 1
    assert stats["top_entries"] == [["emg-what", 1]]
    assert stats["feedback"] == {"emg-what": {"helpful": 1, "not_helpful": 0}}


def test_admin_commands_explain_that_they_need_redis():
    result = run("faq", "misses")
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr


def test_chat_keeps_answering_while_redis_is_down_and_recovers():
    server = RedisServer().start()
    process = subprocess.Popen(
        [sys.executable, "main.py", "chat", "--faq", str(TINY_FAQ), "--json"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": os.environ["PATH"], "REDIS_URL": server.url},
    )

    def say(line: str) -> dict:
        assert process.stdin and process.stdout
        process.stdin.write(line + "\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    try:
        say("/lang zh-TW")
        assert say("what is an EMG test")["locale"] == "zh-TW"
        server.stop()
        during = [say("what is an EMG test") for _ in range(3)]
        assert [reply["kind"] for reply in during] == ["answer"] * 3
        assert during[0]["locale"] == "en", "stateless while Redis is down"
        server.start()
        time.sleep(2.2)  # the store waits 2 s after a failure before trying again
        say("/lang zh-TW")
        assert say("what is an EMG test")["locale"] == "zh-TW"
    finally:
        assert process.stdin
        process.stdin.close()
        process.wait(timeout=20)
        server.stop()
    log = process.stderr.read() if process.stderr else ""
    assert log.count("Redis unavailable") == 1, log
    assert "Redis is back" in log


async def test_a_follow_up_in_a_new_process_uses_the_context_kept_in_redis(
    redis_server, redis_client
):
    def ask(line: str) -> dict:
        result = run(
            "chat",
            "--json",
            "--user",
            "carol",
            stdin=line + "\n",
            env={"REDIS_URL": redis_server.url},
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert (
        ask("If I only have muscle twitching, could it be ALS?")["entry_id"]
        == "als-twitching-alone"
    )
    assert ask("will it get worse?")["entry_id"] == "als-twitching-worse"
