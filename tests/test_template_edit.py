"""A template edit re-renders every page but remakes nothing else: search records whose inputs are
unchanged are not made again (their digests are kept in the build cache), and the output is
byte for byte a clean build's."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sitekit import tree_bytes, write_site

from toasoan import deploy
from toasoan.config import load_config
from toasoan.model import Article, Asset, OfficialRef, Site
from toasoan.pipeline import BuildOptions, BuildResult, build
from toasoan.search import ENTRY_FILE, KnownDigests, Record, _shard_digest, article_record, pagefind_version, record_inputs, shard_records

NOW = "1790000000"  # 2026-09-21
THEME = Path(__file__).resolve().parent.parent / "templates"
SITE = """\
-- content/articles/2024/01/gia-lua.md --
---
title: Giá lúa tăng mạnh
date: 2024-01-10 08:00
category: kinh-te
tags: [nông nghiệp]
---
Nông dân phấn khởi vì giá lúa tăng.
-- content/articles/2025/03/duong-moi.md --
---
title: Đường mới về xã
date: 2025-03-02 08:00
category: thoi-su
summary: Con đường dài 5 km.
---
Đoạn đầu.

Đường đã thông xe zqxduong.
-- content/articles/2025/04/hoi-nghi.md --
---
title: Hội nghị chuyển đổi số
date: 2025-04-05 09:00
category: thoi-su
---
Đồng chí chủ trì hội nghị.
"""


def _article(**changes: Any) -> Article:
    base = Article(
        source="content/articles/a.md", title="Đường mới", date=dt.datetime(2025, 3, 2, 8, tzinfo=dt.UTC), updated=None,
        category="thoi-su", tags=("giao thông",), author="Lê Văn A", summary="Tóm tắt.", officials=(OfficialRef(name="Phạm Duy Hưng"),),
        cover=None, gallery=(), audio=None, body_images=(), body_links=(), slug="duong-moi", draft=False, body="Thân bài.", body_line=6,
        url="/2025/03/duong-moi/", body_html="<p>Thân bài đường.</p>", lead="<p>Mở đầu.</p>",
    )
    return dataclasses.replace(base, **changes)


def _asset(name: str) -> Asset:
    return Asset(src=name, source=f"content/media/{name}", name=name, media_path=name, caption="Ảnh", line=3)


# A different value for every field of an article (same type), to see what a record reads.
OTHER: dict[str, Any] = {
    "source": "content/articles/b.md", "title": "Đường cũ", "date": dt.datetime(2025, 3, 3, 8, tzinfo=dt.UTC),
    "updated": dt.datetime(2025, 3, 4, tzinfo=dt.UTC), "category": "kinh-te", "tags": ("giao thông", "xã"),
    "author": "Lê Văn B", "summary": None, "officials": (OfficialRef(name="Lê Thị Mai"),),
    "cover": _asset("a.jpg"), "gallery": (_asset("b.jpg"),), "audio": _asset("a.mp3"), "body_images": (_asset("c.jpg"),),
    "body_links": (("/x/", 7),), "slug": "duong-cu", "draft": True, "body": "Khác.", "body_line": 9, "url": "/2025/03/duong-cu/",
    "body_html": "<p>Thân bài khác.</p>", "lead": "<p>Mở đầu khác.</p>", "body_blob": "ab" * 32, "field_lines": (("title", 2),),
    "aliases": (("/cu/", 8),),
}


def test_record_inputs_change_with_everything_a_record_is_made_of() -> None:
    """Every field of an article that changes its search record changes its record inputs: a
    kept digest is never taken for a record that would come out otherwise."""
    base = _article()
    assert set(OTHER) == {f.name for f in dataclasses.fields(Article)}
    for name, value in OTHER.items():
        other = dataclasses.replace(base, **{name: value})
        if article_record(other, "2025", "Thời sự", None).html != article_record(base, "2025", "Thời sự", None).html:
            assert record_inputs(other, "Thời sự", None) != record_inputs(base, "Thời sự", None), name
    # The HTML left in the build cache is named by its blob; the category's and the image's names.
    assert record_inputs(base, "Thời sự", None) != record_inputs(dataclasses.replace(base, body_html="", body_blob="cd" * 32), "Thời sự", None)
    assert record_inputs(base, "Thời sự", None) != record_inputs(base, "Kinh tế", None)
    assert record_inputs(base, "Thời sự", None) != record_inputs(base, "Thời sự", "/anh/x/480.jpg")
    # No two fields run together: moving text from one field to the next is another input.
    assert record_inputs(_article(tags=("a b",), officials=()), "T", None) != record_inputs(_article(tags=("a",), officials=(OfficialRef(name="b"),)), "T", None)


class _Store:
    """A `KnownDigests` over a dict, counting the articles whose records were made."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.kept: dict[str, bytes] = {}
        self.made: list[str] = []

    def known(self) -> KnownDigests:
        return KnownDigests(folder=self.folder, recall=self.kept.get, remember=self.kept.__setitem__)

    def with_html(self, articles: Iterable[Article]) -> Iterable[Article]:
        for a in articles:
            self.made.append(a.url)
            yield a

    def records(self, site: Site) -> list[Record]:
        self.made = []
        return list(shard_records(site, {}, self.with_html, self.known()))

    def bundle(self, records: list[Record]) -> None:
        """What `index_site` leaves in the search cache for these records: one entry per shard."""
        for shard in {r.shard for r in records}:
            entry = self.folder / f"{shard}-{_shard_digest((r.digest for r in records if r.shard == shard), pagefind_version())}"
            entry.mkdir(parents=True, exist_ok=True)
            (entry / ENTRY_FILE).write_text("{}", encoding="utf-8")


def _site(tmp_path: Path, articles: list[Article]) -> Site:
    config, _ = load_config(write_site(tmp_path / "site", ""))
    assert config is not None
    return Site(config=config, articles=tuple(articles), pages=(), officials={})


def test_unchanged_shards_make_no_record_and_give_the_same_digests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOASOAN_SEARCH_SHARD_MIN", "1")
    monkeypatch.setenv("TOASOAN_SEARCH_SHARD_TAIL", "0")
    old = _article(url="/2024/01/cu/", date=dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    new = _article()
    store = _Store(tmp_path / "search")
    first = store.records(_site(tmp_path, [old, new]))
    assert sorted(store.made) == [old.url, new.url] and all(r.html for r in first)
    # Kept digests but no bundle in the search cache: the records are made again.
    again = store.records(_site(tmp_path, [old, new]))
    assert sorted(store.made) == [old.url, new.url] and again == first
    store.bundle(first)
    light = store.records(_site(tmp_path, [old, new]))
    assert store.made == []
    assert [(r.url, r.shard, r.digest, r.html) for r in light] == [(r.url, r.shard, r.digest, "") for r in first]
    # An edit remakes its shard's records only.
    edited = dataclasses.replace(new, title="Đường mới thông xe")
    mixed = store.records(_site(tmp_path, [old, edited]))
    assert store.made == [new.url]
    assert [r.html for r in mixed if r.url == old.url] == [""] and all(r.html for r in mixed if r.url == new.url)
    # Digests of the wrong length (a store that lost bytes) are not trusted.
    store.kept = {key: value[:-1] for key, value in store.kept.items()}
    store.records(_site(tmp_path, [old, edited]))
    assert sorted(store.made) == [old.url, new.url]


def _build(site: Path, output: Path) -> BuildResult:
    return build(BuildOptions(site_dir=site, output=output, jobs=1, environ={"SOURCE_DATE_EPOCH": NOW}))


def _clean(site: Path, tmp_path: Path, name: str) -> dict[str, bytes]:
    twin = tmp_path / name
    shutil.copytree(site, twin, ignore=shutil.ignore_patterns(".cache", "public", ".public*"))
    _build(twin, twin / "public")
    return tree_bytes(twin / "public")


def _edit_base(site: Path, mark: str) -> None:
    (site / "templates").mkdir(exist_ok=True)
    (site / "templates/base.html").write_text((THEME / "base.html").read_text(encoding="utf-8") + f"<!-- {mark} -->\n", encoding="utf-8")


def _record_blobs(site: Path) -> list[Path]:
    (folder,) = (p for p in (site / ".cache/build").iterdir() if p.is_dir())
    index = json.loads((folder / "index").read_bytes()[32:])
    return [folder / "blobs" / sha[:2] / sha for sha in index["search-records"].values()]


def test_template_edits_equal_clean_builds_with_kept_digests_damaged_or_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOASOAN_SEARCH_SHARD_MIN", "1")
    site = write_site(tmp_path / "site", SITE)
    _build(site, site / "public")
    assert len(_record_blobs(site)) == 2  # one per shard: 2024, 2025
    _edit_base(site, "sửa một")
    edited = _build(site, site / "public")
    assert edited.search is not None and edited.search.built == 0
    assert edited.patched  # built from the snapshot's model: the search bundle is the last one
    assert edited.pages_cached < edited.pages and not any("bộ nhớ đệm" in str(w) for w in edited.warnings)
    assert tree_bytes(site / "public") == _clean(site, tmp_path, "clean-1")
    # A damaged digest blob is noticed, its shard's records made again, the output still exact
    # (a file added beside the template edit: a full build, which reads the digests).
    for blob in _record_blobs(site):
        data = blob.read_bytes()
        blob.unlink()
        blob.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    _edit_base(site, "sửa hai")
    (site / "static").mkdir(exist_ok=True)
    (site / "static/them.txt").write_text("thêm\n", encoding="utf-8")
    repaired = _build(site, site / "public")
    assert any("bộ nhớ đệm hỏng ở một mục (search-records)" in str(w) for w in repaired.warnings)
    assert tree_bytes(site / "public") == _clean(site, tmp_path, "clean-2")
    # A body edit with a template edit: the edited record is made again (its body blob moved).
    path = site / "content/articles/2025/04/hoi-nghi.md"
    path.write_text(path.read_text(encoding="utf-8").replace("chủ trì", "chủ trì zqxsua"), encoding="utf-8")
    _edit_base(site, "sửa ba")
    again = _build(site, site / "public")
    assert again.search is not None and again.search.built == 1
    assert tree_bytes(site / "public") == _clean(site, tmp_path, "clean-3")


def test_every_text_file_staged_gets_its_gzip_copy_and_a_header(tmp_path: Path) -> None:
    """The deploy files are made from the list of files the build staged (no walk of the staging
    folder): every one of them, pages, copies, feeds, the search bundle, is in it."""
    site = write_site(tmp_path / "site", SITE + "-- static/css/them.css --\n" + "body { color: red; }\n" * 40)
    fresh = _build(site, site / "public")
    cached = _build(site, tmp_path / "again")  # another output: every page from the build cache
    assert fresh.pages_cached == 0 and cached.pages_cached == cached.pages
    assert tree_bytes(site / "public") == tree_bytes(tmp_path / "again")
    _every_file_has_its_copy_and_header(site / "public")


def _every_file_has_its_copy_and_header(out: Path) -> None:
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    texts = [f for f in files if deploy.wants_gzip(f, (out / f).stat().st_size)]
    assert any(f.startswith("pagefind/") for f in texts) and any(f.endswith(".xml") for f in texts) and any(f.startswith("css/") for f in texts)
    for path in texts:
        if len(deploy.compress((out / path).read_bytes())) < (out / path).stat().st_size:
            assert f"{path}.gz" in files, path
    headers = (out / "_headers").read_text(encoding="utf-8")
    for path in files:
        if not path.startswith(".") and not path.endswith(".gz") and path != "_headers":
            top = path.split("/")[0]
            assert f"/{path}\n" in headers or f"/{top}/" in headers or f"/{top}\n" in headers, path
