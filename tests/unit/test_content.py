"""Scanning Markdown bodies for photos and internal links, with their lines, outside code."""

from __future__ import annotations

from toasoan.content import body_images, internal_links

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
