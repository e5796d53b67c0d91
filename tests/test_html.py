"""Every page of the sample portal is sound HTML: unique ids, alt on images, no block in <p>,
one h1, headings without skipped levels, and every internal link and asset exists."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from sitekit import REPO, run_cli

BLOCKS = {"figure", "div", "section", "article", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p"}
VOID = {"img", "br", "hr", "meta", "link", "input", "source"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.problems: list[str] = []
        self.headings: list[int] = []
        self.refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"] or "")
        if tag in BLOCKS and "p" in self.stack:
            self.problems.append(f"<{tag}> inside <p>")
        if tag == "img" and "alt" not in a:
            self.problems.append("img without alt")
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self.headings.append(int(tag[1]))
        for key in ("href", "src"):
            if a.get(key):
                self.refs.append(a[key] or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "public"
    assert run_cli("--site", REPO, "--output", out, env={"SOURCE_DATE_EPOCH": "1795000000"}).code == 0
    return out


def test_every_page_is_sound(built: Path) -> None:
    problems = {}
    for page in sorted(built.rglob("*.html")):
        parser = _Page()
        parser.feed(page.read_text(encoding="utf-8"))
        found = list(parser.problems)
        duplicates = {i for i in parser.ids if parser.ids.count(i) > 1}
        if duplicates:
            found.append(f"duplicate ids {sorted(duplicates)}")
        if parser.headings.count(1) != 1:
            found.append(f"{parser.headings.count(1)} h1")
        for before, after in zip(parser.headings, parser.headings[1:], strict=False):
            if after > before + 1:
                found.append(f"h{before} then h{after}")
        if found:
            problems[page.relative_to(built).as_posix()] = found
    assert problems == {}


def test_every_internal_reference_exists(built: Path) -> None:
    missing = set()
    for page in sorted(built.rglob("*.html")):
        parser = _Page()
        parser.feed(page.read_text(encoding="utf-8"))
        for ref in parser.refs:
            parts = urlsplit(ref)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            target = built / unquote(parts.path).lstrip("/")
            if not (target.is_file() or (target / "index.html").is_file()):
                missing.add((page.relative_to(built).as_posix(), ref))
    assert sorted(missing) == []
