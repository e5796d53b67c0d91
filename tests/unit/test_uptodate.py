"""The no-op shortcut's input hash and its check that nothing was saved during a build."""

from __future__ import annotations

import os
from pathlib import Path

from toasoan import uptodate


def _site(root: Path) -> Path:
    (root / "content/articles").mkdir(parents=True)
    (root / "content/articles/a.md").write_text("một")
    (root / "content/articles/.an.md").write_text("ẩn")
    (root / "templates").mkdir()
    (root / "templates/base.html").write_text("<html>")
    (root / "site_config.yaml").write_text("title: x\n")
    return root


def _hash(root: Path) -> tuple[str, uptodate.InputStat]:
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


def test_inputs_changed_sees_a_save_of_the_same_size_a_new_file_and_a_removed_one(tmp_path: Path) -> None:
    root = _site(tmp_path)
    roots, files = [root], [root / "site_config.yaml"]
    _, stats = _hash(root)
    assert not uptodate.inputs_changed(roots, files, stats)
    (root / "content/articles/a.md").write_text("hai")  # same size, new bytes
    assert uptodate.inputs_changed(roots, files, stats)
    _, stats = _hash(root)
    (root / "content/articles/b.md").write_text("mới")
    assert uptodate.inputs_changed(roots, files, stats)
    _, stats = _hash(root)
    (root / "templates/base.html").unlink()
    assert uptodate.inputs_changed(roots, files, stats)
