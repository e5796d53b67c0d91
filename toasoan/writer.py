"""Commit a built site: write into a staging folder beside the output, then swap it in atomically.

Also the locks that keep two builds apart: `hold_lock` on a lock file (beside the output, in
the photo cache) for a whole build, and a lock on each staging folder so that only folders whose
owner is gone are ever removed."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import itertools
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path

MARKER = ".toasoan-output"
MARKER_TEXT = b"Built by toasoan. This whole folder is replaced on every build.\n"
CACHE_LOCK = ".toasoan.lock"  # in the cache folder, held by a build from the photos to the prune
CACHE_MARKER = ".toasoan-cache"  # in the cache folder: the cache made it and may prune it
_STAGING = ".staging-"
_OLD = ".old-"
_NOT_NAMES = frozenset({"", ".", ".."})  # never a file's name in the output
_SPARE = ".spare-"  # a replaced output kept for the next patch's staging folder (`Spare`)
_RENAME_EXCHANGE = 2
# A replaced output with at least this many files is removed by a detached process: removing
# ~15,000 folders costs seconds (tens on a busy disk) that the build need not wait for.
_BACKGROUND_REMOVAL_MIN = "TOASOAN_BACKGROUND_REMOVAL_MIN"
_REMOVER = "import shutil, sys; shutil.rmtree(sys.argv[1], ignore_errors=True)"


class OutputRefused(Exception):
    """The output folder cannot be used; nothing was written or deleted."""


class UnsafeOutput(Exception):
    """A file of the build would land outside the output folder or on another file's path.

    The pipeline checks every output path before anything is written; this is the last guard,
    raised before the swap, so the previous output stays."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


Waiting = Callable[[str], None]
"""Told once, with a sentence for the user, when a lock is held by another build."""


def output_lock(out: Path) -> Path:
    """The lock file a build holds on its output folder: `.NAME.lock` beside it (never removed:
    removing a lock file another process may be waiting on would let two builds in)."""
    return out.parent / f".{out.name}.lock"


@contextlib.contextmanager
def hold_lock(path: Path, what: str, waiting: Waiting | None = None) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if missing) for the `with` block.

    When another process holds it, `waiting` is told once (naming that process) and the call
    waits until it is released: the kernel releases a flock when its holder exits, however it
    dies, so a lock is never stale and the wait lasts only as long as a live build."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                by = f" (tiến trình {holder})" if holder.isdigit() else ""
                waiting(f"đang chờ bản dựng khác{by} {what}...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the lock


@dataclass(frozen=True, slots=True)
class OutputFile:
    """One file of the output: bytes to write, or a site file to copy as it is."""

    path: str
    data: bytes | None = None
    copy_from: Path | str | None = None
    link: bool = False  # the source is immutable (a cache entry): a hard link will do


@dataclass(frozen=True, slots=True)
class Carried:
    """Files of the last output a patch build keeps as they are: hard links from `source` (the
    output folder), folder by folder (relative to it, "" for itself) with the names to link."""

    source: Path
    folders: Sequence[tuple[str, Sequence[str]]]


Stat = tuple[int, int, int]
"""A folder's (mtime ns, ctime ns, inode)."""


@dataclass(frozen=True, slots=True)
class Spare:
    """A replaced output kept beside the output folder (`.NAME.spare-…`) for the next patch to make
    its staging folder from, instead of linking every carried file into an empty one: its files
    are mostly hard links to the live output's (the files both carried). Claimed only when the
    folder and every folder below it have the stats they had when it was kept: a file added,
    removed or replaced in a folder moves that folder's mtime and ctime (ctime cannot be set
    from user space); a file written in place is a file of the live output too, whose check
    (`uptodate.output_unchanged`) sees it."""

    path: Path
    top: Stat  # the folder's own stats as it was kept
    folders: Sequence[str]  # every folder below it (relative to it)
    values: Sequence[int]  # their stats, three numbers each, in that order
    differ: frozenset[str]  # files whose inode is not the live output's at that path, or that only one of the two has


@dataclass(frozen=True, slots=True)
class Recycle:
    """How a patch makes its staging folder from `spare`: `remove` every file of the spare that is
    not carried as it is (ignoring those it does not have), then link `relink` (carried files the
    spare has not, or has at another inode) from the live output. Every other carried file is
    already there, the same inode as the live output's."""

    spare: Spare
    remove: Sequence[str]
    relink: frozenset[str]


@dataclass(slots=True)
class Staged:
    """A fresh staging folder made before `commit_output` (`make_staging`), locked by `owner`,
    and the files already linked into it (`place`): a template patch links its pages while the
    workers still render the rest, instead of after the last one. `commit_output(staged=)` then
    writes the rest into it and owns it (removes it on failure); `discard_staging` removes one
    that is never committed."""

    path: Path
    owner: int | None
    placed: set[str] = field(default_factory=set)  # output paths linked in
    made: set[str] = field(default_factory=lambda: {""})  # folders made (relative)


Kept = Callable[[Path, Stat, bool], None]
"""Told the path and stats of the replaced output kept as a spare (`commit_output`'s `keep`), and
whether the staging folder was the spare given (True) or made afresh."""


def check_output_dir(site_dir: Path, output: Path) -> Path:
    """Refuse an output folder whose replacement could destroy anything but a previous build."""
    site = site_dir.resolve()
    out = output.resolve() if output.is_absolute() else (Path.cwd() / output).resolve()
    if out == Path(out.anchor):
        raise OutputRefused(f"không thể dùng `{output}` làm thư mục xuất: đó là thư mục gốc")
    if out == site or site.is_relative_to(out):
        raise OutputRefused(f"không thể dùng `{output}` làm thư mục xuất: nó chứa cả trang nguồn")
    for protected in ("content", "templates", "static", ".git"):
        if out == site / protected or out.is_relative_to(site / protected):
            raise OutputRefused(f"không thể dùng `{output}` làm thư mục xuất: nó nằm trong `{protected}/`")
    if out.exists():
        if not out.is_dir() or out.is_symlink():
            raise OutputRefused(f"`{output}` đã có và không phải thư mục")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise OutputRefused(
                f"`{output}` đã có dữ liệu không do toasoan tạo ra: chọn thư mục khác hoặc xóa nó trước"
            )
    return out


def make_staging(out: Path) -> Staged:
    """A fresh, locked staging folder beside `out` for `place` and `commit_output(staged=)`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    return Staged(*_locked_staging(out))


def _locked_staging(out: Path) -> tuple[Path, int | None]:
    """A fresh staging folder beside `out` and this process's lock on it. A unique name (not only
    the pid: two containers sharing a volume may both be pid 7)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}{_STAGING}{os.getpid()}-", dir=out.parent))
    return staging, _lock_folder(staging)


def place(staged: Staged, path: str, source: str | Path) -> None:
    """The immutable file `source` (a cache blob) hard-linked at `path` of the staging folder, its
    folders made first (a copy where a link cannot be made). A path already there is refused,
    never written through (it is a link to another blob)."""
    if not safe_output_path(path) or path == MARKER:
        raise UnsafeOutput(path, f"tệp `{path}` sẽ nằm ngoài thư mục xuất: không ghi")
    if path in staged.placed:
        raise UnsafeOutput(path, f"hai tệp cùng được ghi vào `{path}`: không ghi")
    top = str(staged.path)
    folder = path.rpartition("/")[0]
    if folder not in staged.made:
        _make_folder(top, folder, staged.made)
    target = f"{top}/{path}"
    try:
        os.link(source, target)
    except FileExistsError:
        raise UnsafeOutput(path, f"hai tệp cùng được ghi vào `{path}`: không ghi") from None
    except OSError:  # another file system, or links not allowed
        with open(target, "xb") as handle, open(source, "rb") as original:
            shutil.copyfileobj(original, handle)
    staged.placed.add(path)


def discard_staging(staged: Staged) -> None:
    """Remove a staging folder `make_staging` made that will not be committed (in a detached
    process when it holds many files, as a replaced output)."""
    _discard(staged.path, staged.owner, len(staged.placed) >= _background_min())
    staged.owner = None


def commit_output(
    out: Path, files: Iterable[OutputFile], finalize: Callable[[Path], None] | None = None, carried: Carried | None = None,
    recycle: Recycle | None = None, keep: Kept | None = None, staged: Staged | None = None,
) -> int:
    """Write every file into a fresh staging folder, let `finalize` add to it (the search index
    is made from the written pages), then swap it with `out`. Returns the count of files written.
    `carried` files are hard-linked in first (one listing-free pass per folder, by descriptor);
    a file of `files` may not be one of them.

    A build calls it holding `hold_lock(output_lock(out))`. The staging folder is locked by its
    owner until the swap, so another writer removes only staging folders whose owner is gone.
    A failure at any point removes the staging folder and leaves `out` exactly as it was.

    `recycle` (with `carried`): the staging folder is made from that spare when it can be claimed
    (`_claim`), else afresh. `keep`: the replaced output is kept as a spare instead of removed,
    and `keep` is told its path and stats (to record them: an unrecorded spare is removed by the
    next build, as any folder `_remove_stale` knows).

    `staged`: the staging folder is that one (`make_staging`, its placed files left as they are;
    `recycle` is then not used), and this call owns it from here on."""
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(out, (_STAGING, _OLD))  # spares once this build's size is known (below); a locked `staged` stays
    claimed = _claim(out, recycle.spare) if staged is None and recycle is not None and carried is not None else None
    owner: int | None
    if staged is not None:
        staging, owner = staged.path, staged.owner
        staged.owner = None  # closed below
    elif claimed is not None:
        staging, owner = claimed
    else:
        staging, owner = _locked_staging(out)
    try:
        count = _write_all(staging, files, carried, recycle if claimed is not None else None, staged)
        if finalize is not None:
            finalize(staging)
        # Spares nobody claimed, a spare found changed: off the clock when the output is large (as
        # the replaced output below).
        _remove_stale(out, (_STAGING, _OLD, _SPARE), background=count >= _background_min())
        told = None if keep is None else functools.partial(_tell, keep, recycled=claimed is not None)
        _swap(staging, out, background=count >= _background_min(), keep=told)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if owner is not None:
            os.close(owner)
    return count


def _tell(keep: Kept, path: Path, top: Stat, *, recycled: bool) -> None:
    keep(path, top, recycled)


def safe_output_path(path: str) -> bool:
    """A relative path of plain segments (no `..`, `.`, empty segment or leading `/`): it can
    only name a file inside the folder it is joined to."""
    if "\x00" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def _background_min() -> int:
    try:
        return int(os.environ.get(_BACKGROUND_REMOVAL_MIN, "2000"))
    except ValueError:
        return 2000


def _write_all(
    staging: Path, files: Iterable[OutputFile], carried: Carried | None = None, recycled: Recycle | None = None, staged: Staged | None = None,
) -> int:
    """`recycled`: the staging folder is a claimed spare, emptied first of every file but the
    carried ones it holds already (`_reuse`): only the others are linked, and a file to write is
    unlinked first if somehow there (never written through: it could be a live output's file).
    `staged`: the files it placed are there already (each must be one of `files` or the `.gz`
    copy of one, and none may be carried: checked before any carried file is linked)."""
    written: set[str] = set()
    placed: Set[str] = staged.placed if staged is not None else frozenset()
    made_dirs: set[str] = set(staged.made) if staged is not None else {""}
    top = str(staging)
    linked: dict[str, Sequence[str]] = {}
    if recycled is not None:
        _reuse(staging, recycled)
    if placed and carried is not None:
        by_folder: dict[str, set[str]] = {}
        for path in placed:
            folder, _, name = path.rpartition("/")
            by_folder.setdefault(folder, set()).add(name)
        for folder, names in carried.folders:
            if folder in by_folder and not by_folder[folder].isdisjoint(names):
                raise UnsafeOutput(folder, f"hai tệp cùng được ghi vào thư mục `{folder}`: không ghi")
    if carried is not None:
        linked = _link_carried(top, carried, made_dirs, recycled.relink if recycled is not None else None)
    as_sets: dict[str, frozenset[str]] = {}  # the carried names of the folders files are written to
    for item in [OutputFile(MARKER, data=MARKER_TEXT), *files]:
        if not safe_output_path(item.path):
            raise UnsafeOutput(item.path, f"tệp `{item.path}` sẽ nằm ngoài thư mục xuất: không ghi")
        folder, _, name = item.path.rpartition("/")
        if folder in linked and folder not in as_sets:
            as_sets[folder] = frozenset(linked[folder])
        if item.path in written or name in as_sets.get(folder, ()):
            raise UnsafeOutput(item.path, f"hai tệp cùng được ghi vào `{item.path}`: không ghi")
        written.add(item.path)
        if item.path in placed:
            continue
        target = f"{top}/{item.path}"
        folder = item.path.rpartition("/")[0]
        if folder not in made_dirs:
            _make_folder(top, folder, made_dirs)
        if recycled:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(target)  # noqa: PTH108
        if item.copy_from is not None and item.link:
            try:
                os.link(item.copy_from, target)
            except OSError:  # another file system, or links not allowed
                shutil.copyfile(item.copy_from, target)
        elif item.copy_from is not None:
            shutil.copyfile(item.copy_from, target)
        else:
            with open(target, "wb") as handle:
                handle.write(item.data or b"")
    for path in placed:  # each one of `files`, or the `.gz` copy of one (which the caller accounts for)
        if path not in written and not (path.endswith(".gz") and path[:-3] in written):
            raise UnsafeOutput(path, f"tệp `{path}` đã đặt vào thư mục tạm không thuộc bản dựng: không ghi")
    return len(written) - 1 + sum(map(len, linked.values()))


# An empty, `.` or `..` segment in one of the lines of folder paths joined by newlines.
_BAD_SEGMENT = re.compile(r"(?:^|/)\.{0,2}(?:/|$)", re.MULTILINE)


def _check_carried(folders: Sequence[tuple[str, Sequence[str]]]) -> dict[str, Sequence[str]]:
    """The carried names by folder, each folder plain relative segments and each name one plain
    segment (`safe_output_path`), no folder twice; else UnsafeOutput naming the first folder that
    is not. ~15,000 folders and ~50,000 names at 10k, checked at C speed (joined, searched once);
    a folder or name the joined check cannot tell (one holding a newline, say) is checked alone."""
    linked = dict(folders)
    paths = "\n".join(folder for folder, _ in folders if folder)
    names = list(itertools.chain.from_iterable(names for _, names in folders))
    joined = "\n".join(names)
    if (
        len(linked) == len(folders) and _BAD_SEGMENT.search(paths) is None and "\x00" not in paths and "/" not in joined
        and "\x00" not in joined and _NOT_NAMES.isdisjoint(names)
    ):
        return linked
    seen: set[str] = set()
    for folder, names_here in folders:
        joined_here = "\n".join(names_here)
        if (folder and not safe_output_path(folder)) or "/" in joined_here or "\x00" in joined_here or not _NOT_NAMES.isdisjoint(names_here):
            raise UnsafeOutput(folder, f"thư mục `{folder}` sẽ nằm ngoài thư mục xuất: không ghi")
        if folder in seen:
            raise UnsafeOutput(folder, f"thư mục `{folder}` được chép hai lần: không ghi")
        seen.add(folder)
    return linked


def _link_carried(top: str, carried: Carried, made_dirs: set[str], only: frozenset[str] | None = None) -> dict[str, Sequence[str]]:
    """Hard links in the staging folder `top` to the carried files (copies where a link cannot
    be made): each folder made (with its parents) and its files linked by descriptor (no path
    walk per file; a few threads measured slower: the links contend in the kernel). Returns the
    names carried, by folder. `only`: the paths to link (a recycled spare holds the others: only
    their folders are visited)."""
    linked = _check_carried(carried.folders)
    source = str(carried.source)
    todo: Iterable[tuple[str, Sequence[str]]] = carried.folders
    if only is not None:
        wanted: dict[str, set[str]] = {}
        for path in only:
            folder, _, name = path.rpartition("/")
            wanted.setdefault(folder, set()).add(name)
        todo = [(folder, [name for name in linked[folder] if name in mine]) for folder, mine in sorted(wanted.items()) if folder in linked]
    for folder, names in todo:
        if names:
            if folder not in made_dirs:  # a folder is made for its files only
                _make_folder(top, folder, made_dirs)
            _link_folder(f"{source}/{folder}" if folder else source, f"{top}/{folder}" if folder else top, names)
    return linked


def _reuse(staging: Path, recycled: Recycle) -> None:
    """Empty a claimed spare of the files `recycled.remove` names (those it has), then of the
    folders that left empty (a clean build has none; each is made again if a file goes into it).
    A folder all of whose files go (the search shard a patch indexes again: ~100 files at 10k) is
    renamed aside whole, with its subfolders, and removed off the clock (`_set_aside_whole`): an
    unlink costs up to ~1 ms of the disk's time on a busy machine, a rename one."""
    top = str(staging)
    emptied: set[str] = set()
    moved = _set_aside_whole(staging, recycled.remove)
    for path in recycled.remove:
        if _below(path, moved):
            continue
        try:
            os.unlink(f"{top}/{path}")  # noqa: PTH108
        except FileNotFoundError:
            continue
        emptied.add(path.rpartition("/")[0])
    emptied.update(folder.rpartition("/")[0] for folder in moved)
    for folder in sorted(emptied, key=lambda f: f.count("/"), reverse=True):
        while folder:
            try:
                os.rmdir(f"{top}/{folder}")  # noqa: PTH106
            except OSError:  # not empty (or gone already with a child's chain)
                break
            folder = folder.rpartition("/")[0]


ASIDE_MIN = 32
"""Files a patch removes from a recycled spare in whole folders, at least, for those folders to
be renamed aside and removed by a detached process instead of unlinked one by one (starting it
costs a few milliseconds of the build's time)."""


def _below(path: str, folders: Iterable[str]) -> bool:
    return any(path.startswith(f"{folder}/") for folder in folders)


def _set_aside_whole(staging: Path, remove: Sequence[str]) -> list[str]:
    """The folders of the spare `staging` whose every file (and every subfolder's) is in `remove`,
    the largest such, renamed together into a locked `.NAME.old-…` folder beside it, which a
    detached process then removes (a build killed before that leaves it to the next build that
    writes, as any old folder whose owner is gone). Only when they hold at least ASIDE_MIN
    files; returns the folders moved (relative to `staging`), none otherwise. Each folder is
    listed before it moves: a file the spare holds that `remove` does not name keeps it (and
    its parents) in place."""
    by_folder: dict[str, set[str]] = {}
    for path in remove:
        if not safe_output_path(path):
            continue  # never a folder to move (unlinked as before, or not there)
        folder, _, name = path.rpartition("/")
        by_folder.setdefault(folder, set()).add(name)
    top = str(staging)
    whole: dict[str, int | None] = {}  # folder -> the files it holds when they all go, else None

    def files_if_whole(folder: str) -> int | None:
        if folder not in whole:
            whole[folder] = None
            names = by_folder.get(folder)
            try:
                with os.scandir(f"{top}/{folder}") as entries:
                    found = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]
            except OSError:
                return None
            count = 0
            for name, is_dir in found:
                inner = files_if_whole(f"{folder}/{name}") if is_dir else (1 if names and name in names else None)
                if inner is None:
                    return None
                count += inner
            whole[folder] = count
        return whole[folder]

    chosen: dict[str, int] = {}
    for folder in sorted(by_folder, key=lambda f: f.count("/")):
        if not folder or _below(folder, chosen) or files_if_whole(folder) is None:
            continue
        while True:  # the largest folder that goes whole (never the spare itself)
            parent = folder.rpartition("/")[0]
            if not parent or files_if_whole(parent) is None:
                break
            folder = parent
        if folder not in chosen and not _below(folder, chosen):
            chosen[folder] = whole[folder] or 0
    if sum(chosen.values()) < ASIDE_MIN:
        return []
    try:
        aside = Path(tempfile.mkdtemp(prefix=f"{staging.name.split(_STAGING, 1)[0]}{_OLD}{os.getpid()}-", dir=staging.parent))
    except OSError:
        return []  # their files are unlinked one by one
    owner = _lock_folder(aside)
    moved: list[str] = []
    try:
        for n, folder in enumerate(sorted(chosen)):
            os.rename(f"{top}/{folder}", aside / str(n))  # noqa: PTH104
            moved.append(folder)
    except OSError:
        pass  # the folders not moved have their files unlinked one by one
    finally:
        _discard(aside, owner, background=True)
    return moved


def _link_folder(source: str, target: str, names: Sequence[str]) -> None:
    src = os.open(source, os.O_RDONLY | os.O_DIRECTORY)
    try:
        dst = os.open(target, os.O_RDONLY | os.O_DIRECTORY)
        try:
            link = os.link
            for name in names:
                try:
                    link(name, name, src_dir_fd=src, dst_dir_fd=dst, follow_symlinks=False)
                except OSError:  # another file system, or links not allowed
                    shutil.copyfile(f"{source}/{name}", f"{target}/{name}")
        finally:
            os.close(dst)
    finally:
        os.close(src)


def _make_folder(top: str, folder: str, made: set[str]) -> None:
    """`folder` (relative to `top`) and any parent not made yet: plain mkdir calls, without the
    checks of os.makedirs (~15,000 folders a build)."""
    parent = folder.rpartition("/")[0]
    if parent not in made:
        _make_folder(top, parent, made)
    with contextlib.suppress(FileExistsError):
        os.mkdir(f"{top}/{folder}")  # noqa: PTH102
    made.add(folder)


def _swap(staging: Path, out: Path, *, background: bool = False, keep: Callable[[Path, Stat], None] | None = None) -> None:
    if not out.exists():
        staging.rename(out)
        return
    old = staging.with_name(staging.name.replace(_STAGING, _OLD, 1))
    if _exchange(staging, out):
        owner = _lock_folder(staging)  # the old output, now at the staging name
        staging.rename(old)
        _set_aside(old, owner, background, keep)
        return
    owner = _lock_folder(out)  # the old output, once renamed, is ours until removed
    try:
        out.rename(old)
        try:
            staging.rename(out)
        except BaseException:
            old.rename(out)
            raise
    except BaseException:
        if owner is not None:
            os.close(owner)
        raise
    _set_aside(old, owner, background, keep)


def _set_aside(old: Path, owner: int | None, background: bool, keep: Callable[[Path, Stat], None] | None) -> None:
    """The replaced output: kept as a spare when `keep` is given (renamed, its lock released,
    `keep` told), else removed."""
    if keep is not None and owner is not None:
        spare = old.with_name(f"{old.name.split(_OLD, 1)[0]}{_SPARE}{os.getpid()}-{secrets.token_hex(6)}")
        try:
            old.rename(spare)
            st = os.lstat(spare)
        except OSError:
            _discard(old if old.exists() else spare, owner, background)
            return
        os.close(owner)
        keep(spare, (st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        return
    _discard(old, owner, background)


def keep_copy(out: Path, folders: Sequence[tuple[str, Sequence[str]]]) -> Spare | None:
    """A spare made of the output a full build has just swapped in, so that the first patch after
    it recycles a staging folder too: a hard link to every file `folders` names (the output's
    folders and their files, as its record has them), every file the live output's own (one inode,
    so nothing differs). Made under a locked staging name (a build killed meanwhile leaves a
    staging folder whose owner is gone, removed by the next build that writes), its folders'
    stats taken once every link is in, then renamed to a spare name and its lock released: the
    caller records it (an unrecorded spare is removed as stale). None, and nothing left, when a
    link cannot be made (another file system: a copy would not be the live output's file)."""
    staging, owner = _locked_staging(out)
    top = str(staging)
    try:
        made: set[str] = {""}
        source = str(out)
        for folder, names in folders:
            if not names:
                continue  # a folder of folders is made with its first file's
            if folder not in made:
                _make_folder(top, folder, made)
            src = os.open(f"{source}/{folder}" if folder else source, os.O_RDONLY | os.O_DIRECTORY)
            try:
                dst = os.open(f"{top}/{folder}" if folder else top, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    link = os.link
                    for name in names:
                        link(name, name, src_dir_fd=src, dst_dir_fd=dst, follow_symlinks=False)
                finally:
                    os.close(dst)
            finally:
                os.close(src)
        below = [rel for rel in made if rel]
        values: list[int] = []
        lstat = os.lstat
        for rel in below:
            st = lstat(f"{top}/{rel}")
            values += (st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
        spare = staging.with_name(f".{out.name}{_SPARE}{os.getpid()}-{secrets.token_hex(6)}")
        staging.rename(spare)
        st = lstat(spare)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return None
    finally:
        if owner is not None:
            os.close(owner)
    return Spare(path=spare, top=(st.st_mtime_ns, st.st_ctime_ns, st.st_ino), folders=below, values=values, differ=frozenset())


def _claim(out: Path, spare: Spare) -> tuple[Path, int] | None:
    """The spare renamed to a staging name and locked, when it is this output's and it and every
    folder below it still have the stats it was kept with; else None (a spare found changed is
    removed). Killed from here on, the folder is a staging folder whose owner is gone."""
    if spare.path.parent != out.parent or not spare.path.name.startswith(f".{out.name}{_SPARE}"):
        return None
    owner = _lock_folder(spare.path)
    if owner is None:
        return None
    path = spare.path
    try:
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode) or (st.st_mtime_ns, st.st_ctime_ns, st.st_ino) != spare.top:
            raise _Changed
        staging = out.parent / f".{out.name}{_STAGING}{os.getpid()}-{secrets.token_hex(6)}"
        path.rename(staging)
        path = staging
        values = spare.values
        lstat = os.lstat
        base = str(staging)
        if len(values) != 3 * len(spare.folders):
            raise _Changed
        for n, rel in enumerate(spare.folders):
            st = lstat(f"{base}/{rel}")
            if (st.st_mtime_ns, st.st_ctime_ns, st.st_ino) != (values[3 * n], values[3 * n + 1], values[3 * n + 2]):
                raise _Changed
    except (OSError, _Changed):
        os.close(owner)  # removed with the stale folders (`commit_output`)
        return None
    return staging, owner


class _Changed(Exception):
    """A spare is not as it was kept."""


def remove_folder(folder: Path, *, background: bool) -> None:
    """Remove a folder nobody else holds (its lock is taken first; a folder another process has
    locked is left to it), in a detached process when `background`."""
    owner = _lock_folder(folder)
    if owner is not None:
        _discard(folder, owner, background)


def _discard(old: Path, owner: int | None, background: bool) -> None:
    """Remove a replaced output folder, whose lock `owner` holds. In the `background` a detached
    process inherits that lock and removes it: other builds leave a locked folder alone, and if
    the process dies the next build removes what is left (`_remove_stale`)."""
    try:
        if background and owner is not None:
            try:
                subprocess.Popen(
                    [sys.executable, "-I", "-S", "-c", _REMOVER, str(old)], pass_fds=(owner,), start_new_session=True,
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                return
            except OSError:
                pass
        shutil.rmtree(old, ignore_errors=True)
    finally:
        if owner is not None:
            os.close(owner)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step with Linux renameat2(RENAME_EXCHANGE); False if unsupported."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    at_fdcwd = -100
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(result == 0)


@functools.cache
def _renameat2() -> Callable[..., int] | None:
    """The C library's renameat2, looked up among the symbols this process has loaded already
    (`dlopen` of the program itself): `ctypes.util.find_library` ran `ldconfig -p` in a child
    process to name the library's file on every build that swapped. ctypes itself is imported
    here: a build whose output stands swaps nothing."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    found: Callable[..., int] | None = getattr(libc, "renameat2", None)
    return found


def _lock_folder(folder: Path) -> int | None:
    """An open descriptor holding an exclusive flock on `folder`; None if another process holds it."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _remove_stale(out: Path, kinds: tuple[str, ...] = (_STAGING, _OLD, _SPARE), *, background: bool = False) -> None:
    """Staging or old folders left by a build that was killed, and spares nobody claimed (a build
    that could use one has claimed it already, `_claim`, under a staging name), are removed; one
    whose owner still holds its lock (a build running right now) is left alone."""
    prefix = f".{out.name}"
    for entry in sorted(out.parent.iterdir()):
        name = entry.name
        if not (name.startswith(prefix) and name[len(prefix):].startswith(kinds)):
            continue
        if entry.is_symlink() or not entry.is_dir():
            continue
        remove_folder(entry, background=background)  # left alone while its owner is alive
