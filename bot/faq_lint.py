"""What a valid FAQ can still get wrong, as warnings for `faq check`.

- near-duplicate questions in different entries: the matcher cannot tell them apart;
- the matcher self-test: each question and alternate, asked as it is written, should find its
  own entry first;
- a question, answer or link title written as per-language texts that lacks a configured
  language (a plain string serves every language, so it never lacks one);
- an answer longer than one Telegram or LINE message: the bot splits it, admins should know.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple, Protocol

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from bot.core import Problem
from bot.faq import Entry, Faq, LocalText
from bot.matcher import Match
from bot.replies import SYMPTOM_TAG
from bot.text import comparable

# Similarity (0-100) from which two texts count as the same question: the higher of rapidfuzz's
# ratio (edits) and token_sort_ratio (word order), on texts normalised by `comparable` (Chinese
# split into characters). The closest *different* questions of the shipped FAQ score 83-85
# ("How is myasthenia gravis diagnosed?" / "... treated?" 84.8, "肌肉抽筋是什麼原因造成的" /
# "肌肉跳動通常是什麼原因造成的" 84.0); a typo, a filler word or another word order scores
# 90-100 ("Why do I get leg cramps at night?" / "Why do I get cramps at night?" 93, "抽筋是漸凍
# 症嗎" / "抽筋會是漸凍症嗎" 93, "肌肉一直跳" / "肌肉一直跳動" 90). Not lower: at 88 short
# questions about different things start to match ("Is ALS hereditary?" / "Is SMA hereditary?"
# 88.2); what really confuses the matcher is left to the self-test. token_set_ratio is not used:
# it gives 100 whenever one text's words are a subset of the other's, e.g. the alternate "手抖"
# against every question on tremor.
NEAR_DUPLICATE = 90
# Both platforms count UTF-16 code units (an emoji counts 2). Telegram: 4096 per message after
# entities are parsed, so the bold markup of the title does not count; LINE: 5000 per text.
MESSAGE_LIMITS = (("Telegram", 4096), ("LINE", 5000))
SELF_TEST_DEPTH = 5


class Searcher(Protocol):
    """The matcher's interface, all the self-test needs."""

    def search(self, query: str, *, context: str | None = None, limit: int = 5) -> list[Match]: ...


def lint_faq(
    faq: Faq,
    *,
    locales: tuple[str, ...],
    footer: LocalText | None = None,
    matcher: Searcher | None = None,
) -> list[Problem]:
    """Every finding, by file and line. `footer` is the "not a diagnosis" line under symptoms."""
    pairs = _near_duplicate_pairs(faq, NEAR_DUPLICATE)
    problems = [_near_duplicate(*found) for found in pairs.values()]
    problems += missing_locales(faq, locales) + long_answers(faq, locales, footer)
    if matcher is not None:
        # Near-duplicates confuse a good matcher too; that pair is already named once.
        problems += matcher_self_test(faq, matcher, known=set(pairs))
    return sorted(problems, key=lambda problem: (problem.file, problem.line))


def _warn(entry: Entry, field: str, message: str) -> Problem:
    line = entry.line_of(field.split(".")[0].split("[")[0])
    return Problem(entry.file, line, field, message, severity="warning")


def _where(entry: Entry) -> str:
    return f"{entry.id!r} ({entry.file}:{entry.line})"


class _Text(NamedTuple):
    entry: Entry
    field: str  # "question" or "alternates"
    text: str
    normal: str


def near_duplicates(faq: Faq, threshold: float = NEAR_DUPLICATE) -> list[Problem]:
    """Questions of different entries, or an alternate and another entry's question, that
    differ too little; each pair of entries once, with its closest texts."""
    return [_near_duplicate(*found) for found in _near_duplicate_pairs(faq, threshold).values()]


def _near_duplicate_pairs(
    faq: Faq, threshold: float
) -> dict[frozenset[str], tuple[float, _Text, _Text]]:
    queries = [_Text(e, f, t, normal) for e, f, t in _queries(faq) if (normal := comparable(t))]
    choices = [query for query in queries if query.field == "question"]
    if not choices:
        return {}
    texts, targets = [query.normal for query in queries], [choice.normal for choice in choices]
    scores = np.maximum(
        cdist(texts, targets, scorer=fuzz.ratio, score_cutoff=threshold),
        cdist(texts, targets, scorer=fuzz.token_sort_ratio, score_cutoff=threshold),
    )
    order = {entry.id: index for index, entry in enumerate(faq)}
    best: dict[frozenset[str], tuple[float, _Text, _Text]] = {}
    for row, column in zip(*scores.nonzero(), strict=True):
        one, other = queries[row], choices[column]
        pair, score = frozenset((one.entry.id, other.entry.id)), float(scores[row, column])
        if len(pair) == 2 and score > best.get(pair, (0.0,))[0]:
            if one.field == "question" and order[one.entry.id] < order[other.entry.id]:
                one, other = other, one  # on the later entry, as faq check does for equal ones
            best[pair] = (score, one, other)
    return best


def _near_duplicate(score: float, one: _Text, other: _Text) -> Problem:
    message = (
        f"near-duplicate of {_where(other.entry)}: {one.text!r} ~ {other.text!r} "
        f"({score:.0f}%); the bot may ask which one was meant instead of answering"
    )
    return _warn(one.entry, one.field, message)


def matcher_self_test(
    faq: Faq,
    matcher: Searcher,
    depth: int = SELF_TEST_DEPTH,
    known: set[frozenset[str]] | None = None,
) -> list[Problem]:
    """Each question and alternate, asked as written, should rank its own entry above the
    others; a tie counts too, since the bot then cannot tell the entries apart. Pairs of
    entry ids in `known` are not reported again."""
    problems: list[Problem] = []
    reported: set[tuple[frozenset[str], str]] = set()
    for entry, field, text in _queries(faq):
        matches = matcher.search(text, limit=depth)
        own = next((match.score for match in matches if match.entry_id == entry.id), None)
        rival = next((match for match in matches if match.entry_id != entry.id), None)
        if rival is None or (own is not None and own > rival.score):
            continue
        pair = frozenset((entry.id, rival.entry_id))
        if pair in (known or set()) or (pair, comparable(text)) in reported:
            continue  # the same text in two entries: one warning, not one per entry
        reported.add((pair, comparable(text)))
        if own == rival.score:
            found = f"ties with {rival.entry_id!r} (both {own:.2f}): the bot cannot tell them apart"
        else:
            mine = (
                f"this entry {own:.2f}" if own is not None else f"this entry not in the top {depth}"
            )
            found = f"finds {rival.entry_id!r} first ({rival.score:.2f}; {mine})"
        problems.append(_warn(entry, field, f"matcher self-test: {text!r} {found}"))
    return problems


def _queries(faq: Faq) -> Iterator[tuple[Entry, str, str]]:
    for entry in faq:
        for text in dict.fromkeys(entry.question.texts):
            yield entry, "question", text
        for text in entry.alternates:
            yield entry, "alternates", text


def missing_locales(faq: Faq, locales: tuple[str, ...]) -> list[Problem]:
    problems = []
    for entry in faq:
        texts = [("question", entry.question), ("answer", entry.answer)]
        texts += [(f"links[{i}].title", link.title) for i, link in enumerate(entry.links)]
        for field, text in texts:
            if "*" in text.locales:  # a plain string: the same text for every language
                continue
            missing = [locale for locale in locales if locale not in text.locales]
            if missing:
                message = f"no {', '.join(missing)} text: shown in {text.locales[0]} instead"
                problems.append(_warn(entry, field, message))
    return problems


def long_answers(faq: Faq, locales: tuple[str, ...], footer: LocalText | None) -> list[Problem]:
    """Answers that need more than one message, measured as the bot sends them: the question
    as title, a blank line, the answer and, under symptoms, the "not a diagnosis" line."""
    problems = []
    for entry in faq:
        added = footer if footer is not None and SYMPTOM_TAG in entry.tags else None
        parts = "title, answer and 'not a diagnosis' line" if added else "title and answer"
        seen: set[str] = set()
        for locale in locales:
            body = f"{entry.question.get(locale)}\n\n{entry.answer.get(locale)}"
            if added is not None:
                body += f"\n\n{added.get(locale)}"
            size = len(body.encode("utf-16-le")) // 2
            over = [f"{name}'s {limit}" for name, limit in MESSAGE_LIMITS if size > limit]
            if not over or body in seen:  # a plain answer: one warning per distinct message
                continue
            seen.add(body)
            shared = locale not in entry.answer.locales
            field, lead = ("answer", f"in {locale}: ") if shared else (f"answer.{locale}", "")
            message = (
                f"{lead}{size} characters with its {parts}, over {' and '.join(over)} per "
                "message: the bot sends it in parts"
            )
            problems.append(_warn(entry, field, message))
    return problems
