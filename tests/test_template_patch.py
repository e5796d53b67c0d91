"""A build whose only changed inputs are templates (`patch._template_edit`) is made from the
last build's snapshot (`_template_changes`): no article read, no Markdown, the pages whose key
moved rendered again, everything else linked from the last output. Each result equals a clean
build byte for byte; anything the snapshot cannot vouch for gets a full build."""

from __future__ import annotations

import hashlib
import pickle
import random
from collections.abc import Sequence
from pathlib import Path

import pytest
from sitekit import tree_bytes
from test_incremental import Site, _build, _clean_build, _outcome

from toasoan import deploy, pipeline, snapshot
from toasoan import patch as patching
from toasoan.errors import error
from toasoan.pipeline import BuildOptions, BuildResult, Warm, build

THEME = Path(__file__).resolve().parent.parent / "templates"


def _templated(result: BuildResult) -> bool:
    return any(stage == "pages of the edited templates" for stage, _ in result.timings)


def _override(site: Site, name: str, mark: str, *, text: str | None = None) -> Path:
    target = site.root / "templates" / name
    target.parent.mkdir(exist_ok=True)
    target.write_text((text if text is not None else (THEME / name).read_text(encoding="utf-8")) + f"<!-- {mark} -->\n", encoding="utf-8")
    return target


def _edit_body(site: Site, result: BuildResult, words: str) -> None:
    """A published article's body gets one more paragraph."""
    path = site.root / min(source for source, _ in result.addresses if source.startswith("content/articles/"))
    head, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    path.write_text(f"{head}\n---\n{body}\n{words}\n", encoding="utf-8")


def _no_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading an article's file fails: a template patch reads none."""

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("an article was read")

    monkeypatch.setattr(pipeline, "load_site", refused)
    monkeypatch.setattr(patching, "load_article", refused)


def test_template_edits_are_patched_and_equal_clean_builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = Site(tmp_path / "site", random.Random(21))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    with monkeypatch.context() as m:
        _no_loading(m)
        base = _override(site, "base.html", "một")  # a new file: the site's own copy of the theme's
        result = _build(site.root, output, site.now)
    assert _templated(result) and result.patched
    assert result.pages - result.pages_cached == first.pages  # every page uses base.html
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # An article's body edit next: patched with the new templates.
    _edit_body(site, first, "Đoạn thêm sau khi sửa mẫu.")
    result = _build(site.root, output, site.now)
    assert result.patched and not _templated(result)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # A template only lists use: the articles' pages stay (linked from the last output).
    _override(site, "list.html", "hai")
    result = _build(site.root, output, site.now)
    articles = sum(1 for source, _ in first.addresses if source.startswith("content/articles/"))
    assert _templated(result) and 0 < result.pages - result.pages_cached <= result.pages - articles
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # The override removed: the theme's base.html again.
    base.unlink()
    result = _build(site.root, output, site.now)
    assert _templated(result)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def test_a_template_that_includes_another_follows_it(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(22))
    output = site.root / "public"
    write = (THEME / "base.html").read_text(encoding="utf-8").replace("</body>", '{% include "chan.html" %}</body>', 1)
    _override(site, "base.html", "một", text=write)
    (site.root / "templates/chan.html").write_text("<p>Chân trang riêng một</p>\n", encoding="utf-8")
    _build(site.root, output, site.now)
    (site.root / "templates/chan.html").write_text("<p>Chân trang riêng hai</p>\n", encoding="utf-8")
    result = _build(site.root, output, site.now)
    assert _templated(result)
    assert "Chân trang riêng hai" in (output / "index.html").read_text(encoding="utf-8")
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # macros.html draws the bodies' photos (the Markdown's HTML): its edit gets a full build.
    _override(site, "macros.html", "ba")
    result = _build(site.root, output, site.now)
    assert not result.patched
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def test_a_template_edit_after_a_scheduled_article_came_gets_a_full_build(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(23))
    output = site.root / "public"
    path = site.root / "content/articles/2026/09/hen-gio.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\ntitle: Bài hẹn giờ\ndate: 2026-09-22 08:00\ncategory: thoi-su\n---\n\nSẽ đăng sau.\n", encoding="utf-8")
    first = _build(site.root, output, site.now)
    assert "hen-gio" not in str(first.addresses)
    site.now += 2 * 86400  # its time has come
    _override(site, "base.html", "một")
    result = _build(site.root, output, site.now)
    assert not result.patched and "hen-gio" in str(result.addresses)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def test_a_damaged_snapshot_or_a_broken_template_gets_a_full_build(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(24))
    output = site.root / "public"
    _build(site.root, output, site.now)
    (head,) = sorted((site.root / ".cache").rglob("*.snapshot"))
    parts = sorted(head.parent.glob(head.name + "-articles.*"))
    data = bytearray(parts[0].read_bytes())
    data[len(data) // 2] ^= 0xFF
    parts[0].write_bytes(bytes(data))
    _override(site, "base.html", "một")
    result = _build(site.root, output, site.now)
    assert not result.patched
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # A template that fails to compile, or to render: the clean build's errors, output untouched.
    before = tree_bytes(output)
    for broken in ("{% if %}", "{{ khong_co_bien.x }}"):
        _override(site, "list.html", "hỏng", text=(THEME / "list.html").read_text(encoding="utf-8").replace("{% block content %}", "{% block content %}" + broken, 1))
        failed = _outcome(site.root, output, site.now)
        assert isinstance(failed, list) and failed == _clean_build(site.root, tmp_path, site.now)
        assert tree_bytes(output) == before
    _override(site, "list.html", "lành")
    _build(site.root, output, site.now)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def test_a_warm_process_patches_a_template_edit_then_renders_with_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kept plan takes the new templates: a body edit after a template edit renders with them."""
    site = Site(tmp_path / "site", random.Random(25))
    output = site.root / "public"
    options = BuildOptions(site_dir=site.root, output=output, jobs=1, environ={"SOURCE_DATE_EPOCH": str(site.now)})
    warm = Warm()
    first = build(options, warm=warm)
    monkeypatch.setattr(snapshot, "read", lambda *_: None)  # only what the process kept
    _override(site, "base.html", "một")
    result = build(options, warm=warm)
    assert _templated(result)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    _edit_body(site, first, "Đoạn thêm trong lúc xem trước.")
    result = build(options, warm=warm)
    assert result.patched and not _templated(result)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def _blob(site: Path, data: bytes) -> Path:
    (folder,) = (p for p in (site / ".cache/build").iterdir() if p.is_dir())
    sha = hashlib.sha256(data).hexdigest()
    return folder / "blobs" / sha[:2] / sha


def test_a_template_patch_removes_the_pages_it_replaced_from_the_cache(tmp_path: Path) -> None:
    """Each template edit replaces every page: their blobs (and `.gz` copies) leave the cache at
    once, unless the other profile's index (`--drafts`, serve) still names them."""
    site = Site(tmp_path / "site", random.Random(26))
    output = site.root / "public"
    _build(site.root, output, site.now)
    drafts = BuildOptions(site_dir=site.root, output=tmp_path / "drafts", jobs=1, drafts=True, environ={"SOURCE_DATE_EPOCH": str(site.now)})
    build(drafts)
    _override(site, "base.html", "một")
    assert _templated(_build(site.root, output, site.now))
    first = {p: data for p, data in tree_bytes(output).items() if p.endswith(".html")}
    assert all(_blob(site.root, data).exists() for data in first.values())
    _override(site, "base.html", "hai")
    assert _templated(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    assert not any(_blob(site.root, data).exists() for data in first.values())
    assert not any(_blob(site.root, deploy.compress(data)).exists() for data in first.values())
    # The drafts build's pages (the theme's base.html) are still named by its index: kept.
    kept = {p: data for p, data in tree_bytes(tmp_path / "drafts").items() if p.endswith(".html")}
    assert kept and all(_blob(site.root, data).exists() for data in kept.values())
    assert all(_blob(site.root, data).exists() for p, data in tree_bytes(output).items() if p.endswith(".html"))


def test_a_card_patch_after_a_template_patch_keys_pages_with_the_new_templates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A title edit changes only article files: the patch takes the templates' fingerprints from
    the snapshot (it parses no template) and those are the last build's, a template patch's
    included. With the templates of the build before that, every page the title reaches would
    get a key no build rendered with the templates in use: made again whatever its bytes, kept in
    the cache under a key that names the other templates."""
    site = Site(tmp_path / "site", random.Random(23))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    base = _override(site, "base.html", "một")
    assert _templated(_build(site.root, output, site.now))
    before = tree_bytes(output)
    path = site.root / min(source for source, _ in first.addresses if source.startswith("content/articles/"))
    site._edit_front(path, "title", "Tiêu đề mới sau khi sửa mẫu")
    parsed: list[str] = []

    def refused(*_: object) -> dict[str, str]:
        parsed.append("template_fingerprints")
        return {}

    with monkeypatch.context() as m:
        m.setattr(pipeline, "template_fingerprints", refused)
        result = _build(site.root, output, site.now)
    assert result.patched and not _templated(result) and parsed == []
    after = tree_bytes(output)
    assert after == _clean_build(site.root, tmp_path, site.now)
    changed = {p for p in {*before, *after} if p.endswith(".html") and before.get(p) != after.get(p)}
    assert result.pages - result.pages_cached == len(changed) > 0
    # The theme's base.html again: no page is taken from the cache under the old templates' key.
    base.unlink()
    _build(site.root, output, site.now)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def _staged_pages(output: Path) -> int:
    """Pages in this output's staging folders (a build's, while it runs)."""
    return sum(1 for folder in output.parent.glob(f".{output.name}.staging-*") for _ in folder.rglob("index.html"))


def test_a_template_patch_replacing_most_pages_links_them_while_the_rest_render(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the pages replaced (and their `.gz` copies) outnumber the output's folders, the staging
    folder is made during the renders and each chunk's pages are linked into it as it comes back
    (`_EarlyStaging`); a template few pages use stages as before; a patch that gives way after
    that leaves no staging folder behind."""
    site = Site(tmp_path / "site", random.Random(27))
    output = site.root / "public"
    _build(site.root, output, site.now)
    seen: list[int] = []
    keyed = patching._keyed_chunk

    def watched(items: object, state: object) -> object:
        seen.append(_staged_pages(output))
        return keyed(items, state)  # type: ignore[arg-type]

    monkeypatch.setattr(patching, "_keyed_chunk", watched)
    _override(site, "base.html", "một")
    result = _build(site.root, output, site.now)
    assert _templated(result) and result.pages - result.pages_cached == result.pages
    assert seen[0] == 0 and seen[-1] > 0  # the last chunk began with earlier pages staged
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    seen.clear()
    _override(site, "home.html", "hai")  # the home page alone
    result = _build(site.root, output, site.now)
    assert _templated(result) and result.pages - result.pages_cached == 1
    assert not any(seen)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)

    def failing(items: Sequence[object], state: object) -> object:
        found = keyed(items, state)  # type: ignore[arg-type]
        if _staged_pages(output):  # a render fails once pages were staged: a full build instead
            found[-1] = (found[-1][0], error("templates/base.html", 1, "hỏng"))
        return found

    monkeypatch.setattr(patching, "_keyed_chunk", failing)
    _override(site, "base.html", "ba")
    result = _build(site.root, output, site.now)
    assert not result.patched
    assert not list(output.parent.glob(f".{output.name}.staging-*"))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def test_the_pages_a_worker_sends_back_name_their_files_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What travels back from a render worker (pickled) holds no Path: each was parsed again when
    unpickled in the main process (~30 µs, a page's blob and its `.gz` copy's: ~1 s at 10k)."""
    site = Site(tmp_path / "site", random.Random(28))
    output = site.root / "public"
    _build(site.root, output, site.now)
    sent: list[bytes] = []
    keyed = patching._keyed_chunk

    def watched(items: object, state: object) -> object:
        found = keyed(items, state)  # type: ignore[arg-type]
        sent.append(pickle.dumps(found))
        return found

    monkeypatch.setattr(patching, "_keyed_chunk", watched)
    _override(site, "base.html", "một")
    assert _templated(_build(site.root, output, site.now))
    assert sent and all(b"pathlib" not in data for data in sent)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
