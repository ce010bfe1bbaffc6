"""Hot reload: new FAQ and config without a restart, all or nothing, in every worker.

A reload is asked for by a file change in faq/ or config/, by SIGHUP, or by an admin's
/reload. The new files are loaded and validated in full first (in a thread: a large FAQ takes
seconds to index); only then does the dialog swap to them, in one assignment. A broken edit is
rejected with the `faq check` messages, logged and sent to the admins, and the bot keeps
serving what it had. With Redis, a worker that reloaded publishes the files it loaded, and
every other worker (on any machine) loads that same content.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import signal
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.config import BotConfig, load_config
from bot.core import ConfigError, FaqError
from bot.embedding_cache import Semantic
from bot.faq import load_faq
from bot.knowledge import Knowledge

log = logging.getLogger(__name__)
WATCHED_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The exact files a worker serves: {"faq/als.yaml": text, "config/bot.yaml": text, ...}."""

    files: dict[str, str]

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + self.files[name].encode() + b"\0")
        return digest.hexdigest()[:12]


class ContentBus(Protocol):
    """Shares snapshots between workers (Redis pub/sub in production)."""

    async def publish(self, snapshot: Snapshot) -> None: ...

    def versions(self) -> AsyncIterator[str]: ...

    async def fetch(self, version: str) -> Snapshot | None: ...

    async def close(self) -> None: ...


class Swappable(Protocol):
    def swap(self, knowledge: Knowledge, config: BotConfig) -> None: ...


def read_snapshot(faq_dir: Path, config_dir: Path) -> Snapshot:
    files = {}
    for folder, prefix in ((faq_dir, "faq"), (config_dir, "config")):
        for path in sorted(folder.iterdir()):
            if path.suffix in WATCHED_SUFFIXES and path.is_file():
                files[f"{prefix}/{path.name}"] = path.read_text(encoding="utf-8")
    return Snapshot(files)


def load(
    faq_dir: Path, config_dir: Path, semantic: Semantic | None = None
) -> tuple[Knowledge, BotConfig]:
    """Everything a dialog needs, fully validated; raises FaqError or ConfigError."""
    config = load_config(config_dir)
    faq = load_faq(faq_dir, locales=config.locales)
    return Knowledge.build(faq, config.synonyms, semantic), config


def load_snapshot(
    snapshot: Snapshot, semantic: Semantic | None = None
) -> tuple[Knowledge, BotConfig]:
    with tempfile.TemporaryDirectory(prefix="faqbot-") as folder:
        root = Path(folder)
        for name, text in snapshot.files.items():
            path = root / name
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        (root / "faq").mkdir(exist_ok=True)
        (root / "config").mkdir(exist_ok=True)
        return load(root / "faq", root / "config", semantic)


class Reloader:
    def __init__(
        self,
        *,
        faq_dir: Path,
        config_dir: Path,
        dialog: Swappable,
        notify: Callable[[str], Awaitable[None]],
        bus: ContentBus | None = None,
        semantic: Semantic | None = None,
    ) -> None:
        self._faq_dir = faq_dir
        self._config_dir = config_dir
        self._dialog = dialog
        self._notify = notify  # tells the admins about a rejected edit
        self._bus = bus
        self._semantic = semantic
        self._lock = asyncio.Lock()  # one reload at a time; a burst of events is one reload
        self.version = read_snapshot(faq_dir, config_dir).version
        self._tasks: list[asyncio.Task[None]] = []

    async def reload(self, reason: str) -> str:
        """Reload from disk; returns what happened, in words an admin can act on."""
        async with self._lock:
            snapshot = read_snapshot(self._faq_dir, self._config_dir)
            if snapshot.version == self.version:
                return f"Nothing changed: still serving version {self.version}."
            try:
                knowledge, config = await asyncio.to_thread(
                    load, self._faq_dir, self._config_dir, self._semantic
                )
            except (FaqError, ConfigError) as error:
                return await self._rejected(error, reason)
            self._serve(snapshot, knowledge, config, reason)
        if self._bus is not None:
            await self._bus.publish(snapshot)
        entries = len(knowledge.faq)
        return f"Reloaded ({reason}): now serving version {self.version}, {entries} entries."

    async def apply(self, version: str) -> None:
        """Load what another worker published, unless it is what we already serve."""
        if self._bus is None or version == self.version:
            return
        snapshot = await self._bus.fetch(version)
        if snapshot is None:
            log.warning(
                "published content %s is no longer in Redis; keeping %s", version, self.version
            )
            return
        async with self._lock:
            try:
                knowledge, config = await asyncio.to_thread(load_snapshot, snapshot, self._semantic)
            except (FaqError, ConfigError) as error:
                log.error("published content %s does not load here: %s", version, error)
                return
            self._serve(snapshot, knowledge, config, "published by another worker")

    def _serve(
        self, snapshot: Snapshot, knowledge: Knowledge, config: BotConfig, reason: str
    ) -> None:
        self._dialog.swap(knowledge, config)
        self.version = snapshot.version
        log.info("reloaded (%s): version %s, FAQ %s", reason, self.version, knowledge.version)

    async def _rejected(self, error: FaqError | ConfigError, reason: str) -> str:
        problems = [str(p) for p in error.problems] if isinstance(error, FaqError) else [str(error)]
        message = (
            f"Reload ({reason}) rejected; still serving version {self.version}.\n"
            + "\n".join(problems[:10])
        )
        log.error("%s", message)
        await self._notify(message)
        return message

    # --- what asks for a reload ---

    async def start(self, *, on_sighup: bool = True, watch: bool = True) -> None:
        """Watch faq/ and config/, reload on SIGHUP, and listen for other workers' reloads."""
        if on_sighup:
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, self._on_sighup)
        if watch:
            self._tasks.append(asyncio.create_task(self._watch(), name="watch FAQ files"))
        if self._bus is not None:
            self._tasks.append(asyncio.create_task(self._listen(), name="listen for reloads"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def _on_sighup(self) -> None:
        task = asyncio.create_task(self.reload("SIGHUP"), name="reload on SIGHUP")
        self._tasks.append(task)

    async def _watch(self) -> None:
        from watchfiles import awatch

        def yaml_only(_: object, path: str) -> bool:
            return path.endswith(WATCHED_SUFFIXES)

        async for _ in awatch(self._faq_dir, self._config_dir, watch_filter=yaml_only):
            try:
                await self.reload("file change")
            except Exception:
                log.exception("reloading after a file change failed")

    async def _listen(self) -> None:
        assert self._bus is not None
        while True:
            try:
                async for version in self._bus.versions():
                    await self.apply(version)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Redis away: try again shortly, the bot goes on
                log.warning("listening for reloads failed (%s); retrying in 5 s", error)
                await asyncio.sleep(5)
