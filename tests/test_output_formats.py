"""Machine-readable output for CI: `--format json`, `--format github` (workflow annotations),
`--strict`, `--outputs`, and the exit code contract (0 fine, 1 content, 2 command line)."""

from __future__ import annotations

import json
from pathlib import Path

from sitekit import run_cli, write_site

from toasoan.cli import github_annotation
from toasoan.errors import error, warning

BROKEN = """\
-- content/articles/a.md --
---
title: Bài A
date: 2023-06-07 15:30
category: thoi_su
---

A.
-- content/articles/b.md --
---
title: Bài B
date: ngày mai
category: thoi-su
---

B.
-- content/articles/d.md --
---
title: Bài tốt
date: 2023-06-07 15:30
category: thoi-su
---

D có [liên kết hỏng](/khong-co/).
"""

WARNED = """\
-- content/articles/d.md --
---
title: Bài tốt
date: 2023-06-07 15:30
category: thoi-su
---

D có [liên kết hỏng](/khong-co/).
"""

KEYS = {"file", "line", "column", "level", "message", "code"}


def _json(stdout: str) -> dict[str, object]:
    document = json.loads(stdout)
    assert isinstance(document, dict)
    return document


def test_json_lists_every_finding_with_its_place(site: Path) -> None:
    write_site(site, BROKEN)
    for command in ("check", "build"):
        run = run_cli(command, "--site", site, "--format", "json")
        assert run.code == 1, run.stderr
        document = _json(run.stdout)
        assert document["command"] == command and document["ok"] is False and document["exit_code"] == 1
        findings = document["findings"]
        assert isinstance(findings, list)
        for finding in findings:
            assert set(finding) == KEYS
            assert finding["level"] in {"error", "warning"}
            assert finding["code"] is None or isinstance(finding["code"], str)
            assert finding["column"] is None or finding["column"] >= 1
        places = {(f["file"], f["line"], f["level"]) for f in findings}
        assert ("content/articles/a.md", 4, "error") in places
        assert ("content/articles/b.md", 3, "error") in places
        assert ("content/articles/d.md", 7, "warning") in places
        a = next(f for f in findings if f["file"] == "content/articles/a.md")
        assert "thoi_su" in a["message"]
    assert not (site / "public").exists()


def test_github_annotations_name_the_file_from_the_working_folder(site: Path) -> None:
    write_site(site, BROKEN)
    run = run_cli("check", "--site", ".", "--format", "github", cwd=site)
    assert run.code == 1
    lines = [line for line in run.stdout.splitlines() if line.startswith("::")]
    assert any(line.startswith("::error file=content/articles/a.md,line=4,") and "thoi_su" in line for line in lines), run.stdout
    assert any(line.startswith("::error file=content/articles/b.md,line=3,") for line in lines), run.stdout
    assert any(line.startswith("::warning file=content/articles/d.md,line=7,") for line in lines), run.stdout
    # From the repository above the site (a site kept in a subfolder), paths start there.
    outer = run_cli("check", "--site", site.name, "--format", "github", cwd=site.parent)
    assert f"::error file={site.name}/content/articles/a.md,line=4," in outer.stdout


def test_github_annotation_escapes_what_would_end_it(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "a,b:c.md").write_text("x", encoding="utf-8")
    line = github_annotation(error("content/a,b:c.md", 2, "100% sai\ndòng hai", code="bad-date", column=5), tmp_path, tmp_path)
    assert line == "::error file=content/a%2Cb%3Ac.md,line=2,col=5,title=toasoan (bad-date)::100%25 sai%0Adòng hai"
    # A finding that is not a file of the site carries no file= and names itself in the message.
    other = github_annotation(warning("SOURCE_DATE_EPOCH", 0, "sai"), tmp_path, tmp_path)
    assert other == "::warning title=toasoan::SOURCE_DATE_EPOCH: sai"


def test_strict_turns_warnings_into_a_failure_before_anything_is_written(site: Path) -> None:
    write_site(site, WARNED)
    assert run_cli("check", "--site", site).code == 0
    strict = run_cli("check", "--site", site, "--strict")
    assert strict.code == 1
    assert "content/articles/d.md:7: cảnh báo: liên kết hỏng" in strict.stderr
    assert "0 lỗi, 1 cảnh báo (--strict)" in strict.stderr
    built = run_cli("build", "--site", site, "--strict")
    assert built.code == 1
    assert not (site / "public").exists()
    assert run_cli("build", "--site", site).code == 0
    # An up-to-date build replays the last build's warnings: still a failure under --strict.
    again = run_cli("build", "--site", site, "--strict", "--format", "json")
    assert again.code == 1
    assert [f["line"] for f in _json(again.stdout)["findings"]] == [7]  # type: ignore[union-attr]


def test_build_summary_and_outputs_tell_whether_anything_changed(site: Path, tmp_path: Path) -> None:
    write_site(site, WARNED.replace("D có [liên kết hỏng](/khong-co/).", "D."))
    outputs = tmp_path / "github_output"
    first = run_cli("build", "--site", site, "--format", "json", "--outputs", outputs)
    assert first.code == 0, first.stderr
    summary = _json(first.stdout)["summary"]
    assert isinstance(summary, dict)
    assert summary["changed"] is True and summary["up_to_date"] is False and summary["articles"] == 1
    second = run_cli("build", "--site", site, "--format", "json", "--outputs", outputs)
    summary = _json(second.stdout)["summary"]
    assert isinstance(summary, dict)
    assert summary["changed"] is False and summary["up_to_date"] is True
    lines = outputs.read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line.startswith("changed=")] == ["changed=true", "changed=false"]
    assert "pages=" + str(summary["pages"]) in lines


def test_exit_codes(site: Path, tmp_path: Path) -> None:
    write_site(site, WARNED)
    assert run_cli("check", "--site", site).code == 0
    assert run_cli("check", "--site", site, "--format", "xml").code == 2
    assert run_cli("check", "--site", tmp_path / "khong-co").code == 2
    (site / "content/articles/d.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    assert run_cli("check", "--site", site).code == 1
    refused = run_cli("build", "--site", site, "--output", site / "content", "--format", "json")
    assert refused.code == 2
    assert _json(refused.stdout)["exit_code"] == 2
