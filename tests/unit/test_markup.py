"""Markdown to safe HTML: figures, heading ids, sanitizing, the default sapo."""

from __future__ import annotations

import re
import subprocess
import sys

import markdown
from sitekit import REPO

from toasoan.markup import Renderer, extensions, is_theme_id, sanitize, slow_paragraph, split_lead
from toasoan.scanner import prose_lines


def test_lone_photo_becomes_a_figure_outside_any_paragraph() -> None:
    html = Renderer().render("Đoạn một.\n\n![Quang cảnh hội nghị.](a.jpg)\n\nĐoạn hai.\n", lambda s: "/x/" + s)
    assert '<figure><img alt="Quang cảnh hội nghị." loading="lazy" src="/x/a.jpg"><figcaption>Quang cảnh hội nghị.</figcaption></figure>' in html
    assert "<p><figure>" not in html


def test_photo_inside_text_stays_inline() -> None:
    html = Renderer().render("Chữ ![ảnh](a.jpg) chữ.\n")
    assert "<figure>" not in html
    assert "<img" in html


def test_heading_ids_keep_vietnamese_letters_and_are_unique() -> None:
    html = Renderer().render("# Đổi mới\n\n## Đổi mới\n\n### Đường sá\n")
    assert '<h2 id="doi-moi">' in html
    assert '<h3 id="doi-moi-2">' in html
    assert '<h4 id="duong-sa">' in html


def test_body_ids_never_take_a_theme_id_and_are_unique() -> None:
    """`## Ảnh 1` cannot become the gallery's `#anh-1`; raw HTML ids in the theme's namespace
    are removed, and an id written twice (or a heading's) stays only where it first belongs."""
    html = Renderer().render(
        '<p id="ket-luan">Thô.</p>\n\n## Ảnh 1\n\n<p id="anh-1">Ảnh?</p>\n\n<div id="noi_dung">Chính?</div>\n\n'
        '<h3 id="anh-2">Tiêu đề thô</h3>\n\n## Kết luận\n\n<span id="a">x</span><span id="a">y</span>\n'
    )
    ids = re.findall(r'\sid="([^"]*)"', html)
    assert ids == ["anh-1-2", "ket-luan", "a"]
    assert '<h2 id="ket-luan">Kết luận</h2>' in html
    for text in ("Thô.", "Ảnh?", "Chính?", "Tiêu đề thô", ">y<"):
        assert text in html


def test_every_id_the_templates_write_is_a_theme_id() -> None:
    """The rule the body is held to matches the templates: each id they write is in the theme's
    namespace (a Jinja expression inside an id stands for a number or a word)."""
    found = []
    for template in sorted((REPO / "templates").glob("*.html")):
        for value in re.findall(r'\sid="([^"]*)"', template.read_text(encoding="utf-8")):
            found.append(value)
            example = re.sub(r"\{\{.*?\}\}", "1", value)
            assert is_theme_id(example), f"{template.name}: id `{value}` could be made by article content"
    assert "anh-{{ loop.index }}" in found


def test_heading_levels_follow_the_title_without_gaps() -> None:
    html = Renderer().render("### Một\n\n#### Hai\n\n### Ba\n")
    assert [tag for tag in ("<h2", "<h3", "<h4") if tag in html] == ["<h2", "<h3"]
    assert html.index('<h2 id="mot">') < html.index('<h3 id="hai">') < html.index('<h2 id="ba">')


def test_dangerous_markup_is_removed() -> None:
    html = Renderer().render(
        'Chào <script>alert(1)</script><b onclick="x()">đậm</b> <a href="javascript:alert(1)">x</a>\n\n'
        '<iframe src="https://evil.example"></iframe>\n\n<img src=x onerror="alert(1)">\n'
    )
    for bad in ("<script", "onclick", "javascript:", "<iframe", "onerror"):
        assert bad not in html
    assert "<b>đậm</b>" in html


def test_external_links_get_noopener() -> None:
    html = sanitize('<a href="https://example.com/">a</a> <a href="/noi-bo/">b</a>')
    assert '<a rel="noopener" href="https://example.com/">a</a>' in html
    assert '<a href="/noi-bo/">b</a>' in html


def test_tables_and_lists() -> None:
    html = Renderer().render("| a | b |\n|---|---|\n| 1 | 2 |\n\n- một\n- hai\n")
    assert "<table>" in html and "<li>một</li>" in html


def test_split_lead_takes_the_first_paragraph() -> None:
    lead, rest = split_lead("<p>BBK - Sáng 7/6, <strong>hội nghị</strong> &amp; họp.</p>\n<p>Tiếp.</p>")
    assert lead == "BBK - Sáng 7/6, hội nghị & họp."
    assert rest == "<p>Tiếp.</p>"
    assert split_lead("<h2>Tiêu đề</h2>") == ("", "<h2>Tiêu đề</h2>")


def _slow(body: str) -> int | None:
    return slow_paragraph(prose_lines(body))


def test_unclosed_brackets_are_found_at_their_paragraph_before_rendering() -> None:
    """Python-Markdown takes tens of seconds on these (its issue 798); they are refused first."""
    intro = "Đoạn mở đầu có [liên kết](/a/) và <https://a.vn>.\n\n"
    for shape in ("[", "![", "[a](", "<a ", "[^", "*["):
        assert _slow(intro + "Dòng một\n" + shape * 3000 + "\n\nĐoạn cuối.\n") == 2, shape
    # Closed, but nested thousands deep: as slow.
    assert _slow("[" * 2000 + "]" * 2000) == 0


def test_ordinary_text_escapes_and_code_are_not_slow() -> None:
    links = "Xem [bài viết](/2023/06/bai/ \"tiêu đề\") và [ảnh](a.jpg) (ghi chú), 3 < 5 > 2. " * 100
    assert _slow((links + "\n\n") * 20) is None
    assert _slow("\\[" * 5000) is None
    assert _slow("```\n" + "[" * 5000 + "\n```\n\n    " + "<a " * 3000 + "\n\n`" + "[" * 5000 + "`\n") is None


def _processors(md: markdown.Markdown) -> list[tuple[str, str, float, str]]:
    registries = {
        "pre": md.preprocessors, "block": md.parser.blockprocessors, "inline": md.inlinePatterns,
        "tree": md.treeprocessors, "post": md.postprocessors,
    }
    return [
        (kind, item.name, item.priority, type(registry[item.name]).__qualname__)
        for kind, registry in registries.items() for item in registry._priority
    ]


def test_the_converter_is_extra_and_sane_lists_without_looking_extensions_up() -> None:
    """The extensions given as instances make the converter that `["extra", "sane_lists"]` makes
    (the same processors, names, priorities, in order), without the look-up of every installed
    distribution's entry points that a name costs (~6 ms in each process, more where it imports
    importlib.metadata)."""
    by_name = markdown.Markdown(extensions=["extra", "sane_lists"], output_format="html")
    ours = markdown.Markdown(extensions=extensions(), output_format="html")
    assert _processors(ours) == _processors(by_name)
    assert [type(e) for e in ours.registeredExtensions] == [type(e) for e in by_name.registeredExtensions]
    program = "from toasoan.markup import Renderer; import markdown.util as u; Renderer(); print(u.get_installed_extensions.cache_info().misses)"
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=REPO, check=True)
    assert run.stdout.strip() == "0"


def _stock_renderer() -> Renderer:
    """A Renderer with Python-Markdown's own inline pass, which tries every pattern on every text."""
    from markdown.treeprocessors import InlineProcessor

    renderer = Renderer()
    md = renderer._md  # noqa: SLF001 (the converter under test)
    md.treeprocessors.register(InlineProcessor(md), "inline", 20)
    return renderer


def test_the_quick_inline_pass_is_used_and_renders_what_the_stock_one_does() -> None:
    import random

    quick = Renderer()
    assert type(quick._md.treeprocessors["inline"]).__name__ == "_QuickInline"  # noqa: SLF001
    stock = _stock_renderer()
    pieces = [
        "Đồng chí", " ", "  \n", "\n", "\n\n", "*", "**", "_", "__", "`", "\\", "[", "]", "(", ")", "!", "<", ">",
        "&", ";", "#", "amp", "x", "@", ":", "http://a.vn", "{: .c}", "[^1]", "[^1]: chú thích", "*[UBND]: Ủy ban",
        "UBND", "- ", "1. ", "> ", "| a | b |", "---", "đường", "<b>", "</b>", "&#123;", "'", '"',
    ]
    chooser = random.Random(8)
    samples = ["".join(chooser.choice(pieces) for _ in range(chooser.randint(1, 30))) for _ in range(1500)]
    for text in samples:
        assert quick.render(text) == stock.render(text), text
