"""Patch builds: an edit to article bodies alone re-makes only those pages (and their search
shard, `.gz` copies and `_headers`) from the last build's snapshot, and gives exactly the
bytes and findings of a clean build; anything it cannot vouch for gets a full build."""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import shutil
from pathlib import Path

import pytest
from sitekit import tree_bytes
from test_incremental import Site, _build, _clean_build

from toasoan.pipeline import BuildResult


def _patched(result: BuildResult) -> bool:
    return any(stage == "edited articles" for stage, _ in result.timings)


def _edit_second_paragraph(path: Path, words: str) -> None:
    head, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    path.write_text(f"{head}\n---\n{body.replace('Đoạn thứ hai', words, 1)}", encoding="utf-8")


def _published(site: Site, result: BuildResult) -> list[Path]:
    """The site's articles readers see (an unpublished one's edit changes no page)."""
    sources = {source for source, _ in result.addresses}
    return [p for p in site.articles() if p.relative_to(site.root).as_posix() in sources]


def _snapshots(site: Site) -> list[Path]:
    return sorted((site.root / ".cache").rglob("*.snapshot"))


def test_a_body_edit_is_patched_into_the_last_output(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(11))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    assert not _patched(first) and len(_snapshots(site)) == 1
    shown = _published(site, first)
    for n, path in enumerate(shown[:2]):
        _edit_second_paragraph(path, f"Đoạn thứ hai (sửa lần {n})")
    edited = _build(site.root, output, site.now)
    assert _patched(edited)
    # The two pages, nothing else.
    assert edited.pages - edited.pages_cached == 2
    urls = dict(edited.addresses)
    for n, path in enumerate(shown[:2]):
        page = output / urls[path.relative_to(site.root).as_posix()].strip("/") / "index.html"
        assert f"sửa lần {n}" in page.read_text(encoding="utf-8")
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    again = _build(site.root, output, site.now)
    assert again.up_to_date  # the patch left a record: nothing to do now
    # A title is on other pages (lists, feeds, "Xem thêm"): a full build, equal to a clean one.
    site._edit_front(shown[0], "title", "Một tiêu đề hoàn toàn mới")
    retitled = _build(site.root, output, site.now)
    assert not _patched(retitled)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # The full build left a snapshot again: the next body edit is patched.
    _edit_second_paragraph(shown[1], "Đoạn thứ hai (lần nữa)")
    assert _patched(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def test_a_body_edit_with_a_finding_gets_a_full_build(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(12))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    path = _published(site, first)[1]
    _edit_second_paragraph(path, "Xem [bài cũ](/khong-co-trang-nay/). Đoạn thứ hai")
    result = _build(site.root, output, site.now)
    assert not _patched(result)
    assert [d.message for d in result.warnings if d.path.endswith(path.name)] == ["liên kết hỏng `/khong-co-trang-nay/`: trang không có trang này"]
    # The warning stays with the article: its next body edit is not patched either, and says it again.
    _edit_second_paragraph(path, "Xem [bài cũ](/khong-co-trang-nay/). Vẫn đoạn thứ hai")
    again = _build(site.root, output, site.now)
    assert not _patched(again) and [d.path for d in again.warnings] == [d.path for d in result.warnings]
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def test_a_damaged_or_foreign_snapshot_is_ignored(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(13))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    path = _published(site, first)[0]
    (snap,) = _snapshots(site)
    data = bytearray(snap.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snap.write_bytes(bytes(data))
    _edit_second_paragraph(path, "Đoạn thứ hai đã sửa")
    result = _build(site.root, output, site.now)
    assert not _patched(result)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # Checksummed bytes that would run code when unpickled are refused, never run.
    marker = tmp_path / "ran"
    payload = pickle.dumps(_RunsCode(str(marker)), protocol=5)
    snap.write_bytes(hashlib.sha256(payload).digest() + payload)
    _edit_second_paragraph(path, "Đoạn thứ hai đã sửa lần nữa")
    result = _build(site.root, output, site.now)
    assert not _patched(result) and not marker.exists()
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # The full builds wrote a sound snapshot again: the same edit is now patched.
    _edit_second_paragraph(path, "Đoạn thứ hai đã sửa lần ba")
    assert _patched(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


class _RunsCode:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (self.path,))  # type: ignore[return-value]


def test_a_file_written_again_with_its_old_stat_is_still_seen(tmp_path: Path) -> None:
    """The snapshot trusts a file by its stat only when ctime (which no program can set) did not
    move: the same size and a restored mtime do not hide an edit."""
    site = Site(tmp_path / "site", random.Random(14))
    output = site.root / "public"
    _build(site.root, output, site.now)
    path = site.articles()[2]
    text = path.read_text(encoding="utf-8")
    stat = path.stat()
    path.write_text(text.replace("Đoạn thứ hai", "Đoạn thứ HAI", 1), encoding="utf-8")
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _build(site.root, output, site.now)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    assert "Đoạn thứ HAI" in "".join(v.decode("utf-8", "replace") for k, v in tree_bytes(output).items() if k.endswith(".html"))


def test_the_snapshot_keeps_no_search_text_and_a_lost_shard_gets_a_full_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Two shards (the newest two or three articles apart): an edit re-indexes its own shard, from
    # the articles' HTML in the build cache, and takes the other from the search cache.
    monkeypatch.setenv("TOASOAN_SEARCH_SHARD_MIN", "2")
    monkeypatch.setenv("TOASOAN_SEARCH_SHARD_TAIL", "2")
    site = Site(tmp_path / "site", random.Random(13))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    assert first.search is not None and first.search.shards > 1
    (snap_file,) = _snapshots(site)
    records = pickle.loads(snap_file.read_bytes()[32:]).records
    assert records and all(r.html == "" and r.digest for r in records)  # URL, shard, digest: no text
    shown = _published(site, first)
    _edit_second_paragraph(shown[0], "Đoạn thứ hai (sửa một lần)")
    edited = _build(site.root, output, site.now)
    assert _patched(edited) and edited.search is not None and (edited.search.built, edited.search.cached) == (1, 1)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # The search cache lost every shard: the patch cannot make the others, a full build does.
    (search_cache,) = (p for p in (site.root / ".cache").rglob("search") if p.is_dir())
    shutil.rmtree(search_cache)
    _edit_second_paragraph(shown[0], "Đoạn thứ hai (sửa lần hai)")
    again = _build(site.root, output, site.now)
    assert not _patched(again) and again.search is not None and again.search.built >= 1
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
