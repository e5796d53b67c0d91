"""The writer: staging beside the output, atomic swap, refusal of dangerous output folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from toasoan.writer import MARKER, OutputFile, OutputRefused, check_output_dir, commit_output


def _files(n: int) -> Iterator[OutputFile]:
    for i in range(n):
        yield OutputFile(f"a/{i}/index.html", data=f"trang {i}".encode())


def test_commit_then_replace(tmp_path: Path) -> None:
    out = tmp_path / "public"
    assert commit_output(out, _files(3)) == 3
    assert (out / "a/2/index.html").read_text() == "trang 2"
    assert (out / MARKER).is_file()
    commit_output(out, _files(1))
    assert not (out / "a/2").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_failure_midway_leaves_previous_output_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "public"
    commit_output(out, _files(2))
    before = (out / "a/1/index.html").read_bytes()

    def broken() -> Iterator[OutputFile]:
        yield from _files(5)
        raise RuntimeError("render failed")

    with pytest.raises(RuntimeError):
        commit_output(out, broken())
    assert (out / "a/1/index.html").read_bytes() == before
    assert not (out / "a/4").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]


def test_two_files_for_one_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="two outputs"):
        commit_output(tmp_path / "out", [OutputFile("x.html", b"1"), OutputFile("x.html", b"2")])
    assert not (tmp_path / "out").exists()


def test_stale_staging_from_a_killed_build_is_cleaned(tmp_path: Path) -> None:
    stale = tmp_path / ".public.staging-999999"
    stale.mkdir()
    (stale / "half.html").write_text("x")
    commit_output(tmp_path / "public", _files(1))
    assert not stale.exists()


@pytest.mark.parametrize("target", [".", "content", "content/articles", "..", "/", "templates", "static"])
def test_dangerous_outputs_are_refused(tmp_path: Path, target: str) -> None:
    site = tmp_path / "site"
    (site / "content/articles").mkdir(parents=True)
    output = Path(target) if target == "/" else site / target
    with pytest.raises(OutputRefused):
        check_output_dir(site, output)


def test_a_foreign_folder_is_not_replaced(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "thu.txt").write_text("quan trọng")
    with pytest.raises(OutputRefused):
        check_output_dir(site, foreign)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_output_dir(site, empty) == empty.resolve()
