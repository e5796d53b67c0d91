"""The body scanner: which lines of a Markdown body are prose, and the links and photos written
in them; hand-written and linear in each line, no rendering and no file reads."""

from __future__ import annotations

import re
from collections.abc import Iterator

_REFERENCE = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*<?([^\s>]+)>?")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_BACKTICKS = re.compile(r"`+")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


# Inline Markdown scanners. Each runs in time linear in the line: a run of `](` or `![` that
# never closes (an editor's typo, or a hostile file) is read once, not once per opening.
_DESTINATION_END = re.compile(r"[)\s>]")
_QUOTE = re.compile(r"[\"']")


class _Next:
    """The first match of a pattern at or after a position, remembered: asked in increasing
    order (as the scanners do), the text is searched once in all."""

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self.text = text
        self.pattern = pattern
        self.asked = 1
        self.found = 0  # nothing is known yet: asked > found

    def at(self, position: int) -> int:
        """Index of the first match at or after `position`; len(text) when there is none."""
        if not self.asked <= position <= self.found:
            match = self.pattern.search(self.text, position)
            self.asked, self.found = position, match.start() if match else len(self.text)
        return self.found


class _Scanner:
    """`[text](destination "title")` and `![alt](...)`, `![alt][label]` in one line of prose."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.destination_end = _Next(text, _DESTINATION_END)
        self.quote = _Next(text, _QUOTE)
        self.bracket = _Next(text, re.compile(r"\]"))
        self.paren = _Next(text, re.compile(r"\)"))
        self.label_end = _Next(text, re.compile(r"\]"))

    def _space(self, i: int) -> int:
        text = self.text
        while i < len(text) and text[i].isspace():
            i += 1
        return i

    def destination(self, start: int) -> tuple[str, int] | None:
        """After `](` at `start`: (destination, end of the closing `)`), or None."""
        text, n = self.text, len(self.text)
        i = self._space(start)
        if i < n and text[i] == "<" and self.destination_end.at(i + 1) > i + 1:
            i += 1
        j = self.destination_end.at(i)
        if j == i:
            return None
        k = j + 1 if j < n and text[j] == ">" else j
        m = self._space(k)
        if m > k and m < n and text[m] in "\"'":
            closing = self.quote.at(m + 1)
            r = self._space(closing + 1) if closing < n else n
            if r < n and text[r] == ")":
                return text[i:j], r + 1
        if m < n and text[m] == ")":
            return text[i:j], m + 1
        # A file name with spaces (`Ảnh hội nghị số 1.jpg`), no title: Markdown takes it whole.
        close = self.paren.at(i)
        spaced = text[i:close].rstrip()
        if close < n and spaced and not any(ch in spaced for ch in "\"'()<>[]"):
            return spaced, close + 1
        return None

    def images(self) -> Iterator[tuple[int, int, str, str]]:
        """(start, end, alt, src) of each `![alt](src "title")`, left to right, not overlapping."""
        text = self.text
        start = text.find("![")
        while start >= 0:
            close = self.bracket.at(start + 2)
            if close + 1 < len(text) and text[close + 1] == "(":
                found = self.destination(close + 2)
                if found is not None:
                    yield start, found[1], text[start + 2 : close], found[0]
                    start = text.find("![", found[1])
                    continue
            start = text.find("![", start + 1)

    def reference_images(self) -> Iterator[tuple[str, str]]:
        """(alt, label) of each `![alt][label]` (`![alt][]` and `![alt] [label]` too)."""
        text, n = self.text, len(self.text)
        start = text.find("![")
        while start >= 0:
            close = self.bracket.at(start + 2)
            i = close + 1
            if i < n and text[i].isspace():
                i += 1
            if i < n and text[i] == "[":
                end = self.label_end.at(i + 1)
                if end < n:
                    yield text[start + 2 : close], text[i + 1 : end]
                    start = text.find("![", end + 1)
                    continue
            start = text.find("![", start + 1)

    def site_links(self) -> Iterator[str]:
        """Destinations of `](/...)` that start with one `/` (site-absolute), images left out."""
        for link in self.links():
            if link.startswith("/") and not link.startswith("//"):
                yield link

    def links(self) -> Iterator[str]:
        """Destinations of every `](...)` (in a text without images)."""
        text = self.text
        start = text.find("](")
        while start >= 0:
            found = self.destination(start + 2)
            if found is not None:
                yield found[0]
                start = text.find("](", found[1])
                continue
            start = text.find("](", start + 1)


def without_images(text: str) -> str:
    kept, last = [], 0
    for start, end, _, _ in _Scanner(text).images():
        kept.append(text[last:start])
        last = end
    kept.append(text[last:])
    return "".join(kept)


def blank_code_spans(text: str) -> str:
    """Inline code spans (a run of backticks up to the next run of the same length) as spaces."""
    if "`" not in text:
        return text
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    following: list[int | None] = [None] * len(runs)
    last_of_length: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        length = runs[index][1] - runs[index][0]
        following[index] = last_of_length.get(length)
        last_of_length[length] = index
    pieces, last, index = [], 0, 0
    while index < len(runs):
        closing = following[index]
        if closing is None:
            index += 1
            continue
        start, end = runs[index][0], runs[closing][1]
        pieces += [text[last:start], " " * (end - start)]
        last, index = end, closing + 1
    pieces.append(text[last:])
    return "".join(pieces)


def prose_lines(body: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each body line that Markdown reads as prose: fenced and indented code
    blocks are skipped and inline code spans blanked, so syntax shown as code is not checked."""
    fence: str | None = None
    in_list = False
    code = False
    previous_blank = True
    for offset, text in enumerate(body.split("\n")):
        stripped = text.strip()
        opening = _FENCE.match(text)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) and not stripped.strip(fence[0]):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        indented = text.startswith(("    ", "\t"))
        if not stripped:
            previous_blank = True
            continue
        if indented and not in_list and (previous_blank or code):
            code = True
            previous_blank = False
            continue
        code = False
        if _LIST_ITEM.match(text):
            in_list = True
        elif not indented:
            in_list = False
        previous_blank = False
        yield offset, blank_code_spans(text)


def internal_links(body: str, first_line: int) -> tuple[tuple[str, int], ...]:
    """Site-absolute link targets in a Markdown body (`[a](/2023/06/x/)`), each with its file line."""
    if "](/" not in body and "]: /" not in body:
        return ()
    found = []
    for offset, text in prose_lines(body):
        for link in _Scanner(without_images(text)).site_links():
            found.append((link, first_line + offset))
        definition = _REFERENCE.match(text)
        if definition and definition.group(2).startswith("/") and not definition.group(2).startswith("//"):
            found.append((definition.group(2), first_line + offset))
    return tuple(found)


def source_links(body: str, first_line: int) -> tuple[tuple[str, int], ...]:
    """Links written as a Markdown file (`../06/bai-viet.md#muc`, `bai-viet/index.md`), each
    with its file line: editors link articles by their files; the pipeline resolves them."""
    if ".md" not in body:
        return ()
    found = []
    for offset, text in prose_lines(body):
        if ".md" not in text:
            continue
        written = list(_Scanner(without_images(text)).links())
        definition = _REFERENCE.match(text)
        if definition:
            written.append(definition.group(2))
        for link in written:
            path = link.split("#", 1)[0].split("?", 1)[0]
            if path.endswith(".md") and not SCHEME.match(link) and not link.startswith("//"):
                found.append((link, first_line + offset))
    return tuple(found)


def body_images(body: str) -> list[tuple[int, str, str]]:
    """(offset, src, alt) of every photo in a Markdown body: inline `![alt](src)` and
    reference-style `![alt][ref]` (reported at the `[ref]: src` line)."""
    if "![" not in body:
        return []
    lines = list(prose_lines(body))
    definitions: dict[str, tuple[int, str]] = {}
    for offset, text in lines:
        match = _REFERENCE.match(text)
        if match:
            definitions.setdefault(match.group(1).strip().casefold(), (offset, match.group(2)))
    found = []
    for offset, text in lines:
        scanner = _Scanner(text)
        for _, _, alt, src in scanner.images():
            found.append((offset, src, alt))
        for alt, written in scanner.reference_images():
            label = written or alt
            target = definitions.get(label.strip().casefold())
            if target is not None:
                found.append((target[0], target[1], alt))
    return found

