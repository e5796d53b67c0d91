"""Whole-process measurement for the benchmarks: wall and CPU seconds, and the peak RSS of the
largest process among a command and all its descendants."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

# Runs in a fresh interpreter, so that RUSAGE_CHILDREN covers this one command only.
_WRAPPER = (
    "import json,resource,subprocess,sys,time\n"
    "t=time.perf_counter()\n"
    "r=subprocess.run(sys.argv[1:],stdout=subprocess.PIPE,stderr=subprocess.PIPE)\n"
    "w=time.perf_counter()-t\n"
    "u=resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'code':r.returncode,'wall':w,'cpu':u.ru_utime+u.ru_stime,'kb':u.ru_maxrss,"
    "'err':r.stderr.decode(errors='replace')[-400000:],'out':r.stdout.decode(errors='replace')[-4000:]}))\n"
)


def measure(cmd: list[str], cwd: Path | None = None) -> dict[str, Any]:
    """{'wall', 'cpu', 'kb', 'out'} of one run of `cmd` ('out': the end of its standard output);
    exits with its stderr if it fails."""
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True, cwd=cwd, check=True)
    result: dict[str, Any] = json.loads(out.stdout)
    if result["code"] != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{result['err']}")
    return result
