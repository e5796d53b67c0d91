"""Scanning Markdown bodies for photos and internal links, with their lines, outside code."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from toasoan.scanner import body_images, internal_links

BODY = """\
Mở đầu ![nhỏ](a.jpg) và `![mã](b.jpg)`.

    ![khối mã](c.jpg)

- mục một

    ![trong danh sách](d.jpg)

```
![rào](e.jpg)
```
![tham chiếu][ref] ![rỗng][]
Xem [bài](/2023/06/bai/) và [ngoài](https://a.vn/) và [khác][k].

[ref]: f.jpg
[rỗng]: g.jpg "tiêu đề"
[k]: /gioi-thieu/
"""


def test_photos_inline_and_by_reference_but_not_in_code() -> None:
    assert body_images(BODY) == [
        (0, "a.jpg", "nhỏ"),
        (6, "d.jpg", "trong danh sách"),
        (14, "f.jpg", "tham chiếu"),
        (15, "g.jpg", "rỗng"),
    ]


def test_internal_links_with_lines() -> None:
    assert internal_links(BODY, 10) == (("/2023/06/bai/", 22), ("/gioi-thieu/", 26))


class _Hung(Exception):
    pass


@contextmanager
def hang_guard(seconds: int = 20) -> Iterator[None]:
    """Fails only on catastrophic (quadratic and worse) behaviour: the linear scan takes far
    less than a second; the old regexes took minutes on these lines."""

    def give_up(signum: int, frame: object) -> None:
        raise _Hung(f"still scanning after {seconds} s")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


ADVERSARIAL = {
    "unclosed links": "](/" * 70_000,
    "unclosed photos": "![" * 100_000,
    "photos without destination end": "![a](" * 40_000,
    "titles never closed": '](/ "' * 40_000,
    "reference photos never closed": "![a][" * 40_000,
    "code spans of every length": "".join("`" * (i % 50 + 1) + "a" for i in range(8_000)),
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_scanners_read_a_hostile_200_kb_line_once(name: str) -> None:
    line = ADVERSARIAL[name]
    body = f"{line}\n[bài](/2023/06/bai/) ![ảnh](a.jpg)\n"
    with hang_guard():
        links = internal_links(body, 5)
        photos = body_images(body)
    # What follows the hostile line is still read.
    assert ("/2023/06/bai/", 6) in links
    assert (1, "a.jpg", "ảnh") in photos


def test_link_forms_the_scanner_reads() -> None:
    body = (
        '[a](/mot/ "tiêu đề") [b]( </hai/> ) [c](//ngoai.vn/) [e](/bon/ "chưa đóng)\n'
        "![x](<anh.jpg> 'chú thích') [![y](b.jpg)](/nam/) ![z] [ref] `[f](/ma/)` ``[g](/ma/)`` ```h``\n"
        "[ref]: c.jpg\n"
    )
    assert internal_links(body, 1) == (("/mot/", 1), ("/hai/", 1), ("/nam/", 2))
    assert body_images(body) == [(1, "anh.jpg", "x"), (1, "b.jpg", "y"), (2, "c.jpg", "z")]
