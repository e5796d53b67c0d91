"""The photo cache: it lives only where nothing else lives, a damaged entry is remade and never
published, and a warm build gives exactly the bytes of a clean one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sitekit import MINIMAL_CONFIG, make_jpeg, run_cli, tree_bytes, write_site

SITE = """\
-- content/articles/2023/06/bai-a.md --
---
title: Bài A
date: 2023-06-07 15:30
category: thoi-su
cover: { src: /media/bia.jpg, caption: Ảnh bìa. }
---

BBK - Bài A.
-- content/articles/2023/06/bai-b.md --
---
title: Bài B
date: 2023-06-08 15:30
category: thoi-su
cover: { src: /media/khac.jpg, caption: Ảnh khác. }
gallery:
  - { src: /media/bia.jpg, caption: Ảnh bìa dùng lại. }
---

BBK - Bài B.
"""
ARTICLE_A = "content/articles/2023/06/bai-a.md"


def _site(site: Path, config: str = MINIMAL_CONFIG) -> Path:
    write_site(site, SITE + "-- site_config.yaml --\n" + config)
    make_jpeg(site / "content/media/bia.jpg", (900, 600), (200, 0, 0))
    make_jpeg(site / "content/media/khac.jpg", (900, 600), (0, 0, 200))
    return site


def _clean_twin(site: Path, twin: Path) -> Path:
    """The same sources in a fresh folder: no output, no cache."""
    shutil.copytree(site, twin, ignore=shutil.ignore_patterns("public", ".cache"))
    assert run_cli("--site", twin).code == 0
    return twin


def _entries(site: Path) -> list[Path]:
    return sorted(p for p in (site / ".cache/anh").glob("*/*") if p.is_dir())


# --- a warm build equals a clean build -------------------------------------------------------


def test_deleting_an_article_leaves_no_og_crop_behind(site: Path, tmp_path: Path) -> None:
    _site(site)
    assert run_cli("--site", site).code == 0
    assert len(list((site / "public/anh").glob("*/og.jpg"))) == 2  # both photos are a first photo
    (site / ARTICLE_A).unlink()  # bia.jpg is now only in a gallery: no link preview uses it
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    clean = _clean_twin(site, tmp_path / "twin")
    assert len(list((clean / "public/anh").glob("*/og.jpg"))) == 1
    assert tree_bytes(site / "public") == tree_bytes(clean / "public")


def test_a_photo_that_becomes_a_cover_gets_its_og_crop_in_a_warm_build(site: Path, tmp_path: Path) -> None:
    _site(site)
    (site / ARTICLE_A).unlink()
    assert run_cli("--site", site).code == 0
    _site(site)  # the article comes back: bia.jpg needs an og crop again
    assert run_cli("--site", site).code == 0
    clean = _clean_twin(site, tmp_path / "twin")
    assert tree_bytes(site / "public") == tree_bytes(clean / "public")


# --- a damaged cache is remade, never published ----------------------------------------------


def _damage(site: Path, name: str, how: str) -> Path:
    files = sorted(p for p in (site / ".cache/anh").rglob(name) if p.parent.name != "anh")
    assert files, name
    target = files[0]
    if how == "truncate":
        data = target.read_bytes()
        target.chmod(0o644)
        with open(target, "r+b") as handle:  # in place, as a careless tool would
            handle.truncate(len(data) // 2)
    elif how == "flip":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.chmod(0o644)
        with open(target, "r+b") as handle:
            handle.write(data)
    else:
        target.unlink()
    return target


@pytest.mark.parametrize("how", ["truncate", "flip", "delete"])
@pytest.mark.parametrize("name", ["480.jpg", "og.jpg"])
def test_a_damaged_cached_variant_is_remade_with_a_notice(site: Path, tmp_path: Path, how: str, name: str) -> None:
    _site(site)
    assert run_cli("--site", site).code == 0
    _damage(site, name, how)
    for record in (site / ".cache/build").glob("*/last-output-*"):
        record.unlink()  # else a build whose inputs and output are untouched does not look at the cache
    checked = run_cli("check", "--site", site)
    assert checked.code == 0, checked.stderr
    notices = [d for d in checked.diagnostics if "bộ nhớ đệm" in d]
    assert len(notices) == 1 and "cảnh báo" in notices[0] and "làm lại" in notices[0], checked.stderr
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert [d for d in run.diagnostics if "bộ nhớ đệm" in d] == notices
    clean = _clean_twin(site, tmp_path / "twin")
    assert tree_bytes(site / "public") == tree_bytes(clean / "public")
    again = run_cli("--site", site)  # remade once, then sound
    assert again.code == 0 and not [d for d in again.diagnostics if "bộ nhớ đệm" in d], again.stderr


def test_a_cache_entry_is_written_once_and_replaced_only_by_rename(site: Path) -> None:
    _site(site)
    assert run_cli("--site", site).code == 0
    entry = _entries(site)[0]
    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    for name, facts in meta["files"].items():
        assert (entry / name).stat().st_size == facts["size"]
        assert not (entry / name).stat().st_mode & 0o222, f"{name} is writable"
    kept = entry.parent / "kept-480.jpg.test"  # a link made before, like a published copy
    first = sorted(entry.glob("480.*"))[0]
    kept_bytes = first.read_bytes()
    kept.hardlink_to(first)
    _damage(site, "og.jpg", "delete")  # the entry of that photo is remade
    assert run_cli("--site", site).code == 0
    assert kept.read_bytes() == kept_bytes


# --- the cache lives only where nothing else lives -------------------------------------------


@pytest.mark.parametrize("folder", ["content/media", "content", "templates", "static/anh", "public", ".", "..", "", ".git"])
def test_a_cache_folder_that_could_hold_other_files_is_refused(site: Path, folder: str) -> None:
    _site(site, MINIMAL_CONFIG + f'cache_dir: "{folder}"\n')
    (site / "static").mkdir(exist_ok=True)
    (site / "templates").mkdir(exist_ok=True)
    before = tree_bytes(site)
    line = MINIMAL_CONFIG.count("\n") + 1
    for command in ("check", "build"):
        run = run_cli(command, "--site", site)
        assert run.code == 1, run.stderr
        assert any(d.startswith(f"site_config.yaml:{line}: ") and "cache_dir" in d for d in run.diagnostics), run.stderr
    after = {k: v for k, v in tree_bytes(site).items() if k != ".public.lock"}  # the output lock stays
    assert after == before  # not one of the editors' photos deleted, nothing written


def test_a_cache_folder_with_files_the_cache_did_not_make_is_refused(site: Path) -> None:
    _site(site, MINIMAL_CONFIG + "cache_dir: kho-anh\n")
    notes = site / "kho-anh/ghi-chu.txt"
    notes.parent.mkdir()
    notes.write_text("đừng xóa", encoding="utf-8")
    for command in ("check", "build"):
        run = run_cli(command, "--site", site)
        assert run.code == 1, run.stderr
        assert run.diagnostics[0].startswith(f"site_config.yaml:{MINIMAL_CONFIG.count(chr(10)) + 1}: "), run.stderr
        assert "không do toasoan tạo" in run.diagnostics[0]
    assert notes.read_text(encoding="utf-8") == "đừng xóa" and not (site / "public").exists()


def test_the_cache_marks_its_folder_and_prunes_only_what_it_made(site: Path) -> None:
    _site(site, MINIMAL_CONFIG + "cache_dir: ../kho-anh\n")
    assert run_cli("--site", site).code == 0
    cache = site.parent / "kho-anh"
    assert (cache / ".toasoan-cache").is_file()
    stranger = cache / "anh/ghi-chu.txt"
    stranger.write_text("của người khác", encoding="utf-8")
    (site / ARTICLE_A).unlink()
    assert run_cli("--site", site).code == 0
    assert stranger.read_text(encoding="utf-8") == "của người khác"


def test_a_cache_made_before_the_marker_existed_is_kept(site: Path) -> None:
    _site(site)
    assert run_cli("--site", site).code == 0
    (site / ".cache/.toasoan-cache").unlink()  # as an older toasoan left it: only photos in it
    for entry in (site / ".cache").iterdir():
        if entry.name not in ("anh", ".toasoan.lock"):
            shutil.rmtree(entry)
    run = run_cli("--site", site)
    assert run.code == 0, run.stderr
    assert "ảnh: 0 xử lý mới, 2 lấy từ bộ nhớ đệm" in run.stdout, run.stdout
    assert (site / ".cache/.toasoan-cache").is_file()
