"""Page keys: canonical hashing of the typed contexts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import hashlib
import multiprocessing
import os
import tracemalloc
from pathlib import Path

from toasoan import buildcache
from toasoan.buildcache import Fingerprints, canonical_pickle, open_cache, read_blob, read_index, remove_blobs, write_blob, write_index
from toasoan.views import ArticleView, CategoryView


def _view(body: str) -> ArticleView:
    return ArticleView(
        title="Hội nghị tổng kết", url="/2023/06/hoi-nghi/", date=dt.datetime(2023, 6, 7, 15, 30), updated=None,
        category=CategoryView(key="thoi-su", name="Thời sự", description="", url="/chuyen-muc/thoi-su/"),
        tags=(), author=None, summary="Sáng 7/6.", body_html=body, cover=None, gallery=(), audio=None, officials=(), preview=None,
    )


def test_hashing_an_article_leaves_no_copy_of_its_html_behind() -> None:
    # Pickle writes a non-ASCII str through a UTF-8 form it caches inside the str for the str's
    # life: the model's HTML would carry a second copy to the end of the build.
    view = _view("<p>Đồng chí Bí thư Tỉnh ủy phát biểu chỉ đạo hội nghị.</p>" * 20_000)  # ~1.2 MB of UTF-8
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        Fingerprints(())(view)
        canonical_pickle(view)
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 100_000, kept


def test_the_key_follows_the_html() -> None:
    one, other = _view("<p>Một.</p>"), _view("<p>Hai.</p>")
    assert canonical_pickle(one) == canonical_pickle(dataclasses.replace(one))
    assert canonical_pickle(one) != canonical_pickle(other)
    assert Fingerprints(())(one) != Fingerprints(())(other)


def test_a_blob_is_created_once_and_one_cut_short_is_replaced_whole(tmp_path: Path) -> None:
    """A blob is created under its name and never opened for writing again: a hard link to it
    (the output's) never sees a write. One cut short by a killed build fails its hash and the next
    write replaces it whole, by a rename, leaving no temporary file."""
    data = b"<p>trang</p>" * 500
    sha, path = write_blob(tmp_path, data)
    assert sha == hashlib.sha256(data).hexdigest() and path.read_bytes() == data
    inode = path.stat().st_ino
    assert write_blob(tmp_path, data) == (sha, path) and path.stat().st_ino == inode
    path.unlink()
    path.write_bytes(data[:100])  # what a build killed while writing leaves
    os.link(path, tmp_path / "index.html")  # an output linked to it
    assert read_blob(tmp_path, sha) is None
    assert write_blob(tmp_path, data) == (sha, path)
    assert path.read_bytes() == data and read_blob(tmp_path, sha) is not None
    assert (tmp_path / "index.html").read_bytes() == data[:100]  # never written through
    assert [p.name for p in path.parent.iterdir()] == [sha]


def _write_same(args: tuple[str, int]) -> bool:
    folder, seed = args
    data = str(seed).encode() * 100_000
    _, path = write_blob(Path(folder), data)
    return path.read_bytes() == data


def test_workers_writing_the_same_blob_at_once_all_get_it_whole(tmp_path: Path) -> None:
    """Two documents with the same HTML rendered by two workers at once: each gets the whole blob,
    whoever makes its bucket or creates it first (a new cache: no bucket yet)."""
    with multiprocessing.get_context("fork").Pool(4) as pool:
        for seed in range(60):
            assert pool.map(_write_same, [(str(tmp_path / f"cache-{seed % 6}"), seed)] * 4) == [True] * 4


def _stamped(cache: Path) -> Path:
    return cache / buildcache.BUILD_DIR / "s"


def test_a_patch_adds_its_entries_beside_the_index_and_a_whole_index_takes_them_in(tmp_path: Path) -> None:
    """The index (~7 MB at 10k articles) is written whole by full builds; a patch build's few
    entries go to `index.more`, which names the index it adds to."""
    folder = _stamped(tmp_path)
    write_index(folder, {"page": {"a": "1" * 64, "b": "2" * 64}})
    index = folder / "index"
    before = (index.stat().st_ino, index.stat().st_mtime_ns, index.read_bytes())
    cache = open_cache(tmp_path, "s")
    assert cache.add_to_index({"page": {"b": "3" * 64}, "markdown": {"m": "4" * 64}})
    assert (index.stat().st_ino, index.stat().st_mtime_ns, index.read_bytes()) == before  # not written again
    assert read_index(folder) == ({"page": {"a": "1" * 64, "b": "3" * 64}, "markdown": {"m": "4" * 64}}, None)
    # The next patch adds to what the last one added.
    again = open_cache(tmp_path, "s")
    assert again.previous == read_index(folder)[0]
    assert again.add_to_index({"page": {"c": "5" * 64}})
    assert read_index(folder)[0] == {"page": {"a": "1" * 64, "b": "3" * 64, "c": "5" * 64}, "markdown": {"m": "4" * 64}}
    # Written whole, the index holds them all and the file beside it goes.
    write_index(folder, again.previous)
    assert not (folder / "index.more").exists()


def test_entries_added_to_another_index_or_damaged_are_not_used(tmp_path: Path) -> None:
    folder = _stamped(tmp_path)
    write_index(folder, {"page": {"a": "1" * 64}})
    assert open_cache(tmp_path, "s").add_to_index({"page": {"b": "2" * 64}})
    more = folder / "index.more"
    stale = more.read_bytes()
    # A build killed between writing a whole index and removing the file beside it.
    write_index(folder, {"page": {"c": "3" * 64}})
    more.write_bytes(stale)
    assert read_index(folder) == ({"page": {"c": "3" * 64}}, None)
    # Damaged: ignored with a notice; the index itself still counts, and the next patch starts afresh.
    write_index(folder, {"page": {"a": "1" * 64}})
    more.write_bytes(stale[:-3])
    index, notice = read_index(folder)
    assert index == {"page": {"a": "1" * 64}} and notice is not None and "phần thêm" in notice
    cache = open_cache(tmp_path, "s")
    assert cache.notices == [notice]
    assert cache.add_to_index({"page": {"d": "4" * 64}})
    assert read_index(folder) == ({"page": {"a": "1" * 64, "d": "4" * 64}}, None)
    # No sound index to add to: the caller writes it whole.
    (folder / "index").write_bytes(b"broken")
    assert not open_cache(tmp_path, "s").add_to_index({"page": {"e": "5" * 64}})


def test_past_its_limit_the_file_beside_the_index_gives_way_to_a_whole_index(tmp_path: Path) -> None:
    folder = _stamped(tmp_path)
    write_index(folder, {"page": {}})
    many = {f"k{i}": f"{i:064x}" for i in range(buildcache.MORE_MAX)}
    assert open_cache(tmp_path, "s").add_to_index({"page": many})
    assert not open_cache(tmp_path, "s").add_to_index({"page": {"one-more": "f" * 64}})


def test_blobs_added_beside_the_other_profiles_index_are_kept(tmp_path: Path) -> None:
    """`serve` (drafts) and `build` share the blobs: a patch of one profile adds entries that the
    other profile's prune must keep."""
    folder = _stamped(tmp_path)
    sha, path = write_blob(folder, b"<p>trang</p>")
    write_index(folder, {"page": {}}, "index-drafts")
    assert open_cache(tmp_path, "s", drafts=True).add_to_index({"page": {"k": sha}})
    write_index(folder, {"page": {}})
    remove_blobs(folder, {sha}, {"page": {}}, "index")
    cache = open_cache(tmp_path, "s")
    cache.finish()
    assert path.read_bytes() == b"<p>trang</p>"


def test_remove_blobs_removes_what_no_index_names_and_passes_over_blobs_already_gone(tmp_path: Path) -> None:
    folder = _stamped(tmp_path)
    kept, kept_path = write_blob(folder, "<p>giữ</p>".encode())
    gone, gone_path = write_blob(folder, "<p>bỏ</p>".encode())
    write_index(folder, {"page": {"a": kept}})
    remove_blobs(folder, {kept, gone, "0" * 64}, {"page": {"a": kept}}, "index")  # the last one was never written
    assert kept_path.read_bytes() == "<p>giữ</p>".encode() and not gone_path.exists()
