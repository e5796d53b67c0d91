"""The up-to-date shortcut, taken before any stage's library (Jinja2, Markdown, Pillow, Pagefind's
helpers...) is imported: under the output folder's lock, whether the last build into it still
stands (`uptodate`). `cli` asks first and imports `pipeline` only when something must be built;
`pipeline.build` asks the same when called directly (`serve`, tests) and uses what was found."""

from __future__ import annotations

import datetime as dt
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import uptodate
from .buildcache import BUILD_DIR, fingerprint, generator_stamp
from .config import CONFIG_NAME, load_config
from .errors import Diagnostic, Severity
from .writer import CACHE_LOCK, CACHE_MARKER, Waiting, check_output_dir, hold_lock, output_lock


def default_theme_dir() -> Path:
    """The default theme: the installed package's copy (`toasoan/theme/`, made from the
    repository's top-level templates/ and static/ when the wheel is built), else, run from a
    source checkout or an editable install, that top level itself."""
    package = Path(__file__).resolve().parent
    installed = package / "theme"
    return installed if (installed / "templates").is_dir() else package.parent


THEME_DIR = default_theme_dir()


@dataclass(frozen=True, slots=True, kw_only=True)
class LastBuild:
    """Where this output's record lives, the inputs' hash now, "now", and the last record."""

    record_file: Path
    inputs: str
    hashed: uptodate.Hashed
    now: float
    record: uptodate.Record | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Checked:
    """The output folder (its lock held by the caller's ExitStack) and what the shortcut found."""

    out: Path
    last: LastBuild | None  # None: no shortcut (a config or cache folder a full build must report on)
    standing: bool  # the last build's output is still exactly what a build would make now
    timings: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Replay:
    """The last build's result as `cli` reports it, when nothing changed and nothing was written."""

    pages: int
    articles: int
    unpublished: int
    warnings: list[Diagnostic]
    valid_until: dt.datetime | None
    output: Path
    seconds: float
    timings: tuple[tuple[str, float], ...]
    files: int = 0
    up_to_date: bool = True


def input_files(site_dir: Path, theme_dir: Path) -> tuple[list[Path], list[Path]]:
    """The folders and single files whose bytes make a build: the site's and the theme's."""
    root = site_dir.resolve()
    theme = theme_dir.resolve()
    return ([root] if theme == root else [root, theme]), [root / CONFIG_NAME]


def check(
    site_dir: Path, output: Path | None, *, theme_dir: Path, drafts: bool, environ: dict[str, str], held: ExitStack, waiting: Waiting | None,
    kept: uptodate.KeptRecords | None = None,
) -> Checked:
    """Take the output folder's lock (held until `held` closes; a second build waits) and tell
    whether the last build into it still stands. Raises OutputRefused for a folder that must not
    be replaced. `kept`: records this process wrote (`uptodate.read_record`)."""
    started = time.perf_counter()
    root = site_dir.resolve()
    out = check_output_dir(root, output or root / "public")
    held.enter_context(hold_lock(output_lock(out), f"ghi xong vào `{out}`", waiting))
    laps = [("output lock, config, record", 0.0)]
    last = _last_build(root, theme_dir, drafts, environ, out, laps, kept)
    standing = False
    if last is not None and last.record is not None:
        mark = time.perf_counter()
        standing = uptodate.still_valid(last.record, last.inputs, last.now, out)
        laps.append(("output check", time.perf_counter() - mark))
    laps[0] = (laps[0][0], time.perf_counter() - started - sum(seconds for _, seconds in laps[1:]))
    return Checked(out=out, last=last, standing=standing, timings=tuple(laps))


def _last_build(
    root: Path, theme_dir: Path, drafts: bool, environ: dict[str, str], out: Path, laps: list[tuple[str, float]],
    kept: uptodate.KeptRecords | None = None,
) -> LastBuild | None:
    config, _ = load_config(root)
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if config is None or (epoch and not (epoch.isdigit() and len(epoch) <= 11)):
        return None  # the full build reports what is wrong
    cache = (root / config.cache_dir).resolve()
    # A folder the cache did not mark is the full build's to judge (`photos.check_cache_dir`).
    protected = any(cache.is_relative_to(root / name) for name in ("content", "templates", "static", ".git"))
    if protected or cache.is_relative_to(out) or root.is_relative_to(cache) or not _own_cache(cache):
        return None
    # "now" as `dates.now_from_env` makes it; only the instant matters here, not its zone.
    now = float(int(epoch)) if epoch else time.time()
    record_file = uptodate.record_path(cache / BUILD_DIR / generator_stamp(), out)
    record = uptodate.read_record(record_file, kept)
    mark = time.perf_counter()
    salt = fingerprint(generator_stamp(), drafts, str(theme_dir.resolve()))
    inputs, hashed = uptodate.input_hash(*input_files(root, theme_dir), salt, record.hashed if record else None)
    laps.append(("input hash", time.perf_counter() - mark))
    return LastBuild(record_file=record_file, inputs=inputs, hashed=hashed, now=now, record=record)


def _own_cache(cache: Path) -> bool:
    """Not there yet, or marked by the cache: anything else is the full build's to judge."""
    if (cache / CACHE_MARKER).is_file():
        return True
    try:
        return not any(entry.name != CACHE_LOCK for entry in cache.iterdir())
    except FileNotFoundError:
        return True
    except OSError:
        return False


def replay(checked: Checked, started: float) -> Replay | None:
    """The last build's result again, when its output still stands and its record reads as one."""
    if not checked.standing or checked.last is None or checked.last.record is None:
        return None
    data: dict[str, Any] = checked.last.record.result
    try:
        valid_until = data["valid_until"]
        return Replay(
            pages=int(data["pages"]), articles=int(data["articles"]), unpublished=int(data["unpublished"]),
            warnings=[
                Diagnostic(path=str(p), line=int(n), message=str(m), severity=Severity[str(v)], code=str(c), column=int(col))
                for p, n, m, v, c, col in data["warnings"]
            ],
            valid_until=dt.datetime.fromisoformat(valid_until) if valid_until else None,
            output=checked.out, seconds=time.perf_counter() - started, timings=checked.timings,
        )
    except (KeyError, TypeError, ValueError):
        return None
