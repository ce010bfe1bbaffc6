"""The command line, run as a user would run it."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA, ROOT, TINY_FAQ


def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def chat(*lines: str, faq: Path = TINY_FAQ) -> list[dict]:
    result = run("chat", "--faq", str(faq), "--json", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_scripted_chat_answers_suggests_falls_back_in_both_languages():
    answer, chinese, fallback, topics, listing, picked = chat(
        "Is muscle twitching a sign of ALS?",
        "肌肉跳動是漸凍症的徵兆嗎？",
        "zzqx wvut",
        "/topics",
        "1",
        "2",
    )
    assert answer["kind"] == "answer"
    assert answer["entry_id"] == "twitching-als"
    assert answer["related"] == ["twitching-causes", "emg-what"]
    assert answer["links"] == ["https://clinic.example.tw/booking/neuromuscular"]
    assert chinese["entry_id"] == "twitching-als"
    assert chinese["locale"] == "zh-TW" and "漸凍症" in chinese["text"]
    assert fallback["kind"] == "fallback"
    assert any(url.startswith("tel:") for url in fallback["links"])
    assert topics["suggestions"] == ["t:tests", "t:twitching"]
    assert listing["suggestions"] == ["emg-what", "emg-pain"]
    assert picked["entry_id"] == "emg-pain"


def test_typing_a_letter_taps_a_button():
    answer, tapped = chat("Is muscle twitching a sign of ALS?", "b")
    assert answer["related"][1] == "emg-what"
    assert tapped["entry_id"] == "emg-what"


def test_text_mode_prints_one_reply_per_message():
    result = run("chat", "--faq", str(TINY_FAQ), stdin="what is an EMG test\n\nthanks\n")
    assert result.returncode == 0
    assert "** What is an EMG test? **" in result.stdout
    assert "You're welcome" in result.stdout


def test_no_subcommand_and_no_tokens_opens_the_local_chat():
    result = run(stdin="hello\n", env={"FAQ_DIR": str(TINY_FAQ)})
    assert result.returncode == 0, result.stderr
    assert "Hello!" in result.stdout


def test_faq_check_passes_on_good_files_and_fails_with_file_and_line():
    good = run("faq", "check", str(TINY_FAQ))
    assert good.returncode == 0
    assert "4 entries in 2 topics: 0 error(s)" in good.stdout
    bad = run("faq", "check", str(DATA / "faq_broken"))
    assert bad.returncode == 1
    assert "unknown_field.yaml:5: error: entries[0].anwser" in bad.stdout


def test_chat_refuses_a_broken_faq_with_its_location():
    result = run("chat", "--faq", str(DATA / "faq_broken"), stdin="hi\n")
    assert result.returncode == 1
    assert "yaml_syntax.yaml:4" in result.stderr


def test_faq_eval_prints_a_table_and_json(tmp_path: Path):
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        '{"query": "what is an EMG test", "expected_id": "emg-what"}\n'
        '{"query": "does an EMG hurt", "expected_id": "emg-pain", "note": "ignored"}\n'
        '{"query": "what is the capital of France", "expected_id": null}\n'
    )
    result = run("faq", "eval", "--faq", str(TINY_FAQ), "--queries", str(queries), "--json")
    assert result.returncode == 0, result.stderr
    assert "top-1" in result.stdout
    figures = json.loads(result.stdout.splitlines()[-1])
    assert figures["n"] == 3
    assert figures["top1"] == 1.0
    assert {
        "recall_at_3",
        "mrr_at_5",
        "answer_rate",
        "answer_precision",
        "p50_ms",
        "p99_ms",
    } <= figures.keys()


def test_faq_eval_measures_the_stage_the_bot_would_run(tmp_path: Path):
    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"query": "does an EMG hurt", "expected_id": "emg-pain"}\n')
    command = ("faq", "eval", "--faq", str(TINY_FAQ), "--queries", str(queries), "--json")
    lexical = run(*command, env={"MATCHER_SEMANTIC": "off"})
    assert json.loads(lexical.stdout.splitlines()[-1])["matcher"] == "lexical"
    semantic = run(*command, env={"MATCHER_SEMANTIC": "use"})  # the test extra installs it
    assert semantic.returncode == 0, semantic.stderr
    assert json.loads(semantic.stdout.splitlines()[-1])["matcher"].startswith("semantic:")


def test_faq_eval_reads_a_jsonl_corpus(tmp_path: Path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        '{"id": "a", "question": "why do my legs cramp at night"}\n'
        '{"id": "b", "question": "is an EMG painful"}\n'
    )
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"query": "night leg cramps why", "expected_id": "a"}\n')
    result = run("faq", "eval", "--faq", str(corpus), "--queries", str(queries), "--json")
    assert json.loads(result.stdout.splitlines()[-1])["top1"] == 1.0


def test_faq_export_then_import_round_trips_the_shipped_faq(tmp_path: Path):
    sheet = tmp_path / "faq.csv"
    exported = run("faq", "export", "faq", "--to", str(sheet))
    assert exported.returncode == 0, exported.stderr
    assert f"Wrote 51 entries in 11 topics to {sheet}" in exported.stdout
    folder = tmp_path / "faq"
    # Without the self-test: its findings depend on the matcher, not on the import.
    imported = run("faq", "import", str(sheet), "--out", str(folder), "--no-selftest")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert f"Wrote 51 entries in 11 topic files to {folder}" in imported.stdout
    assert "51 entries in 11 topics: 0 error(s), 0 warning(s)" in imported.stdout
    again = run("faq", "import", str(sheet), "--out", str(folder))
    assert again.returncode == 1
    assert f"{folder / 'als.yaml'}: error: already exists (use --force" in again.stderr
    assert run("faq", "import", str(sheet), "--out", str(folder), "--force").returncode == 0


def test_faq_import_with_errors_names_the_row_and_writes_nothing(tmp_path: Path):
    sheet = tmp_path / "faq.csv"
    sheet.write_text("id,language,topic,topic_title,question,answer\na,en,t,T,Why?,\n")
    result = run("faq", "import", str(sheet), "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert f"{sheet}:2: error: missing required field 'answer'" in result.stdout
    assert f"{sheet}: 1 error(s); nothing written" in result.stdout
    assert not (tmp_path / "out").exists()


def test_faq_export_refuses_a_faq_with_errors(tmp_path: Path):
    result = run("faq", "export", str(DATA / "faq_broken"), "--to", str(tmp_path / "faq.csv"))
    assert result.returncode == 1
    assert "unknown_field.yaml:5: error:" in result.stderr
    assert not (tmp_path / "faq.csv").exists()


def test_faq_check_lints_a_valid_faq_with_warnings_only():
    lint = DATA / "faq_lint"
    result = run("faq", "check", str(lint))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        f"{lint}/cramps.yaml:16: warning: question: near-duplicate of 'cramps-night'"
        in result.stdout
    )
    assert "matcher self-test: 'numb hands at night'" in result.stdout
    assert f"{lint}/hands.yaml:25: warning: question: no zh-TW text" in result.stdout
    assert f"{lint}/long.yaml:10: warning: answer.en: 4397 characters" in result.stdout
    assert "6 entries in 3 topics: 0 error(s), 4 warning(s)" in result.stdout
    quick = run("faq", "check", str(lint), "--no-selftest")
    assert "self-test" not in quick.stdout
    assert "0 error(s), 3 warning(s)" in quick.stdout


def test_faq_check_does_not_lint_a_faq_with_errors():
    result = run("faq", "check", str(DATA / "faq_broken"))
    assert result.returncode == 1
    assert "warning: question: near-duplicate" not in result.stdout
    assert "matcher self-test" not in result.stdout


def test_a_handoff_can_be_tried_in_the_console_chat():
    process = subprocess.Popen(
        [sys.executable, "main.py", "chat", "--faq", str(TINY_FAQ), "--json"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "HANDOFF_CHAT": "console:staff"},
    )

    def say(line: str, lines: int = 1) -> list[dict]:
        assert process.stdin and process.stdout
        process.stdin.write(line + "\n")
        process.stdin.flush()
        return [json.loads(process.stdout.readline()) for _ in range(lines)]

    try:
        say("what is an EMG test")
        ticket_line, handoff = say("/human", lines=2)
        assert ticket_line["to"] == "chat:staff" and "what is an EMG test" in ticket_line["text"]
        assert handoff["kind"] == "handoff"
        ticket = ticket_line["text"].split("#")[1][:4]
        relayed, ack = say(f"!staff #{ticket} We will call you today.", lines=2)
        assert relayed["to"] == "user:local"
        assert relayed["text"].endswith("We will call you today.")
        assert ticket in ack["text"]
    finally:
        assert process.stdin
        process.stdin.close()
        process.wait(timeout=20)


def test_start_up_names_the_active_matching_stage():
    semantic = run("chat", "--faq", str(TINY_FAQ), stdin="what is an EMG test\n")
    assert "semantic re-rank by use-multilingual-v3" in semantic.stderr
    assert "** What is an EMG test? **" in semantic.stdout
    lexical = run(
        "chat",
        "--faq",
        str(TINY_FAQ),
        stdin="what is an EMG test\n",
        env={"MATCHER_SEMANTIC": "off"},
    )
    assert "matcher: lexical only (semantic stage off)" in lexical.stderr
    assert "** What is an EMG test? **" in lexical.stdout


def test_an_unknown_semantic_choice_stops_start_up_with_its_name():
    result = run("chat", stdin="hi\n", env={"MATCHER_SEMANTIC": "bert"})
    assert result.returncode == 2
    assert "MATCHER_SEMANTIC" in result.stderr
