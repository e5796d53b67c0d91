"""The photo cache: it lives only where nothing else lives, a damaged entry is remade and never
published, and a warm build gives exactly the bytes of a clean one."""

from __future__ import annotations

import shutil
from pathlib import Path

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
