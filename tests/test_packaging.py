"""toasoan as an installable tool: pyproject.toml is the one place dependencies are declared (the
requirements files pin exactly those), a built wheel carries the default theme, and its
`toasoan` command builds a site from any folder."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from sitekit import REPO, run_cli

from toasoan import __version__
from toasoan.cli import make_parser

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def _pins(path: Path) -> dict[str, Requirement]:
    pins = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-r"):
            continue
        req = Requirement(line)
        pins[canonicalize_name(req.name)] = req
    return pins


def _agree(declared: list[str], lock: Path) -> list[str]:
    """Every declared range pinned exactly once, inside the range, with the same extras; nothing else pinned."""
    pins = _pins(lock)
    problems = []
    wanted = {canonicalize_name(Requirement(d).name): Requirement(d) for d in declared}
    for name, req in wanted.items():
        pin = pins.get(name)
        if pin is None:
            problems.append(f"{name}: declared in pyproject.toml, not pinned in {lock.name}")
            continue
        (spec,) = list(pin.specifier)
        if spec.operator != "==":
            problems.append(f"{name}: {lock.name} must pin with ==, not {spec}")
        elif not req.specifier.contains(spec.version, prereleases=True):
            problems.append(f"{name}: {lock.name} pins {spec.version}, outside pyproject's {req.specifier}")
        if pin.extras != req.extras:
            problems.append(f"{name}: extras {sorted(pin.extras)} in {lock.name}, {sorted(req.extras)} in pyproject.toml")
    problems += [f"{name}: pinned in {lock.name}, not declared in pyproject.toml" for name in sorted(set(pins) - set(wanted))]
    return problems


def test_requirements_pin_exactly_what_pyproject_declares() -> None:
    project = PYPROJECT["project"]
    assert _agree(project["dependencies"], REPO / "requirements.txt") == []
    assert _agree(project["optional-dependencies"]["test"], REPO / "requirements-dev.txt") == []


def test_the_lock_check_catches_a_pin_outside_the_range(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text("Jinja2==2.11.3\nextra-thing==1.0\n", encoding="utf-8")
    problems = _agree(["Jinja2>=3.1", "PyYAML>=6"], lock)
    assert any("jinja2: requirements.txt pins 2.11.3" in p for p in problems), problems
    assert any(p.startswith("pyyaml: declared") for p in problems), problems
    assert any(p.startswith("extra-thing: pinned") for p in problems), problems


def test_version_is_the_package_version() -> None:
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "toasoan.__version__"}
    run = run_cli("--version")
    assert run.code == 0, run.stderr
    assert run.stdout.strip() == f"toasoan {__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_the_console_command_is_the_cli() -> None:
    assert PYPROJECT["project"]["scripts"] == {"toasoan": "toasoan.cli:console"}
    assert make_parser("toasoan").prog == "toasoan"


def _copy_source(target: Path) -> Path:
    """The files git tracks (a fresh clone's), so the build never writes into the work tree."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        source = REPO / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    return target


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_builds_a_site_from_another_folder(tmp_path: Path) -> None:
    """Offline: the wheel is built with the installed setuptools (no build isolation), installed
    without dependencies into a new virtual environment that sees this interpreter's packages
    through a .pth file (the dependencies are the pinned ones already installed)."""
    source = _copy_source(tmp_path / "src")
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q", "-w", str(wheels), str(source)],
        check=True, capture_output=True,
    )
    (wheel,) = wheels.glob("toasoan-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    bindir = venv / "bin"
    purelib = subprocess.run([bindir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    Path(purelib, "toasoan-test-deps.pth").write_text("".join(p + "\n" for p in sorted(ours)), encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(bindir / "python"), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True,
    )
    elsewhere = tmp_path / "somewhere-else"
    elsewhere.mkdir()
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "LANG": "C.UTF-8", "SOURCE_DATE_EPOCH": "1790000000", "HOME": str(tmp_path)}

    def toasoan(*args: str, cwd: Path = elsewhere) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(bindir / "toasoan"), *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)

    where = subprocess.run([bindir / "python", "-c", "import toasoan; print(toasoan.__file__)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(venv)), where  # the installed copy, not this checkout
    version = toasoan("--version")
    assert version.stdout.strip() == f"toasoan {__version__}", version.stderr
    init = toasoan("init", "bao-bac-kan", "--name", "Báo Bắc Kạn", "--url", "https://baobackan.vn/")
    assert init.returncode == 0, init.stderr
    site = elsewhere / "bao-bac-kan"
    assert not (site / "templates").exists() and not (site / "static").exists()
    check = toasoan("check", "--strict", "--site", "bao-bac-kan")
    assert check.returncode == 0, check.stdout + check.stderr
    built = toasoan("build", cwd=site)  # the site is the current folder
    assert built.returncode == 0, built.stderr
    home = (site / "public" / "index.html").read_text(encoding="utf-8")
    assert "Báo Bắc Kạn" in home
    (css,) = re.findall(r'href="/(css/site\.[0-9a-f]{12}\.css)"', home)
    assert (site / "public" / css).read_bytes() == (REPO / "static/css/site.css").read_bytes()  # the packaged theme
    # The same site built from this checkout (the top-level theme) gives the same bytes.
    checkout = run_cli("--site", site, "--output", tmp_path / "from-checkout", env={"SOURCE_DATE_EPOCH": "1790000000"})
    assert checkout.code == 0, checkout.stderr
    assert (tmp_path / "from-checkout" / "index.html").read_text(encoding="utf-8") == home


def test_readme_quick_start_is_two_commands_that_the_scripts_and_ci_keep() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)\n```", section, re.DOTALL)
    assert len(blocks) == 2 and all("\n" not in block for block in blocks), blocks
    install, tests = blocks
    assert install == "bash scripts/install.sh && .venv/bin/toasoan build"
    assert tests in (REPO / ".ci/run").read_text(encoding="utf-8").splitlines()
    assert "bash scripts/install.sh" in (REPO / "scripts/install-test-deps.sh").read_text(encoding="utf-8").splitlines()
    for script in ("scripts/install.sh", "scripts/install-test-deps.sh", ".ci/run"):
        assert subprocess.run(["bash", "-n", str(REPO / script)], check=False).returncode == 0, script
    assert "Python 3.11 and newer" in section
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
