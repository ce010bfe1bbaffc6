"""Fuzzing the FAQ loader: random and mutated YAML files either load or raise FaqError whose
problems name the file and a line in it; nothing else may escape (see tests/fuzzing.py for
FUZZ_EXAMPLES)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core import FaqError
from bot.faq import load_faq
from tests.conftest import TINY_FAQ
from tests.fuzzing import fuzz_settings, mutated_bytes

RECORDED = {path.name: path.read_bytes() for path in sorted(TINY_FAQ.glob("*.yaml"))}
YAML_BITS = st.sampled_from(
    ["\n", "  ", "- ", ": ", "{", "}", "[", "]", "'", '"', "&a ", "*a", "!!python/object ", "|",
     ">", "#", "---\n", "...\n", "? ", "%YAML 1.1\n", "\t", "id: ", "en: ", "zh-TW: ", "\x00"]
)  # fmt: skip


@st.composite
def line_edits(draw: st.DrawFn, data: bytes) -> bytes:
    """Whole-line edits an admin might make by mistake: lost, doubled, re-indented lines."""
    lines = data.decode().splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "double", "indent", "dedent", "insert"]))
        if action == "drop":
            del lines[at]
        elif action == "double":
            lines.insert(at, lines[at])
        elif action == "indent":
            lines[at] = "  " + lines[at]
        elif action == "dedent":
            lines[at] = lines[at].lstrip(" ")
        else:
            lines.insert(at, "".join(draw(st.lists(YAML_BITS | st.text(max_size=8)))) + "\n")
        if not lines:
            break
    return "".join(lines).encode()


recorded_names = st.sampled_from(sorted(RECORDED))
yaml_files = st.one_of(
    st.binary(max_size=400),
    st.lists(YAML_BITS | st.text(max_size=10), max_size=40).map(lambda p: "".join(p).encode()),
    recorded_names.map(RECORDED.get).flatmap(mutated_bytes),
    recorded_names.map(RECORDED.get).flatmap(line_edits),
)


def check_loads_or_names_file_and_line(name: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / name
        target.write_bytes(data)
        for other, text in RECORDED.items():
            if other != name:
                (Path(folder) / other).write_bytes(text)
        try:
            faq = load_faq(Path(folder))
        except FaqError as error:
            for problem in error.problems:
                assert Path(problem.file).parent == Path(folder), problem
                lines = Path(problem.file).read_bytes().count(b"\n") + 1
                assert 0 <= problem.line <= lines + 1, problem
                # Line 0 only where no line could be meant: undecodable bytes, an empty folder.
                assert problem.line > 0 or "UTF-8" in problem.message, problem
            return
    assert len(faq) >= 1


@fuzz_settings()
@given(name=recorded_names, data=yaml_files)
def test_any_faq_file_loads_or_fails_with_file_and_line(name: str, data: bytes):
    check_loads_or_names_file_and_line(name, data)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_the_recorded_files_load_unchanged(name: str):
    check_loads_or_names_file_and_line(name, RECORDED[name])
