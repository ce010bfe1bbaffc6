"""The command line: commands, their options and which function runs each.

The functions that need the composed bot (chat, serve, Telegram) come from the composition root,
main.py; the admins' FAQ and config commands are bot.admin_cli's.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import admin_cli
from bot.settings import Settings

Run = Callable[[Settings, argparse.Namespace], int]
Subparsers = Any  # argparse's _SubParsersAction, which it does not export


@dataclass(frozen=True, slots=True)
class Commands:
    """What runs for each command that needs the whole bot, supplied by main.py."""

    default: Run  # no command: local chat, or serve when a platform is configured
    chat: Run
    serve: Run
    set_webhook: Run
    polling: Run


def parser(settings: Settings, commands: Commands, webhook_path: str) -> argparse.ArgumentParser:
    """The command line; `webhook_path` is where the Telegram webhook is served."""
    faq_default = str(settings.faq_dir)
    top = argparse.ArgumentParser(prog="main.py", description="FAQ bot for Telegram and LINE")
    top.set_defaults(run=commands.default, log_format="text")
    sub = top.add_subparsers(metavar="COMMAND")

    chat = sub.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--faq", default=faq_default, help="FAQ folder or .jsonl file")
    chat.add_argument("--json", action="store_true", help="one JSON reply per line")
    chat.add_argument("--user", default="local", help="name of the conversation")
    chat.set_defaults(run=commands.chat)

    serve = sub.add_parser("serve", help="run the web app for the configured platforms")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    serve.add_argument(
        "--workers", type=int, default=None, help="processes (default: $WEB_CONCURRENCY or 1)"
    )
    serve.add_argument("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    serve.add_argument("--http", choices=("auto", "h11", "httptools"), default="auto")
    serve.add_argument(
        "--access-log", action="store_true", help="log every request (costs CPU under load)"
    )
    serve.set_defaults(run=commands.serve, log_format="json")

    config = sub.add_parser("config", help="check config/").add_subparsers(
        metavar="ACTION", dest="config_action", required=True
    )
    config.add_parser("check", help="validate every config file").set_defaults(
        run=admin_cli.run_config_check
    )

    telegram = sub.add_parser("telegram", help="Telegram webhook and polling").add_subparsers(
        metavar="ACTION", dest="telegram_action", required=True
    )
    hook = telegram.add_parser("set-webhook", help="register the webhook URL with Telegram")
    hook.add_argument("--url", required=True, help=f"public https URL of {webhook_path}")
    hook.add_argument("--drop-pending-updates", action="store_true")
    hook.set_defaults(run=commands.set_webhook)
    polling = telegram.add_parser(
        "polling", help="answer by long polling, for local development (removes the webhook)"
    )
    polling.add_argument("--faq", default=faq_default, help="FAQ folder or .jsonl file")
    polling.add_argument("--drop-pending-updates", action="store_true")
    polling.set_defaults(run=commands.polling)

    _faq_commands(sub, faq_default)
    return top


def _faq_commands(sub: Subparsers, faq_default: str) -> None:
    faq = sub.add_parser("faq", help="check and measure the FAQ").add_subparsers(
        metavar="ACTION", dest="faq_action", required=True
    )
    check = faq.add_parser("check", help="validate the FAQ files")
    check.add_argument("dir", nargs="?", default=faq_default)
    check.set_defaults(run=admin_cli.run_faq_check)
    export = faq.add_parser("export", help="write the FAQ as a spreadsheet (.csv) or .jsonl")
    export.add_argument("dir", help="the FAQ folder")
    export.add_argument("--to", required=True, help="the file to write: .csv or .jsonl")
    export.add_argument("--force", action="store_true", help="replace the file if it exists")
    export.set_defaults(run=admin_cli.run_faq_export)
    load = faq.add_parser("import", help="topic files from a .csv or .jsonl file, then check")
    load.add_argument("file", help="the .csv or .jsonl file to read")
    load.add_argument("--out", required=True, help="the folder to write the topic files to")
    load.add_argument("--force", action="store_true", help="replace topic files that exist")
    load.set_defaults(run=admin_cli.run_faq_import)
    for command in (check, load):
        command.add_argument(
            "--no-selftest",
            dest="selftest",
            action="store_false",
            help="skip asking the matcher every question and alternate (for very large FAQs)",
        )
    evaluation = faq.add_parser("eval", help="measure matching on labelled queries")
    evaluation.add_argument("--faq", default=faq_default, help="FAQ folder or .jsonl file")
    evaluation.add_argument("--queries", required=True, help="JSON Lines of {query, expected_id}")
    evaluation.add_argument("--json", action="store_true", help="print the figures as JSON last")
    evaluation.set_defaults(run=admin_cli.run_faq_eval)
    misses = faq.add_parser("misses", help="questions the bot could not answer, grouped")
    misses.add_argument("--since", default="7d", help="how far back: 24h, 7d, 2w (default 7d)")
    misses.add_argument("--json", action="store_true")
    misses.set_defaults(run=admin_cli.run_faq_misses)
    stats = faq.add_parser("stats", help="usage and feedback per entry")
    stats.add_argument("--days", type=int, default=7)
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(run=admin_cli.run_faq_stats)
