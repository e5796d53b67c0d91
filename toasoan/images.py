"""Photos -> responsive variants (AVIF/WebP/JPEG), metadata stripped, kept in a content-addressed
cache so that a rebuild decodes nothing it has seen; never writes into the output folder."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .filetypes import file_kind
from .workers import parallel_map
from .writer import CACHE_LOCK, CACHE_MARKER

if TYPE_CHECKING:
    from PIL import Image
    from PIL._imagingcms import CmsProfile

# Pillow is imported by the functions that read, make or describe variants, not with this module:
# a build that decodes no photo (a patch, most warm builds) never loads it (~30 ms).

# Bump when anything that shapes the bytes of a variant changes: old cache entries then expire.
PIPELINE_VERSION = "2"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif", ".tif", ".tiff", ".avif", ".bmp"}
OG_SIZE = (1200, 630)
MIME = {"avif": "image/avif", "webp": "image/webp", "jpeg": "image/jpeg"}
EXTENSION = {"avif": "avif", "webp": "webp", "jpeg": "jpg"}
_READABLE = {"JPEG", "MPO", "PNG", "WEBP", "GIF", "TIFF", "AVIF", "BMP"}
# The cache's own folder carries this file: nothing is ever deleted from a folder without it.
CACHE_MARKER_TEXT = b"Photo cache of toasoan. Everything here may be deleted and remade at any time.\n"
_SETTINGS_NAME = re.compile(r"[0-9a-f]{12}")
_ENTRY_NAME = re.compile(r"[0-9a-f]{24}|\.[0-9a-f]{24}\.(?:tmp|old)-[0-9]+")
# A share card's entry is one file (`sharecard.read_card`), or its temporary name while written.
_CARD_NAME = re.compile(r"([0-9a-f]{24})\.png|\.[0-9a-f]{24}\.png\.tmp-[0-9]+")


def default_formats() -> tuple[str, ...]:
    """AVIF where the installed Pillow can write it, then WebP, then the JPEG fallback."""
    from PIL import features

    return ("avif", "webp", "jpeg") if features.check("avif") else ("webp", "jpeg")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageSettings:
    """Everything that shapes a variant's bytes (part of the cache key)."""

    widths: tuple[int, ...] = (480, 960, 1600)
    formats: tuple[str, ...] = field(default_factory=default_formats)
    max_pixels: int = 50_000_000
    webp_quality: int = 80
    webp_method: int = 4
    avif_quality: int = 60
    avif_speed: int = 8
    jpeg_quality: int = 82

    def key(self) -> str:
        """A short hash of the settings, the pipeline version and the Pillow version."""
        import PIL

        text = json.dumps([asdict(self), PIPELINE_VERSION, PIL.__version__], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True, kw_only=True)
class Variant:
    format: str
    width: int
    height: int
    file: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Processed:
    """One photo's published variants, all in the cache folder `folder`."""

    key: str
    folder: str
    width: int
    height: int
    variants: tuple[Variant, ...]
    og: Variant | None
    small: bool

    def of(self, fmt: str) -> list[Variant]:
        return [v for v in self.variants if v.format == fmt]


@dataclass(frozen=True, slots=True)
class PhotoProblem:
    """A photo that cannot be published, with a Vietnamese explanation."""

    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PhotoJob:
    source: Path
    key: str
    og: bool


@dataclass(slots=True)
class PhotoReport:
    """What a run did: how many photos it decoded, and how many came from the cache."""

    decoded: int = 0
    cached: int = 0
    broken: dict[str, str] = field(default_factory=dict)  # photo key -> what was wrong with its entry


def photo_key(path: Path) -> str:
    """The content hash that names a photo in the cache (never its path or mtime)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:24]


def cache_root(cache_dir: Path, settings: ImageSettings) -> Path:
    return cache_dir / "anh" / settings.key()


def process_photos(
    jobs: Sequence[PhotoJob],
    settings: ImageSettings,
    cache_dir: Path,
    workers: int,
    *,
    write: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, Processed | PhotoProblem], PhotoReport]:
    """Variants for every job, by key: from the cache when there, else decoded (in parallel).

    With `write=False` (the `check` command) a photo missing from the cache is decoded to
    prove it is sound, and nothing is written."""
    root = cache_root(cache_dir, settings)
    results: dict[str, Processed | PhotoProblem] = {}
    missing: list[PhotoJob] = []
    broken: dict[str, str] = {}
    for job in jobs:
        cached = _read_meta(root / job.key, job.og)
        if isinstance(cached, Processed):
            results[job.key] = cached
        else:
            missing.append(job)
            if cached is not None:
                broken[job.key] = cached
    report = PhotoReport(decoded=len(missing), cached=len(results), broken=broken)
    if missing:
        if write:
            root.mkdir(parents=True, exist_ok=True)
        made = parallel_map(_process_chunk, missing, workers, (settings, root, write), progress)
        for job, outcome in zip(missing, made, strict=True):
            results[job.key] = outcome
    return results, report


def claim_cache(cache_dir: Path) -> None:
    """Mark `cache_dir` as the cache's own folder (made if missing)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    marker = cache_dir / CACHE_MARKER
    if not marker.is_file():
        marker.write_bytes(CACHE_MARKER_TEXT)


def is_old_cache(cache_dir: Path) -> bool:
    """A cache an older toasoan made, before the marker: only `anh/<settings hash>/` folders."""
    try:
        top = [p for p in cache_dir.iterdir() if p.name != CACHE_LOCK]
        return [p.name for p in top] == ["anh"] and all(
            p.is_dir() and _SETTINGS_NAME.fullmatch(p.name) for p in (cache_dir / "anh").iterdir()
        )
    except OSError:
        return False


def prune_cache(cache_dir: Path, settings: ImageSettings, keep: set[str]) -> int:
    """Remove cache entries no build uses any more (other settings, photos gone). Returns count.

    Only in a folder the cache marked, and only folders named as the cache names them."""
    base = cache_dir / "anh"
    if not base.is_dir() or not (cache_dir / CACHE_MARKER).is_file():
        return 0
    removed = 0
    current = settings.key()
    for folder in sorted(base.iterdir()):
        if not (folder.is_dir() and _SETTINGS_NAME.fullmatch(folder.name)):
            continue
        if folder.name != current:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
            continue
        for entry in sorted(folder.iterdir()):
            card = _CARD_NAME.fullmatch(entry.name)
            if card is not None:
                if card.group(1) not in keep and not entry.is_dir():
                    entry.unlink(missing_ok=True)
                    removed += 1
            elif entry.name not in keep and entry.is_dir() and _ENTRY_NAME.fullmatch(entry.name):
                shutil.rmtree(entry, ignore_errors=True)
                removed += 1
    return removed


def remove_entries(cache_dir: Path, settings: ImageSettings, names: Iterable[str]) -> int:
    """Remove the cache entries `names` under `settings` (what `prune_cache` would remove of
    them, without looking at every other entry). Returns count."""
    base = cache_dir / "anh" / settings.key()
    if not base.is_dir() or not (cache_dir / CACHE_MARKER).is_file():
        return 0
    removed = 0
    for name in sorted(set(names)):
        entry = base / name
        if _ENTRY_NAME.fullmatch(name) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
        card = base / f"{name}.png"
        if _CARD_NAME.fullmatch(card.name) and card.is_file():
            card.unlink(missing_ok=True)
            removed += 1
    return removed


def _read_meta(folder: Path, need_og: bool) -> Processed | str | None:
    """The entry in `folder` if every file this build needs from it is there, byte for byte.

    None: nothing usable was ever made (no entry, an older toasoan's entry, no og crop yet);
    a string: the entry is damaged, and what is wrong with it."""
    if not folder.is_dir():
        return None
    try:
        data = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        processed = Processed(
            key=data["key"], folder=str(folder), width=data["width"], height=data["height"],
            variants=tuple(Variant(**v) for v in data["variants"]),
            og=Variant(**data["og"]) if data["og"] else None, small=data["small"],
        )
        files: dict[str, dict[str, object]] = data.get("files") or {}
    except FileNotFoundError:
        return "thiếu meta.json"
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return "meta.json hỏng"
    if not files:
        return None  # made before entries carried their sizes and hashes: cannot be trusted
    if need_og and processed.og is None:
        return None
    for variant in [*processed.variants, *([processed.og] if need_og and processed.og else [])]:
        problem = _verify(folder / variant.file, files.get(variant.file))
        if problem:
            return f"{variant.file} {problem}"
    return processed


def _verify(path: Path, facts: dict[str, object] | None) -> str | None:
    """What is wrong with a cached file against the size and hash it was written with, if anything."""
    if not isinstance(facts, dict):
        return "không có trong meta.json"
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size != facts.get("size"):
                return "sai kích thước"
            if hashlib.file_digest(handle, "sha256").hexdigest() != facts.get("sha256"):
                return "sai nội dung"
    except FileNotFoundError:
        return "bị mất"
    except OSError as exc:
        return f"không đọc được ({exc.strerror})"
    return None


def _file_facts(path: Path) -> dict[str, object]:
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
        return {"size": os.fstat(handle.fileno()).st_size, "sha256": digest}


def _process_chunk(jobs: Sequence[PhotoJob], state: tuple[ImageSettings, Path, bool]) -> list[Processed | PhotoProblem]:
    settings, root, write = state
    return [_process_one(job, settings, root, write) for job in jobs]


def _process_one(job: PhotoJob, settings: ImageSettings, root: Path, write: bool) -> Processed | PhotoProblem:
    try:
        image = _open(job.source, settings)
    except PhotoProblemError as exc:
        return PhotoProblem(str(exc))
    return make_entry(root, job.key, write, lambda staging, final: _encode(image, job, settings, staging, write, final))


def make_entry(root: Path, key: str, write: bool, encode: Callable[[Path, str], Processed]) -> Processed | PhotoProblem:
    """Make the cache entry `root/key`: `encode(staging folder, final folder)` writes its files
    (when `write`) and tells what they are; the entry is sealed and renamed in whole."""
    final = root / key
    staging = root / f".{key}.tmp-{os.getpid()}"
    old = root / f".{key}.old-{os.getpid()}"
    if write:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    try:
        processed = encode(staging, str(final))
        if write:
            _seal(staging, processed)
            # A damaged entry is moved aside, never written into: published hard links to its
            # files keep their bytes. The new entry appears whole, by one rename.
            if final.exists():
                shutil.rmtree(old, ignore_errors=True)
                final.rename(old)
            staging.rename(final)
    except OSError as exc:
        return PhotoProblem(f"không ghi được biến thể ảnh: {exc}")
    finally:
        if write:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
    return processed


def _seal(folder: Path, processed: Processed) -> None:
    """Record each file's size and hash in meta.json and make every file read-only: an entry is
    never written again once made (the output links to it), only replaced by a rename."""
    names = [v.file for v in processed.variants] + ([processed.og.file] if processed.og else [])
    files = {name: _file_facts(folder / name) for name in names}
    (folder / "meta.json").write_text(_meta_json(processed, files), encoding="utf-8")
    for name in [*names, "meta.json"]:
        (folder / name).chmod(0o444)


class PhotoProblemError(Exception):
    pass


def _open(path: Path, settings: ImageSettings) -> Image.Image:
    """Open and fully decode a photo, refusing a decompression bomb before it is decoded."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path)
    except Image.DecompressionBombError:
        raise PhotoProblemError("ảnh có số điểm ảnh quá lớn (nghi là ảnh phá hoại): không mở") from None
    except UnidentifiedImageError:
        raise PhotoProblemError(_unreadable(path)) from None
    except OSError as exc:
        raise PhotoProblemError(f"không mở được ảnh: {exc}") from None
    width, height = image.size
    if width * height > settings.max_pixels:
        image.close()
        raise PhotoProblemError(
            f"ảnh {width}×{height} quá lớn ({width * height // 1_000_000} triệu điểm ảnh, tối đa "
            f"{settings.max_pixels // 1_000_000} triệu): không giải mã"
        )
    if image.format not in _READABLE:
        image.close()
        raise PhotoProblemError(f"định dạng ảnh {image.format} không được hỗ trợ: dùng JPEG, PNG hoặc WebP")
    try:
        if image.format == "JPEG" and max(settings.widths) * 2 <= min(width, height):
            image.draft("RGB", (max(settings.widths), max(settings.widths)))
        image.load()
        oriented = ImageOps.exif_transpose(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise PhotoProblemError(f"ảnh hỏng hoặc bị cắt cụt, không giải mã được ({exc})") from None
    return _to_srgb(oriented if oriented is not None else image)


def _unreadable(path: Path) -> str:
    """Why Pillow could not open a file, told from its content (a phone's HEIC, an SVG...)."""
    try:
        kind = file_kind(path)
    except OSError:
        kind = None
    if kind == "heic":
        return "ảnh HEIC/HEIF (ảnh chụp từ điện thoại) chưa đọc được: hãy xuất ảnh ra JPEG rồi dùng tệp JPEG"
    if kind == "markup":
        return "tệp không phải là ảnh (SVG/HTML không được dùng làm ảnh: hãy xuất ra PNG hoặc JPEG)"
    return "tệp không phải là ảnh (hoặc định dạng không đọc được)"


def _to_srgb(image: Image.Image) -> Image.Image:
    """Colour-managed conversion to sRGB RGB(A); every bit of metadata is left behind."""
    from PIL import ImageCms

    icc = image.info.get("icc_profile")
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    target = "RGBA" if has_alpha else "RGB"
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, _srgb(), outputMode="RGBA" if image.mode == "RGBA" else "RGB")
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: keep the pixels as they are
    if image.mode != target:
        image = image.convert(target)
    clean = image.copy()
    clean.info = {}
    return clean


@cache
def _srgb() -> CmsProfile:
    from PIL import ImageCms

    return ImageCms.createProfile("sRGB")


def _widths(width: int, wanted: Sequence[int]) -> tuple[list[int], bool]:
    """Never upscale: the configured widths that fit, plus the photo's own width on top."""
    fitting = [w for w in sorted(set(wanted)) if w <= width]
    if not fitting:
        return [width], True
    if fitting[-1] < width < max(wanted):
        fitting.append(width)
    return fitting, False


def _encode(image: Image.Image, job: PhotoJob, settings: ImageSettings, folder: Path, write: bool, final: str) -> Processed:
    from PIL import Image, ImageOps

    width, height = image.size
    widths, small = _widths(width, settings.widths)
    variants = []
    # Largest first, each width resized from the one above it: far cheaper than from the
    # original every time, and no visible difference after WebP/AVIF.
    current = image
    for w in sorted(widths, reverse=True):
        h = max(1, round(height * w / width))
        if write and current.size != (w, h):  # `check` only proves the photo decodes
            current = current.resize((w, h), Image.Resampling.LANCZOS, reducing_gap=2.0)
        if w == max(widths) and job.og:
            og_source = current
        for fmt in settings.formats:
            variant = Variant(format=fmt, width=w, height=h, file=f"{w}.{EXTENSION[fmt]}")
            if write:
                _save(current, folder / variant.file, fmt, settings)
            variants.append(variant)
    variants.sort(key=lambda v: (v.width, settings.formats.index(v.format)))
    og = None
    if job.og:
        og = Variant(format="jpeg", width=OG_SIZE[0], height=OG_SIZE[1], file="og.jpg")
        if write:
            source = og_source if min(og_source.size) >= OG_SIZE[1] and og_source.width >= OG_SIZE[0] else image
            crop = ImageOps.fit(source, OG_SIZE, Image.Resampling.LANCZOS, centering=(0.5, 0.45))
            _save(crop, folder / og.file, "jpeg", settings)
    return Processed(key=job.key, folder=final, width=width, height=height, variants=tuple(variants), og=og, small=small)


def _save(image: Image.Image, path: Path, fmt: str, settings: ImageSettings) -> None:
    """Fixed encoder settings, no metadata: the same photo gives the same bytes."""
    from PIL import Image

    if fmt == "webp":
        image.save(path, "WEBP", quality=settings.webp_quality, method=settings.webp_method)
    elif fmt == "avif":
        image.save(path, "AVIF", quality=settings.avif_quality, speed=settings.avif_speed, max_threads=1)
    else:
        if image.mode == "RGBA":
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(path, "JPEG", quality=settings.jpeg_quality, optimize=True, progressive=True)


def _meta_json(processed: Processed, files: dict[str, dict[str, object]]) -> str:
    data = asdict(processed)
    data.pop("folder")
    data["files"] = files
    return json.dumps(data, sort_keys=True, ensure_ascii=False)
