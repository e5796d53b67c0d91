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
        line, message = _explain(text, exc)
        raise YamlError(line + first_line, f"YAML không hợp lệ: {message}") from None
    except yaml.YAMLError:
        raise YamlError(first_line, f"YAML không hợp lệ: {_UNKNOWN}") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise YamlError(first_line, f"YAML không đọc được: {exc}") from None
    finally:
        loader.dispose()
    shifted = tuple((key, line + first_line) for key, line in repeats)
    return YamlDoc(data=data, root=root, first_line=first_line, repeats=shifted)


# Characters that look like a space (or like nothing) but that YAML does not take for one: after
# `key:` a no-break space glues the value to the key, and the error shows a line later.
ODD_SPACES = {"\u00a0": "dấu cách không ngắt", "\u202f": "dấu cách hẹp không ngắt", "\u2007": "dấu cách chữ số",
              "\u200b": "khoảng trắng không độ rộng", "\ufeff": "ký tự BOM", "\u3000": "dấu cách toàn khổ"}


def odd_spaces(text: str) -> list[tuple[int, str]]:
    """(0-based line, character) of the first space-like character YAML does not read as a space
    on each line that has one."""
    if text.isascii():
        return []
    found = []
    for number, line in enumerate(text.split("\n")):
        for ch in line:
            if ch in ODD_SPACES:
                found.append((number, ch))
                break
    return found


def odd_space_note(ch: str) -> str:
    return f"có {ODD_SPACES[ch]} (U+{ord(ch):04X}), YAML không coi là dấu cách: xóa nó và gõ lại dấu cách thường"


_UNKNOWN = "cú pháp sai ở dòng này (kiểm tra dấu `:`, dấu ngoặc và thụt lề)"
# PyYAML's problems (English) -> what an editor should do, in Vietnamese.
_PROBLEMS = (
    ("mapping values are not allowed", "dấu `:` ở chỗ không được phép: giá trị có dấu `:` phải đặt trong ngoặc kép `\"...\"`"),
    ("expected ',' or ']'", "danh sách `[...]` chưa đóng bằng `]` hoặc thiếu dấu `,` giữa các mục"),
    ("expected ',' or '}'", "`{...}` chưa đóng bằng `}` hoặc thiếu dấu `,` giữa các mục"),
    ("could not find expected ':'", "thiếu dấu `:` sau tên khóa (hoặc giá trị nhiều dòng chưa đặt trong ngoặc kép)"),
    ("tab character", "có ký tự tab: YAML chỉ nhận dấu cách để thụt lề"),
    ("'\\t'", "có ký tự tab: YAML chỉ nhận dấu cách để thụt lề"),
    ("cannot start any token", "giá trị không được bắt đầu bằng `@`, `` ` `` hay `%`: đặt nó trong ngoặc kép `\"...\"`"),
    ("did not find expected key", "dòng thụt lề không khớp với các dòng trên, hoặc không phải `khóa: giá trị`"),
    ("expected <block end>", "dòng thụt lề không khớp với các dòng trên"),
    ("did not find expected '-' indicator", "mục danh sách thụt lề không khớp (mỗi mục bắt đầu bằng `- ` thẳng hàng)"),
    ("unexpected end of stream", "ngoặc kép hoặc ngoặc mở ở đây chưa được đóng"),
    ("found unknown escape character", "dấu `\\` trong ngoặc kép phải viết thành `\\\\` (hoặc dùng ngoặc đơn `'...'`)"),
    ("undefined alias", "dấu `*` ở đầu giá trị là cú pháp riêng của YAML: đặt giá trị trong ngoặc kép"),
    ("expected alphabetic or numeric character", "dấu `*` hoặc `&` ở đầu giá trị là cú pháp riêng của YAML: đặt giá trị trong ngoặc kép"),
    ("expected the node content", "giá trị bắt đầu bằng ký tự đặc biệt: đặt nó trong ngoặc kép"),
)


def _explain(text: str, exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    """(0-based line, Vietnamese message) for a syntax error: at the odd space that caused it
    when one stands at or before the reported line, at the opening of an unclosed quote or
    bracket, else where PyYAML stopped."""
    problem = f"{exc.problem or ''} {exc.context or ''}"
    mark = exc.problem_mark or exc.context_mark
    line = mark.line if mark else 0
    if ("end of stream" in problem or "expected ',' or" in problem) and exc.context_mark is not None:
        line = exc.context_mark.line
    odd = [(n, ch) for n, ch in odd_spaces(text) if n <= line]
    if odd:
        return odd[-1][0], odd_space_note(odd[-1][1])
    for needle, message in _PROBLEMS:
        if needle in problem:
            return line, message
    return line, _UNKNOWN
