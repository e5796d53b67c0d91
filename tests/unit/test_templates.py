"""`{% sitewide %}` blocks: rendered once per process for the same objects, byte for byte what
rendering them every time gives; what a block may not hold is refused when it compiles."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
import pytest
from markupsafe import escape

from toasoan.templates import SiteWide, make_environment


@dataclass(frozen=True)
class _Site:
    title: str
    links: tuple[str, ...]


_BLOCK = (
    "<p>{{ page }}</p>\n{%- sitewide %}\n<nav>{% for link in site.links %}<a{% if here == link %} aria-current=\"page\"{% endif %}>"
    "{{ link }}</a>{% endfor %}{{ tick() }}</nav>\n{%- endsitewide %}\n<footer>{{ site.title }}</footer>"
)


def _env(tmp_path: Path, source: str, ticks: list[int]) -> jinja2.Environment:
    (tmp_path / "t.html").write_text(source, encoding="utf-8")
    env = make_environment([tmp_path])
    env.globals["tick"] = lambda: ticks.append(1) or ""
    return env


def test_a_block_is_rendered_once_for_the_same_objects_and_writes_what_rendering_it_each_time_writes(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    ticks: list[int] = []
    plain_ticks: list[int] = []
    kept = _env(tmp_path / "a", _BLOCK, ticks)
    plain = _env(tmp_path / "b", _BLOCK.replace("\n{%- sitewide %}", "").replace("\n{%- endsitewide %}", ""), plain_ticks)
    site = _Site(title="Báo <BBK>", links=("/", "/thoi-su/", "/kinh-te/"))
    other = _Site(title="Báo khác", links=("/",))
    pages = [(site, f"/bai-{n}/", here) for n, here in enumerate([None, "/thoi-su/", None, "/thoi-su/", "/kinh-te/", None] * 5)]
    pages += [(other, "/a/", None), (other, "/b/", None)]
    for values in pages:
        variables = dict(zip(("site", "page", "here"), values, strict=True))
        made = kept.get_template("t.html").render(**variables)
        assert made == plain.get_template("t.html").render(**variables)
        # The block's text as if written inline: the tags take exactly their own whitespace.
        assert made.startswith(f"<p>{values[1]}</p>\n<nav><a") and made.endswith("</nav>\n<footer>" + str(escape(values[0].title)) + "</footer>")
    # One rendering per distinct (site, here): `here` is one of the site's own strings or None.
    assert len(ticks) == 4 and len(plain_ticks) == len(pages)


def test_a_block_reading_a_value_made_per_page_or_a_mutable_one_is_rendered_every_time(tmp_path: Path) -> None:
    ticks: list[int] = []
    env = _env(tmp_path, "{% sitewide %}{{ page.url }}{{ tick() }}{% endsitewide %}|{% sitewide %}{{ items|length }}{{ tick() }}{% endsitewide %}", ticks)
    items = ["a"]
    outputs = []
    for n in range(3):
        items.append("b")  # the same list, changed between pages: never kept
        outputs.append(env.get_template("t.html").render(page={"url": f"/p{n}/"}, items=items))
    assert outputs == ["/p0/|2", "/p1/|3", "/p2/|4"]
    assert len(ticks) == 6


@pytest.mark.parametrize("inner", [
    "{% include 'x.html' %}", "{% import 'x.html' as x %}", "{% from 'x.html' import y %}", "{% block b %}{% endblock %}",
    "{{ site.links|random }}",
])
def test_what_sees_the_whole_context_is_refused_in_a_block(tmp_path: Path, inner: str) -> None:
    env = make_environment([tmp_path])
    with pytest.raises(jinja2.TemplateSyntaxError, match="sitewide"):
        env.from_string(f"<p>\n{{% sitewide %}}{inner}{{% endsitewide %}}")


def test_selecting_filters_are_allowed_and_kept_outputs_stay_bounded(tmp_path: Path) -> None:
    env = make_environment([tmp_path])
    template = env.from_string("{% sitewide %}{{ site.links|select('equalto', '/')|list|length }}{% endsitewide %}")
    sites = [_Site(title=str(n), links=("/", f"/{n}/")) for n in range(300)]
    assert {template.render(site=s) for s in sites} == {"1"}
    extension = env.extensions[f"{SiteWide.__module__}.{SiteWide.__name__}"]
    assert isinstance(extension, SiteWide) and 0 < len(extension.kept) <= 256
