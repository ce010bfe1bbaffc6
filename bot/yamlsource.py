"""YAML that remembers where each value came from, so errors can name a line.

PyYAML's composed node tree carries marks; we build the plain Python value with the safe
constructor and, beside it, a map from each value's path (keys and list indexes) to its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class YamlSyntaxError(Exception):
    def __init__(self, line: int, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


@dataclass(slots=True)
class YamlDoc:
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[Path, int]] = field(default_factory=list)

    def line(self, path: Path) -> int:
        """The line of `path`, or of its nearest ancestor that has one (1 for the document)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def load_yaml(text: str) -> YamlDoc:
    try:
        # The reader refuses control characters (a stray NUL) as soon as it is built.
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as error:
        raise YamlSyntaxError(text.count("\n", 0, error.position) + 1, error.reason) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        # "found unexpected end of stream" points past the end; where the unclosed thing
        # started is what the admin needs to see.
        if error.context_mark and "end of stream" in (error.problem or ""):
            mark = error.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(line, _describe(error)) from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(1, str(error)) from None
    finally:
        loader.dispose()
    doc = YamlDoc(data)
    if node is not None:
        _index(node, (), doc)
    return doc


def _describe(error: yaml.MarkedYAMLError) -> str:
    parts = [part for part in (error.context, error.problem) if part]
    return ", ".join(parts) or "invalid YAML"


def _index(node: yaml.Node, path: Path, doc: YamlDoc) -> None:
    doc.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = (*path, key)
            if key in seen:
                doc.duplicate_keys.append((child, key_node.start_mark.line + 1))
            seen.add(key)
            _index(value_node, child, doc)
            # A key's own line reads better in messages than the line its value starts on
            # (block scalars and lists start on the next line).
            doc.lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*path, index), doc)
