"""Share cards: a 1200×630 picture drawn from a headline, a kicker (the category) and the paper's
name, for the link previews of articles without any photo and of every other page (the paper's
own card). Deterministic bytes, kept in the photo cache under a hash of exactly what is drawn.

Drawing is the cost (10,000 articles without photos are 10,000 cards): glyphs are rasterised
once per process and size and pasted; the PNG is written here (`_png`), compressing only the rows
that carry text, while the rows of plain ground between them are compressed once per process and
spliced in; cards are made on all cores; a warm build reads them from the cache and draws nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from .images import OG_SIZE, PhotoProblem, Processed, Variant
from .workers import parallel_map

if TYPE_CHECKING:
    from PIL import Image

# Pillow is imported by the functions that draw or describe a card, not with this module: a build
# that draws no card (a patch of bodies, a warm build) never loads it.

# Bump when anything that shapes a card's pixels changes (layout, colours, sizes, the encoder).
CARD_VERSION = "2"
FONT = Path(__file__).resolve().parent / "fonts" / "NotoSans-Bold.ttf"  # OFL 1.1, see NotoSans-LICENSE.txt
WIDTH, HEIGHT = OG_SIZE
MARGIN = 64
BAND = 104  # the paper's name sits in a band of the theme's red across the top
RED = (170, 0, 0)
INK = (26, 26, 26)
GREY = (95, 95, 95)
WHITE = (255, 255, 255)
HEADLINE_TOP = 196
HEADLINE_BOTTOM = 548
HEADLINE_SIZES = (66, 58, 50, 44)  # the largest size that fits the headline whole is used
LINE_SPACING = 1.28
COMPRESSION = 3  # zlib level, with the run-length strategy: a quarter cheaper than the default
# strategy for 3% more bytes (a card's rows are long runs of one shade)


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """Everything a card shows: its key hashes exactly these (and the font, the design, Pillow)."""

    headline: str
    kicker: str  # the category's name (the paper's tagline on its own card)
    paper: str
    host: str  # the site's host name, at the foot

    def key(self) -> str:
        import PIL

        design = [CARD_VERSION, font_digest(), PIL.__version__, zlib.ZLIB_RUNTIME_VERSION, COMPRESSION]
        text = json.dumps([*design, self.headline, self.kicker, self.paper, self.host])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


@cache
def font_digest() -> str:
    return hashlib.sha256(FONT.read_bytes()).hexdigest()


class _Face:
    """One font size: each word rasterised once (its coverage mask and where it sits against the
    pen) and measured once. News headlines reuse their words, and pasting a kept mask is far
    cheaper than asking FreeType to lay out and render every line of every card."""

    KEEP = 20_000  # words kept per size (a few MB); past that the memory is started afresh

    def __init__(self, size: int) -> None:
        from PIL import ImageFont

        self.font = ImageFont.truetype(str(FONT), size, layout_engine=ImageFont.Layout.BASIC)
        self.size = size
        self.ascent = self.font.getmetrics()[0]
        self.space = self.font.getlength(" ")
        self.words: dict[str, tuple[Image.Image, int, int] | None] = {}
        self.lengths: dict[str, float] = {}

    def length(self, word: str) -> float:
        found = self.lengths.get(word)
        if found is None:
            if len(self.lengths) >= self.KEEP:
                self.lengths.clear()
            found = self.lengths[word] = self.font.getlength(word)
        return found

    def width(self, text: str) -> float:
        words = text.split(" ")
        return sum(self.length(w) for w in words) + self.space * (len(words) - 1)

    def mask(self, word: str) -> tuple[Image.Image, int, int] | None:
        if word in self.words:
            return self.words[word]
        if len(self.words) >= self.KEEP:
            self.words.clear()
        left, top, right, bottom = (int(v) for v in self.font.getbbox(word, anchor="ls"))
        found = None
        if right > left and bottom > top:
            from PIL import Image, ImageDraw

            mask = Image.new("L", (right - left, bottom - top), 0)
            ImageDraw.Draw(mask).text((-left, -top), word, font=self.font, fill=255, anchor="ls")
            found = (mask, left, top)
        self.words[word] = found
        return found

    def draw(self, ink: Image.Image, x: float, baseline: int, text: str, rows: list[tuple[int, int]]) -> None:
        """`text` (words and single spaces) as coverage on `ink`, its first pen position at (x, baseline)
        (`ink`'s column 0 is the PNG filter byte: x counts from column 1); the rows each word inks
        are added to `rows` as (first, past the last)."""
        for word in text.split(" "):
            drawn = self.mask(word)
            if drawn is not None:
                mask, left, top = drawn
                ink.paste(255, (round(x) + left + 1, baseline + top), mask)
                rows.append((baseline + top, baseline + top + mask.height))
            x += self.length(word) + self.space


@cache
def _face(size: int) -> _Face:
    return _Face(size)


def wrap(face: _Face, text: str, width: float) -> list[str]:
    """`text` in lines no wider than `width`, broken at spaces; a word wider than a whole line
    (a long URL, a code) is broken between letters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if face.width(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:
            if line and face.length(line + char) > width:
                lines.append(line)
                line = ""
            line += char
    if line:
        lines.append(line)
    return lines


def headline_lines(headline: str) -> tuple[_Face, list[str]]:
    """The largest size at which the headline fits whole; at the smallest, the lines that fit,
    the last one ending in an ellipsis."""
    width = WIDTH - 2 * MARGIN
    for size in HEADLINE_SIZES:
        face = _face(size)
        lines = wrap(face, headline, width)
        if len(lines) <= _room(size):
            return face, lines
    kept = lines[: _room(size)]
    words = kept[-1].split(" ")
    while len(words) > 1 and face.width(" ".join(words) + " …") > width:
        words.pop()  # cut at a word, never inside one
    kept[-1] = " ".join(words) + " …"
    return face, kept


def _room(size: int) -> int:
    return max(1, int((HEADLINE_BOTTOM - HEADLINE_TOP) // (size * LINE_SPACING)))


# A card is drawn as ink coverage (one byte a pixel) over fixed regions, each region with its own
# ramp of 16 shades from its ground to its ink: a 64-colour palette image, whose PNG is a third of
# a JPEG's size, sharper, and costs one cheap pass to colour.
SHADES = 16
_RAMPS = ((WHITE, INK), (RED, WHITE), (WHITE, RED), (WHITE, GREY))  # headline, band, kicker, foot
HEADLINE, BANDED, KICKER, FOOT = (i * SHADES for i in range(len(_RAMPS)))
KICKER_BOTTOM = BAND + 80  # rows below the kicker belong to the headline
RULE_TOP = HEIGHT - 66


@cache
def _palette() -> tuple[int, ...]:
    colours: list[int] = []
    for ground, ink in _RAMPS:
        for step in range(SHADES):
            colours += [round(g + (i - g) * step / (SHADES - 1)) for g, i in zip(ground, ink, strict=True)]
    return tuple(colours)


@cache
def _regions() -> Image.Image:
    """Which ramp each pixel takes (its first palette index); the red rule is the band's ground.
    Column 0 (0, as ink never reaches it) is the PNG filter byte of each row: "none"."""
    from PIL import Image, ImageDraw

    regions = Image.new("L", (_ROW, HEIGHT), HEADLINE)
    drawer = ImageDraw.Draw(regions)
    drawer.rectangle((1, 0, WIDTH, BAND - 1), fill=BANDED)
    drawer.rectangle((1, BAND, WIDTH, KICKER_BOTTOM - 1), fill=KICKER)
    drawer.rectangle((1, RULE_TOP, WIDTH, HEIGHT - 1), fill=FOOT)
    drawer.rectangle((1 + MARGIN, RULE_TOP, WIDTH - MARGIN, RULE_TOP + 3), fill=BANDED)
    return regions


_SHADE = [v * SHADES // 256 for v in range(256)]
_ROW = WIDTH + 1  # a PNG row: its filter byte, then the pixels


def _ink(card: Card) -> tuple[Image.Image, list[tuple[int, int]]]:
    """The card's text as coverage (mode L, 1201×630: a column 0 for the PNG filter byte, then the
    card's 1200), and the spans of rows that carry any, sorted and disjoint."""
    from PIL import Image

    ink = Image.new("L", (_ROW, HEIGHT), 0)
    rows: list[tuple[int, int]] = []
    paper = _face(40)
    name = wrap(paper, card.paper, WIDTH - 2 * MARGIN)[:1]
    if name:
        paper.draw(ink, MARGIN, (BAND + paper.ascent - paper.size // 3) // 2 + 8, name[0], rows)
    kicker = _face(30)
    label = wrap(kicker, card.kicker.upper(), WIDTH - 2 * MARGIN)[:1]
    if label:
        kicker.draw(ink, MARGIN, BAND + 62, label[0], rows)
    face, lines = headline_lines(card.headline)
    step = round(face.size * LINE_SPACING)
    baseline = HEADLINE_TOP + face.ascent - (face.ascent - face.size) // 2
    for line in lines:
        face.draw(ink, MARGIN, baseline, line, rows)
        baseline += step
    foot = _face(26)
    foot.draw(ink, MARGIN, HEIGHT - 26, card.host, rows)
    ink.paste(0, (0, 0, 1, HEIGHT))  # the filter bytes, whatever a glyph's overhang
    spans: list[tuple[int, int]] = []
    for first, last in sorted((max(0, a), min(HEIGHT, b)) for a, b in rows):
        if first >= last:
            continue
        if spans and first <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(last, spans[-1][1]))
        else:
            spans.append((first, last))
    return ink, spans


def _colour(ink: Image.Image, top: int, bottom: int) -> Image.Image:
    """Palette indices of rows `top`..`bottom`: each pixel's region ramp, at its coverage's shade."""
    from PIL import ImageChops

    box = (0, top, _ROW, bottom)
    return ImageChops.add(ink.crop(box).point(_SHADE), _regions().crop(box))


@cache
def _row_regions() -> tuple[int | None, ...]:
    """Each row's one region when the whole row (past the filter byte) has one, else None."""
    data = _regions().tobytes()
    found: list[int | None] = []
    for row in range(HEIGHT):
        pixels = set(data[row * _ROW + 1 : (row + 1) * _ROW])
        found.append(pixels.pop() if len(pixels) == 1 else None)
    return tuple(found)


@cache
def _shades(region: int) -> bytes:
    return bytes(region + shade for shade in _SHADE)


def _indices(ink: Image.Image, top: int, bottom: int) -> bytes:
    """What `_colour` gives for rows `top`..`bottom`, as bytes, with the filter bytes kept 0: rows
    of one region are one `bytes.translate`, far cheaper than Pillow's point and add."""
    regions = _row_regions()
    pixels = ink.crop((0, top, _ROW, bottom)).tobytes()
    out: list[bytes] = []
    row = top
    while row < bottom:
        region = regions[row]
        end = row + 1
        while end < bottom and regions[end] == region:
            end += 1
        if region is None:
            out.append(_colour(ink, row, end).tobytes())
        else:
            run = bytearray(pixels[(row - top) * _ROW : (end - top) * _ROW].translate(_shades(region)))
            run[0::_ROW] = bytes(end - row)
            out.append(bytes(run))
        row = end
    return b"".join(out)


def draw_card(card: Card) -> Image.Image:
    """The card as a palette image (mode P), 1200×630 (what `card_bytes` encodes, pixel for pixel)."""
    ink, _ = _ink(card)
    indices = _colour(ink, 0, HEIGHT).crop((1, 0, _ROW, HEIGHT))
    indices.putpalette(_palette())
    return indices


def card_bytes(card: Card) -> bytes:
    """The card as PNG bytes."""
    ink, spans = _ink(card)
    return _png(ink, spans)


# The PNG is one zlib stream of rows, each a filter byte (0: none) and 1200 palette indices. It is
# spliced from raw deflate pieces, each ended by a sync flush (byte-aligned, no reference to what
# came before), so a run of rows without text, which holds only the regions' grounds, is
# compressed once per process and reused by every card: only the rows with text cost a card its
# own compression (about half the rows, and half the time of compressing the whole picture).
_FINAL_BLOCK = b"\x03\x00"  # an empty last block (fixed codes)
_Piece = tuple[bytes, int, int]  # raw deflate, Adler-32 of what it holds, how many bytes that is
_plain: dict[tuple[int, int], _Piece] = {}


def _deflate(raw: bytes) -> _Piece:
    packer = zlib.compressobj(COMPRESSION, zlib.DEFLATED, -15, 8, zlib.Z_RLE)
    return packer.compress(raw) + packer.flush(zlib.Z_SYNC_FLUSH), zlib.adler32(raw), len(raw)


def _plain_rows(top: int, bottom: int) -> _Piece:
    found = _plain.get((top, bottom))
    if found is None:
        if len(_plain) >= 4096:
            _plain.clear()
        found = _plain[(top, bottom)] = _deflate(_regions().crop((0, top, _ROW, bottom)).tobytes())
    return found


def _adler_combine(first: int, second: int, length: int) -> int:
    """The Adler-32 of two pieces of data from theirs and the second's length (zlib's adler32_combine)."""
    base = 65521
    rem = length % base
    low = first & 0xFFFF
    total = (rem * low) % base
    one = (low + (second & 0xFFFF) + base - 1) % base
    two = ((first >> 16) + (second >> 16) + total + base - rem) % base
    return (two << 16) | one


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(ink: Image.Image, spans: list[tuple[int, int]]) -> bytes:
    pieces: list[bytes] = []
    adler = 1
    top = 0
    for first, last in [*spans, (HEIGHT, HEIGHT)]:
        parts = [_plain_rows(top, first)] if first > top else []
        if last > first:
            parts.append(_deflate(_indices(ink, first, last)))
        for data, checksum, length in parts:
            pieces.append(data)
            adler = _adler_combine(adler, checksum, length)
        top = last
    stream = b"\x78\x5e" + b"".join(pieces) + _FINAL_BLOCK + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 3, 0, 0, 0)  # 8-bit palette indices
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        (_chunk(b"IHDR", header), _chunk(b"PLTE", bytes(_palette())), _chunk(b"IDAT", stream), _chunk(b"IEND", b""))
    )


@dataclass(slots=True)
class CardReport:
    drawn: int = 0
    cached: int = 0
    broken: dict[str, str] = field(default_factory=dict)  # card key -> what was wrong with its entry


def make_cards(cards: Sequence[Card], root: Path, workers: int, *, write: bool) -> tuple[dict[str, Processed | PhotoProblem], CardReport]:
    """Every card by key, from the photo cache folder `root` (the settings' folder) when there,
    else drawn into it (in parallel); without `write` nothing is drawn, only named."""
    unique = sorted({c.key(): c for c in cards}.items())
    outcomes = parallel_map(_card_chunk, unique, workers, (root, write), None)
    found: dict[str, Processed | PhotoProblem] = {}
    report = CardReport()
    for (key, _), (processed, how) in zip(unique, outcomes, strict=True):
        found[key] = processed
        if how == "cached":
            report.cached += 1
        else:
            report.drawn += 1
            if how != "made":
                report.broken[key] = how
    return found, report


_Made = tuple[Processed | PhotoProblem, str]
"""A card's entry and how it was had: "cached", "made", or what was wrong with the old entry."""


def _card_chunk(items: Sequence[tuple[str, Card]], state: tuple[Path, bool]) -> list[_Made]:
    root, write = state
    results: list[_Made] = []
    for key, card in items:
        cached = read_card(root, key)
        if isinstance(cached, Processed):
            results.append((cached, "cached"))
            continue
        made = _make(root, key, card, write)
        results.append((made, "made" if cached is None else cached))
    return results


# A card's cache entry is one file, `<root>/<key>.png`: the PNG itself, read-only, checked on use by
# its own structure (`png_problem`: the signature, a 1200×630 header, every chunk's CRC-32, IEND
# last and nothing after it). It is written under a temporary name and renamed into place, so a
# build killed while writing leaves only a temporary file that no build reads (`prune_cache`
# removes it) and no damage notice. Before, an entry was a folder with `og.png`, `meta.json`
# (size and SHA-256), two chmods and a rename of the folder: ~4× the file system calls. The key
# and the bytes are those of that format's, so the published cards keep their addresses; an
# entry left in the old format is removed when the card is written anew.
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def card_file(key: str) -> str:
    return f"{key}.png"


def _processed(root: Path, key: str) -> Processed:
    og = Variant(format="png", width=WIDTH, height=HEIGHT, file=card_file(key))
    return Processed(key=key, folder=str(root), width=WIDTH, height=HEIGHT, variants=(), og=og, small=False)


def read_card(root: Path, key: str) -> Processed | str | None:
    """The card `key` from the cache: None when there is none, what is wrong with it when damaged."""
    try:
        with open(root / card_file(key), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"không đọc được ({exc.strerror})"
    problem = png_problem(data)
    return f"{card_file(key)} {problem}" if problem else _processed(root, key)


def png_problem(data: bytes) -> str | None:
    """What is wrong with a card's PNG bytes as stored, if anything: not a PNG, not a card's size,
    a chunk cut short or failing its CRC-32, or anything but one IEND at the very end."""
    if not data.startswith(_PNG_SIGNATURE):
        return "không phải PNG"
    at = len(_PNG_SIGNATURE)
    first = True
    while at + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, at)
        end = at + 12 + length
        if end > len(data):
            return "bị cắt cụt"
        body = data[at + 4 : end - 4]
        if zlib.crc32(body) != struct.unpack_from(">I", data, end - 4)[0]:
            return "sai nội dung (CRC)"
        if first and (kind != b"IHDR" or body[4:12] != struct.pack(">II", WIDTH, HEIGHT)):
            return "sai kích thước"
        first = False
        at = end
        if kind == b"IEND":
            return None if at == len(data) else "có dữ liệu lạ sau IEND"
    return "bị cắt cụt"


def _make(root: Path, key: str, card: Card, write: bool) -> Processed | PhotoProblem:
    if not write:
        return _processed(root, key)
    final = root / card_file(key)
    temporary = root / f".{card_file(key)}.tmp-{os.getpid()}"
    try:
        data = card_bytes(card)
        try:
            handle = os.open(temporary, _CREATE, 0o444)
        except FileNotFoundError:
            root.mkdir(parents=True, exist_ok=True)
            handle = os.open(temporary, _CREATE, 0o444)
        except FileExistsError:  # left by a killed process of the same id
            temporary.unlink()
            handle = os.open(temporary, _CREATE, 0o444)
        with open(handle, "wb") as created:
            created.write(data)
        # A damaged entry is replaced by the rename, never written into: published hard links
        # to it keep their bytes.
        temporary.replace(final)
        if (root / key).is_dir():  # the same card as an older toasoan kept it: a folder with og.png
            shutil.rmtree(root / key, ignore_errors=True)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        return PhotoProblem(f"không ghi được biến thể ảnh: {exc}")
    return _processed(root, key)


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
