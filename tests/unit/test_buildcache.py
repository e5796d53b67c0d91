"""Page keys: canonical hashing of the typed contexts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import tracemalloc

from toasoan.buildcache import Fingerprints, canonical_pickle
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
