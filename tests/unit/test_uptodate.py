"""The no-op shortcut's input hash and its check that nothing was saved during a build."""

from __future__ import annotations

import dataclasses
import os
import time
import zlib
from array import array
from pathlib import Path

from toasoan import uptodate
from toasoan.writer import Spare


def _site(root: Path) -> Path:
    (root / "content/articles").mkdir(parents=True)
    (root / "content/articles/a.md").write_text("một")
    (root / "content/articles/.an.md").write_text("ẩn")
    (root / "templates").mkdir()
    (root / "templates/base.html").write_text("<html>")
    (root / "site_config.yaml").write_text("title: x\n")
    return root


def _hash(root: Path) -> tuple[str, uptodate.Hashed]:
    return uptodate.input_hash([root], [root / "site_config.yaml"], "salt")


def test_the_hash_follows_bytes_and_names_never_hidden_files_or_mtimes(tmp_path: Path) -> None:
    root = _site(tmp_path)
    first, _ = _hash(root)
    (root / "content/articles/.an.md").write_text("khác")  # hidden: the build never reads it
    os.utime(root / "content/articles/a.md", (1, 1))  # a checkout resets mtimes
    assert _hash(root)[0] == first
    (root / "content/articles/a.md").write_text("hai")
    assert _hash(root)[0] != first


def test_a_link_out_of_the_site_is_never_read(tmp_path: Path) -> None:
    root = _site(tmp_path / "site")
    secret = tmp_path / "secret.txt"
    secret.write_text("bí mật")
    (root / "content/articles/link.md").symlink_to(secret)
    before, _ = _hash(root)
    secret.write_text("bí mật khác")
    assert _hash(root)[0] == before  # its bytes are not part of the hash: they were not read


def _saved_meanwhile(roots: list[Path], files: list[Path], stats: uptodate.Hashed) -> bool:
    """Whether `as_built` finds a file written, added or removed since `stats` were taken."""
    return uptodate.as_built(roots, files, "h", stats)[0] != "h"


def test_as_built_sees_a_save_of_the_same_size_a_new_file_and_a_removed_one(tmp_path: Path) -> None:
    root = _site(tmp_path)
    roots, files = [root], [root / "site_config.yaml"]
    _, stats = _hash(root)
    assert not _saved_meanwhile(roots, files, stats)
    (root / "content/articles/a.md").write_text("hai")  # same size, new bytes
    assert _saved_meanwhile(roots, files, stats)
    _, stats = _hash(root)
    (root / "content/articles/b.md").write_text("mới")
    assert _saved_meanwhile(roots, files, stats)
    _, stats = _hash(root)
    (root / "templates/base.html").unlink()
    assert _saved_meanwhile(roots, files, stats)



def test_as_built_marks_what_was_saved_while_a_build_ran(tmp_path: Path) -> None:
    """The record of a build during which a file was saved: that file's digest is dropped (read
    again and counted as changed next time) and the inputs hash equals none a build makes."""
    root = _site(tmp_path)
    roots, files = [root], [root / "site_config.yaml"]
    inputs, stats = _hash(root)
    assert uptodate.as_built(roots, files, inputs, stats) == (inputs, stats)
    saved = root / "content/articles/a.md"
    saved.write_text("hai")
    marked, kept = uptodate.as_built(roots, files, inputs, stats)
    assert marked != inputs and marked.startswith(inputs)
    assert kept.files[str(saved)] == (*stats.files[str(saved)][:4], "")
    assert {k: v for k, v in kept.files.items() if k != str(saved)} == {k: v for k, v in stats.files.items() if k != str(saved)}
    saved.write_text("một")  # saved back as it was hashed: still never up to date
    again, rehashed = uptodate.input_hash(roots, files, "salt", kept)
    assert again == inputs and again != marked
    assert rehashed.files[str(saved)][4] == stats.files[str(saved)][4]  # read again

def test_as_built_asks_below_a_folder_the_build_did_not_read_only_about_the_files_it_read(tmp_path: Path) -> None:
    """A body patch reads no article's file but its edited ones': below content/articles/ only
    those are stated again; a save (or a file that came or went) elsewhere is seen as before."""
    root = _site(tmp_path)
    (root / "content/articles/b.md").write_text("hai")
    roots, files = [root], [root / "site_config.yaml"]
    articles = root / "content/articles"
    edited = str(articles / "a.md")
    inputs, stats = _hash(root)
    assert uptodate.as_built(roots, files, inputs, stats, articles, [edited]) == (inputs, stats)
    (articles / "b.md").write_text("ba")  # not read by the build: the next one reads it again
    (articles / "c.md").write_text("bốn")  # came: the next build's set of files differs
    assert uptodate.as_built(roots, files, inputs, stats, articles, [edited]) == (inputs, stats)
    assert _saved_meanwhile(roots, files, stats)  # asked about everything, as a full build is
    (articles / "a.md").write_text("năm")  # the edited article saved while the patch ran
    marked, kept = uptodate.as_built(roots, files, inputs, stats, articles, [edited])
    assert marked != inputs and kept.files[edited][4] == ""
    _, stats = _hash(root)
    (root / "templates/base.html").write_text("<html lang=vi>")  # outside the folder: seen
    assert uptodate.as_built(roots, files, "h", stats, articles, [edited])[0] != "h"
    _, stats = _hash(root)
    (articles / "a.md").unlink()  # the edited article gone
    assert uptodate.as_built(roots, files, "h", stats, articles, [edited])[0] != "h"


def test_as_read_marks_a_record_whose_build_read_a_file_it_never_hashed(tmp_path: Path) -> None:
    """A page made from a file that came after the hash and went before the end: no walk sees
    it, so the inputs hash is marked from what the build read (its pages' sources)."""
    root = _site(tmp_path)
    inputs, stats = _hash(root)
    assert uptodate.as_read(inputs, stats, root, ["content/articles/a.md"]) == inputs
    marked = uptodate.as_read(inputs, stats, root, ["content/articles/a.md", "content/articles/ma.md"])
    assert marked != inputs and marked.startswith(inputs)
    assert uptodate.as_read(marked, stats, root, ["content/articles/ma.md"]) == marked  # marked once


def _reuse(hashed: uptodate.Hashed, later: float, digest: str | None = None) -> uptodate.Hashed:
    """`hashed` as a record taken `later` seconds after the files were written; with `digest`,
    every file's recorded digest replaced by it (what a reused digest would give away)."""
    files = {k: (*v[:4], digest) if digest is not None else v for k, v in hashed.files.items()}
    return uptodate.Hashed(at=hashed.at + later, files=files)


def _hash_with(root: Path, known: uptodate.Hashed) -> str:
    return uptodate.input_hash([root], [root / "site_config.yaml"], "salt", known)[0]


def test_a_digest_is_reused_only_while_the_files_stat_holds(tmp_path: Path) -> None:
    root = _site(tmp_path)
    first, hashed = _hash(root)
    assert _hash_with(root, _reuse(hashed, 60)) == first
    # The recorded digests are what the hash is made of while nothing changed...
    assert _hash_with(root, _reuse(hashed, 60, "00" * 32)) != first
    # ...and a file saved again with the same size and its mtime put back is still read: its
    # ctime moved (a save cannot set it back).
    article = root / "content/articles/a.md"
    before = article.stat()
    deadline = time.monotonic() + 10
    while True:  # until the clock that stamps ctime has moved on from the first save
        article.write_text("mọt")
        os.utime(article, ns=(before.st_atime_ns, before.st_mtime_ns))
        after = article.stat()
        if after.st_ctime_ns != before.st_ctime_ns or time.monotonic() > deadline:
            break
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert after.st_ctime_ns != before.st_ctime_ns
    changed = uptodate.input_hash([root], [root / "site_config.yaml"], "salt")[0]
    assert changed != first
    assert _hash_with(root, _reuse(hashed, 60)) == changed


def test_a_file_written_close_to_the_record_is_read_again(tmp_path: Path) -> None:
    root = _site(tmp_path)
    first, hashed = _hash(root)
    # The files were written just before this hash: within the file system's timestamp
    # resolution a second save may leave their stat as it was, so their digests are not trusted.
    assert _hash_with(root, _reuse(hashed, 0, "00" * 32)) == first
    assert _hash_with(root, _reuse(hashed, uptodate.RACY_SECONDS / 2, "00" * 32)) == first
    # An old file next to a racy one: only the racy one is read again.
    old = time.time() - 3600
    os.utime(root / "templates/base.html", (old, old))  # ctime is now: still racy
    assert _hash_with(root, _reuse(hashed, 0, "00" * 32)) == first


def test_a_record_survives_json_with_a_name_that_is_not_utf8(tmp_path: Path) -> None:
    root = _site(tmp_path)
    odd = os.fsencode(root / "content/articles") + b"/t\xe9t.md"
    with open(odd, "wb") as handle:
        handle.write(b"x")
    first, hashed = _hash(root)
    assert os.fsdecode(odd) in hashed.files
    record = uptodate.Record(
        inputs=first, built_at=1.0, valid_until=None, output=uptodate.output_state(root / "content"), result={"pages": 1}, hashed=hashed,
    )
    path = tmp_path / "record"
    uptodate.write_record(path, record)
    assert uptodate.read_record(path) == record


def test_the_output_check_sees_a_file_written_added_or_removed(tmp_path: Path) -> None:
    out = tmp_path / "public"
    (out / "a/b").mkdir(parents=True)
    (out / "a/b/index.html").write_text("<p>một</p>")
    (out / "index.html").write_text("<p>hai</p>")
    state = uptodate.output_state(out)
    assert uptodate.output_unchanged(out, state)
    (out / "a/b/index.html").write_text("<p>mot</p>")  # same size, new mtime
    assert not uptodate.output_unchanged(out, state)
    state = uptodate.output_state(out)
    (out / "a/b/new.html").write_text("")  # a file nobody recorded
    assert not uptodate.output_unchanged(out, state)
    (out / "a/b/new.html").unlink()
    state = uptodate.output_state(out)
    (out / "a/b/index.html").unlink()
    assert not uptodate.output_unchanged(out, state)


def _record(root: Path, files: int) -> uptodate.Record:
    for n in range(files):
        (root / f"content/articles/b{n:04}.md").write_text(str(n))
    inputs, hashed = _hash(root)
    return uptodate.Record(
        inputs=inputs, built_at=1.0, valid_until=None, output=uptodate.output_state(root / "content"), result={"pages": 1}, hashed=hashed,
    )


def _part_stats(path: Path) -> dict[str, tuple[int, int]]:
    prefix = path.name + ".part-"
    return {p.name[len(prefix):]: (p.stat().st_ino, p.stat().st_mtime_ns) for p in path.parent.iterdir() if p.name.startswith(prefix)}


def test_a_record_read_back_writes_again_only_the_parts_that_changed(tmp_path: Path) -> None:
    """A patch changes one input file's digest and keeps the output's names: of a record's parts
    (the output's folders, the input files in chunks), only that file's chunk is written again."""
    root = _site(tmp_path / "site")
    record = _record(root, uptodate.HASHED_CHUNK + 10)
    path = tmp_path / "cache/last-output-x"
    uptodate.write_record(path, record)
    before = _part_stats(path)
    assert before.keys() == {"folders.0", "hashed.0", "hashed.1"}
    read = uptodate.read_record(path)
    assert read == record and read is not None and read.hashed is not None
    edited = str(root / "content/articles/b0003.md")
    files = {**read.hashed.files, edited: (*read.hashed.files[edited][:4], "ab" * 32)}
    patched = dataclasses.replace(read, inputs="other", hashed=uptodate.Hashed(at=2.0, files=files))
    uptodate.write_record(path, patched)
    after = _part_stats(path)
    assert {name for name in before if after[name] != before[name]} == {"hashed.0"}
    assert uptodate.read_record(path) == patched
    # Fewer files: the chunk no head names goes.
    uptodate.write_record(path, dataclasses.replace(patched, hashed=uptodate.Hashed(at=2.0, files=dict(list(files.items())[:5]))))
    assert _part_stats(path).keys() == {"folders.0", "hashed.0"}
    uptodate.remove(path)
    assert not list(path.parent.iterdir())


def test_a_record_whose_part_is_damaged_or_of_another_write_is_no_record(tmp_path: Path) -> None:
    root = _site(tmp_path / "site")
    path = tmp_path / "cache/last-output-x"
    first = _record(root, 3)
    uptodate.write_record(path, first)
    folders = path.with_name(path.name + ".part-folders.0")
    sound = folders.read_bytes()
    folders.write_bytes(sound[:-2])  # cut short
    assert uptodate.read_record(path) is None
    folders.write_bytes(sound)
    assert uptodate.read_record(path) == first
    # A write cut short between its parts and its head: the parts are another record's.
    second = dataclasses.replace(first, output=uptodate.output_state(root / "templates"))
    uptodate.write_record(path, second)
    head = path.read_bytes()
    uptodate.write_record(path, first)
    path.write_bytes(head)
    assert uptodate.read_record(path) is None


def test_a_spares_record_reads_back_as_written_its_stats_as_raw_bytes(tmp_path: Path) -> None:
    """The spare's folders' stats (three numbers for each of ~15,000 folders at 10k) are kept as
    `array("q")` bytes after the JSON, not as hex inside it (most of the time to write and read);
    the record is taken once, and a damaged one is no spare."""
    folders = [f"2026/{n % 12:02d}/bai-{n}" for n in range(300)]
    values = array("q", [1_733_100_000_000_000_000 + 7 * n for n in range(3 * len(folders))])
    spare = Spare(path=tmp_path / ".public.spare-1-ab", top=(1, 2, 3), folders=folders, values=values, differ=frozenset({"a/b.html"}))
    record = tmp_path / "last-output-x"
    uptodate.write_spare(record, spare)
    payload = record.with_name(record.name + ".spare").read_bytes()[32:]
    assert values.tobytes() in zlib.decompress(payload)
    assert uptodate.take_spare(record) == spare
    assert uptodate.take_spare(record) is None  # taken once
    uptodate.write_spare(record, spare)
    spare_file = record.with_name(record.name + ".spare")
    raw = spare_file.read_bytes()
    spare_file.write_bytes(raw[:32] + raw[33:])  # damaged: its checksum fails
    assert uptodate.take_spare(record) is None


def test_a_spares_record_naming_a_file_outside_the_spare_is_no_spare(tmp_path: Path) -> None:
    """The next patch unlinks every file a spare's record says differs: a record naming `../x` (made
    by hand, or a cache restored from elsewhere) must not unlink a file beside the spare."""
    record = tmp_path / "last-output-x"
    for bad in ("../x", "a/../../x", "/etc/x", "a//b", "a/./b"):
        spare = Spare(path=tmp_path / ".public.spare-1-ab", top=(1, 2, 3), folders=["a"], values=array("q", [4, 5, 6]), differ=frozenset({"a/b", bad}))
        uptodate.write_spare(record, spare)
        assert uptodate.take_spare(record) is None, bad
    uptodate.write_spare(record, dataclasses.replace(spare, differ=frozenset({"a/b", "a/..x"})))
    assert uptodate.take_spare(record) is not None
