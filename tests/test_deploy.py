"""What hosts and CDNs need: content-hashed CSS/JS names, `_headers` with one lifetime per URL,
deterministic `.gz` copies that are made once and then taken from the build cache."""

from __future__ import annotations

import gzip
import hashlib
import re
import shutil
from pathlib import Path

import pytest
from sitekit import make_jpeg, run_cli, tree_bytes, write_site

from toasoan import deploy

SITE = """\
-- content/articles/2023/06/bai/index.md --
---
title: Bài có ảnh
date: 2023-06-07 15:30
category: thoi-su
cover: {src: anh.jpg, caption: Ảnh bìa.}
gallery:
  - {src: anh.jpg, caption: Ảnh một.}
---

Nội dung bài viết có ảnh, đủ dài để nén: """ + "chữ " * 200 + """
"""


def _rules(headers: str) -> list[tuple[str, str]]:
    lines = [line for line in headers.splitlines() if line and not line.startswith("#")]
    rules = []
    for url, value in zip(lines[::2], lines[1::2], strict=True):
        assert value.startswith("  Cache-Control: "), value
        rules.append((url, value.split(": ", 1)[1]))
    return rules


def _matches(pattern: str, url: str) -> bool:
    if pattern.endswith("/*"):
        return url.startswith(pattern[:-1])
    return url == pattern


def _build(site: Path) -> Path:
    write_site(site, SITE)
    make_jpeg(site / "content/articles/2023/06/bai/anh.jpg", (1200, 800))
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    return site / "public"


def test_css_and_js_carry_their_content_hash_and_pages_point_at_them(site: Path) -> None:
    out = _build(site)
    article = (out / "2023/06/bai/index.html").read_text(encoding="utf-8")
    (css,) = re.findall(r'href="/(css/[^"]+\.css)"', article)
    (js,) = re.findall(r'src="/(js/[^"]+\.js)"', article)
    for path in (css, js):
        data = (out / path).read_bytes()
        assert f".{hashlib.sha256(data).hexdigest()[:12]}." in path
    assert not (out / "css/site.css").exists()
    # A site's own stylesheet replaces the theme's under its own hash.
    (site / "static/css").mkdir(parents=True)
    (site / "static/css/site.css").write_text("body { color: #111; }\n", encoding="utf-8")
    assert run_cli("--site", site).code == 0
    again = (out / "2023/06/bai/index.html").read_text(encoding="utf-8")
    (css2,) = re.findall(r'href="/(css/[^"]+\.css)"', again)
    assert css2 != css and (out / css2).read_text(encoding="utf-8") == "body { color: #111; }\n"


def test_an_unknown_asset_in_a_template_is_an_error_at_its_line(site: Path) -> None:
    write_site(site, SITE + '-- templates/404.html --\n{% extends "base.html" %}\n{% block content %}\n<img src="{{ asset(\'img/khong-co.png\') }}">\n{% endblock %}\n')
    make_jpeg(site / "content/articles/2023/06/bai/anh.jpg")
    run = run_cli("--site", site)
    assert run.code == 1
    assert "templates/404.html:3: " in run.stderr and "img/khong-co.png" in run.stderr, run.stderr


def test_headers_give_each_url_exactly_one_lifetime(site: Path) -> None:
    out = _build(site)
    rules = _rules((out / "_headers").read_text(encoding="utf-8"))
    files = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    served = [f for f in files if not f.startswith(".") and f != "_headers" and not f.endswith(".gz")]
    assert any(f.startswith("anh/") for f in served) and any(f.startswith("pagefind/") for f in served)
    for path in served:
        found = [value for pattern, value in rules if _matches(pattern, "/" + path)]
        assert len(found) == 1, (path, found)
        lasting = found[0] == deploy.IMMUTABLE
        hashed = path.startswith(("anh/", "css/", "js/")) or "/fragment/" in path or "/index/" in path or "/filter/" in path or path.endswith(".pf_meta")
        assert lasting == hashed, path
    assert ("/", deploy.SHORT) in rules
    assert ("/anh/*", deploy.IMMUTABLE) in rules


def test_text_files_have_deterministic_gzip_copies(site: Path, tmp_path: Path) -> None:
    out = _build(site)
    copies = sorted(out.rglob("*.gz"))
    assert out / "index.html.gz" in copies
    assert out / "2023/06/bai/index.html.gz" in copies
    assert not any(p.name.endswith((".jpg.gz", ".webp.gz", ".avif.gz")) for p in copies)
    for copy in copies:
        data = copy.read_bytes()
        assert data[3] & 0x08 == 0  # no file name in the header
        assert data[4:8] == b"\0\0\0\0"  # mtime 0
        original = copy.with_name(copy.name[:-3])
        assert gzip.decompress(data) == original.read_bytes()
        assert len(data) < original.stat().st_size
    # Another build of the same input, from an empty cache, gives the same bytes.
    second = run_cli("--site", site, "--output", tmp_path / "b", env={"SOURCE_DATE_EPOCH": "1790000000"})
    assert second.code == 0
    shutil.rmtree(site / ".cache")
    third = run_cli("--site", site, "--output", tmp_path / "c")
    assert third.code == 0
    assert tree_bytes(tmp_path / "b") == tree_bytes(tmp_path / "c") == tree_bytes(out)


def test_unchanged_files_are_not_compressed_again(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    (staging / "a").mkdir(parents=True)
    (staging / "a/index.html").write_text("<p>trang</p>" * 100, encoding="utf-8")
    (staging / "small.txt").write_text("ngắn", encoding="utf-8")
    (staging / "anh.jpg").write_bytes(b"\xff\xd8" * 1000)
    cache = tmp_path / "cache"
    used: dict[str, str] = {}
    hows: list[str] = []

    def account(key: str, sha: str, how: str) -> None:
        used[key] = sha
        hows.append(how)

    assert deploy.precompress(staging, cache, {}, {}, 1, account) == 1
    assert hows == ["made"] and sorted(p.name for p in staging.rglob("*.gz")) == ["index.html.gz"]
    (staging / "a/index.html.gz").unlink()
    hows.clear()
    assert deploy.precompress(staging, cache, dict(used), {}, 1, account) == 1
    assert hows == ["cached"]
    # A damaged cached copy is made again, never published.
    (blob,) = (p for p in cache.rglob("*") if p.is_file())
    blob.chmod(0o644)
    blob.write_bytes(b"hong")
    (staging / "a/index.html.gz").unlink()
    hows.clear()
    assert deploy.precompress(staging, cache, dict(used), {}, 1, account) == 1
    assert hows == ["damaged"]
    assert gzip.decompress((staging / "a/index.html.gz").read_bytes()) == (staging / "a/index.html").read_bytes()


def test_a_page_rendered_again_gets_its_gzip_copy_from_the_worker_that_rendered_it(site: Path) -> None:
    """Pages rendered by a build get their `.gz` copies where they are rendered (from the bytes in
    hand, no read-back): the same page rendered again (a template comment) reuses its cached copy,
    a damaged one is made again with a notice, and the output stays a clean build's."""
    out = _build(site)
    clean = tree_bytes(out)
    page = out / "2023/06/bai/index.html.gz"
    (blob,) = (p for p in (site / ".cache/build").rglob("blobs/*/*") if p.stat().st_ino == page.stat().st_ino)
    theme = Path(__file__).resolve().parent.parent / "templates"
    (site / "templates").mkdir()
    # A Jinja comment: every page is rendered again, to the same bytes.
    (site / "templates/article.html").write_text((theme / "article.html").read_text(encoding="utf-8") + "{# sửa #}\n", encoding="utf-8")
    again = run_cli("--site", site, "--jobs", "2")
    assert again.code == 0, again.stderr
    assert "bộ nhớ đệm hỏng" not in again.stderr
    assert page.stat().st_ino == blob.stat().st_ino  # the cached copy, linked
    data = blob.read_bytes()
    blob.unlink()  # damaged: the published copy (a hard link) keeps its bytes
    blob.write_bytes(data[: len(data) // 2])
    (site / "templates/article.html").write_text((theme / "article.html").read_text(encoding="utf-8") + "{# sửa lần hai #}\n", encoding="utf-8")
    remade = run_cli("--site", site, "--jobs", "2")
    assert remade.code == 0, remade.stderr
    assert "bộ nhớ đệm hỏng ở một tệp nén" in remade.stderr
    assert tree_bytes(out) == clean
    assert gzip.decompress(page.read_bytes()) == (out / "2023/06/bai/index.html").read_bytes()


def test_which_files_get_a_gzip_copy_by_name() -> None:
    """By the suffix as Path.suffix reads it (no Path made per file: a patch build asks it of
    every file of the search bundle), never for a hidden file."""
    wanted = ["a/b.html", "x/site.CSS", "a.b/c.json", "feed.xml", "x/y.tar.js"]
    unwanted = [".x.html", "a/.html", "a/..css", "x.", "x", "html", "a/b.html.", "dir.css/file", "p/f.pf_fragment", "b.css ", "..."]
    assert [p for p in wanted + unwanted if deploy.wants_gzip(p, deploy.MIN_COMPRESS)] == wanted


def test_a_folders_rules_made_again_equal_the_whole_file_made_again() -> None:
    """A patch build remakes only the search bundle's rules of `_headers`."""
    def short_or_hashed(path: str) -> bool:
        return deploy.immutable(path, frozenset({"css/site.0123456789ab.css"}))

    others = ["index.html", "2024/05/bai/index.html", "anh/a.jpg", "css/site.0123456789ab.css", "robots.txt", "zz/index.html"]
    entry = "pagefind/2024/pagefind-entry.json"
    before = ["pagefind/pagefind.js", entry, "pagefind/2024/fragment/a.pf_fragment", "pagefind/2024/pagefind.vi_1.pf_meta"]
    after = ["pagefind/pagefind.js", entry, "pagefind/2024/fragment/b.pf_fragment", "pagefind/2024/pagefind.vi_2.pf_meta", "pagefind/2025/index/c.pf_index"]
    last = deploy.headers_file(others + before, short_or_hashed)
    remade = deploy.replace_folder_rules(last, "pagefind", after, short_or_hashed)
    assert remade == deploy.headers_file(others + after, short_or_hashed)
    assert b"vi_2" in remade and b"vi_1" not in remade
    assert deploy.replace_folder_rules(deploy.headers_file(others, short_or_hashed), "pagefind", after, short_or_hashed) is None


def test_each_files_lifetime_is_asked_once_per_rule_tree() -> None:
    """`_headers` over the search bundle (10,000 files, four folders deep) asks each file's
    lifetime once to rule its folders and once for its own rule, not again at every level."""
    asked: dict[str, int] = {}

    def counted(path: str) -> bool:
        asked[path] = asked.get(path, 0) + 1
        return deploy.immutable(path, frozenset())

    paths = [f"pagefind/{year}/{kind}/{n}.pf_{kind}" for year in (2024, 2025) for kind in ("index", "fragment") for n in range(3)]
    paths += ["pagefind/pagefind-entry.json", "pagefind/2025/pagefind-entry.json", "index.html"]
    headers = deploy.headers_file(paths, counted).decode("utf-8")
    assert "/pagefind/2025/index/*\n  Cache-Control: public, max-age=31536000, immutable" in headers
    assert "/pagefind/2025/pagefind-entry.json\n  Cache-Control: public, max-age=300" in headers
    assert max(asked.values()) <= 2 and set(asked) == set(paths)


def test_a_few_files_are_compressed_without_worker_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A patch build compresses a handful of files: starting worker processes from a process
    holding the site's model cost more than the work; many files still go to the workers."""
    import toasoan.workers

    for folder in ("few", "many"):
        (tmp_path / folder).mkdir()
        for n in range(deploy.WORKERS_MIN + 1):
            (tmp_path / folder / f"{n}.html").write_text(f"<p>{n}</p>" * 100, encoding="utf-8")
    jobs_asked: list[int] = []
    real = toasoan.workers.parallel_map

    def watched(fn, items, jobs, state, progress):  # type: ignore[no-untyped-def]
        jobs_asked.append(jobs)
        return real(fn, items, jobs, state, progress)

    monkeypatch.setattr(deploy, "parallel_map", watched)
    (tmp_path / "few/small.html").write_text("<p>ngắn</p>", encoding="utf-8")  # too small to gain
    few = [f"{n}.html" for n in range(3)] + ["small.html"]
    copies: list[str] = []
    assert deploy.precompress(tmp_path / "few", tmp_path / "cache", {}, {}, 2, lambda *_: None, paths=few, copies=copies) == 3
    # The copies made are named, so the patch build need not ask the folder for each file.
    assert copies == [f"{n}.html.gz" for n in range(3)] == sorted(p.name for p in (tmp_path / "few").glob("*.gz"))
    assert deploy.precompress(tmp_path / "many", tmp_path / "cache", {}, {}, 2, lambda *_: None) == deploy.WORKERS_MIN + 1
    assert jobs_asked == [1, 2]
    for folder in ("few", "many"):
        assert gzip.decompress((tmp_path / folder / "0.html.gz").read_bytes()) == (tmp_path / folder / "0.html").read_bytes()


def test_a_gzip_copy_is_linked_by_the_size_it_was_made_with_without_a_stat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy's size comes with it from the process that compressed or verified it: a template
    patch links ~15,000 copies, and a stat of each blob cost as much as the link."""
    cache, staging = tmp_path / "cache", tmp_path / "staging"
    (staging / "bai").mkdir(parents=True)
    page = ("<p>" + "chữ " * 300 + "</p>").encode()
    made = deploy.compressed(cache, {}, hashlib.sha256(page).hexdigest(), page)
    again = deploy.compressed(cache, {made.key: made.sha}, hashlib.sha256(page).hexdigest(), page)
    assert made.size == again.size == Path(made.blob).stat().st_size < len(page) and again.how == "cached"

    def refused(*_: object, **__: object) -> None:
        raise AssertionError("a blob was stat'ed")

    monkeypatch.setattr(Path, "stat", refused)
    monkeypatch.setattr(deploy.os, "stat", refused)
    assert deploy.link_copy(staging, "bai/index.html", again, len(page))
    assert not deploy.link_copy(staging, "bai/khac.html", again, again.size)  # not smaller: not published
    monkeypatch.undo()
    assert gzip.decompress((staging / "bai/index.html.gz").read_bytes()) == page
    assert not (staging / "bai/khac.html.gz").exists()
