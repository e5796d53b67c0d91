"""CPU seconds of one build, stage by stage: on a machine shared by other work, wall seconds say
little and CPU seconds compare two versions of the code.

    python bench/bench_cpu.py SITE OUTPUT [--jobs 2]

Runs `build` in this process with the code of this checkout and prints one JSON line: user and
system CPU seconds of this process and of its workers (counted once they are waited for, at the
end of each stage that uses them), wall seconds, and each stage's CPU and wall seconds (the laps
`TOASOAN_TIMINGS` prints). The interpreter's start and imports are not counted. To compare two
versions, give each its own copy of the site (the build cache and the up-to-date record belong
to one generator version) and alternate them.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from toasoan import cli, pipeline  # noqa: E402


def _cpu() -> tuple[float, float]:
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + workers.ru_utime, own.ru_stime + workers.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    laps: list[tuple[str, float, float]] = []
    last = [sum(_cpu()), time.perf_counter()]
    lap = pipeline._Stopwatch.lap

    def timed_lap(self: pipeline._Stopwatch, stage: str) -> None:
        lap(self, stage)
        cpu, wall = sum(_cpu()), time.perf_counter()
        laps.append((stage, round(cpu - last[0], 2), round(wall - last[1], 2)))
        last[:] = [cpu, wall]

    pipeline._Stopwatch.lap = timed_lap  # type: ignore[method-assign]
    user0, system0 = _cpu()
    start = time.perf_counter()
    code = cli.main(["build", "--site", str(args.site), "--output", str(args.output), "--jobs", str(args.jobs)])
    user, system = _cpu()
    print(json.dumps({
        "exit": code, "user": round(user - user0, 2), "sys": round(system - system0, 2),
        "wall": round(time.perf_counter() - start, 2), "stages": laps,
    }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
