"""Golden output of the shipped sample portal: a hash of every file plus whole representative pages.

Refresh after an intended change with `python -m pytest tests/test_golden.py --update-golden`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sitekit import REPO, run_cli, tree_bytes

GOLDEN = Path(__file__).resolve().parent / "golden" / "sample"
# Fixed "now" for the sample: after every sample article but the one dated in the future.
EPOCH = "1795000000"  # 2026-11-18
PAGES = [
    "index.html",
    "404.html",
    "chuyen-muc/thoi-su/index.html",
    "nhan-vat/index.html",
    "luu-tru/index.html",
    "gioi-thieu/index.html",
]


def _manifest(files: dict[str, bytes]) -> str:
    return "".join(f"{hashlib.sha256(data).hexdigest()[:16]}  {path}\n" for path, data in sorted(files.items()))


def _representative(files: dict[str, bytes]) -> list[str]:
    """The fixed pages, plus the article with a gallery and the one with audio."""
    chosen = list(PAGES)
    for needle in (b'class="gallery"', b"<audio"):
        chosen.append(next(p for p, d in sorted(files.items()) if p.endswith("index.html") and needle in d and p.count("/") >= 3))
    return chosen


def test_sample_portal_matches_golden(tmp_path: Path, update_golden: bool) -> None:
    out = tmp_path / "public"
    run = run_cli("--site", REPO, "--output", out, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert run.code == 0, run.stderr
    assert "cảnh báo" not in run.stderr, run.stderr
    files = tree_bytes(out)
    pages = _representative(files)
    if update_golden:
        for old in GOLDEN.rglob("*.html"):
            old.unlink()
        GOLDEN.mkdir(parents=True, exist_ok=True)
        (GOLDEN / "MANIFEST").write_text(_manifest(files), encoding="utf-8")
        for page in pages:
            target = GOLDEN / "pages" / page
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[page])
    for page in pages:
        assert files[page].decode() == (GOLDEN / "pages" / page).read_text(encoding="utf-8"), page
    assert _manifest(files) == (GOLDEN / "MANIFEST").read_text(encoding="utf-8")


def test_sample_portal_check_is_clean() -> None:
    run = run_cli("check", "--site", REPO, env={"SOURCE_DATE_EPOCH": EPOCH})
    assert run.code == 0, run.stderr
    assert run.stderr == ""
