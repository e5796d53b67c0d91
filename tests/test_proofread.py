"""The proofreader: each mistake that used to publish silently is reported at its line, with its
exact `path:line: message`, by `check` (and `build`)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sitekit import make_jpeg, run_cli, write_site

A = "content/articles/2023/06"
OFFICIALS = """\
-- content/officials.yaml --
- id: pham-duy-hung
  name: Phạm Duy Hưng
  positions:
    - { title: "Chủ tịch UBND tỉnh", from: 2020-01-01 }
- id: ly-van-thanh
  name: Lý Văn Thành
  positions:
    - { title: "Phó Chủ tịch UBND tỉnh", from: 2020-01-01 }
"""

SITE = OFFICIALS + f"""\
-- {A}/hoi-nghi/index.md --
---
title: Hội nghị tổng kết năm
date: 2023-06-07 15:30
category: thoi-su
tags: [Chuyển đổi số, nông nghiệp]
summary: Tóm tắt ngắn.
cover: {{ src: "Ảnh hội nghị số 1.jpg", caption: Toàn cảnh. }}
officials:
  - pham-duy-hung
---

![Toàn cảnh hội nghị.](Ảnh hội nghị số 1.jpg)

Ông Phạm Duy Hung phát biểu. Đồng chí Lý Văn Thành dự.

![](nho.jpg)

![Lần nữa.](nho.jpg)

Các việc cần làm:
- một
- hai

- cha
  - con

Xem [bài cũ](../../05/bai-cu.md#ket-qua), [bài khác](content/articles/2023/06/khong-co.md).
-- {A}/bai-2.md --
---
title: “Bản tin chiều”
date: 2023-06-08 09:00
category: thoi-su
tags: [chuyển đồi số, chuyển đổi số, Nông nghiệp]
summary: "{"Sapo rất dài. " * 20}"
officials:
  - {{ name: Phạm Duy Hung, position: Chủ tịch }}
cover: {{ src: nho.jpg }}
---

BBK - 08/06, ...

Chữ\u200bcó ký tự vô hình.
-- {A}/bai-3.md --
---
title: Hội nghị  tổng kết năm
date: 2062-06-09 09:00
category: thoi-su
tags: [Chuyển đổi số]
---

Nội dung.
-- content/articles/2023/05/bai-cu.md --
---
title: Bài cũ
date: 2023-05-01 09:00
category: thoi-su
tags: [chuyển đổi số]
---

## Kết quả

Nội dung.
-- content/articles/2023/05/nhap.md --
---
title: Bài nháp
date: 2023-05-02 09:00
category: thoi-su
draft: true
---

Nội dung.
-- content/articles/2023/05/hen-gio.md --
---
title: Bài hẹn giờ
date: 2026-12-05 09:00
category: thoi-su
---

Nội dung.
"""


def _write(site: Path) -> Path:
    write_site(site, SITE)
    make_jpeg(site / A / "hoi-nghi/Ảnh hội nghị số 1.jpg", size=(1600, 900))
    make_jpeg(site / A / "hoi-nghi/nho.jpg", size=(800, 450))
    make_jpeg(site / A / "nho.jpg", size=(800, 450))
    return site


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], str]:
    site = _write(tmp_path_factory.mktemp("proofread") / "site")
    run = run_cli("check", "--site", site)
    assert run.code == 0, run.stderr
    return site, run.stderr.splitlines(), run.stdout


H = f"{A}/hoi-nghi/index.md"
B2 = f"{A}/bai-2.md"
B3 = f"{A}/bai-3.md"

EXPECTED = [
    f"{H}:14: cảnh báo: tên `Phạm Duy Hung` khác tên trong content/officials.yaml: `Phạm Duy Hưng` (mã `pham-duy-hung`); nếu là người này, sửa cho đúng",
    f"{H}:14: cảnh báo: bài nhắc tới `Lý Văn Thành` nhưng `officials:` chưa có mã `ly-van-thanh`: thêm vào để bài hiện ở trang của nhân vật",
    f"{H}:16: cảnh báo: ảnh `nho.jpg` chưa có chú thích: viết nó trong `![chú thích](...)`",
    f"{H}:18: cảnh báo: ảnh `nho.jpg` đã dùng ở dòng 16 của bài này",
    f"{H}:21: cảnh báo: danh sách viết ngay dưới dòng chữ, không có dòng trống: Markdown gộp nó vào đoạn văn; thêm một dòng trống trước dòng này",
    f"{H}:25: cảnh báo: mục con thụt 2 dấu cách: Markdown đưa nó ra cùng cấp với mục trên; thụt 4 dấu cách",
    f"{H}:27: cảnh báo: liên kết `content/articles/2023/06/khong-co.md` trỏ tới tệp không phải bài viết nào (tìm ở content/articles/2023/06/khong-co.md)",
    f"{B2}:2: cảnh báo: giá trị đặt trong ngoặc kép cong “…”: YAML giữ cả hai dấu ngoặc trong giá trị; dùng ngoặc thẳng `\"...\"` hoặc bỏ ngoặc",
    f"{B2}:5: cảnh báo: từ khóa `chuyển đồi số` khác cách viết đã dùng `Chuyển đổi số` (2 bài): viết giống nhau để các bài vào cùng một trang từ khóa",
    f"{B2}:5: cảnh báo: từ khóa `chuyển đổi số` khác cách viết đã dùng `Chuyển đổi số` (2 bài): viết giống nhau để các bài vào cùng một trang từ khóa",
    f"{H}:5: cảnh báo: từ khóa `nông nghiệp` khác cách viết đã dùng `Nông nghiệp` (1 bài): viết giống nhau để các bài vào cùng một trang từ khóa",
    "content/articles/2023/05/bai-cu.md:5: cảnh báo: từ khóa `chuyển đổi số` khác cách viết đã dùng `Chuyển đổi số` (2 bài): viết giống nhau để các bài vào cùng một trang từ khóa",
    f"{B2}:6: cảnh báo: sapo dài 279 ký tự: kết quả tìm kiếm chỉ hiện khoảng 160 ký tự đầu; rút gọn còn dưới 200",
    f"{B2}:8: cảnh báo: `Phạm Duy Hung` gần giống nhân vật `Phạm Duy Hưng` trong content/officials.yaml: nếu là người này, viết mã `pham-duy-hung`",
    f"{B2}:12: cảnh báo: dòng mẫu `BBK - ngày, ...` của lệnh `new` vẫn còn: viết phần mở đầu bài (hoặc để `draft: true`)",
    f"{B2}:14: cảnh báo: có ký tự vô hình (U+200B: khoảng trắng không độ rộng hoặc dấu đảo chiều chữ): xóa chúng đi",
    f"{B3}:2: cảnh báo: tiêu đề trùng với bài `{H}`: độc giả và máy tìm kiếm không phân biệt được hai bài",
    f"{B3}:3: cảnh báo: ngày đăng 09/06/2062 còn hơn một năm nữa: có gõ nhầm năm không? Bài chỉ được đăng vào ngày đó",
    f"{B2}:9: cảnh báo: ảnh bìa `nho.jpg` chưa có chú thích (`caption`)",
    f"{B2}:9: cảnh báo: ảnh bìa `nho.jpg` chỉ rộng 800 px: Zalo, Facebook cần ít nhất 1200 px để hiện ảnh lớn khi chia sẻ",
]


@pytest.mark.parametrize("expected", EXPECTED, ids=[re.sub(r"\W+", "-", e.split("cảnh báo: ")[1][:40]) for e in EXPECTED])
def test_each_finding_at_its_line(checked: tuple[Path, list[str], str], expected: str) -> None:
    _, lines, _ = checked
    assert expected in lines, "\n".join(lines)


def test_nothing_else_is_reported(checked: tuple[Path, list[str], str]) -> None:
    """No false alarms: the resolved source link, the cover photo with spaces, the listed
    official and the established tags are not reported; each tag once per article."""
    _, lines, _ = checked
    assert sorted(lines) == sorted(EXPECTED)


def test_check_ends_with_a_summary(checked: tuple[Path, list[str], str]) -> None:
    _, _, stdout = checked
    assert f"Tổng cộng: 0 lỗi, {len(EXPECTED)} cảnh báo." in stdout
    assert "Chưa đăng (3 bài):" in stdout
    assert "  content/articles/2023/05/nhap.md: bản nháp" in stdout
    assert "  content/articles/2023/05/hen-gio.md: hẹn giờ đăng 05/12/2026 09:00" in stdout
    assert f"  {B3}: hẹn giờ đăng 09/06/2062 09:00" in stdout
    assert "Bài hẹn giờ tiếp theo lên trang lúc 05/12/2026 09:00." in stdout


def test_photo_names_with_spaces_are_published_and_source_links_resolved(tmp_path: Path) -> None:
    site = _write(tmp_path / "site")
    out = tmp_path / "public"
    run = run_cli("--site", site, "--output", out)
    assert run.code == 0, run.stderr
    html = (out / "2023/06/hoi-nghi/index.html").read_text(encoding="utf-8")
    assert "Ảnh hội nghị số 1.jpg" not in html
    body = html.split('class="story', 1)[1]
    assert re.search(r'<img [^>]*src="/anh/[0-9a-f]+/', body), body[:2000]
    assert 'href="/2023/05/bai-cu/#ket-qua"' in html
    assert "bai-cu.md" not in html


def test_missing_photo_with_spaces_is_an_error(tmp_path: Path) -> None:
    site = _write(tmp_path / "site")
    (site / A / "hoi-nghi/Ảnh hội nghị số 1.jpg").unlink()
    run = run_cli("check", "--site", site)
    assert run.code == 1
    assert f"{H}:12: không tìm thấy ảnh `Ảnh hội nghị số 1.jpg` (tìm ở {A}/hoi-nghi/Ảnh hội nghị số 1.jpg)" in run.stderr.splitlines()
    assert f"{H}:7: không tìm thấy ảnh `Ảnh hội nghị số 1.jpg` (tìm ở {A}/hoi-nghi/Ảnh hội nghị số 1.jpg)" in run.stderr.splitlines()


def test_source_link_to_an_unpublished_article(tmp_path: Path) -> None:
    site = _write(tmp_path / "site")
    path = site / H
    path.write_text(path.read_text(encoding="utf-8").replace("../../05/bai-cu.md#ket-qua", "../../05/nhap.md"), encoding="utf-8")
    run = run_cli("check", "--site", site)
    assert f"{H}:27: cảnh báo: liên kết `../../05/nhap.md` trỏ tới bài chưa đăng (bản nháp hoặc hẹn giờ): liên kết sẽ hỏng" in run.stderr.splitlines()


def test_site_wide_findings_follow_other_articles_with_a_warm_cache(tmp_path: Path) -> None:
    """Duplicate titles and tag spellings depend on other articles: a build whose articles all
    come from the build cache still finds them, and stops finding them once fixed elsewhere."""
    site = _write(tmp_path / "site")
    out = tmp_path / "public"
    first = run_cli("--site", site, "--output", out)
    assert f"{B3}:2: cảnh báo: tiêu đề trùng với bài `{H}`: độc giả và máy tìm kiếm không phân biệt được hai bài" in first.stderr
    # Only the other article changes: bai-3's entry comes from the cache, its finding goes away.
    path = site / H
    path.write_text(path.read_text(encoding="utf-8").replace("title: Hội nghị tổng kết năm", "title: Hội nghị sơ kết"), encoding="utf-8")
    second = run_cli("--site", site, "--output", out)
    assert second.code == 0, second.stderr
    assert "tiêu đề trùng" not in second.stderr
    # The other way round: a new duplicate appears while bai-3 is still cached.
    path.write_text(path.read_text(encoding="utf-8").replace("title: Hội nghị sơ kết", "title: Hội nghị tổng kết năm"), encoding="utf-8")
    third = run_cli("--site", site, "--output", out)
    assert f"{B3}:2: cảnh báo: tiêu đề trùng với bài `{H}`" in third.stderr


ONE = f"""\
-- {A}/bai.md --
---
{{front}}
date: 2023-06-07 15:30
category: thoi-su
---

Nội dung.
"""


@pytest.mark.parametrize(("front", "expected"), [
    ("title:\u00a0Hội nghị", f"{A}/bai.md:2: YAML không hợp lệ: có dấu cách không ngắt (U+00A0), YAML không coi là dấu cách: xóa nó và gõ lại dấu cách thường"),
    ("title: [Hội nghị", f"{A}/bai.md:2: YAML không hợp lệ: danh sách `[...]` chưa đóng bằng `]` hoặc thiếu dấu `,` giữa các mục"),
    ("title: Hội nghị: tổng kết", f"{A}/bai.md:2: YAML không hợp lệ: dấu `:` ở chỗ không được phép: giá trị có dấu `:` phải đặt trong ngoặc kép `\"...\"`"),
])
def test_yaml_errors_in_vietnamese_at_the_true_line(tmp_path: Path, front: str, expected: str) -> None:
    site = write_site(tmp_path / "site", ONE.replace("{front}", front))
    run = run_cli("check", "--site", site)
    assert run.code == 1
    assert run.diagnostics == [expected]


def test_month_first_date_says_dates_are_day_first(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site", ONE.replace("{front}", "title: Bài").replace("2023-06-07 15:30", "11/28/2026"))
    run = run_cli("check", "--site", site)
    assert run.diagnostics == [f"{A}/bai.md:3: `date`: ngày viết theo thứ tự ngày/tháng/năm: `11/28/2026` có tháng 28; có phải `28/11/2026`?"]


def test_text_not_in_nfc_is_reported(tmp_path: Path) -> None:
    import unicodedata

    site = write_site(tmp_path / "site", ONE.replace("{front}", "title: Bài").replace("Nội dung.", unicodedata.normalize("NFD", "Nội dung.")))
    run = run_cli("check", "--site", site)
    assert run.code == 0
    message = "chữ không ở dạng Unicode dựng sẵn (NFC) từ dòng này (bộ gõ tổ hợp?): đã chuẩn hóa khi đọc; nên đặt bộ gõ về Unicode dựng sẵn"
    assert run.diagnostics == [f"{A}/bai.md:7: cảnh báo: {message}"]


def test_sample_portal_has_no_false_alarms(tmp_path: Path) -> None:
    """The shipped sample is clean for the proofreader too (its articles copied, checked)."""
    from sitekit import REPO

    site = tmp_path / "site"
    shutil.copytree(REPO / "content", site / "content")
    shutil.copy(REPO / "site_config.yaml", site / "site_config.yaml")
    run = run_cli("check", "--site", site, env={"SOURCE_DATE_EPOCH": "1795000000"})
    assert run.code == 0 and "cảnh báo" not in run.stderr, run.stderr
