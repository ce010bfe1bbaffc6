"""The admins' commands: faq check / export / import / eval / misses / stats, config check.

Each takes the settings and the parsed arguments, prints its result and returns the exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from bot.config import BotConfig, load_config
from bot.core import ConfigError, FaqError, Problem
from bot.evaluate import evaluate, format_report, read_queries
from bot.faq import check_faq, load_faq
from bot.faq_lint import lint_faq
from bot.faq_transfer import export_faq, import_faq
from bot.faq_writer import write_topics
from bot.journal import MissGroup, Usage, group_misses
from bot.knowledge import Knowledge
from bot.reports import misses_json, misses_text, parse_since, stats_json, stats_text
from bot.semantic_setup import build_semantic
from bot.settings import Settings
from bot.storage import Storage, build_storage


def run_faq_check(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)
    return print_check(Path(args.dir), config, selftest=args.selftest)


def print_check(path: Path, config: BotConfig, *, selftest: bool = True) -> int:
    """Every problem with its file and line, then a summary; 1 when there are errors."""
    faq, problems = check_faq(path, locales=config.locales)
    if faq is not None:  # lint only a FAQ without errors: it is what the bot would serve
        matcher = Knowledge.build(faq, config.synonyms).matcher if selftest else None
        footer = config.messages.get("not_a_diagnosis")
        problems += lint_faq(faq, locales=config.locales, footer=footer, matcher=matcher)
    for problem in problems:
        print(problem)
    errors = sum(problem.severity == "error" for problem in problems)
    warnings = len(problems) - errors
    summary = f"{len(faq)} entries in {len(faq.topics)} topics" if faq else "FAQ not loaded"
    print(f"{summary}: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def run_faq_export(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)
    folder = Path(args.dir)
    if not folder.is_dir():
        raise FaqError([Problem(str(folder), 0, "", "not a folder of topic files")])
    faq = load_faq(folder, locales=config.locales)  # a FAQ with errors is not exported
    export_faq(faq, Path(args.to), force=args.force)
    print(f"Wrote {len(faq.all_entries)} entries in {len(faq.topics)} topics to {args.to}")
    return 0


def run_faq_import(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)
    source, folder = Path(args.file), Path(args.out)
    imported = import_faq(source, locales=config.locales)
    for problem in imported.errors:
        print(problem)
    if imported.errors:
        print(f"{source}: {len(imported.errors)} error(s); nothing written")
        return 1
    written = write_topics(
        folder, imported.topics, imported.entries, source=source.name, force=args.force
    )
    print(f"Wrote {len(imported.entries)} entries in {len(written)} topic files to {folder}")
    return print_check(folder, config, selftest=args.selftest)


def run_faq_eval(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)
    faq = load_faq(Path(args.faq), locales=config.locales)
    # The stage the bot would run with these settings (MATCHER_SEMANTIC, installed extras).
    semantic = build_semantic(settings)
    knowledge = Knowledge.build(faq, config.synonyms, semantic)
    report = evaluate(knowledge, read_queries(Path(args.queries)), config.thresholds)
    matcher = f"semantic:{semantic.embedder.model_id}" if semantic else "lexical"
    print(f"matcher: {matcher}")
    print(format_report(report))
    if args.json:
        print(json.dumps({**report.as_dict(), "matcher": matcher}))
    return 0


def run_config_check(settings: Settings, args: argparse.Namespace) -> int:
    config = load_config(settings.config_dir)  # raises ConfigError naming file and line
    safety = config.safety
    assert safety is not None
    numbers = ", ".join(f"{locale} {number}" for locale, number in safety.emergency_numbers.items())
    print(f"{settings.config_dir}: OK")
    print(f"  languages: {', '.join(config.locales)} (default {config.default_locale})")
    print(f"  thresholds: {config.thresholds}")
    print(f"  red-flag categories: {', '.join(safety.advice)}; emergency numbers: {numbers}")
    print(f"  crisis lines: {', '.join(line.url for line in safety.crisis_lines)}")
    return 0


def run_faq_misses(settings: Settings, args: argparse.Namespace) -> int:
    since = parse_since(args.since, time.time())

    async def read() -> list[MissGroup]:
        storage = _admin_storage(settings)
        try:
            return group_misses(await storage.journal.misses(since))
        finally:
            await storage.close()

    groups = asyncio.run(read())
    print(json.dumps(misses_json(groups), ensure_ascii=False) if args.json else misses_text(groups))
    return 0


def run_faq_stats(settings: Settings, args: argparse.Namespace) -> int:
    async def read() -> tuple[Usage, dict[str, tuple[int, int]]]:
        storage = _admin_storage(settings)
        try:
            return await storage.journal.usage(args.days), await storage.journal.feedback()
        finally:
            await storage.close()

    usage, feedback = asyncio.run(read())
    if args.json:
        print(json.dumps(stats_json(usage, feedback), ensure_ascii=False))
    else:
        print(stats_text(usage, feedback))
    return 0


def _admin_storage(settings: Settings) -> Storage:
    if not settings.redis_url:
        raise ConfigError(
            "REDIS_URL is not set: without Redis the bot keeps unanswered questions and "
            "statistics only in the memory of the running process"
        )
    return build_storage(settings, load_config(settings.config_dir))
