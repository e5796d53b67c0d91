"""The search index: Pagefind run over the staged output before it is swapped in.

Only pages that mark their content with `data-pagefind-body` (published articles, see
templates/article.html) are indexed; the bundle goes to `pagefind/` inside the output. The
binary comes from the `pagefind_bin` wheel (PyPI `pagefind[bin]`): nothing is downloaded."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import cbor2

BUNDLE = "pagefind"  # the bundle's folder inside the output; templates/search.html loads /pagefind/
TIMEOUT = 1800  # seconds; a 10,000-article portal indexes in well under a minute


class SearchFailed(OSError):
    """The search index could not be made; the staging folder is discarded, the old output stays."""


def pagefind_executable() -> Path:
    """The Pagefind binary shipped in the installed `pagefind_bin` wheel."""
    try:
        import pagefind_bin
    except ImportError as exc:
        raise SearchFailed(
            "không tạo được chỉ mục tìm kiếm: chưa cài Pagefind (chạy `pip install -r requirements.txt`)"
        ) from exc
    try:
        return Path(pagefind_bin.get_executable())
    except (FileNotFoundError, OSError) as exc:
        raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: không tìm thấy tệp chạy Pagefind ({exc})") from exc


def index_site(staging: Path) -> None:
    """Write the Pagefind index into `staging`; raises SearchFailed with a message if it cannot."""
    exe = pagefind_executable()
    command = [str(exe), "--site", str(staging), "--output-subdir", BUNDLE, "--silent"]
    # Pagefind reads no configuration from the environment that we want: keep it predictable.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAGEFIND_")}
    try:
        run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: Pagefind chạy quá {TIMEOUT} giây") from exc
    except OSError as exc:
        raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: không chạy được Pagefind ({exc})") from exc
    if run.returncode != 0:
        detail = (run.stderr or run.stdout).strip().splitlines()
        tail = "; ".join(detail[-5:]) if detail else "không có thông báo"
        raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: Pagefind báo lỗi (mã {run.returncode}): {tail}")
    if not (staging / BUNDLE / "pagefind-entry.json").is_file():
        raise SearchFailed("không tạo được chỉ mục tìm kiếm: Pagefind không ghi ra `pagefind/pagefind-entry.json`")
    _stabilise(staging / BUNDLE)


_MAGIC = b"pagefind_dcd"


def _read_cbor(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(_MAGIC):
        raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: tệp Pagefind lạ `{path.name}`")
    return cbor2.loads(data[len(_MAGIC) :])


def _write_cbor(value: Any) -> tuple[bytes, str]:
    raw = _MAGIC + cbor2.dumps(value)
    return gzip.compress(raw, compresslevel=9, mtime=0), hashlib.sha256(raw).hexdigest()


def _stabilise(bundle: Path) -> None:
    """Pagefind 1.5 writes its filter files from a hash map with a random seed: the same site
    gives filter values in another order, hence other file names, another meta file and entry
    (upstream issue 638). Sort the values, name each file by the hash of its content and rewrite
    the references, so the same input gives the same bytes."""
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language, info in sorted(entry.get("languages", {}).items()):
        old_meta = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = _read_cbor(old_meta)
        filters = meta[3]
        renamed = []
        for name, file_hash in filters:
            old_filter = bundle / "filter" / f"{file_hash}.pf_filter"
            label, values = _read_cbor(old_filter)
            data, digest = _write_cbor([label, sorted(values, key=lambda v: (v[0], v[1]))])
            new_hash = f"{language}_{digest[:7]}"
            old_filter.unlink()
            (bundle / "filter" / f"{new_hash}.pf_filter").write_bytes(data)
            renamed.append([name, new_hash])
        meta[3] = sorted(renamed)
        data, digest = _write_cbor(meta)
        new_meta_hash = f"{language}_{digest[:10]}"
        old_meta.unlink()
        (bundle / f"pagefind.{new_meta_hash}.pf_meta").write_bytes(data)
        text = entry_path.read_text(encoding="utf-8").replace(f'"{info["hash"]}"', f'"{new_meta_hash}"')
        entry_path.write_text(text, encoding="utf-8")
