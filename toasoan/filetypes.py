"""What a file is, from its content (never its name alone): photos, the audio browsers play,
and the document types the media library may publish. A leaf: it imports no toasoan module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HEAD_SIZE = 4096

# Photo formats (and camera/phone originals) whatever their file names: they may carry GPS
# positions, so they are only ever published as variants made by `images`.
PHOTO_KINDS = frozenset({"jpeg", "png", "gif", "webp", "tiff", "bmp", "heic", "avif", "jxl", "jp2", "psd", "raw"})

# The audio an article's `audio:` may name: the types every current browser plays, by suffix,
# each with the content that suffix must have (so the server's MIME type tells the truth).
AUDIO_TYPES: dict[str, frozenset[str]] = {
    ".mp3": frozenset({"mp3"}),
    ".m4a": frozenset({"mp4"}),
    ".aac": frozenset({"aac"}),
    ".ogg": frozenset({"ogg"}),
    ".oga": frozenset({"ogg"}),
    ".opus": frozenset({"ogg"}),
    ".wav": frozenset({"wav"}),
    ".flac": frozenset({"flac"}),
    ".webm": frozenset({"webm"}),
}

# What the media library publishes as it is: documents, audio and video, each checked by
# content. Nothing a browser would run (HTML, SVG, XML, JS) is ever on this list.
LIBRARY_TYPES: dict[str, frozenset[str]] = {
    ".pdf": frozenset({"pdf"}),
    ".doc": frozenset({"ole"}),
    ".xls": frozenset({"ole"}),
    ".ppt": frozenset({"ole"}),
    ".docx": frozenset({"zip"}),
    ".xlsx": frozenset({"zip"}),
    ".pptx": frozenset({"zip"}),
    ".odt": frozenset({"zip"}),
    ".ods": frozenset({"zip"}),
    ".odp": frozenset({"zip"}),
    ".zip": frozenset({"zip"}),
    ".txt": frozenset({"text"}),
    ".csv": frozenset({"text"}),
    ".mp4": frozenset({"mp4"}),
    **AUDIO_TYPES,
}

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_NAMES = {
    "jpeg": "ảnh JPEG", "png": "ảnh PNG", "gif": "ảnh GIF", "webp": "ảnh WebP", "tiff": "ảnh TIFF",
    "bmp": "ảnh BMP", "heic": "ảnh HEIC/HEIF", "avif": "ảnh AVIF", "jxl": "ảnh JPEG XL", "jp2": "ảnh JPEG 2000",
    "psd": "tệp Photoshop", "raw": "ảnh RAW của máy ảnh", "pdf": "PDF", "zip": "tệp nén ZIP (hoặc Office mới)",
    "ole": "tệp Office cũ", "mp3": "âm thanh MP3", "aac": "âm thanh AAC", "mp4": "tệp MP4/M4A",
    "ogg": "tệp Ogg", "wav": "âm thanh WAV", "flac": "âm thanh FLAC", "webm": "tệp WebM",
    "matroska": "video Matroska", "markup": "mã HTML/SVG/XML", "text": "văn bản",
}


def kind_name(kind: str | None) -> str:
    """A Vietnamese name for a sniffed kind, for messages."""
    return _NAMES.get(kind or "", "loại không rõ")


def read_head(path: Path) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD_SIZE)


def sniff(head: bytes) -> str | None:
    """The kind of file these first bytes begin, or None when unknown."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"WAVE"):
        return "webp" if head[8:12] == b"WEBP" else "wav"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "tiff"  # also most cameras' RAW files (CR2, NEF, ARW, DNG)
    if head[:2] == b"BM" and len(head) >= 18 and int.from_bytes(head[14:18], "little") in {12, 40, 52, 56, 64, 108, 124}:
        return "bmp"
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return "jxl"
    if head.startswith((b"\x00\x00\x00\x0cjP  \r\n\x87\n", b"\xff\x4f\xff\x51")):
        return "jp2"
    if head.startswith(b"8BPS"):
        return "psd"
    if head[4:8] == b"ftyp":
        return _ftyp(head)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm" if b"\x42\x82\x84webm" in head[:64] else "matroska"
    if head.startswith(b"ID3"):
        return "mp3"
    if len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return _mpeg_audio(head)
    if head and b"\x00" not in head:
        return "markup" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") else "text"
    return None


def _ftyp(head: bytes) -> str:
    """ISO base media files: HEIF/AVIF photos, Canon CR3 originals, or MP4/M4A/MOV."""
    size = int.from_bytes(head[:4], "big")
    major = head[8:12]
    brands = {major} | {head[i : i + 4] for i in range(16, min(max(size, 16), len(head)) - 3, 4)}
    if major in _AVIF_BRANDS:
        return "avif"
    if major in _HEIF_BRANDS - {b"mif1", b"msf1", b"mif2"}:
        return "heic"
    if brands & _AVIF_BRANDS:
        return "avif"
    if brands & _HEIF_BRANDS:
        return "heic"
    if major == b"crx ":
        return "raw"
    return "mp4"


def _mpeg_audio(head: bytes) -> str | None:
    """An MPEG audio frame header (MP3) or an ADTS header (AAC) at the start."""
    layer = (head[1] >> 1) & 3
    if layer == 0:
        return "aac" if head[1] & 0xF6 == 0xF0 else None
    if (head[1] >> 3) & 3 == 1 or head[2] >> 4 == 15 or (head[2] >> 2) & 3 == 3:
        return None
    return "mp3"


def file_kind(path: Path) -> str | None:
    """The kind of the file at `path` (OSError when it cannot be read)."""
    return sniff(read_head(path))


def audio_problem(path: Path) -> str | None:
    """Why the file cannot be an article's audio, in Vietnamese; None when browsers can play it."""
    allowed = AUDIO_TYPES.get(path.suffix.lower())
    if allowed is None:
        return f"tệp âm thanh phải là {_audio_list()}, không phải `{path.suffix or path.name}`"
    try:
        kind = file_kind(path)
    except OSError as exc:
        return f"không đọc được tệp âm thanh: {exc.strerror}"
    if kind not in allowed:
        return f"nội dung tệp là {kind_name(kind)}, không phải âm thanh `{path.suffix.lower()}` như tên tệp nói"
    if not _audio_parses(path, kind):
        return "tệp âm thanh hỏng hoặc không đúng định dạng: không phát được"
    return None


def _audio_list() -> str:
    return ", ".join(sorted(AUDIO_TYPES))


def _audio_parses(path: Path, kind: str | None) -> bool:
    """mutagen reads the stream headers (WebM, which it does not know, is trusted to its header).
    Imported here: a build whose articles name no audio (a patch, most builds) never loads it."""
    from mutagen import MutagenError
    from mutagen.aac import AAC
    from mutagen.flac import FLAC
    from mutagen.mp3 import MP3
    from mutagen.mp4 import MP4
    from mutagen.oggflac import OggFLAC
    from mutagen.oggopus import OggOpus
    from mutagen.oggvorbis import OggVorbis
    from mutagen.wave import WAVE

    parsers = {
        "mp3": (MP3,), "aac": (AAC,), "mp4": (MP4,), "wav": (WAVE,), "flac": (FLAC,),
        "ogg": (OggVorbis, OggOpus, OggFLAC),
    }
    if kind == "webm":
        return True
    for parser in parsers.get(kind or "", ()):
        try:
            found = parser(path)  # type: ignore[no-untyped-call]
        except (MutagenError, OSError, ValueError, EOFError, IndexError):
            continue
        length = getattr(getattr(found, "info", None), "length", 0)
        if kind != "mp4" or length:
            return True
    return False


@dataclass(frozen=True, slots=True)
class LibraryCheck:
    """What to do with a file of the media library: publish it as it is, or not (and why)."""

    publish: bool
    photo: bool = False
    message: str = ""


def library_check(path: Path) -> LibraryCheck:
    """Photos are never published as they are; other files only when their suffix is on the
    allow-list and their content is what the suffix says."""
    try:
        kind = file_kind(path)
    except OSError as exc:
        return LibraryCheck(False, message=f"không đọc được tệp: {exc.strerror}")
    if kind in PHOTO_KINDS:
        message = "ảnh gốc không bao giờ được đăng nguyên bản (có thể chứa vị trí GPS); dùng ảnh trong bài để đăng bản đã xử lý"
        if kind == "heic":
            message += "; ảnh HEIC hãy xuất ra JPEG trước"
        return LibraryCheck(False, photo=True, message=message)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        return LibraryCheck(False, message="tệp SVG có thể chứa mã chạy trên trang: không đăng; hãy xuất ra PNG")
    allowed = LIBRARY_TYPES.get(suffix)
    if allowed is None:
        names = ", ".join(s.lstrip(".") for s in LIBRARY_TYPES)
        return LibraryCheck(False, message=f"loại tệp `{suffix or path.name}` không được đăng từ thư viện (chỉ: {names})")
    if kind not in allowed:
        return LibraryCheck(False, message=f"nội dung tệp là {kind_name(kind)}, không phải `{suffix}` như tên tệp nói: không đăng")
    if suffix in AUDIO_TYPES and not _audio_parses(path, kind):
        return LibraryCheck(False, message="tệp âm thanh hỏng hoặc không đúng định dạng: không đăng")
    return LibraryCheck(True)
