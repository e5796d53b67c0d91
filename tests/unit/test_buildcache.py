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

from toasoan.buildcache import Fingerprints, canonical_pickle, read_blob, write_blob
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
