"""Markdown -> safe HTML with figures and heading ids; knows nothing of articles or files."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Mapping

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.treeprocessors import InlineProcessor, Treeprocessor

from .text import slugify_vi

Resolver = Callable[[str], str | None]
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}

_ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "del",
    "ins", "sub", "sup", "mark", "small", "blockquote", "cite", "q", "ul", "ol", "li", "dl", "dt",
    "dd", "a", "img", "figure", "figcaption", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
    "caption", "code", "pre", "abbr", "span", "div",
}
_ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
_SCHEMES = {"http", "https", "mailto", "tel"}
_EXTERNAL_A = re.compile(r'<a href="(https?:)?//')
_FIRST_P = re.compile(r"<p>(.*?)</p>", re.S)  # the sanitizer writes bare <p>
_TAG = re.compile(r"<[^>]+>")
# The theme's ids (docs/THEME.md): any id with `_`, and `anh-N`, a gallery photo's deep link
# (kept in that form because shared links use it). Content never gets one: heading slugs have
# no `_` and step past `anh-N`, and any other id in the body that would be one is removed.
_GALLERY_ID = re.compile(r"anh-[0-9]+")


def is_theme_id(value: str) -> bool:
    """True for an id the page templates own, which the article body must never produce."""
    return "_" in value or _GALLERY_ID.fullmatch(value) is not None


class _Shaper(Treeprocessor):
    """Lone photos become figures; headings get Vietnamese ids; photo sources get resolved."""

    resolver: Resolver | None = None
    links: Mapping[str, str] = {}
    heading_ids: set[str]

    def run(self, root: ET.Element) -> None:
        seen: set[str] = set()
        self.heading_ids = seen
        levels = [int(e.tag[1]) for e in root.iter() if e.tag in _HEADINGS]
        # The page's title is the only h1: the body's top heading level becomes h2, and the
        # others move with it, so that no level is skipped after the title.
        shift = min(levels) - 2 if levels else 0
        for parent in root.iter():
            for index, child in enumerate(list(parent)):
                if child.tag == "p" and _lone_image(child):
                    parent[index] = _figure(child[0])
        for element in root.iter():
            if element.tag == "img" and self.resolver is not None:
                resolved = self.resolver(element.get("src", ""))
                if resolved is not None:
                    element.set("src", resolved)
                element.set("loading", "lazy")
            elif element.tag == "a" and self.links:
                href = element.get("href", "")
                if href in self.links:
                    element.set("href", self.links[href])
            elif element.tag in _HEADINGS:
                element.tag = f"h{min(6, int(element.tag[1]) - shift)}"
                element.set("id", _unique(_heading_id(element), seen))


def _lone_image(p: ET.Element) -> bool:
    return len(p) == 1 and p[0].tag == "img" and not (p.text or "").strip() and not (p[0].tail or "").strip()


def _figure(img: ET.Element) -> ET.Element:
    figure = ET.Element("figure")
    img.tail = None
    figure.append(img)
    alt = img.get("alt", "")
    if alt:
        caption = ET.SubElement(figure, "figcaption")
        caption.text = alt
    return figure


def _heading_id(element: ET.Element) -> str:
    text = "".join(element.itertext())
    return slugify_vi(text, max_length=60) or "muc"


def _unique(base: str, seen: set[str]) -> str:
    candidate, n = base, 2
    while candidate in seen or is_theme_id(candidate):
        candidate, n = f"{base}-{n}", n + 1
    seen.add(candidate)
    return candidate


def extensions() -> list[Extension]:
    """What `extensions=["extra", "sane_lists"]` registers, in its order, as instances. Given by
    name, each (`extra` names seven) is first looked up among every installed distribution's entry
    points: ~6 ms in each process that makes a converter (a patch build, each full build's
    workers), and a name another package registered would win."""
    return [
        FencedCodeExtension(), FootnoteExtension(), AttrListExtension(), DefListExtension(), TableExtension(), AbbrExtension(),
        MarkdownInHtmlExtension(), SaneListExtension(),
    ]


# Every inline pattern that `extensions()` registers (Python-Markdown's own and the footnotes'),
# with the text each can only match where one of these occurs: a backtick, a backslash, `[`
# (links, references, footnotes, and images after `!`), `<` (autolinks, raw HTML), `&`
# (entities), `*` or `_` (emphasis), or two spaces before a line break.
_INLINE_PATTERNS = (
    "backtick", "escape", "footnote", "reference", "link", "image_link", "image_reference",
    "short_reference", "short_image_ref", "autolink", "automail", "linebreak", "html", "entity",
    "em_strong",
)
_INLINE_TRIGGER = re.compile(r"[`\\\[<&*_]|  \n")


class _QuickInline(InlineProcessor):
    """Python-Markdown's inline pass, which gives back a text node that none of its patterns can
    match without trying each of them in turn (~15 regular expressions a text node, ~40 % of
    the converter's time on news prose, whose paragraphs mostly have no markup at all). Same
    output by construction: a pattern only changes the text where its expression matches."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if _INLINE_TRIGGER.search(data) is None:
            return data
        handle: Callable[[str, int], str] = super()._InlineProcessor__handleInline  # type: ignore[misc]
        return handle(data, patternIndex)


class Renderer:
    """One reusable Markdown converter (making one costs more than using it)."""

    def __init__(self) -> None:
        self._shaper = _Shaper()
        self._md = markdown.Markdown(extensions=extensions(), output_format="html")
        self._md.treeprocessors.register(self._shaper, "toasoan-shaper", 1)
        # Only where the inline patterns are exactly those the trigger was written for (another
        # Python-Markdown release may add one) and the method it overrides exists.
        patterns = self._md.inlinePatterns
        same = len(patterns) == len(_INLINE_PATTERNS) and all(name in patterns for name in _INLINE_PATTERNS)
        if same and hasattr(InlineProcessor, "_InlineProcessor__handleInline"):
            self._md.treeprocessors.register(_QuickInline(self._md), "inline", 20)

    def render(self, text: str, resolver: Resolver | None = None, links: Mapping[str, str] | None = None) -> str:
        """Markdown to HTML that is safe to publish: no scripts, no event handlers, no js: links.

        `links` maps link targets as written to the addresses to publish instead."""
        self._shaper.resolver = resolver
        self._shaper.links = links or {}
        try:
            self._shaper.heading_ids = set()
            raw = self._md.reset().convert(text)
        finally:
            self._shaper.resolver = None
            self._shaper.links = {}
        return sanitize(raw, frozenset(self._shaper.heading_ids))


# Python-Markdown reads from each `[` (and the `(` after `]`) to its closing bracket, and from
# each `<` to the next `>`; left open, each is read to the end of its paragraph, again and again:
# 10,000 `[` in a row take it half a minute (Python-Markdown issue 798). Such a document is
# refused before it is rendered: this many characters read in all (about a second) is the most
# any document may ask for. Real articles ask for a few thousand.
SLOW_MARKUP_WORK = 1_000_000
_MARKS = re.compile(r"\\.|\]\(|[\[\]()<]", re.S)


def slow_paragraph(prose: Iterable[tuple[int, str]]) -> int | None:
    """The offset of the first line of the paragraph that makes a document too slow for
    Python-Markdown (see SLOW_MARKUP_WORK), given its prose lines (code left out); None if fine."""
    total, worst, worst_work = 0, None, -1
    for offset, text in _paragraphs(prose):
        work = _reading_work(text)
        total += work
        if work > worst_work:
            worst, worst_work = offset, work
    return worst if total > SLOW_MARKUP_WORK else None


def _paragraphs(prose: Iterable[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    first, previous = -1, -2
    lines: list[str] = []
    for offset, text in prose:
        if offset != previous + 1 and lines:
            yield first, "\n".join(lines)
            lines = []
        if not lines:
            first = offset
        lines.append(text)
        previous = offset
    if lines:
        yield first, "\n".join(lines)


def _reading_work(text: str) -> int:
    """Characters Python-Markdown reads for the brackets of one paragraph (linear to count)."""
    if "[" not in text and "<" not in text:
        return 0
    end = len(text)
    work = 0
    brackets: list[int] = []
    parens: list[tuple[int, bool]] = []  # (where, opened right after `]`)
    next_gt = -1
    for match in _MARKS.finditer(text):
        mark, at = match.group(), match.start()
        if mark[0] == "\\":
            continue
        if mark[0] == "]" and brackets:
            work += at - brackets.pop()
        if mark == "[":
            brackets.append(at)
        elif mark == "](":
            parens.append((at + 1, True))
        elif mark == "(":
            parens.append((at, False))
        elif mark == ")" and parens:
            start, after_bracket = parens.pop()
            work += at - start if after_bracket else 0
        elif mark == "<":
            if next_gt < at:
                next_gt = text.find(">", at)
                next_gt = end if next_gt < 0 else next_gt
            work += next_gt - at
    work += sum(end - at for at in brackets)
    work += sum(end - at for at, after_bracket in parens if after_bracket)
    return work


def sanitize(fragment: str, heading_ids: frozenset[str] = frozenset()) -> str:
    """Only allowed tags, attributes and link schemes; ids unique and outside the theme's.

    `heading_ids` are the ids given to the Markdown headings: another element (raw HTML, an
    attribute list) that claims one loses its id, so the heading keeps it."""
    kept: set[str] = set()

    def keep_id(tag: str, attribute: str, value: str) -> str | None:
        if attribute != "id":
            return value
        if is_theme_id(value) or value in kept or (value in heading_ids and tag not in _HEADINGS):
            return None
        kept.add(value)
        return value

    cleaned = nh3.clean(
        fragment,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_SCHEMES,
        link_rel=None,
        strip_comments=True,
        attribute_filter=keep_id,
    )
    return _EXTERNAL_A.sub(lambda m: '<a rel="noopener" href="' + (m.group(1) or "") + "//", cleaned)


def plain_text(fragment: str) -> str:
    """Text without tags, entities decoded, white space folded."""
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


def split_lead(fragment: str) -> tuple[str, str]:
    """When the body opens with a paragraph, that paragraph is the sapo: (its text, the rest)."""
    match = _FIRST_P.match(fragment.lstrip())
    if not match:
        return "", fragment
    lead = plain_text(match.group(1))
    if not lead:
        return "", fragment
    return lead, fragment.lstrip()[match.end() :].lstrip("\n")
