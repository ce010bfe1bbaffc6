"""The command line maps each command to the function the composition root supplies."""

from __future__ import annotations

import argparse

import pytest

from bot import admin_cli
from bot.cli import Commands, parser
from bot.settings import Settings


def _runner(name: str):
    def run(settings: Settings, args: argparse.Namespace) -> int:
        return len(name)

    run.__name__ = name
    return run


COMMANDS = Commands(*(_runner(name) for name in ("default", "chat", "serve", "hook", "poll")))


def parse(*argv: str) -> argparse.Namespace:
    return parser(Settings.from_env({}), COMMANDS, "/telegram/webhook").parse_args(argv)


def test_no_command_runs_the_default_with_text_logs():
    args = parse()
    assert args.run is COMMANDS.default and args.log_format == "text"


def test_serve_takes_its_options_and_logs_json():
    args = parse("serve", "--workers", "3", "--port", "9000", "--access-log")
    assert args.run is COMMANDS.serve and args.log_format == "json"
    assert (args.workers, args.port, args.access_log, args.loop) == (3, 9000, True, "auto")


def test_telegram_and_faq_commands_reach_their_functions():
    assert parse("telegram", "set-webhook", "--url", "https://x").run is COMMANDS.set_webhook
    assert parse("telegram", "polling").run is COMMANDS.polling
    assert parse("faq", "eval", "--queries", "q.jsonl").run is admin_cli.run_faq_eval
    assert parse("faq", "check").selftest is True
    assert parse("faq", "import", "f.csv", "--out", "o", "--no-selftest").selftest is False


def test_an_unknown_command_is_a_usage_error():
    with pytest.raises(SystemExit) as exit_:
        parse("dance")
    assert exit_.value.code == 2
