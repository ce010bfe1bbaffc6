"""Hypothesis settings and strategies shared by the fuzz tests.

FUZZ_EXAMPLES sets how many examples each fuzz test tries: CI uses the default; a longer run is
`FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/test_fuzz_*.py --hypothesis-show-statistics`.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

CI_EXAMPLES = 150


def fuzz_settings() -> settings:
    return settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES", CI_EXAMPLES)),
        deadline=None,  # a loopback round trip; timing is bench/'s business
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64),
    st.floats(allow_nan=False),
    st.text(max_size=50),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    """`document` with one to three of its nodes replaced, removed or given a new type."""
    import copy

    result = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        paths = [path for path in _paths(result) if path]
        if not paths:
            return draw(json_values)
        path = draw(st.sampled_from(paths))
        parent = result
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return result


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with a few bytes flipped, cut or inserted: broken JSON, bad UTF-8."""
    body = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip" and at < len(body):
            body[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del body[at : at + draw(st.integers(1, 20))]
        else:
            body[at:at] = draw(st.binary(min_size=1, max_size=8))
    return bytes(body)
