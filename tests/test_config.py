import shutil
from pathlib import Path

import pytest

from bot.config import load_config
from bot.core import ConfigError
from bot.settings import Settings
from tests.conftest import ROOT


def copy_config(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(ROOT / "config", folder)
    return folder


def test_shipped_config_loads(config):
    assert config.locales == ("en", "zh-TW")
    assert 0 < config.thresholds.suggest < config.thresholds.answer <= 1
    assert config.message("topic_intro", "en", topic="Tests") == "Questions about Tests:"
    assert config.escalation_links("zh-TW")[0].title == "線上問醫師"


def test_missing_message_translation_is_named(tmp_path: Path):
    folder = copy_config(tmp_path)
    path = folder / "messages.yaml"
    path.write_text(path.read_text().replace('  zh-TW: "請選擇主題："\n', ""))
    with pytest.raises(ConfigError, match=r"messages.yaml:\d+: topics_intro: no text for zh-TW"):
        load_config(folder)


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path):
    folder = copy_config(tmp_path)
    (folder / "escalation.yaml").write_text("links:\n  - title: [unclosed\n")
    with pytest.raises(ConfigError, match=r"escalation.yaml:\d+: YAML syntax"):
        load_config(folder)


def test_bad_escalation_url_is_refused(tmp_path: Path):
    folder = copy_config(tmp_path)
    (folder / "escalation.yaml").write_text("links:\n  - title: Call us\n    url: 12345\n")
    with pytest.raises(ConfigError, match=r"escalation\.yaml:2"):
        load_config(folder)


def test_settings_from_env():
    settings = Settings.from_env(
        {"PORT": "9000", "REDIS_URL": "redis://x:6379/0", "LINE_PUSH_FALLBACK": "off"}
    )
    assert settings.port == 9000
    assert settings.redis_url == "redis://x:6379/0"
    assert settings.line_push_fallback is False
    assert not settings.telegram_enabled
    assert settings.telegram_api_base_url == "https://api.telegram.org/bot"
    assert settings.line_api_base_url == "https://api.line.me"


def test_serving_needs_a_platform_and_a_hash_key():
    with pytest.raises(ConfigError, match="no platform configured"):
        Settings.from_env({}).check_for_serving()
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:x"}).check_for_serving()
    with pytest.raises(ConfigError, match="USER_HASH_KEY"):
        Settings.from_env(
            {"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "s"}
        ).check_for_serving()


def test_bad_port_is_a_clear_error():
    with pytest.raises(ConfigError, match="PORT must be a number"):
        Settings.from_env({"PORT": "eighty"})


def test_operations_settings_have_defaults_and_clear_errors():
    default = Settings.from_env({})
    assert (default.log_format, default.metrics_token, default.metrics_dir) == (None, None, None)
    assert (default.shutdown_grace, default.max_body_bytes) == (20.0, 1024 * 1024)
    given = Settings.from_env(
        {
            "LOG_FORMAT": "TEXT",
            "METRICS_TOKEN": "m" * 16,
            "SHUTDOWN_GRACE": "5.5",
            "MAX_BODY_BYTES": "65536",
            "PROMETHEUS_MULTIPROC_DIR": "/tmp/metrics",
        }
    )
    assert given.log_format == "text" and given.metrics_token == "m" * 16
    assert (given.shutdown_grace, given.max_body_bytes) == (5.5, 65536)
    assert given.metrics_dir == "/tmp/metrics"
    for name, value, message in [
        ("LOG_FORMAT", "xml", "LOG_FORMAT must be one of json, text"),
        ("METRICS_TOKEN", "short", "METRICS_TOKEN must be at least 16"),
        ("SHUTDOWN_GRACE", "soon", "SHUTDOWN_GRACE must be a number"),
        ("MAX_BODY_BYTES", "0", "MAX_BODY_BYTES must be above 0"),
    ]:
        with pytest.raises(ConfigError, match=message):
            Settings.from_env({name: value})


def test_workers_and_replies_in_the_response_from_env():
    settings = Settings.from_env({"WEB_CONCURRENCY": "3", "TELEGRAM_REPLY_IN_RESPONSE": "true"})
    assert settings.web_concurrency == 3
    assert settings.telegram_reply_in_response is True
    defaults = Settings.from_env({})
    assert (defaults.web_concurrency, defaults.telegram_reply_in_response) == (1, False)
    with pytest.raises(ConfigError, match="WEB_CONCURRENCY"):
        Settings.from_env({"WEB_CONCURRENCY": "0"})
