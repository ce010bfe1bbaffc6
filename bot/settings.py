"""Deployment settings and secrets, read once from the environment at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core import ConfigError

# Used only when USER_HASH_KEY is unset, i.e. local chat; `serve` refuses to run with it.
LOCAL_HASH_KEY = "local-development-only"
# Module constants, not `cls.<field>`: with slots=True that is the slot descriptor, not the default.
TELEGRAM_API = "https://api.telegram.org/bot"
LINE_API = "https://api.line.me"


@dataclass(frozen=True, slots=True)
class Settings:
    faq_dir: Path = Path("faq")
    config_dir: Path = Path("config")
    redis_url: str | None = None
    user_hash_key: str = LOCAL_HASH_KEY
    telegram_token: str | None = None
    telegram_webhook_secret: str | None = None
    telegram_api_base_url: str = TELEGRAM_API
    telegram_reply_in_response: bool = False  # one-message replies ride in the webhook response
    line_channel_secret: str | None = None
    line_channel_access_token: str | None = None
    line_api_base_url: str = LINE_API
    line_push_fallback: bool = True
    port: int = 8000
    web_concurrency: int = 1  # uvicorn worker processes for `serve`
    log_level: str = "INFO"
    log_message_text: bool = False  # debug only: message text in logs
    handoff_chat: str | None = None  # "telegram:<chat id>" or "line:<group id>": the staff chat
    admin_ids: frozenset[str] = frozenset()  # "telegram:<user id>", "line:<user id>", ...
    admin_token: str | None = None  # opens the /admin preview page; unset: no page
    log_format: str | None = None  # "json" or "text"; None: json for `serve`, text otherwise
    metrics_token: str | None = None  # bearer token for GET /metrics; unset: open
    metrics_dir: str | None = None  # PROMETHEUS_MULTIPROC_DIR: metrics summed over workers
    shutdown_grace: float = 20.0  # seconds to finish in-flight replies after SIGTERM
    max_body_bytes: int = 1024 * 1024  # webhook bodies above this are refused with 413
    semantic: str = "auto"  # embedding re-rank: auto (if installed), off, or a backend name
    embedding_cache_dir: Path = Path(".cache/embeddings")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        workers = get("WEB_CONCURRENCY") or "1"
        if not workers.isdigit() or int(workers) < 1:
            raise ConfigError(f"WEB_CONCURRENCY must be a whole number >= 1, got {workers!r}")
        return cls(
            faq_dir=Path(get("FAQ_DIR") or "faq"),
            config_dir=Path(get("CONFIG_DIR") or "config"),
            redis_url=get("REDIS_URL"),
            user_hash_key=get("USER_HASH_KEY") or LOCAL_HASH_KEY,
            telegram_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET"),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL") or TELEGRAM_API,
            telegram_reply_in_response=_flag(get("TELEGRAM_REPLY_IN_RESPONSE"), default=False),
            line_channel_secret=get("LINE_CHANNEL_SECRET"),
            line_channel_access_token=get("LINE_CHANNEL_ACCESS_TOKEN"),
            line_api_base_url=get("LINE_API_BASE_URL") or LINE_API,
            line_push_fallback=_flag(get("LINE_PUSH_FALLBACK"), default=True),
            port=int(_number(get("PORT"), "PORT", 8000)),
            web_concurrency=int(workers),
            log_level=(get("LOG_LEVEL") or "INFO").upper(),
            log_message_text=_flag(get("LOG_MESSAGE_TEXT"), default=False),
            handoff_chat=_platform_id(get("HANDOFF_CHAT"), "HANDOFF_CHAT"),
            admin_token=_admin_token(get("ADMIN_TOKEN")),
            semantic=(get("MATCHER_SEMANTIC") or "auto").lower(),
            embedding_cache_dir=Path(get("EMBEDDING_CACHE_DIR") or ".cache/embeddings"),
            admin_ids=frozenset(
                _platform_id(part.strip(), "ADMIN_IDS") or ""
                for part in (get("ADMIN_IDS") or "").split(",")
                if part.strip()
            ),
            log_format=_choice(get("LOG_FORMAT"), "LOG_FORMAT", ("json", "text")),
            metrics_token=_secret(get("METRICS_TOKEN"), "METRICS_TOKEN"),
            metrics_dir=get("PROMETHEUS_MULTIPROC_DIR"),
            shutdown_grace=_number(get("SHUTDOWN_GRACE"), "SHUTDOWN_GRACE", 20.0),
            max_body_bytes=int(_number(get("MAX_BODY_BYTES"), "MAX_BODY_BYTES", 1024 * 1024)),
        )

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_token)

    @property
    def line_enabled(self) -> bool:
        return bool(self.line_channel_secret and self.line_channel_access_token)

    def check_for_serving(self) -> None:
        """The web app needs more than local chat does; say exactly what is missing."""
        if not (self.telegram_enabled or self.line_enabled):
            raise ConfigError(
                "no platform configured: set TELEGRAM_BOT_TOKEN, or LINE_CHANNEL_SECRET and "
                "LINE_CHANNEL_ACCESS_TOKEN (see config/.env.example)"
            )
        if self.telegram_enabled and not self.telegram_webhook_secret:
            raise ConfigError("TELEGRAM_WEBHOOK_SECRET is required with TELEGRAM_BOT_TOKEN")
        if self.user_hash_key == LOCAL_HASH_KEY:
            raise ConfigError("USER_HASH_KEY is required when serving (a long random string)")


def _admin_token(value: str | None) -> str | None:
    return _secret(value, "ADMIN_TOKEN")


def _secret(value: str | None, name: str) -> str | None:
    if value is not None and len(value) < 16:
        raise ConfigError(f"{name} must be at least 16 characters (a long random string)")
    return value


def _number(value: str | None, name: str, default: float) -> float:
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name} must be above 0, got {value!r}")
    return number


def _choice(value: str | None, name: str, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value.lower() not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value.lower() if value else None


def _platform_id(value: str | None, name: str) -> str | None:
    """ "telegram:12345" -> itself; anything without a known platform prefix is an error."""
    if value is None:
        return None
    platform, _, ident = value.partition(":")
    if platform not in ("telegram", "line", "console") or not ident:
        raise ConfigError(f"{name}: expected platform:id such as telegram:123456, got {value!r}")
    return value


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None:
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"expected true or false, got {value!r}")
