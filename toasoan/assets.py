"""Assets on disk: the photos and audio an article names, found inside the site (never outside
it), and what loading saw there for the build cache to check again."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import Diagnostic, error, warning
from .filetypes import audio_problem
from .front import Context, Document, Read, too_many, visible
from .model import Asset
from .scanner import SCHEME, body_images
from .sources import inside, relative
from .text import nfc

MEDIA_DIR = "content/media"
MEDIA_URL = "/media/"


def probe(root: Path, path: Path) -> str:
    if not inside(root, path):
        return "outside"
    return "file" if path.is_file() else "missing"


def content_hash(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""


def gallery_photos(ctx: Context, doc: Document, article_dir: Path) -> tuple[Asset, ...]:
    raw = doc.meta.data.get("gallery")
    if raw is None or not doc.ok("gallery"):
        return ()
    if too_many(ctx, doc, "gallery", len(raw)):
        return ()
    photos = []
    for i, item in enumerate(raw):
        asset = _asset(ctx, doc, article_dir, item, ("gallery", i), "ảnh")
        if asset is None:
            continue
        if not asset.caption:
            ctx.diags.append(warning(doc.rel, asset.line, f"ảnh `{asset.src}` trong `gallery` chưa có chú thích (`caption`)"))
        photos.append(asset)
    return tuple(photos)


def asset_field(ctx: Context, doc: Document, article_dir: Path, key: str) -> Asset | None:
    raw = doc.meta.data.get(key)
    if raw is None:
        return None
    return _asset(ctx, doc, article_dir, raw, (key,), "tệp âm thanh" if key == "audio" else "ảnh")


def audio_file(ctx: Context, doc: Document, article_dir: Path) -> Asset | None:
    """The article's audio, only when its content is a type browsers play (never HTML or the like)."""
    audio = asset_field(ctx, doc, article_dir, "audio")
    if audio is None:
        return None
    ctx.reads.append(("audio", audio.source, content_hash(ctx.root / audio.source)))
    problem = audio_problem(ctx.root / audio.source)
    if problem is not None:
        ctx.diags.append(error(doc.rel, audio.line, f"`audio` `{audio.src}`: {problem}"))
        return None
    return dataclasses.replace(audio, duration=audio_seconds(ctx.root / audio.source))


def _asset(ctx: Context, doc: Document, article_dir: Path, raw: Any, where: tuple[str | int, ...], what: str) -> Asset | None:
    line = doc.meta.line(*where)
    if not doc.ok(*where) or not doc.ok(*where, "src"):
        return None
    caption = ""
    if isinstance(raw, dict):
        caption = visible(ctx, doc.rel, line, "caption", nfc(str(raw.get("caption") or ""))).strip()
        raw = raw.get("src")
    if not isinstance(raw, str) or not raw.strip():
        ctx.diags.append(error(doc.rel, line, f"{what} cần `src`: tên tệp bên cạnh bài hoặc `/media/...`"))
        return None
    return resolve_asset(ctx.root, doc.rel, article_dir, nfc(raw.strip()), line, caption, what, ctx.diags, ctx.checked_media, ctx.reads)


def resolve_asset(
    root: Path, rel: str, article_dir: Path, src: str, line: int, caption: str, what: str, diags: list[Diagnostic],
    checked_media: dict[str, bool] | None = None, reads: list[Read] | None = None,
) -> Asset | None:
    """Find the file an article names; refuse, without reading, anything that leaves the site.

    `checked_media` remembers library files already found good (many articles share them);
    `reads` is told what was found at the path (the build cache checks it again later)."""
    if SCHEME.match(src) or src.startswith("//"):
        diags.append(error(rel, line, f"{what} `{src}` phải là tệp trong trang (bên cạnh bài hoặc `/media/...`), không phải địa chỉ ngoài"))
        return None
    parts = PurePosixPath(src).parts
    if "\\" in src or ".." in parts:
        diags.append(error(rel, line, f"đường dẫn `{src}` đi ra ngoài thư mục bài: không được phép"))
        return None
    media_path = None
    if src.startswith(MEDIA_URL):
        media_path = src[len(MEDIA_URL):]
        path = root / MEDIA_DIR / media_path
    elif src.startswith("/"):
        diags.append(error(rel, line, f"đường dẫn tuyệt đối `{src}` không được phép: dùng tên tệp bên cạnh bài hoặc `/media/...`"))
        return None
    else:
        path = article_dir / src
    known_good = checked_media is not None and media_path is not None and checked_media.get(media_path, False)
    found = "file" if known_good else probe(root, path)
    if reads is not None:
        reads.append(("probe", relative(root, path), found))
    if found == "outside":
        diags.append(error(rel, line, f"{what} `{src}` trỏ ra ngoài thư mục trang: không đọc"))
        return None
    if found == "missing":
        diags.append(error(rel, line, f"không tìm thấy {what} `{src}` (tìm ở {relative(root, path)})"))
        return None
    if checked_media is not None and media_path is not None:
        checked_media[media_path] = True
    return Asset(src=src, source=relative(root, path), name=src, media_path=media_path, caption=caption, line=line)


def audio_seconds(path: Path) -> int | None:
    """The length of an audio file in whole seconds, when its headers tell it."""
    import mutagen  # here: only a build with audio needs it

    try:
        found = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError, EOFError):
        return None
    length = getattr(getattr(found, "info", None), "length", None)
    return round(length) if isinstance(length, int | float) and length > 0 else None


def body_photos(ctx: Context, doc: Document, base_dir: Path) -> tuple[Asset, ...]:
    found: list[Asset] = []
    for offset, src, alt in body_images(doc.body):
        if src.startswith(("http://", "https://")):
            continue
        line = doc.body_line + offset
        asset = resolve_asset(ctx.root, doc.rel, base_dir, src, line, nfc(alt), "ảnh", ctx.diags, ctx.checked_media, ctx.reads)
        if asset is not None and asset not in found:
            found.append(asset)
    return tuple(found)


