"""Personal data out of anything we keep: redaction of identifiers people type into chats."""

from __future__ import annotations

import re

# Order matters: e-mails first (they contain digits and dots), then Taiwan identity numbers,
# then long digit runs. Dates such as 2020/10/07 have 8 digits and do not start with 0 or +,
# so they survive, and so do ages, durations and doses.
_PATTERNS = (
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    # National ID (A123456789) and the resident certificate formats (A800000000, AB12345678).
    ("[id]", re.compile(r"(?<![A-Za-z0-9])[A-Za-z][12ABCDabcd89]\d{8}(?!\d)")),
    # NHI card numbers: 12 digits, often written in groups of four.
    ("[nhi]", re.compile(r"(?<!\d)\d{4}[ -]?\d{4}[ -]?\d{4}(?!\d)")),
    # Phone numbers: international (+886 …) or domestic (0…) with 8-12 more digits.
    (
        "[phone]",
        re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s-]?|\(?0)(?:\(?\d{1,4}\)?[\s.-]?){2,5}\d{2,4}(?!\d)"),
    ),
)


def redact(text: str) -> str:
    for label, pattern in _PATTERNS:
        text = pattern.sub(lambda match, label=label: _keep_if_short(match.group(), label), text)
    return text


def _keep_if_short(found: str, label: str) -> str:
    if label != "[phone]":
        return label
    digits = sum(char.isdigit() for char in found)
    return label if 8 <= digits <= 15 else found
