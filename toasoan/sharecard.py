"""Share cards: a 1200×630 picture drawn from a headline, a kicker (the category) and the paper's
name, for the link previews of articles without any photo and of every other page (the paper's
own card). Deterministic bytes, kept in the photo cache under a hash of exactly what is drawn.

Drawing is the cost (10,000 articles without photos are 10,000 cards): glyphs are rasterised
once per process and size and pasted, each card is one JPEG encode, and cards are made on all
cores; a warm build reads them from the cache and draws nothing."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import PIL
from PIL import Image, ImageChops, ImageDraw, ImageFont

from .images import OG_SIZE, PhotoProblem, Processed, Variant, make_entry, read_entry
from .workers import parallel_map

# Bump when anything that shapes a card's pixels changes (layout, colours, sizes, the encoder).
CARD_VERSION = "1"
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
COMPRESSION = 3  # zlib level: 6 costs twice the time for 15% fewer bytes
FILE = "og.png"


@dataclass(frozen=True, slots=True, kw_only=True)
class Card:
    """Everything a card shows: its key hashes exactly these (and the font, the design, Pillow)."""

    headline: str
    kicker: str  # the category's name (the paper's tagline on its own card)
    paper: str
    host: str  # the site's host name, at the foot

    def key(self) -> str:
        text = json.dumps([CARD_VERSION, font_digest(), PIL.__version__, COMPRESSION, self.headline, self.kicker, self.paper, self.host])
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
            mask = Image.new("L", (right - left, bottom - top), 0)
            ImageDraw.Draw(mask).text((-left, -top), word, font=self.font, fill=255, anchor="ls")
            found = (mask, left, top)
        self.words[word] = found
        return found

    def draw(self, ink: Image.Image, x: float, baseline: int, text: str) -> None:
        """`text` (words and single spaces) as coverage on `ink`, its first pen position at (x, baseline)."""
        for word in text.split(" "):
            drawn = self.mask(word)
            if drawn is not None:
                mask, left, top = drawn
                ink.paste(255, (round(x) + left, baseline + top), mask)
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


def _palette() -> list[int]:
    colours: list[int] = []
    for ground, ink in _RAMPS:
        for step in range(SHADES):
            colours += [round(g + (i - g) * step / (SHADES - 1)) for g, i in zip(ground, ink, strict=True)]
    return colours


@cache
def _regions() -> Image.Image:
    """Which ramp each pixel takes (its first palette index); the red rule is the band's ground."""
    regions = Image.new("L", (WIDTH, HEIGHT), HEADLINE)
    drawer = ImageDraw.Draw(regions)
    drawer.rectangle((0, 0, WIDTH - 1, BAND - 1), fill=BANDED)
    drawer.rectangle((0, BAND, WIDTH - 1, KICKER_BOTTOM - 1), fill=KICKER)
    drawer.rectangle((0, RULE_TOP, WIDTH - 1, HEIGHT - 1), fill=FOOT)
    drawer.rectangle((MARGIN, RULE_TOP, WIDTH - MARGIN - 1, RULE_TOP + 3), fill=BANDED)
    return regions


_SHADE = [v * SHADES // 256 for v in range(256)]


def draw_card(card: Card) -> Image.Image:
    """The card as a palette image (mode P), 1200×630."""
    ink = Image.new("L", (WIDTH, HEIGHT), 0)
    paper = _face(40)
    name = wrap(paper, card.paper, WIDTH - 2 * MARGIN)[:1]
    if name:
        paper.draw(ink, MARGIN, (BAND + paper.ascent - paper.size // 3) // 2 + 8, name[0])
    kicker = _face(30)
    label = wrap(kicker, card.kicker.upper(), WIDTH - 2 * MARGIN)[:1]
    if label:
        kicker.draw(ink, MARGIN, BAND + 62, label[0])
    face, lines = headline_lines(card.headline)
    step = round(face.size * LINE_SPACING)
    baseline = HEADLINE_TOP + face.ascent - (face.ascent - face.size) // 2
    for line in lines:
        face.draw(ink, MARGIN, baseline, line)
        baseline += step
    foot = _face(26)
    foot.draw(ink, MARGIN, HEIGHT - 26, card.host)
    indices = ImageChops.add(ink.point(_SHADE), _regions())
    indices.putpalette(_palette())
    return indices


def card_bytes(card: Card) -> bytes:
    """The card as PNG bytes (for tests and tools; builds write into the cache)."""
    out = io.BytesIO()
    _save(draw_card(card), out)
    return out.getvalue()


def _save(image: Image.Image, target: Path | io.BytesIO) -> None:
    image.save(target, "PNG", compress_level=COMPRESSION)


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
        cached = read_entry(root / key, True)
        if isinstance(cached, Processed):
            results.append((cached, "cached"))
            continue
        made = _make(root, key, card, write)
        results.append((made, "made" if cached is None else cached))
    return results


def _make(root: Path, key: str, card: Card, write: bool) -> Processed | PhotoProblem:
    og = Variant(format="png", width=WIDTH, height=HEIGHT, file=FILE)

    def encode(staging: Path, final: str) -> Processed:
        if write:
            _save(draw_card(card), staging / FILE)
        return Processed(key=key, folder=final, width=WIDTH, height=HEIGHT, variants=(), og=og, small=False)

    if write:
        root.mkdir(parents=True, exist_ok=True)
    return make_entry(root, key, write, encode)
