"""Installed distributions' versions without importlib.metadata: the same answers, fewer imports."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

from sitekit import REPO

from toasoan import installed


def test_every_installed_distribution_has_the_version_importlib_metadata_gives() -> None:
    names = {dist.metadata["Name"] for dist in metadata.distributions()}
    assert {"Jinja2", "Markdown", "PyYAML", "python-frontmatter"} <= names
    for name in sorted(names) + ["jinja2", "python_frontmatter", "PYYAML"]:
        assert installed.installed_version(name) == metadata.version(name), name
    assert installed.installed_version("khong-co-goi-nay") is None


def test_the_first_on_the_path_wins_and_egg_info_files_count(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, version in ((first, "2.0"), (second, "1.0")):
        (folder / f"Thu_Vien-{version}.dist-info").mkdir(parents=True)
        (folder / f"Thu_Vien-{version}.dist-info/METADATA").write_text(
            f"Metadata-Version: 2.1\nName: thu-vien\nVersion: {version}\n\nVersion: 9.9 (in the description)\n", encoding="utf-8",
        )
    (second / "cu-0.5-py3.11.egg-info").write_text("Name: cu\nVersion: 0.5\n", encoding="utf-8")
    program = (
        f"import sys; sys.path[:0] = [{str(first)!r}, {str(second)!r}]; from toasoan.installed import installed_version as v; "
        "print(v('thu.vien'), v('Thu-Vien'), v('cu'))"
    )
    run = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd=REPO, check=True)
    assert run.stdout.split() == ["2.0", "2.0", "0.5"]
    assert subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path[:0] = [{str(first)!r}]; from importlib.metadata import version; print(version('thu.vien'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip() == "2.0"


def test_a_build_that_finds_its_output_standing_imports_no_metadata_machinery() -> None:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from toasoan.buildcache import generator_stamp; generator_stamp()"],
        capture_output=True, text=True, cwd=REPO, check=True,
    )
    modules = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "importlib.metadata" not in modules
    assert "email" not in modules
