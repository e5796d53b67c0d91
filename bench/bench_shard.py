#!/usr/bin/env python3
"""CPU seconds of re-indexing one search shard, the part of a patch build that an edit of an old
article costs (`bench_build.py --scenarios old-body` times the whole build, on a shared machine
mostly its noise).

    python bench/bench_shard.py capture --site DIR --output DIR --records FILE.json [--shard NAME]
    python bench/bench_shard.py time --records FILE.json [--runs 3]

`capture` builds the site in this process into `--output` (a folder not built yet: a build whose
inputs and output did not change does nothing), with the shard's cache entry set aside (the
oldest shard by default; the build makes it again), and writes that shard's records to FILE.json.

`time` indexes those records as a build does (`search._build_shard`: Pagefind's service, the
bundle written, `_rewrite`) `--runs` times and prints, for each run, the CPU seconds of Pagefind
(its process, waited for) and of this process, then the bundle's digest (the same records must
give the same digest, run after run and build after build).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from toasoan import pipeline, search  # noqa: E402 - after the checkout is put first on the path


def capture(site: Path, output: Path, records: Path, shard: str | None) -> None:
    cache = site / ".cache" / "search"
    entries = sorted(p for p in cache.iterdir() if p.is_dir()) if cache.is_dir() else []
    wanted = [p for p in entries if shard is None or p.name.rsplit("-", 1)[0] == shard][:1]
    aside = Path(tempfile.mkdtemp(dir=site / ".cache")) if wanted else None
    if aside is not None:
        wanted[0].rename(aside / wanted[0].name)
    build_shard = search._build_shard
    captured: list[list[str]] = []

    def keep(members: Sequence[search.Record], entry: Path) -> int:
        if not captured and (shard is None or members[0].shard == shard):
            captured.extend([r.url, r.html] for r in members)
        return build_shard(members, entry)

    search._build_shard = keep
    try:
        pipeline.build(pipeline.BuildOptions(site_dir=site, output=output, jobs=2))
    finally:
        search._build_shard = build_shard
        if aside is not None:
            shutil.rmtree(aside)  # the build made the entry again
    if not captured:
        raise SystemExit("no shard was indexed: is --output a folder not built yet?")
    records.write_text(json.dumps(captured, ensure_ascii=False), encoding="utf-8")
    print(f"{len(captured)} records of shard {shard or 'the oldest'} → {records}")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def time_shard(records: Path, runs: int) -> None:
    data: list[Any] = json.loads(records.read_text(encoding="utf-8"))
    members = [search.Record(url=url, shard="bench", html=html) for url, html in data]
    results = []
    for _ in range(runs):
        work = Path(tempfile.mkdtemp())
        try:
            children, own, wall = _children_cpu(), time.process_time(), time.perf_counter()
            search._build_shard(members, work / "entry")
            result = (_children_cpu() - children, time.process_time() - own, time.perf_counter() - wall)
            digest = _digest(work / "entry")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        results.append(result)
        print(f"Pagefind {result[0]:.2f} s CPU, ours {result[1]:.2f} s CPU, {result[2]:.2f} s wall, bundle {digest}")
    print(f"{len(members)} records, median: Pagefind {statistics.median(r[0] for r in results):.2f} s, ours {statistics.median(r[1] for r in results):.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["capture", "time"])
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--site", type=Path)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--shard")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if args.mode == "capture":
        if args.site is None or args.output is None:
            parser.error("capture needs --site and --output")
        capture(args.site, args.output, args.records, args.shard)
    else:
        time_shard(args.records, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
