"""Hot reload: edits go live without a restart, broken edits never do, every worker follows."""

import asyncio
import os
import shutil
import signal
import sys
from pathlib import Path

import httpx
import pytest

from bot.core import IncomingMessage
from bot.reload import Reloader, read_snapshot
from tests.conftest import ROOT, TINY_FAQ, make_dialog
from tests.redis_server import RedisServer
from tests.support import free_port, serving
from tests.telegram_stub import TelegramStub
from tests.test_telegram import SECRET, TOKEN, Chat, _wait_healthy, update

QUESTION = "what is an EMG test"
OLD = "An EMG records the electrical activity of muscles with a fine needle."
NEW = "An EMG listens to your muscles' electrical signals through a thin needle."


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    faq, config = tmp_path / "faq", tmp_path / "config"
    shutil.copytree(TINY_FAQ, faq)
    shutil.copytree(ROOT / "config", config)
    return faq, config


def edit(faq: Path, old: str, new: str) -> None:
    path = faq / "tests.yaml"
    path.write_text(path.read_text().replace(old, new))


async def answer_text(dialog) -> str:
    return (await dialog.handle(IncomingMessage("console", "u", QUESTION))).text


async def serves_new(dialog, within: float = 10.0) -> None:
    """Reloads happen in the background: wait until the dialog answers from the edited file."""
    for _ in range(int(within / 0.1)):
        if (await answer_text(dialog)).startswith(NEW):
            return
        await asyncio.sleep(0.1)
    pytest.fail("the edit was not served in time")


@pytest.fixture
def notes() -> list[str]:
    return []


@pytest.fixture
def setup(config, store, journal, folders, notes):
    faq, config_dir = folders
    dialog = make_dialog(config, store, journal, faq)

    async def notify(text: str) -> None:
        notes.append(text)

    return dialog, Reloader(faq_dir=faq, config_dir=config_dir, dialog=dialog, notify=notify), faq


async def test_a_reload_serves_the_edit_and_the_replies_name_the_new_version(setup):
    dialog, reloader, faq = setup
    before = await dialog.handle(IncomingMessage("console", "u", QUESTION))
    edit(faq, OLD, NEW)
    result = await reloader.reload("test")
    assert result.startswith("Reloaded (test): now serving version")
    after = await dialog.handle(IncomingMessage("console", "u", QUESTION))
    assert after.text.startswith(NEW)
    assert after.faq_version != before.faq_version
    assert "Nothing changed" in await reloader.reload("again")


async def test_a_broken_edit_is_rejected_with_file_and_line_and_the_old_faq_stays(setup, notes):
    dialog, reloader, faq = setup
    version = reloader.version
    (faq / "tests.yaml").write_text(
        (faq / "tests.yaml").read_text().replace("  - id: emg-pain", "  - id emg-pain")
    )
    result = await reloader.reload("test")
    assert "rejected" in result and "tests.yaml:" in result
    assert notes == [result], "the admins are told"
    assert reloader.version == version
    assert (await answer_text(dialog)).startswith(OLD)


async def test_a_broken_config_is_rejected_too(setup, folders):
    dialog, reloader, _ = setup
    _, config_dir = folders
    (config_dir / "bot.yaml").write_text("locales: [en\n")
    assert "bot.yaml:" in await reloader.reload("test")
    assert (await answer_text(dialog)).startswith(OLD)


async def test_a_file_change_is_picked_up_while_running(setup):
    dialog, reloader, faq = setup
    await reloader.start(on_sighup=False)
    try:
        await asyncio.sleep(0.3)  # the watcher is set up in the background
        edit(faq, OLD, NEW)
        await serves_new(dialog)
    finally:
        await reloader.stop()


async def test_sighup_reloads(setup):
    dialog, reloader, faq = setup
    await reloader.start(watch=False)
    try:
        edit(faq, OLD, NEW)
        os.kill(os.getpid(), signal.SIGHUP)
        await serves_new(dialog)
    finally:
        await reloader.stop()
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)


def test_snapshots_hold_only_the_yaml_files(folders):
    faq, config = folders
    names = set(read_snapshot(faq, config).files)
    assert "faq/tests.yaml" in names and "config/bot.yaml" in names
    assert "config/.env.example" not in names


async def test_two_workers_on_two_machines_both_reload(folders, tmp_path: Path):
    """Two `serve` processes with their own copy of the files, sharing only Redis."""
    redis = RedisServer().start()
    api = TelegramStub(TOKEN)

    async with serving(api.app) as stub_url:
        api.url = stub_url
        workers, ports = [], []
        try:
            for name in ("a", "b"):
                faq = tmp_path / f"faq-{name}"
                shutil.copytree(TINY_FAQ, faq)
                ports.append(free_port())
                workers.append(await start_worker(faq, folders[1], ports[-1], redis.url, stub_url))
            edit(tmp_path / "faq-a", OLD, NEW)  # an admin edits the files on machine A only
            for index, port in enumerate(ports):
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                    await _wait_healthy(http)
                    chat = Chat(http, api)

                    async def answered_new(chat: Chat = chat, index: int = index) -> bool:
                        message = update("private_text")
                        message["update_id"] = 7_000_000 + index * 1000 + len(api.sent())
                        message["message"]["text"] = QUESTION
                        [sent] = await chat.send(message)
                        return NEW.split(" ")[-1].rstrip(".") in sent["text"]

                    for _ in range(60):
                        if await answered_new():
                            break
                        await asyncio.sleep(0.25)
                    else:
                        pytest.fail(f"worker {'ab'[index]} still serves the old FAQ")
        finally:
            for worker in workers:
                worker.terminate()
                await worker.wait()
            redis.stop()


async def start_worker(faq: Path, config: Path, port: int, redis_url: str, stub_url: str):
    environ = {
        **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "NO_PROXY")},
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": f"{stub_url}/bot",
        "USER_HASH_KEY": "a-long-random-test-key",
        "FAQ_DIR": str(faq),
        "CONFIG_DIR": str(config),
        "REDIS_URL": redis_url,
        "PORT": str(port),
    }
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "main.py", "serve", "--host", "127.0.0.1"),
        cwd=ROOT,
        env=environ,
        stderr=asyncio.subprocess.DEVNULL,
    )
