"""Coverage-guided fuzzing with atheris, on demand (not part of the pytest run).

    .venv/bin/pip install atheris
    .venv/bin/python tests/atheris_fuzz.py line -atheris_runs=200000
    .venv/bin/python tests/atheris_fuzz.py faq -atheris_runs=50000

`line`: signed bytes into the LINE adapter's parse (line-bot-sdk's parser and our event
conversion): it may refuse with WebhookRejected, nothing else. `faq`: bytes as a FAQ file next
to the tiny FAQ's other file: it loads or raises FaqError, nothing else. The Telegram adapter is
fuzzed end to end by tests/test_fuzz_webhooks.py (it needs the Bot API stub for its bot's
identity). Seeds are the recorded payloads and files.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

import atheris

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

with atheris.instrument_imports():
    import bot.faq_rules
    import bot.yamlsource  # noqa: F401
    from bot.adapters.line import LineWebhook
    from bot.core import FaqError, WebhookRejected
    from bot.faq import load_faq

from tests.test_line import SECRET, TOKEN, sign  # noqa: E402

DATA = ROOT / "tests" / "data"


def fuzz_line() -> None:
    webhook = LineWebhook(channel_secret=SECRET, access_token=TOKEN)

    def one(data: bytes) -> None:
        with contextlib.suppress(WebhookRejected):
            webhook.parse({"x-line-signature": sign(data)}, data)

    run(one, sorted((DATA / "line").glob("*.json")))


def fuzz_faq() -> None:
    folder = Path(tempfile.mkdtemp())
    target = folder / "tests.yaml"
    (folder / "twitching.yaml").write_bytes((DATA / "faq" / "twitching.yaml").read_bytes())

    def one(data: bytes) -> None:
        target.write_bytes(data)
        try:
            load_faq(folder)
        except FaqError as error:
            assert all(Path(problem.file).parent == folder for problem in error.problems)

    run(one, sorted((DATA / "faq").glob("*.yaml")))


def run(one, seeds: list[Path]) -> None:  # type: ignore[no-untyped-def]
    corpus = Path(tempfile.mkdtemp())
    for seed in seeds:
        (corpus / seed.name).write_bytes(seed.read_bytes())
    atheris.Setup([sys.argv[0], *sys.argv[2:], str(corpus)], one)
    atheris.Fuzz()


if __name__ == "__main__":
    targets = {"line": fuzz_line, "faq": fuzz_faq}
    if len(sys.argv) < 2 or sys.argv[1] not in targets:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(targets)}}} [-atheris_runs=N]")
    targets[sys.argv[1]]()
