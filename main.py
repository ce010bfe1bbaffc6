"""Composition root and command line: builds settings, FAQ, matcher, store and adapters.

python main.py                      serve if a platform is configured, else chat locally
python main.py chat [--faq PATH] [--json] [--user ID]
python main.py serve [--host H] [--port P]
python main.py telegram set-webhook --url https://HOST/telegram/webhook [--drop-pending-updates]
python main.py telegram polling [--faq PATH] [--drop-pending-updates]
python main.py faq check [DIR]
python main.py faq eval --faq PATH --queries FILE [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from bot.adapters.console import ConsoleChat
from bot.adapters.telegram import TelegramAdapter, build_application
from bot.config import BotConfig, load_config
from bot.core import BotError, ConfigError, FaqError, IncomingMessage
from bot.dialog import Dialog
from bot.evaluate import evaluate, format_report, read_queries
from bot.faq import check_faq, load_faq
from bot.knowledge import Knowledge
from bot.sessions import MemorySessionStore, SessionStore
from bot.settings import Settings
from bot.web import Webhook, answer, create_app

log = logging.getLogger("bot")

TELEGRAM_WEBHOOK_PATH = "/telegram/webhook"


def build_dialog(
    settings: Settings, config: BotConfig, faq_path: Path, store: SessionStore
) -> Dialog:
    knowledge = Knowledge.build(load_faq(faq_path, locales=config.locales), config.synonyms)
    return Dialog(knowledge=knowledge, config=config, store=store, hash_key=settings.user_hash_key)


def build_store(settings: Settings, config: BotConfig) -> SessionStore:
    return MemorySessionStore(ttl_seconds=config.session_ttl_seconds)


def build_webhooks(settings: Settings) -> dict[str, Webhook]:
    webhooks: dict[str, Webhook] = {}
    if settings.telegram_enabled:
        webhooks[TELEGRAM_WEBHOOK_PATH] = build_telegram(settings)
    return webhooks


def build_telegram(settings: Settings, *, polling: bool = False) -> TelegramAdapter:
    if not settings.telegram_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (see config/.env.example)")
    application = build_application(
        settings.telegram_token, settings.telegram_api_base_url, polling=polling
    )
    return TelegramAdapter(application, settings.telegram_webhook_secret)


def run_chat(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)
    store = build_store(settings, config)
    dialog = build_dialog(settings, config, Path(args.faq), store)
    chat = ConsoleChat(dialog.handle, user=args.user, json_lines=args.json)
    interactive = sys.stdin.isatty() and not args.json
    if interactive:
        print(f"Local chat on {args.faq} ({len(dialog.knowledge.faq)} entries). Ctrl-D to quit.\n")
    asyncio.run(chat.run(sys.stdin, sys.stdout, prompt="you> " if interactive else ""))
    return 0


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    settings.check_for_serving()
    config = load_config(settings.config_dir)
    store = build_store(settings, config)
    dialog = build_dialog(settings, config, settings.faq_dir, store)
    app = create_app(dialog, build_webhooks(settings), on_shutdown=[store.close])
    port = args.port or settings.port
    uvicorn.run(app, host=args.host, port=port, log_level=settings.log_level.lower())
    return 0


def run_telegram_set_webhook(settings: Settings, args: argparse.Namespace) -> int:
    url = webhook_url(args.url)
    if not settings.telegram_webhook_secret:
        raise ConfigError("TELEGRAM_WEBHOOK_SECRET is not set: Telegram must send it with updates")
    adapter = build_telegram(settings)
    info = asyncio.run(adapter.set_webhook(url, drop_pending_updates=args.drop_pending_updates))
    print(f"Webhook registered for @{info['bot']}:")
    print(f"  url:             {info['url']}")
    print(f"  allowed updates: {', '.join(info['allowed_updates'])}")
    print("  secret token:    TELEGRAM_WEBHOOK_SECRET")
    dropped = " (older ones dropped)" if args.drop_pending_updates else ""
    print(f"  pending updates: {info['pending_update_count']}{dropped}")
    return 0


def webhook_url(given: str) -> str:
    """Telegram only calls https URLs; a bare host gets our webhook path."""
    parts = urlsplit(given)
    if parts.scheme != "https" or not parts.netloc:
        raise ConfigError(f"--url must be a public https:// URL, got {given!r}")
    if parts.path in ("", "/"):
        return given.rstrip("/") + TELEGRAM_WEBHOOK_PATH
    if parts.path != TELEGRAM_WEBHOOK_PATH:
        log.warning("the web app receives Telegram updates at %s", TELEGRAM_WEBHOOK_PATH)
    return given


def run_telegram_polling(settings: Settings, args: argparse.Namespace) -> int:
    adapter = build_telegram(settings, polling=True)
    config = load_config(settings.config_dir)
    store = build_store(settings, config)
    dialog = build_dialog(settings, config, Path(args.faq), store)
    asyncio.run(poll_telegram(adapter, dialog, drop_pending_updates=args.drop_pending_updates))
    return 0


async def poll_telegram(
    adapter: TelegramAdapter,
    dialog: Dialog,
    stop: asyncio.Event | None = None,
    *,
    drop_pending_updates: bool = False,
) -> None:
    """Local development without a public URL: same conversion, dialog and replies as serve."""

    async def on_message(message: IncomingMessage) -> None:
        await answer(dialog, adapter, message)

    try:
        await adapter.poll(on_message, stop, drop_pending_updates=drop_pending_updates)
    finally:
        await dialog.store.close()


def run_faq_check(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)
    faq, problems = check_faq(Path(args.dir), locales=config.locales)
    for problem in problems:
        print(problem)
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = len(problems) - errors
    summary = f"{len(faq)} entries in {len(faq.topics)} topics" if faq else "FAQ not loaded"
    print(f"{summary}: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def run_faq_eval(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)
    knowledge = Knowledge.build(load_faq(Path(args.faq), locales=config.locales), config.synonyms)
    report = evaluate(knowledge, read_queries(Path(args.queries)), config.thresholds)
    print(format_report(report))
    if args.json:
        print(json.dumps(report.as_dict()))
    return 0


def run_default(settings: Settings, args: argparse.Namespace) -> int:
    if settings.telegram_enabled or settings.line_enabled:
        args.host, args.port = "0.0.0.0", None
        return run_serve(settings, args)
    args.faq, args.json, args.user = str(settings.faq_dir), False, "local"
    return run_chat(settings, args)


def parser(settings: Settings) -> argparse.ArgumentParser:
    faq_default = str(settings.faq_dir)
    top = argparse.ArgumentParser(prog="main.py", description="FAQ bot for Telegram and LINE")
    top.set_defaults(run=run_default)
    commands = top.add_subparsers(metavar="COMMAND")

    chat = commands.add_parser("chat", help="chat with the bot in this terminal")
    chat.add_argument("--faq", default=faq_default, help="FAQ folder or .jsonl file")
    chat.add_argument("--json", action="store_true", help="one JSON reply per line")
    chat.add_argument("--user", default="local", help="name of the conversation")
    chat.set_defaults(run=run_chat)

    serve = commands.add_parser("serve", help="run the web app for the configured platforms")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    serve.set_defaults(run=run_serve)

    telegram = commands.add_parser("telegram", help="Telegram webhook and polling").add_subparsers(
        metavar="ACTION", dest="telegram_action", required=True
    )
    hook = telegram.add_parser("set-webhook", help="register the webhook URL with Telegram")
    hook.add_argument("--url", required=True, help=f"public https URL of {TELEGRAM_WEBHOOK_PATH}")
    hook.add_argument("--drop-pending-updates", action="store_true")
    hook.set_defaults(run=run_telegram_set_webhook)
    polling = telegram.add_parser(
        "polling", help="answer by long polling, for local development (removes the webhook)"
    )
    polling.add_argument("--faq", default=faq_default, help="FAQ folder or .jsonl file")
    polling.add_argument("--drop-pending-updates", action="store_true")
    polling.set_defaults(run=run_telegram_polling)

    faq = commands.add_parser("faq", help="check and measure the FAQ").add_subparsers(
        metavar="ACTION"
    )
    check = faq.add_parser("check", help="validate the FAQ files")
    check.add_argument("dir", nargs="?", default=faq_default)
    check.set_defaults(run=run_faq_check)
    evaluation = faq.add_parser("eval", help="measure matching on labelled queries")
    evaluation.add_argument("--faq", default=faq_default, help="FAQ folder or .jsonl file")
    evaluation.add_argument("--queries", required=True, help="JSON Lines of {query, expected_id}")
    evaluation.add_argument("--json", action="store_true", help="print the figures as JSON last")
    evaluation.set_defaults(run=run_faq_eval)
    return top


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    try:
        settings = Settings.from_env(environ)
        logging.basicConfig(
            level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        args = parser(settings).parse_args(argv)
        return args.run(settings, args)
    except FaqError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    except BotError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
