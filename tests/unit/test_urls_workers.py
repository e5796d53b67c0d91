"""URL shapes, and the process pool whose results never depend on the number of jobs."""

from __future__ import annotations

from collections.abc import Sequence

from toasoan import urls
from toasoan.config import MenuItem
from toasoan.workers import parallel_map


def test_url_shapes() -> None:
    assert urls.paged("/chuyen-muc/thoi-su/", 1) == "/chuyen-muc/thoi-su/"
    assert urls.paged("/chuyen-muc/thoi-su/", 3) == "/chuyen-muc/thoi-su/trang-3/"
    assert urls.tag_url("Chuyển đổi số") == urls.tag_url("chuyển đổi số") == "/chu-de/chuyen-doi-so/"
    assert urls.archive_url(2023, 6) == "/luu-tru/2023/06/"
    assert urls.output_file("/a/b/") == "a/b/index.html"
    assert urls.output_file("/404.html") == "404.html"
    assert urls.output_file("/") == "index.html"
    assert urls.menu_url(MenuItem(title="Thời sự", category="thoi-su")) == "/chuyen-muc/thoi-su/"


def _square(chunk: Sequence[int], offset: int) -> list[int]:
    return [n * n + offset for n in chunk]


def test_parallel_map_keeps_order_whatever_the_jobs() -> None:
    items = list(range(1000))
    seen: list[tuple[int, int]] = []
    one = parallel_map(_square, items, 1, 7, lambda done, total: seen.append((done, total)))
    assert one == [n * n + 7 for n in items]
    assert parallel_map(_square, items, 3, 7, None) == one
    assert seen[-1] == (1000, 1000)
    assert parallel_map(_square, [], 2, 0, None) == []
