"""YAML with line numbers: values plus where each key stands in the file; no file I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """The C loader (many times faster), with YAML timestamps left as text: `dates` reads every
    date form itself, so an impossible date such as 2023-02-30 is an error with its line."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


class YamlError(ValueError):
    """A YAML syntax error at a file line (1-based)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """A parsed YAML document: `data` and the node tree that knows the lines.

    `first_line` is the file line of the document's first line (front matter starts at 2)."""

    data: Any
    root: yaml.Node | None
    first_line: int
    repeats: tuple[tuple[str, int], ...] = ()

    def line(self, *path: str | int) -> int:
        """File line of the key (or sequence item) at `path`; the nearest known line if absent."""
        node = self.root
        line = self.first_line
        for step in path:
            if node is None:
                break
            line = node.start_mark.line + self.first_line
            node, found = _child(node, step)
            if found is not None:
                line = found + self.first_line
        return line

    def duplicate_keys(self) -> list[tuple[str, int]]:
        """Keys written twice in one mapping at any depth (YAML keeps the last silently):
        (key, file line of the repeat), in file order."""
        return list(self.repeats)


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node | None, int | None]:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if str(key_node.value) == str(step):
                return value_node, key_node.start_mark.line
    elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        item = node.value[step]
        return item, item.start_mark.line
    return None, None


def _repeated_keys(root: yaml.Node | None) -> list[tuple[str, int]]:
    """Keys repeated inside any one mapping of the composed tree (0-based lines).

    Read before construction: constructing a mapping splices `<<` merge keys into the node,
    and a key that overrides a merged one is not a repeat."""
    repeats: list[tuple[str, int]] = []
    seen_nodes: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:  # an alias points at a node already walked
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[tuple[str, str]] = set()
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    key = (key_node.tag, str(key_node.value))
                    if key in keys:
                        repeats.append((str(key_node.value), key_node.start_mark.line))
                    keys.add(key)
                stack.append(value_node)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(repeats, key=lambda r: r[1])


def load_yaml(text: str, first_line: int = 1) -> YamlDoc:
    """Parse one YAML document with the C loader; syntax errors become `YamlError` with a line."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        repeats = _repeated_keys(root)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line if mark else 0) + first_line
        problem = exc.problem or exc.context or "cú pháp sai"
        raise YamlError(line, f"YAML không hợp lệ: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlError(first_line, f"YAML không hợp lệ: {exc}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise YamlError(first_line, f"YAML không đọc được: {exc}") from None
    finally:
        loader.dispose()
    shifted = tuple((key, line + first_line) for key, line in repeats)
    return YamlDoc(data=data, root=root, first_line=first_line, repeats=shifted)
