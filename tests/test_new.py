"""`new`: asks nothing when all is given (and only at a terminal otherwise), never overwrites,
refuses a title another article has, writes bundles as folders, lists the category keys, and
writes an article `check` finds nothing to say about."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from sitekit import BUILD, Run, run_cli, write_site

ENV = {"PATH": "/usr/bin:/bin", "SOURCE_DATE_EPOCH": "1790000000", "LANG": "C.UTF-8"}  # 2026-09-21
FOLDER = "content/articles/2026/09"


def _new(site: Path, *args: str) -> Run:
    """`build.py new` with no terminal on stdin, as in a script or CI."""
    proc = subprocess.run(
        [sys.executable, str(BUILD), "new", *args, "--site", str(site)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=ENV, timeout=120, check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def _articles(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in (site / "content/articles").rglob("*.md")) if (site / "content/articles").exists() else []


def _at_terminal(site: Path, typed: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`build.py new` with a terminal on stdin, where `typed` was already typed."""
    controller, terminal = pty.openpty()
    try:
        os.write(controller, typed.encode())
        return subprocess.run(
            [sys.executable, str(BUILD), "new", *args, "--site", str(site)],
            stdin=terminal, capture_output=True, text=True, env=ENV, timeout=60, check=False,
        )
    finally:
        os.close(controller)
        os.close(terminal)


def test_all_given_asks_nothing_and_check_has_nothing_to_say(site: Path) -> None:
    write_site(site, "")
    # At a terminal where nothing is typed: a question would wait (and time out).
    run = _at_terminal(site, "", "Hội nghị tổng kết năm", "--category", "kinh-te")
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[0] == f"Đã tạo {FOLDER}/hoi-nghi-tong-ket-nam.md"
    assert "category: kinh-te" in (site / FOLDER / "hoi-nghi-tong-ket-nam.md").read_text(encoding="utf-8")
    for drafts in ((), ("--drafts",)):
        check = run_cli("check", "--strict", "--site", site, *drafts)
        assert check.code == 0, check.stderr
        assert check.stderr == "" and "Tổng cộng: 0 lỗi, 0 cảnh báo." in check.stdout, (drafts, check.stdout)


def test_a_missing_title_without_a_terminal_is_a_usage_error(site: Path) -> None:
    write_site(site, "")
    run = _new(site)
    assert run.code == 2 and 'cần tiêu đề bài viết: build.py new "Tiêu đề bài viết"' in run.stderr
    assert _articles(site) == []


def test_at_a_terminal_the_missing_title_and_category_are_asked(site: Path) -> None:
    write_site(site, "")
    proc = _at_terminal(site, "Bài hỏi từ cửa sổ lệnh\nkinh-te\n")
    assert proc.returncode == 0, proc.stderr
    assert "Tiêu đề bài viết: " in proc.stdout and "thoi-su (Thời sự), kinh-te (Kinh tế)" in proc.stdout
    text = (site / FOLDER / "bai-hoi-tu-cua-so-lenh.md").read_text(encoding="utf-8")
    assert 'title: "Bài hỏi từ cửa sổ lệnh"' in text and "category: kinh-te" in text


def test_an_existing_file_is_never_overwritten_in_either_form(site: Path) -> None:
    other = "---\ntitle: Một bài khác\ndate: 2026-09-01 08:00\ncategory: thoi-su\n---\n\nGiữ nguyên.\n"
    write_site(site, f"-- {FOLDER}/hoi-nghi.md --\n{other}")
    before = (site / FOLDER / "hoi-nghi.md").read_bytes()
    for args in ((), ("--bundle",)):
        run = _new(site, "Hội nghị", *args)
        assert run.code == 1 and f"đã có {FOLDER}/hoi-nghi.md: không ghi đè" in run.stderr, run.stderr
    assert (site / FOLDER / "hoi-nghi.md").read_bytes() == before
    assert _articles(site) == [f"{FOLDER}/hoi-nghi.md"]
    (site / FOLDER / "hoi-nghi.md").unlink()
    (site / FOLDER / "hoi-nghi").mkdir()
    (site / FOLDER / "hoi-nghi/index.md").write_bytes(before)
    run = _new(site, "Hội nghị")
    assert run.code == 1 and f"đã có {FOLDER}/hoi-nghi: không ghi đè" in run.stderr


def test_a_title_another_article_has_is_refused(site: Path) -> None:
    # The proofreader warns on two articles with one title (`check --strict` fails): `new` refuses it.
    write_site(site, "-- content/articles/2024/01/cu.md --\n---\ntitle: Hội Nghị  tổng kết\ndate: 2024-01-02 08:00\ncategory: thoi-su\ndraft: true\n---\n\nCũ.\n")
    run = _new(site, "hội nghị tổng kết")
    assert run.code == 1
    assert "đã có bài cùng tiêu đề: content/articles/2024/01/cu.md; đặt tiêu đề khác" in run.stderr
    assert _articles(site) == ["content/articles/2024/01/cu.md"]


def test_bundle_writes_a_folder_that_builds_at_its_address(site: Path) -> None:
    write_site(site, "")
    run = _new(site, "Ảnh hội nghị", "--bundle")
    assert run.code == 0, run.stderr
    created = site / FOLDER / "anh-hoi-nghi/index.md"
    assert run.stdout.splitlines()[0] == f"Đã tạo {FOLDER}/anh-hoi-nghi/index.md"
    created.write_text(created.read_text(encoding="utf-8").replace("draft: true", "draft: false"), encoding="utf-8")
    build = run_cli("--site", site)
    assert build.code == 0, build.stderr
    assert "<h1>Ảnh hội nghị</h1>" in (site / "public/2026/09/anh-hoi-nghi/index.html").read_text(encoding="utf-8")


def test_an_unknown_category_lists_the_keys(site: Path) -> None:
    write_site(site, "")
    run = _new(site, "Bài mới", "--category", "kinh-tê")
    assert run.code == 1
    assert "chuyên mục `kinh-tê` không có trong site_config.yaml (có phải ý bạn là `kinh-te`?); các chuyên mục có: thoi-su, kinh-te" in run.stderr
    assert _articles(site) == []
