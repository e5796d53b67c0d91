"""The CI files `init` writes are real: both parse, every toasoan command in them exists with
those flags, and their steps, run in order as a script on a fresh site, check, build, publish
into a local folder standing in for the host, skip the publish when nothing changed, and
publish a scheduled article once its time comes."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from sitekit import REPO

from toasoan.cli import make_parser

NOW = 1790000000  # 2026-09-21 (SOURCE_DATE_EPOCH)
GITHUB = ".github/workflows/toasoan.yml"
GITLAB = ".gitlab-ci.yml"


def _env(tmp: Path, bindir: Path, epoch: int, **extra: str) -> dict[str, str]:
    return {
        "PATH": f"{bindir}:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(tmp / "home"), "PYTHONPATH": str(REPO),
        "SOURCE_DATE_EPOCH": str(epoch), **extra,
    }


@pytest.fixture
def newsroom(tmp_path: Path) -> tuple[Path, Path]:
    """A fresh site made by `init`, and a bin folder whose `toasoan` is this checkout's."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (tmp_path / "home").mkdir()
    shim = bindir / "toasoan"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m toasoan "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    made = subprocess.run(["toasoan", "init", "bao", "--name", "Báo Thử Nghiệm", "--url", "https://baothu.vn/"],
                          cwd=tmp_path, env=_env(tmp_path, bindir, NOW), capture_output=True, text=True, check=False)
    assert made.returncode == 0, made.stderr
    return tmp_path / "bao", bindir


def _workflow(site: Path) -> dict[Any, Any]:
    data = yaml.safe_load((site / GITHUB).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _gitlab(site: Path) -> dict[str, Any]:
    data = yaml.safe_load((site / GITLAB).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _commands(script: str) -> list[list[str]]:
    """Every toasoan command line of a shell script (variables stood in for by a word)."""
    found = []
    for line in script.splitlines():
        line = line.strip()
        if line.startswith("toasoan "):
            found.append(shlex.split(re.sub(r'"?\$\{?[A-Z_]+\}?"?', "VALUE", line)))
    return found


def _all_scripts(site: Path) -> list[str]:
    scripts = [step["run"] for job in _workflow(site)["jobs"].values() for step in job["steps"] if "run" in step]
    for job in _gitlab(site).values():
        if isinstance(job, dict) and "script" in job:
            scripts.append("\n".join(job["script"]))
    return scripts


def test_both_files_parse_and_say_what_they_should(newsroom: tuple[Path, Path]) -> None:
    site, _ = newsroom
    gh = _workflow(site)
    triggers = gh[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert triggers["push"] == {"branches": ["main"]}
    assert triggers["schedule"] == [{"cron": "*/15 * * * *"}]
    assert gh["concurrency"] == {"group": "toasoan-${{ github.ref }}", "cancel-in-progress": False}
    assert gh["env"]["TOASOAN"] == "toasoan==0.1.0"
    publish = gh["jobs"]["publish"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in publish]
    assert uses.index("actions/cache/restore") < uses.index("actions/upload-pages-artifact") < uses.index("actions/cache/save")
    restore = next(s for s in publish if s.get("uses", "").startswith("actions/cache/restore"))
    save = next(s for s in publish if s.get("uses", "").startswith("actions/cache/save"))
    assert restore["with"]["key"] == save["with"]["key"] and "github.run_id" in save["with"]["key"]  # never overwritten
    assert restore["with"]["path"].split() == [".cache", "public"]
    assert all(save["with"]["key"].startswith(prefix.strip()) for prefix in restore["with"]["restore-keys"].splitlines())
    lab = _gitlab(site)
    assert lab["stages"] == ["check", "build", "publish"]
    assert lab["build"]["cache"]["paths"] == [".cache/", "public/"]
    assert lab["build"]["artifacts"]["reports"]["dotenv"] == "build.env"
    assert lab["pages"]["artifacts"]["paths"] == ["public/"]
    assert lab["pages"]["allow_failure"] == {"exit_codes": [3]}
    for job in ("build", "pages", "publish-rsync"):
        assert lab[job]["resource_group"] == "toasoan-$CI_COMMIT_REF_SLUG"


def test_every_command_they_run_exists_with_those_flags(newsroom: tuple[Path, Path]) -> None:
    site, _ = newsroom
    parser = make_parser("toasoan")
    commands = [command for script in _all_scripts(site) for command in _commands(script)]
    assert {c[1] for c in commands} == {"check", "build"}
    assert ["toasoan", "check", "--strict", "--format", "github"] in commands
    for command in commands:
        parser.parse_args(command[1:])  # an unknown command or flag exits with 2 here
    with pytest.raises(SystemExit):
        parser.parse_args(["build", "--no-such-flag"])


def _evaluate(condition: str, outputs: dict[str, str], variables: dict[str, str]) -> bool:
    """The few GitHub expressions the workflow uses, evaluated as Python."""
    expr = condition.replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"steps\.build\.outputs\.(\w+)", lambda m: repr(outputs.get(m.group(1), "")), expr)
    expr = re.sub(r"vars\.(\w+)", lambda m: repr(variables.get(m.group(1), "")), expr)
    expr = re.sub(r"github\.event_name", repr("push"), expr)
    assert re.fullmatch(r"[\s'\w=!():.-]*", expr), expr
    return bool(eval(expr, {"__builtins__": {}}))  # noqa: S307 (our own file's expressions only)


def _substitute(value: str, variables: dict[str, str]) -> str:
    value = re.sub(r"\$\{\{\s*vars\.(\w+)\s*\}\}", lambda m: variables.get(m.group(1), ""), value)
    return re.sub(r"\$\{\{\s*secrets\.\w+\s*\}\}", "", value)


def _run_github_job(job: dict[str, Any], site: Path, env: dict[str, str], variables: dict[str, str], log: list[str]) -> dict[str, str]:
    """The job's steps in order: `run:` steps in bash as Actions runs them, `uses:` steps noted
    (the host's own actions), `if:` evaluated. Returns the build step's outputs."""
    outputs: dict[str, str] = {}
    github_output = site.parent / "github_output"
    for step in job["steps"]:
        if "if" in step and not _evaluate(step["if"], outputs, variables):
            log.append(f"skip {step.get('name', step.get('uses'))}")
            continue
        if "uses" in step:
            log.append(f"uses {step['uses'].split('@')[0]}")
            continue
        if step["run"] == 'python -m pip install "$TOASOAN"':
            log.append("install")  # toasoan is this checkout's here (the shim on PATH)
            continue
        github_output.write_text("", encoding="utf-8")
        step_env = {**env, **{k: _substitute(str(v), variables) for k, v in step.get("env", {}).items()}, "GITHUB_OUTPUT": str(github_output)}
        done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=site, env=step_env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, (step["run"], done.stdout, done.stderr)
        log.append(f"ran {step.get('name')}")
        if step.get("id") == "build":
            outputs = dict(line.split("=", 1) for line in github_output.read_text(encoding="utf-8").splitlines())
            log.append(done.stdout)
    return outputs


def _scheduled_article(site: Path, epoch: int) -> None:
    (site / "content/articles/hen-gio.md").write_text(
        "---\ntitle: Bài hẹn giờ đăng\ndate: 2026-09-22 12:00\ncategory: thoi-su\n---\n\nBài này lên trang đúng giờ hẹn.\n",
        encoding="utf-8",
    )
    assert epoch < 1790053200  # 2026-09-22 12:00 in Vietnam: still in the future


def test_github_steps_check_build_publish_and_wake_scheduled_articles(newsroom: tuple[Path, Path]) -> None:
    site, bindir = newsroom
    host = site.parent / "host"
    host.mkdir()
    variables = {"TOASOAN_PUBLISH": "rsync", "DEPLOY_TARGET": f"{host}/"}
    jobs = _workflow(site)["jobs"]
    log: list[str] = []
    env = _env(site.parent, bindir, NOW)
    _run_github_job(jobs["check"], site, env, variables, log)
    assert "ran Check (errors and warnings become annotations on the changed lines)" in log
    outputs = _run_github_job(jobs["publish"], site, env, variables, log)
    assert outputs["changed"] == "true"
    assert "ran Publish over SSH (rsync)" in log and "skip Upload for GitHub Pages" in log
    assert (host / "index.html").read_bytes() == (site / "public/index.html").read_bytes()
    assert (host / "_headers").is_file()

    # A scheduled run with nothing due: the build is up to date, nothing is published or cached.
    (host / "marker").write_text("x", encoding="utf-8")
    log.clear()
    outputs = _run_github_job(jobs["publish"], site, env, variables, log)
    assert outputs["changed"] == "false"
    assert "skip Publish over SSH (rsync)" in log and "skip Save the cache" in log
    assert (host / "marker").exists()

    # A scheduled article is committed: published, but not shown before its time.
    _scheduled_article(site, NOW)
    outputs = _run_github_job(jobs["publish"], site, env, variables, log)
    assert outputs["changed"] == "true"
    assert not (host / "marker").exists()
    assert "Bài hẹn giờ đăng" not in (host / "index.html").read_text(encoding="utf-8")
    (host / "marker").write_text("x", encoding="utf-8")
    assert _run_github_job(jobs["publish"], site, env, variables, log)["changed"] == "false"
    assert (host / "marker").exists()
    # Its time comes: the next scheduled run publishes it without a commit.
    later = _env(site.parent, bindir, 1790053200 + 60)
    assert _run_github_job(jobs["publish"], site, later, variables, log)["changed"] == "true"
    assert "Bài hẹn giờ đăng" in (host / "index.html").read_text(encoding="utf-8")


def _run_gitlab_job(job: dict[str, Any], site: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    lines = [line for line in job["script"] if line != 'python -m pip install "$TOASOAN"']
    return subprocess.run(["bash", "-eo", "pipefail", "-c", "\n".join(lines)], cwd=site, env=env, capture_output=True, text=True, check=False)


def _dotenv(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


def test_gitlab_jobs_check_build_publish_and_skip_when_nothing_changed(newsroom: tuple[Path, Path]) -> None:
    site, bindir = newsroom
    lab = _gitlab(site)
    host = site.parent / "host"
    host.mkdir()
    env = _env(site.parent, bindir, NOW, TOASOAN="toasoan", TOASOAN_PUBLISH="rsync", DEPLOY_TARGET=f"{host}/")
    assert _run_gitlab_job(lab["check"], site, env).returncode == 0
    assert _run_gitlab_job(lab["build"], site, env).returncode == 0
    report = _dotenv(site / "build.env")
    assert report["changed"] == "true"
    pages = _run_gitlab_job(lab["pages"], site, {**env, **report})
    assert pages.returncode == 0  # GitLab Pages publishes the public/ artifact of this job
    published = _run_gitlab_job(lab["publish-rsync"], site, {**env, **report})
    assert published.returncode == 0, published.stderr
    assert (host / "index.html").read_bytes() == (site / "public/index.html").read_bytes()
    # Nothing changed: `pages` stops with its allowed exit code, rsync publishes nothing.
    (site / "build.env").unlink()  # a new job starts without the last one's report
    assert _run_gitlab_job(lab["build"], site, env).returncode == 0
    report = _dotenv(site / "build.env")
    assert report["changed"] == "false"
    skipped = _run_gitlab_job(lab["pages"], site, {**env, **report})
    assert skipped.returncode in lab["pages"]["allow_failure"]["exit_codes"]
    (host / "marker").write_text("x", encoding="utf-8")
    assert _run_gitlab_job(lab["publish-rsync"], site, {**env, **report}).returncode == 0
    assert (host / "marker").exists()


def test_init_refuses_to_overwrite_and_needs_a_name_without_a_terminal(newsroom: tuple[Path, Path]) -> None:
    site, bindir = newsroom
    env = _env(site.parent, bindir, NOW)
    again = subprocess.run(["toasoan", "init", str(site), "--name", "X"], env=env, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    assert again.returncode == 2 and "không ghi đè" in again.stderr
    nameless = subprocess.run(["toasoan", "init", str(site.parent / "moi")], env=env, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL)
    assert nameless.returncode == 2 and "--name" in nameless.stderr
    assert not (site.parent / "moi").exists()
    # Through build.py too.
    other = subprocess.run([sys.executable, str(REPO / "build.py"), "init", str(site.parent / "khac"), "--name", "Báo Khác"],
                           env=env, capture_output=True, text=True, check=False)
    assert other.returncode == 0, other.stderr
    assert sorted(p.relative_to(site.parent / "khac").as_posix() for p in (site.parent / "khac").rglob("*") if p.is_file()) == sorted(
        p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()
    )
    gitignore = (site / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert {"/public/", "/.cache/", "/.public.*"} <= set(gitignore)
    assert os.access(site / "site_config.yaml", os.R_OK)
