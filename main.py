"""Composition root and command line: builds settings, FAQ, matcher, store and adapters.

python main.py                      serve if a platform is configured, else chat locally
python main.py chat [--faq PATH] [--json] [--user ID]
python main.py serve [--host H] [--port P] [--workers N] [--loop L] [--http H] [--access-log]
python main.py telegram set-webhook --url https://HOST/telegram/webhook [--drop-pending-updates]
python main.py telegram polling [--faq PATH] [--drop-pending-updates]
python main.py faq check [DIR] [--no-selftest]
python main.py faq export DIR --to FILE [--force]          FILE: .csv or .jsonl
python main.py faq import FILE --out DIR [--force] [--no-selftest]
python main.py faq eval --faq PATH --queries FILE [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette

from bot.adapters.console import ConsoleChat
from bot.adapters.telegram import TelegramAdapter, build_application
from bot.admin import Admin
from bot.cli import Commands, parser
from bot.config import BotConfig, load_config
from bot.core import BotError, ConfigError, FaqError, IncomingMessage, Reply, ReplyKind
from bot.courier import Courier
from bot.dialog import Dialog
from bot.faq import load_faq
from bot.knowledge import Knowledge
from bot.logs import configure_logging
from bot.metrics import Metrics, clear_multiprocess_dir, metrics_route
from bot.preview import preview_routes
from bot.reload import Reloader
from bot.semantic_setup import build_semantic
from bot.settings import Settings
from bot.storage import Storage, build_storage
from bot.web import Webhook, answer, create_app

log = logging.getLogger("bot")

TELEGRAM_WEBHOOK_PATH = "/telegram/webhook"


def build_dialog(
    settings: Settings,
    config: BotConfig,
    faq: Path,
    storage: Storage,
    courier: Courier | None = None,
) -> tuple[Dialog, Reloader]:
    semantic = build_semantic(settings)
    knowledge = Knowledge.build(load_faq(faq, locales=config.locales), config.synonyms, semantic)

    async def reload_command() -> str:
        return await reloader.reload("/reload")

    admin = Admin(
        ids=settings.admin_ids, journal=storage.journal, reload=reload_command, clock=time.time
    )
    dialog = Dialog(
        knowledge=knowledge,
        config=config,
        store=storage.store,
        journal=storage.journal,
        hash_key=settings.user_hash_key,
        log_text=settings.log_message_text,
        courier=courier,
        staff_chat=settings.handoff_chat,
        admin=admin,
    )
    reloader = Reloader(
        faq_dir=faq,
        config_dir=settings.config_dir,
        dialog=dialog,
        notify=partial(tell_admins, settings, courier),
        bus=storage.bus,
        semantic=semantic,
    )
    return dialog, reloader


async def tell_admins(settings: Settings, courier: Courier | None, text: str) -> None:
    """A rejected reload, sent to every admin in ADMIN_IDS that a platform can reach."""
    for admin in sorted(settings.admin_ids):
        platform, _, user_id = admin.partition(":")
        address = courier.chat_address(platform, user_id) if courier else None
        if courier and address:
            await courier.deliver(platform, address, Reply(ReplyKind.INFO, text, "en"))


def build_adapters(settings: Settings) -> dict[str, Webhook]:
    """One adapter per configured platform, by platform name; each serves /<name>/webhook."""
    adapters: dict[str, Webhook] = {}
    if settings.telegram_enabled:
        adapters["telegram"] = build_telegram(settings)
    if settings.line_enabled:
        # Imported here: line-bot-sdk takes seconds to import, which local chat should not pay.
        from bot.adapters.line import LineWebhook

        adapters["line"] = LineWebhook(
            channel_secret=settings.line_channel_secret or "",
            access_token=settings.line_channel_access_token or "",
            api_base_url=settings.line_api_base_url,
            push_fallback=settings.line_push_fallback,
            staff_group=staff_chat_on(settings, "line"),
        )
    return adapters


def build_webhooks(adapters: Mapping[str, Webhook]) -> dict[str, Webhook]:
    return {f"/{platform}/webhook": adapter for platform, adapter in adapters.items()}


def staff_chat_on(settings: Settings, platform: str) -> str | None:
    """The staff chat's id if HANDOFF_CHAT is on `platform`."""
    chat = settings.handoff_chat or ""
    return chat.partition(":")[2] if chat.startswith(f"{platform}:") else None


def build_telegram(settings: Settings, *, polling: bool = False) -> TelegramAdapter:
    if not settings.telegram_token:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set (see config/.env.example)")
    application = build_application(
        settings.telegram_token, settings.telegram_api_base_url, polling=polling
    )
    staff = staff_chat_on(settings, "telegram")
    return TelegramAdapter(
        application,
        settings.telegram_webhook_secret,
        staff_chat=int(staff) if staff else None,
        # Long polling has no webhook response to ride in.
        answers_in_response=settings.telegram_reply_in_response and not polling,
    )


def run_chat(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)
    storage = build_storage(settings, config)
    # The chat is also the courier's console "platform", so build it before the dialog.
    chat = ConsoleChat(lambda message: dialog.handle(message), user=args.user, json_lines=args.json)
    dialog, _ = build_dialog(settings, config, Path(args.faq), storage, Courier({"console": chat}))
    interactive = sys.stdin.isatty() and not args.json
    if interactive:
        where = "Redis" if settings.redis_url else "memory"
        faq_size = len(dialog.knowledge.faq)
        print(
            f"Local chat on {args.faq} ({faq_size} entries, sessions in {where}). Ctrl-D quits.\n"
        )

    async def chat_then_close() -> None:
        try:
            await chat.run(sys.stdin, sys.stdout, prompt="you> " if interactive else "")
        finally:
            await storage.close()

    asyncio.run(chat_then_close())
    return 0


def build_app(settings: Settings) -> Starlette:
    """The web app for the configured platforms, with /metrics and the admin page if enabled."""
    settings.check_for_serving()
    config = load_config(settings.config_dir)
    metrics = Metrics(CollectorRegistry(), settings.metrics_dir)
    storage = build_storage(settings, config, metrics.redis_failed)
    adapters = build_adapters(settings)
    dialog, reloader = build_dialog(settings, config, settings.faq_dir, storage, Courier(adapters))
    metrics.watch_faq(lambda: dialog.knowledge.version, lambda: len(dialog.knowledge.faq))
    pages = [metrics_route(metrics, settings.metrics_token)]
    if settings.admin_token:
        pages += preview_routes(dialog, storage.journal, settings.admin_token)
    return create_app(
        dialog,
        build_webhooks(adapters),
        on_startup=[reloader.start],
        on_shutdown=[reloader.stop, storage.close],
        pages=pages,
        metrics=metrics,
        max_body=settings.max_body_bytes,
    )


def web_app() -> Starlette:
    """What each uvicorn worker process calls (`main:web_app`, factory=True): worker processes
    are started fresh, so each reads the environment and builds its own clients."""
    settings = Settings.from_env(os.environ)
    configure_logging(settings.log_level, settings.log_format or "json")
    return build_app(settings)


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    workers = args.workers or settings.web_concurrency
    if settings.metrics_dir:
        clear_multiprocess_dir(settings.metrics_dir)  # once, before any worker writes to it
    options = {
        "host": args.host,
        "port": args.port or settings.port,
        "log_level": settings.log_level.lower(),
        "log_config": None,  # uvicorn's lines go through our handler: JSON like the rest
        "loop": args.loop,
        "http": args.http,
        # One log line per request costs more CPU than answering it; our own logs say enough.
        "access_log": args.access_log,
        # On SIGTERM uvicorn stops accepting, then waits this long for replies still being
        # worked on after their webhook's 200 (see bot/web.py) before cancelling them.
        "timeout_graceful_shutdown": settings.shutdown_grace,
    }
    # uvicorn raises the SIGTERM it handled again once it has shut down; exiting 0 then tells
    # the supervisor the stop was clean.
    signal.signal(signal.SIGTERM, _stopped)
    if workers == 1:
        uvicorn.run(build_app(settings), **options)
    else:
        # Several processes need an import string; each worker builds the app from the env.
        settings.check_for_serving()
        uvicorn.run("main:web_app", factory=True, workers=workers, **options)
    return 0


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


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
    storage = build_storage(settings, config)
    courier = Courier({"telegram": adapter})
    dialog, _ = build_dialog(settings, config, Path(args.faq), storage, courier)
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


def run_default(settings: Settings, args: argparse.Namespace) -> int:
    if settings.telegram_enabled or settings.line_enabled:
        args.host, args.port, args.workers = "0.0.0.0", None, None
        args.loop, args.http, args.access_log = "auto", "auto", False
        return run_serve(settings, args)
    args.faq, args.json, args.user = str(settings.faq_dir), False, "local"
    return run_chat(settings, args)


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] = os.environ) -> int:
    try:
        settings = Settings.from_env(environ)
        commands = Commands(
            default=run_default,
            chat=run_chat,
            serve=run_serve,
            set_webhook=run_telegram_set_webhook,
            polling=run_telegram_polling,
        )
        args = parser(settings, commands, TELEGRAM_WEBHOOK_PATH).parse_args(argv)
        # JSON lines for `serve` (log collectors parse them), text for people at a terminal.
        configure_logging(settings.log_level, settings.log_format or args.log_format)
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
