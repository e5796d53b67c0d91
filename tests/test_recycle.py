"""A patch build makes its staging folder from the output the last build replaced (kept beside
the output as a spare, with a record of its state in the cache) instead of linking every file
into an empty folder, and writes its up-to-date record from what it knows instead of a walk of
the output. A spare changed since it was kept is never used; a build killed while it recycles
one leaves the output as it was; every output equals a clean build."""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import time
from pathlib import Path

import pytest
from sitekit import tree_bytes
from test_incremental import Site, _build, _clean_build
from test_killed_build import _kill_when
from test_patch import _body_patched, _edit_second_paragraph, _published, two_shards  # noqa: F401 - a fixture

from toasoan import uptodate, writer


def _spares(site: Site) -> list[Path]:
    return sorted(site.root.glob(".public.spare-*"))


def _edit(site: Site, paths: list[Path], n: int) -> None:
    _edit_second_paragraph(paths[n % len(paths)], f"Đoạn thứ hai (sửa lần {n})")


def _sample_page(public: Path) -> Path:
    """A page every patch here carries as it is (the search page)."""
    return public / "tim-kiem/index.html"


def test_a_body_patch_makes_its_staging_folder_from_the_output_the_last_patch_replaced(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(21))
    public = site.root / "public"
    first = _build(site.root, public, site.now)
    shown = _published(site, first)
    # A full build keeps a copy of its output (hard links) as the first patch's staging folder.
    [copy] = _spares(site)
    assert (copy / "tim-kiem/index.html").stat().st_ino == _sample_page(public).stat().st_ino
    inodes = [public.stat().st_ino]
    for n in range(4):
        _edit(site, shown, n)
        spares = _spares(site)
        kept = [p.stat().st_ino for p in spares]
        result = _build(site.root, public, site.now)
        assert _body_patched(result)
        assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
        # The output this patch replaced is kept as the next one's staging folder...
        assert [p.stat().st_ino for p in _spares(site)] == [inodes[-1]]
        # ...and the spare the last build kept (the full build's copy, then the output the last
        # patch replaced) became this output.
        assert len(kept) == 1 and public.stat().st_ino == kept[0]
        inodes.append(public.stat().st_ino)
        page = _sample_page(public)
        # A carried file is the same file in the output and in the spare (one inode, two links).
        assert page.stat().st_nlink >= 2
        assert _build(site.root, public, site.now).up_to_date  # its record is exact
    # A template edit (every page made again); a patch after it starts afresh.
    site.template()
    full = _build(site.root, public, site.now)
    assert not _body_patched(full)
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    _edit(site, shown, 5)
    assert _body_patched(_build(site.root, public, site.now))
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    _edit(site, shown, 6)
    assert _body_patched(_build(site.root, public, site.now))
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    assert not list(site.root.glob(".public.staging-*"))


def test_a_spare_that_differs_from_the_output_in_most_files_is_not_recycled(tmp_path: Path) -> None:
    """After a template patch (every page made again) the output it replaced differs from the
    new one in nearly every file: unlinking and linking each costs more than making a staging
    folder afresh, so the next patch does that, and its output still equals a clean build."""
    site = Site(tmp_path / "site", random.Random(22))
    public = site.root / "public"
    shown = _published(site, _build(site.root, public, site.now))
    _edit(site, shown, 0)
    assert _body_patched(_build(site.root, public, site.now))
    base = site.root / "templates/base.html"
    base.parent.mkdir(parents=True, exist_ok=True)
    theme = Path(__file__).resolve().parent.parent / "templates/base.html"
    base.write_text(theme.read_text(encoding="utf-8") + "<!-- sửa mẫu -->\n", encoding="utf-8")
    templated = _build(site.root, public, site.now)
    assert any(stage == "pages of the edited templates" for stage, _ in templated.timings)  # a template patch
    kept = [p.stat().st_ino for p in _spares(site)]
    assert len(kept) == 1  # it kept the output it replaced as a spare
    _edit(site, shown, 1)
    assert _body_patched(_build(site.root, public, site.now))
    assert public.stat().st_ino != kept[0]  # a fresh staging folder, not that spare
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    _edit(site, shown, 2)  # and the spare the last patch kept is recycled again
    spare = [p.stat().st_ino for p in _spares(site)]
    assert _body_patched(_build(site.root, public, site.now))
    assert [public.stat().st_ino] == spare
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)


def _folders(top: Path) -> dict[tuple[str, ...], int]:
    """Every folder of the search bundle under `top` (its path's parts) and its inode."""
    return {p.relative_to(top).parts: p.stat().st_ino for p in sorted((top / "pagefind").rglob("*")) if p.is_dir()}


@pytest.mark.usefixtures("two_shards")
def test_a_patch_keeps_the_search_shards_it_does_not_index_again(tmp_path: Path) -> None:
    """The shards a body patch does not index again stay in the recycled spare as they are (its
    very folders: before, the whole bundle was moved out and linked again from the search cache,
    ~13,000 files at 10k); only the edited article's shard is published again."""
    site = Site(tmp_path / "site", random.Random(25))
    public = site.root / "public"
    shown = _published(site, _build(site.root, public, site.now))
    _edit(site, shown[:1], 0)
    _build(site.root, public, site.now)
    for n in range(1, 4):
        [spare] = _spares(site)
        held = _folders(spare)
        _edit(site, shown[:1], n)  # the same article each time
        result = _build(site.root, public, site.now)
        assert _body_patched(result) and result.search is not None and result.search.built == 1
        now = _folders(public)
        shards = {parts[1] for parts in now if len(parts) > 1}
        assert len(shards) == result.search.shards >= 2
        same = {shard for shard in shards if all(ino == held.get(parts) for parts, ino in now.items() if parts[1:2] == (shard,))}
        assert len(same) == len(shards) - 1
        assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)


@pytest.mark.usefixtures("two_shards")
def test_a_shard_whose_cache_entry_was_made_again_is_published_from_it(tmp_path: Path) -> None:
    """A shard is carried from the last output only when its folder holds the very files of the
    cache entry the patch needs (one inode), not an entry of the same name made again since."""
    site = Site(tmp_path / "site", random.Random(26))
    public = site.root / "public"
    shown = _published(site, _build(site.root, public, site.now))
    (search,) = (p for p in (site.root / ".cache").rglob("search") if p.is_dir())
    for entry in sorted(search.iterdir()):  # the same bytes in other files
        copy = entry.with_name(entry.name + ".copy")
        shutil.copytree(entry, copy)
        shutil.rmtree(entry)
        copy.rename(entry)
    _edit(site, shown, 0)
    result = _build(site.root, public, site.now)
    assert _body_patched(result) and result.search is not None and result.search.cached >= 1
    entries = {entry.name.rsplit("-", 1)[0]: entry for entry in search.iterdir()}
    for folder in sorted(p for p in (public / "pagefind").iterdir() if p.is_dir()):
        assert (folder / "pagefind-entry.json").stat().st_ino == (entries[folder.name] / "pagefind-entry.json").stat().st_ino
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)


def _all_folders(top: Path) -> set[str]:
    return {p.relative_to(top).as_posix() for p in top.rglob("*") if p.is_dir()}


def _removed_off_the_clock(site: Site) -> list[Path]:
    """Waits for the detached processes removing `.public.old-*` folders (each holds its folder's
    lock until it ends), then returns the folders still there."""
    for folder in sorted(site.root.glob(".public.old-*")):
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released when the remover ends
        finally:
            os.close(fd)
    return sorted(site.root.glob(".public.old-*"))


def _patched_once(root: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> tuple[Site, Path, list[Path]]:
    """A site built, then one of its articles' bodies edited and patched, so that the next patch
    recycles a spare; shards of a few files are moved aside as the ~100 of a 10k site are."""
    monkeypatch.setattr(writer, "ASIDE_MIN", 1)  # the small site's shard holds a few files
    site = Site(root, random.Random(seed))
    public = site.root / "public"
    shown = _published(site, _build(site.root, public, site.now))
    _edit(site, shown[:1], 0)
    _build(site.root, public, site.now)
    return site, public, shown


@pytest.mark.usefixtures("two_shards")
def test_a_patch_moves_the_search_shard_out_of_the_spare_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shard a body patch indexes again is renamed out of the recycled spare in one step and
    removed by a detached process, not unlinked file by file on the build's clock (~100 files at
    10k, up to ~1 ms each on a busy disk). The output equals a clean build, with no folder more,
    and nothing is left beside it."""
    site, public, shown = _patched_once(tmp_path / "site", 28, monkeypatch)
    unlinked: list[str] = []
    unlink = os.unlink

    def spied(path: str, *args: object, **kwargs: object) -> None:
        unlinked.append(os.fsdecode(path))
        unlink(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(writer.os, "unlink", spied)
    for n in range(1, 4):
        unlinked.clear()
        _edit(site, shown[:1], n)  # the same article: its shard was made by the last patch too
        result = _build(site.root, public, site.now)
        assert _body_patched(result) and result.search is not None and result.search.built == 1
        staged = [p for p in unlinked if ".public.staging-" in p]
        assert staged, "the spare was recycled"
        # The UI at the bundle's top and the manifest, a few files, are unlinked; no shard's file.
        assert not [p for p in staged if "/pagefind/" in p and "/" in p.split("/pagefind/", 1)[1]], staged
        assert _removed_off_the_clock(site) == []
        clean = _clean_build(site.root, tmp_path, site.now)
        assert tree_bytes(public) == clean
        assert _all_folders(public) == _all_folders(tmp_path / "sach/public")
        assert _build(site.root, public, site.now).up_to_date


@pytest.mark.usefixtures("two_shards")
def test_a_folder_moved_aside_and_never_removed_is_removed_by_the_next_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the build was killed once it moved the shard aside, before the removal began: the
    folder has no owner, and the next build that writes removes it; every output equals a clean
    build."""
    site, public, shown = _patched_once(tmp_path / "site", 29, monkeypatch)
    discard = writer._discard

    def kept(old: Path, owner: int | None, background: bool) -> None:
        if ".public.old-" in old.name and owner is not None:
            os.close(owner)  # left as a build killed there leaves it
        else:
            discard(old, owner, background)

    monkeypatch.setattr(writer, "_discard", kept)
    _edit(site, shown[:1], 1)
    assert _body_patched(_build(site.root, public, site.now))
    [left] = sorted(site.root.glob(".public.old-*"))
    assert list(left.rglob("*.pf_fragment"))
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    monkeypatch.setattr(writer, "_discard", discard)
    _edit(site, shown[:1], 2)
    assert _body_patched(_build(site.root, public, site.now))
    assert not left.exists()
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    assert _all_folders(public) == _all_folders(tmp_path / "sach/public")
    assert _removed_off_the_clock(site) == []


@pytest.mark.usefixtures("two_shards")
def test_a_folder_that_cannot_be_moved_aside_has_its_files_unlinked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No folder can be made beside the output for the shard to move into (permissions, a full
    disk): its files are unlinked one by one, as before, and the patch goes on."""
    site, public, shown = _patched_once(tmp_path / "site", 30, monkeypatch)
    mkdtemp = writer.tempfile.mkdtemp

    def refused(*args: object, prefix: str = "", **kwargs: object) -> str:
        if ".old-" in prefix:
            raise PermissionError(13, "refused")
        return mkdtemp(*args, prefix=prefix, **kwargs)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(writer.tempfile, "mkdtemp", refused)
    _edit(site, shown[:1], 1)
    assert _body_patched(_build(site.root, public, site.now))
    assert not list(site.root.glob(".public.old-*"))
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    assert _all_folders(public) == _all_folders(tmp_path / "sach/public")


def _replace_a_file(spare: Path) -> None:
    page = next(p for p in sorted(spare.rglob("index.html")) if p.parent != spare)
    temporary = page.with_name("thay.tmp")
    temporary.write_bytes(b"<p>thay</p>")
    temporary.replace(page)


def _add_a_file(spare: Path) -> None:
    (spare / "them.html").write_bytes(b"<p>them</p>")


def _remove_a_folder(spare: Path) -> None:
    folder = next(p for p in sorted(spare.rglob("index.html")) if p.parent != spare).parent
    shutil.rmtree(folder)


def _write_in_place(spare: Path) -> None:
    """A carried file is the live output's too: the output check sees this (a full build)."""
    page = _sample_page(spare)
    with page.open("r+b") as handle:
        handle.seek(0)
        handle.write(b"X")


@pytest.mark.parametrize("tamper", [_replace_a_file, _add_a_file, _remove_a_folder, _write_in_place])
def test_a_spare_changed_since_it_was_kept_is_not_used(tmp_path: Path, tamper: object) -> None:
    site = Site(tmp_path / "site", random.Random(22))
    public = site.root / "public"
    shown = _published(site, _build(site.root, public, site.now))
    _edit(site, shown, 0)
    assert _body_patched(_build(site.root, public, site.now))
    [spare] = _spares(site)
    kept = spare.stat().st_ino
    held = os.open(spare, os.O_RDONLY | os.O_DIRECTORY)  # its inode number cannot go to another folder
    try:
        assert callable(tamper)
        tamper(spare)
        _edit(site, shown, 1)
        _build(site.root, public, site.now)
        assert public.stat().st_ino != kept
    finally:
        os.close(held)
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    _edit(site, shown, 2)
    _build(site.root, public, site.now)
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)


def test_a_patch_killed_while_it_recycles_the_spare_leaves_the_output_untouched(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(23))
    public = site.root / "public"
    shown = _published(site, _build(site.root, public, site.now))
    _edit(site, shown, 0)
    _build(site.root, public, site.now)
    kills = 0
    for n in range(1, 5):
        [spare] = _spares(site) or [None]
        before = tree_bytes(public)
        _edit(site, shown, n)
        # Killed once the spare is claimed (renamed to a staging name), at once or a little later.
        def claimed(site_dir: Path, start: tuple[int, int], spare: Path | None = spare, wait: int = n % 2 * 40, seen: list[int] = [0]) -> bool:  # noqa: B006 - one list per build
            if spare is None or spare.exists():
                return False
            seen[0] += 1
            return seen[0] > wait

        killed = _kill_when(site.root, site.now, 1, claimed)
        kills += killed
        after = tree_bytes(public)
        if after != before:  # killed after the swap, or not killed: the whole new build
            assert after == _clean_build(site.root, tmp_path, site.now), f"kill {n} (killed={killed})"
        # The next build equals a clean one (a patch again, or a full build).
        _build(site.root, public, site.now)
        assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
        assert not list(site.root.glob(".public.staging-*"))
        # One spare kept; one the kill left unclaimed may still be being removed off the clock.
        deadline = time.monotonic() + 60
        while len(_spares(site)) > 1 and time.monotonic() < deadline:
            time.sleep(0.01)  # polling for the removal to finish, not waiting for time to pass
        assert len(_spares(site)) <= 1
    assert kills


def test_a_full_build_killed_while_it_copies_its_output_leaves_that_output_and_the_next_build_clean(tmp_path: Path) -> None:
    """A full build keeps a hard-link copy of its output as a spare after the swap: killed while
    making it, the output is the whole new build, and the folder left is removed by the next build
    that writes (a patch: there is no spare's record, so it makes its staging folder afresh)."""
    site = Site(tmp_path / "site", random.Random(27))
    for _ in range(25):
        site.add()
    public = site.root / "public"
    shown = _published(site, _build(site.root, public, site.now))
    kills = 0
    for n in range(4):
        site.add()  # a new file: a full build

        def copying(site_dir: Path, start: tuple[int, int], wait: int = n % 2 * 20, seen: list[int] = [0]) -> bool:  # noqa: B006 - one list per build
            if (site_dir / "public").stat().st_ino == start[1] or not list(site_dir.glob(".public.staging-*")):
                return False  # not swapped yet: its staging folder is the build's own
            seen[0] += 1
            return seen[0] > wait

        killed = _kill_when(site.root, site.now, 1, copying)
        kills += killed
        after = tree_bytes(public)
        assert after == _clean_build(site.root, tmp_path, site.now), f"kill {n} (killed={killed})"
        _edit(site, shown, n)
        assert _body_patched(_build(site.root, public, site.now))
        assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
        assert not list(site.root.glob(".public.staging-*"))
        assert len(_spares(site)) == 1
    assert kills


def test_a_patch_writes_its_record_without_walking_the_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = Site(tmp_path / "site", random.Random(24))
    public = site.root / "public"
    shown = _published(site, _build(site.root, public, site.now))

    walk = uptodate.output_state
    armed = [True]

    def walked(out: Path) -> uptodate.OutputState:
        assert not armed[0], f"a walk of {out}"
        return walk(out)

    monkeypatch.setattr(uptodate, "output_state", walked)
    for n in range(3):
        _edit(site, shown, n)
        armed[0] = True
        assert _body_patched(_build(site.root, public, site.now))
        assert _build(site.root, public, site.now).up_to_date
        armed[0] = False
        # The record names every folder and file a walk finds, with their stats.
        [record_file] = [p for p in (site.root / ".cache/build").glob("*/last-output-*") if "." not in p.name]
        record = uptodate.read_record(record_file)
        assert record is not None
        walked_state = walk(public)
        assert sorted(record.output.folders) == sorted(walked_state.folders)
        assert uptodate.output_unchanged(public, record.output)
        assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
    # The record is as strict as one made by a walk: a file touched in the output is seen.
    os.utime(_sample_page(public))
    monkeypatch.undo()
    again = _build(site.root, public, site.now)
    assert not again.up_to_date
    assert tree_bytes(public) == _clean_build(site.root, tmp_path, site.now)
