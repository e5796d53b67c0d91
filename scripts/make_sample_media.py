#!/usr/bin/env python3
"""Generate the photos and the audio used by the sample portal's content.

    python3 scripts/make_sample_media.py [--site DIR] [--no-audio]

Reads every article under content/articles/, collects the photos it uses
(cover, gallery, body images ![..](src)) and the `audio:` file, and writes:

- each photo as a real JPEG (1600 x 1067, or 1067 x 1600 for a few portrait
  shots; quality 85, roughly 170-290 KB): an abstract but photo-like scene
  (mountains, Ba Bể lake, rice terraces, a conference hall, a market...) drawn
  with Pillow only, chosen from the file name and varied by a seed taken from
  the file's path, so that every run gives the same bytes;
- the article's audio (doc-bai.mp3): its opening sentences (20-40 s, with
  abbreviations such as UBND and dates such as 29/8 written out) spoken by
  `espeak-ng -v vi` to WAV, then encoded by `lame -b 48 -m m` (mono, small).
  Needs the Debian packages espeak-ng and lame
  (`apt-get install -y espeak-ng lame`); without them the audio step is
  skipped with a message and the photos are still made.

Library photos live in content/media/YYYY/MM/; bundle photos sit beside the
bundle's index.md.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import random
import re
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import yaml
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

W, H = 1600, 1067
QUALITY = 85
SIZE_MIN, SIZE_MAX = 170_000, 290_000

Color = tuple[int, int, int]


# --------------------------------------------------------------------------- helpers


def mix(a: Color, b: Color, t: float) -> Color:
    return tuple(int(round(x + (y - x) * t)) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def jitter(rng: random.Random, c: Color, amount: int = 14) -> Color:
    return tuple(max(0, min(255, v + rng.randint(-amount, amount))) for v in c)  # type: ignore[return-value]


def vgradient(size: tuple[int, int], top: Color, bottom: Color, mid: Color | None = None) -> Image.Image:
    grad = Image.linear_gradient("L").resize(size)
    if mid is None:
        return ImageOps.colorize(grad, top, bottom)
    return ImageOps.colorize(grad, top, bottom, mid)


def glow(img: Image.Image, center: tuple[int, int], radius: int, color: Color, strength: float = 0.8) -> Image.Image:
    """Screen a soft radial light onto img."""
    w, h = img.size
    g = Image.radial_gradient("L").resize((radius * 2, radius * 2))
    g = ImageOps.invert(g).point(lambda v: int(v * strength))
    layer = Image.new("L", (w, h), 0)
    layer.paste(g, (center[0] - radius, center[1] - radius))
    colored = Image.merge("RGB", [layer.point(lambda v, k=k: v * k // 255) for k in color])
    return ImageChops.screen(img, colored)


def ridge(rng: random.Random, w: int, base: float, amp: float, step: int = 6) -> list[tuple[int, int]]:
    """A mountain skyline: y for x in [0, w] as a sum of sines with random phases."""
    waves = []
    a = amp
    for f in (0.6, 1.3, 2.7, 5.5, 11.0, 23.0):
        waves.append((a * rng.uniform(0.6, 1.0), f * rng.uniform(0.8, 1.25), rng.uniform(0, math.tau)))
        a *= 0.5
    pts = []
    for x in range(0, w + step, step):
        y = base + sum(a * math.sin(math.tau * f * x / w + p) for a, f, p in waves)
        pts.append((x, int(y)))
    return pts


def ridge_at(pts: list[tuple[int, int]], x: float) -> int:
    step = pts[1][0] - pts[0][0]
    i = max(0, min(len(pts) - 2, int(x // step)))
    (x0, y0), (x1, y1) = pts[i], pts[i + 1]
    t = (x - x0) / (x1 - x0)
    return int(y0 + (y1 - y0) * t)


def fill_below(draw: ImageDraw.ImageDraw, pts: list[tuple[int, int]], color: Color, bottom: int) -> None:
    draw.polygon(pts + [(pts[-1][0], bottom), (pts[0][0], bottom)], fill=color)


def trees_on(draw: ImageDraw.ImageDraw, rng: random.Random, pts, base: Color, n: int, rmin: float, rmax: float, y_to: int, tall: bool = False) -> None:
    """Tree crowns covering a hill whose top edge is pts."""
    w = pts[-1][0]
    for _ in range(n):
        x = rng.uniform(-20, w + 20)
        top = ridge_at(pts, max(0, min(w - 1, x)))
        y = rng.uniform(top - rmin * 0.6, y_to)
        r = rng.uniform(rmin, rmax) * (0.8 + 0.5 * (y - top) / max(1, y_to - top))
        shade = rng.uniform(-0.28, 0.22)
        c = mix(base, (0, 0, 0), -shade) if shade < 0 else mix(base, (220, 235, 170), shade)
        if tall:
            draw.ellipse((x - r * 0.55, y - r * 1.5, x + r * 0.55, y + r * 0.5), fill=c)
        else:
            draw.ellipse((x - r, y - r * 0.8, x + r, y + r * 0.8), fill=c)


def mountains(
    img: Image.Image, rng: random.Random, haze: Color, near: Color, layers: int, top: float, bottom: float, forest_from: int = 2
) -> list[list[tuple[int, int]]]:
    """Layered ridges from far (hazy) to near (dark green); returns their skylines."""
    w, h = img.size
    draw = ImageDraw.Draw(img)
    skylines = []
    for i in range(layers):
        t = i / max(1, layers - 1)
        base = top + (bottom - top) * t
        pts = ridge(rng, w, base, h * rng.uniform(0.05, 0.11) * (1.2 - 0.5 * t))
        color = mix(haze, near, 0.25 + 0.75 * t)
        fill_below(draw, pts, color, h)
        if i >= forest_from:
            trees_on(draw, rng, pts, color, int(260 + 500 * t), 4 + 6 * t, 9 + 14 * t, int(base + h * 0.18))
        skylines.append(pts)
    return skylines


def person(
    draw: ImageDraw.ImageDraw,
    x: float,
    feet: float,
    h: float,
    shirt: Color,
    pants: Color = (40, 40, 50),
    skin: Color = (196, 150, 118),
    hair: Color = (25, 22, 22),
    hat: Color | None = None,
    bent: bool = False,
) -> None:
    head = h * 0.12
    if bent:
        draw.rectangle((x - h * 0.07, feet - h * 0.42, x + h * 0.07, feet), fill=pants)
        draw.ellipse((x - h * 0.12, feet - h * 0.62, x + h * 0.28, feet - h * 0.36), fill=shirt)
        draw.ellipse((x + h * 0.18, feet - h * 0.6, x + h * 0.18 + head * 1.6, feet - h * 0.6 + head * 1.6), fill=skin)
        if hat:
            draw.polygon([(x + h * 0.05, feet - h * 0.48), (x + h * 0.26, feet - h * 0.74), (x + h * 0.47, feet - h * 0.48)], fill=hat)
        return
    draw.rectangle((x - h * 0.09, feet - h * 0.45, x - h * 0.01, feet), fill=pants)
    draw.rectangle((x + h * 0.01, feet - h * 0.45, x + h * 0.09, feet), fill=pants)
    draw.rounded_rectangle((x - h * 0.14, feet - h * 0.8, x + h * 0.14, feet - h * 0.42), radius=max(1, int(h * 0.05)), fill=shirt)
    draw.ellipse((x - head * 0.8, feet - h * 0.8 - head * 1.7, x + head * 0.8, feet - h * 0.8 + head * 0.1), fill=skin)
    draw.pieslice((x - head * 0.85, feet - h * 0.8 - head * 1.8, x + head * 0.85, feet - h * 0.8 - head * 0.2), 180, 360, fill=hair)
    if hat:
        draw.polygon([(x - head * 2.2, feet - h * 0.8 - head * 1.0), (x, feet - h * 0.8 - head * 3.0), (x + head * 2.2, feet - h * 0.8 - head * 1.0)], fill=hat)


SHIRTS: list[Color] = [
    (235, 235, 232),
    (40, 60, 110),
    (150, 30, 40),
    (60, 100, 60),
    (210, 170, 60),
    (90, 70, 120),
    (30, 30, 35),
    (200, 110, 60),
    (70, 130, 170),
    (235, 235, 232),
]
ETHNIC: list[Color] = [(25, 35, 70), (20, 25, 45), (160, 30, 50), (30, 30, 40), (200, 60, 90)]


def crowd(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    y0: int,
    y1: int,
    n: int,
    h0: float,
    h1: float,
    palette: list[Color] = SHIRTS,
    x0: int = -20,
    x1: int | None = None,
    hats: bool = False,
) -> None:
    x1 = W + 20 if x1 is None else x1
    spots = sorted((rng.uniform(y0, y1), rng.uniform(x0, x1)) for _ in range(n))  # back to front
    for y, x in spots:
        t = (y - y0) / max(1, y1 - y0)
        hh = h0 + (h1 - h0) * t
        person(
            draw,
            x,
            y,
            hh,
            jitter(rng, rng.choice(palette), 18),
            pants=jitter(rng, (40, 40, 52), 12),
            hat=(215, 200, 160) if hats and rng.random() < 0.5 else None,
        )


def heads_rows(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    y0: int,
    y1: int,
    rows: int,
    r0: float,
    r1: float,
    table: Color | None,
    palette: list[Color] = SHIRTS,
    x0: int = 0,
    x1: int | None = None,
) -> None:
    """Audience seen from behind: rows of heads and shoulders, bigger towards the camera."""
    x1 = W if x1 is None else x1
    for i in range(rows):
        t = i / max(1, rows - 1)
        y = y0 + (y1 - y0) * (t**1.3)
        r = r0 + (r1 - r0) * t
        if table is not None:
            draw.rectangle((x0, y - r * 2.6, x1, y - r * 1.6), fill=mix(table, (0, 0, 0), 0.12 * (1 - t)))
        x = x0 + rng.uniform(0, r * 2)
        while x < x1:
            shirt = jitter(rng, rng.choice(palette), 16)
            draw.ellipse((x - r * 1.9, y - r * 0.4, x + r * 1.9, y + r * 2.6), fill=shirt)
            hair = jitter(rng, (28, 24, 24), 8) if rng.random() < 0.85 else (150, 150, 150)
            draw.ellipse((x - r, y - r * 1.6, x + r, y + r * 0.5), fill=hair)
            x += r * rng.uniform(4.0, 5.2)


def flowers(draw: ImageDraw.ImageDraw, rng: random.Random, cx: float, cy: float, rw: float, rh: float, n: int = 160) -> None:
    draw.ellipse((cx - rw, cy - rh * 0.3, cx + rw, cy + rh), fill=(40, 80, 40))
    for _ in range(n):
        a = rng.uniform(0, math.tau)
        d = rng.uniform(0, 1) ** 0.6
        x = cx + math.cos(a) * rw * d
        y = cy + math.sin(a) * rh * d * 0.8
        r = rng.uniform(rw * 0.05, rw * 0.11)
        c = rng.choice([(230, 200, 40), (220, 60, 70), (245, 240, 230), (240, 140, 60), (200, 40, 60), (60, 120, 50)])
        draw.ellipse((x - r, y - r, x + r, y + r), fill=jitter(rng, c, 12))


def star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float, color: Color) -> None:
    pts = []
    for k in range(10):
        rr = r if k % 2 == 0 else r * 0.382
        a = -math.pi / 2 + k * math.pi / 5
        pts.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    draw.polygon(pts, fill=color)


def sky(rng: random.Random, size: tuple[int, int], mood: str) -> Image.Image:
    palettes = {
        "clear": ((92, 145, 205), (205, 225, 240)),
        "morning": ((120, 160, 205), (240, 225, 200)),
        "mist": ((165, 178, 190), (225, 228, 226)),
        "grey": ((120, 128, 138), (190, 192, 190)),
        "warm": ((110, 130, 180), (250, 205, 150)),
    }
    top, bottom = palettes[mood]
    img = vgradient(size, jitter(rng, top, 10), jitter(rng, bottom, 10))
    d = ImageDraw.Draw(img)
    w, h = size
    for _ in range(rng.randint(4, 9)):  # soft clouds
        cx, cy = rng.uniform(0, w), rng.uniform(0, h * 0.35)
        for _ in range(12):
            rx, ry = rng.uniform(40, 160), rng.uniform(14, 40)
            x, y = cx + rng.uniform(-150, 150), cy + rng.uniform(-20, 20)
            d.ellipse((x - rx, y - ry, x + rx, y + ry), fill=mix(bottom, (255, 255, 255), 0.6))
    return img.filter(ImageFilter.GaussianBlur(18))


# --------------------------------------------------------------------------- outdoor scenes


def scene_landscape(rng: random.Random, kind: str, size: tuple[int, int]) -> Image.Image:
    w, h = size
    mood = {
        "flood": "grey",
        "lake": rng.choice(["mist", "morning"]),
        "boats": "morning",
        "terraces": "clear",
        "forest": "mist",
        "orchard": "clear",
        "road": "clear",
        "village": "morning",
        "festival": "clear",
        "tug": "clear",
        "market": "warm",
        "building": "clear",
        "flag": "clear",
        "monument": "morning",
        "pole": "clear",
    }.get(kind, "clear")
    img = sky(rng, size, mood)
    if mood in ("morning", "warm"):
        img = glow(img, (int(w * rng.uniform(0.2, 0.8)), int(h * 0.2)), int(w * 0.35), (255, 220, 170), 0.6)
    haze = mix(img.getpixel((w // 2, int(h * 0.4))), (200, 210, 215), 0.3)
    near = jitter(rng, (38, 78, 44), 10)
    horizon = {
        "lake": 0.52,
        "boats": 0.5,
        "flood": 0.45,
        "festival": 0.42,
        "tug": 0.42,
        "pole": 0.35,
        "market": 0.42,
        "building": 0.5,
        "flag": 0.55,
        "monument": 0.5,
    }.get(kind, 0.32)
    mountains(img, rng, haze, near, rng.randint(3, 5), h * (horizon - 0.2), h * horizon)
    d = ImageDraw.Draw(img)

    if kind in ("lake", "boats"):
        water_y = int(h * (horizon + 0.08))
        upper = img.crop((0, water_y - (h - water_y), w, water_y)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
        refl = upper.filter(ImageFilter.GaussianBlur(6))
        refl = Image.blend(refl, Image.new("RGB", refl.size, (60, 90, 100)), 0.35)
        img.paste(refl, (0, water_y))
        d = ImageDraw.Draw(img)
        for _ in range(900):
            y = rng.uniform(water_y, h)
            x = rng.uniform(0, w)
            length = rng.uniform(10, 60) * (0.5 + (y - water_y) / (h - water_y))
            d.line((x, y, x + length, y), fill=jitter(rng, (150, 175, 185), 20), width=1)
        if kind == "boats":
            for _ in range(rng.randint(4, 7)):
                y = water_y + (h - water_y) * rng.uniform(0.15, 0.85)
                s = 0.6 + (y - water_y) / (h - water_y)
                x = rng.uniform(0, w - 300 * s)
                d.polygon([(x, y), (x + 320 * s, y), (x + 290 * s, y + 18 * s), (x + 25 * s, y + 18 * s)], fill=(52, 36, 28))
                for k in range(5):
                    person(d, x + (50 + k * 55) * s, y + 2, 60 * s, jitter(rng, rng.choice(SHIRTS), 20))
        else:
            d.polygon([(w * 0.6, h * 0.8), (w * 0.74, h * 0.8), (w * 0.72, h * 0.815), (w * 0.62, h * 0.815)], fill=(50, 36, 28))
            person(d, w * 0.68, h * 0.8, 60, (30, 40, 60), hat=(210, 195, 150))
    elif kind == "terraces":
        base = int(h * 0.42)
        for i in range(16):
            t = i / 15
            y = base + (h - base) * (t**1.4)
            pts = ridge(rng, w, y, 10 + 25 * t)
            water = i % 2 == 0
            c = jitter(rng, (170, 195, 205), 8) if water else jitter(rng, (110, 160, 70), 12)
            fill_below(d, pts, c, h)
            d.line(pts, fill=(80, 95, 60), width=max(2, int(2 + 5 * t)))
            if not water:
                for _ in range(int(200 * t) + 40):
                    x = rng.uniform(0, w)
                    yy = ridge_at(pts, x) + rng.uniform(2, 12 + 30 * t)
                    d.line((x, yy, x + rng.uniform(-2, 2), yy - 4 - 10 * t), fill=(70, 130, 50), width=2)
        for _ in range(rng.randint(5, 9)):
            y = rng.uniform(h * 0.62, h * 0.95)
            person(d, rng.uniform(80, w - 80), y, 60 + 140 * (y / h - 0.6), jitter(rng, rng.choice(SHIRTS), 20), hat=(220, 205, 160), bent=True)
    elif kind == "forest":
        pts = ridge(rng, w, h * 0.55, h * 0.08)
        fill_below(d, pts, (44, 82, 40), h)
        trees_on(d, rng, pts, (52, 96, 44), 2600, 8, 26, h + 40, tall=True)
        for _ in range(40):
            x = rng.uniform(0, w)
            y = rng.uniform(h * 0.6, h)
            d.line((x, y, x, y + 40 + 40 * y / h), fill=(80, 60, 40), width=3)
    elif kind == "orchard":
        pts = ridge(rng, w, h * 0.5, h * 0.05)
        fill_below(d, pts, (90, 120, 60), h)
        for row in range(7):
            t = row / 6
            y = h * 0.52 + (h * 0.5) * (t**1.3)
            r = 30 + 110 * t
            x = rng.uniform(-r, r)
            while x < w + r:
                c = jitter(rng, (40, 90, 40), 12)
                d.ellipse((x - r, y - r * 1.2, x + r, y + r * 0.5), fill=c)
                for _ in range(int(40 + 60 * t)):
                    a = rng.uniform(0, math.tau)
                    dd = rng.uniform(0.1, 0.95)
                    ox, oy = x + math.cos(a) * r * dd, y - r * 0.35 + math.sin(a) * r * 0.8 * dd
                    rr = r * rng.uniform(0.05, 0.09)
                    d.ellipse((ox - rr, oy - rr, ox + rr, oy + rr), fill=jitter(rng, (215, 150, 40) if rng.random() < 0.45 else (60, 110, 45), 14))
                x += r * rng.uniform(2.1, 2.6)
        for _ in range(3):
            person(d, rng.uniform(200, w - 200), h * rng.uniform(0.86, 0.97), 220, jitter(rng, rng.choice(SHIRTS)), hat=(215, 200, 160))
    elif kind == "road":
        ground = (122, 140, 80)
        d.rectangle((0, int(h * 0.6), w, h), fill=ground)
        trees_on(d, rng, [(x, int(h * 0.6)) for x in range(0, w + 8, 8)], (58, 100, 50), 700, 8, 22, int(h * 0.75))
        vx = w * rng.uniform(0.4, 0.6)
        d.polygon([(vx - 20, h * 0.58), (vx + 20, h * 0.58), (w * 0.95, h), (w * 0.1, h)], fill=(150, 112, 80))
        for _ in range(1500):
            y = rng.uniform(h * 0.6, h)
            t = (y - h * 0.58) / (h * 0.42)
            x = vx + rng.uniform(-1, 1) * (20 + t * w * 0.42)
            r = 1 + 4 * t
            d.ellipse((x - r, y - r, x + r, y + r), fill=jitter(rng, (140, 100, 70), 25))
        ex, ey = w * rng.uniform(0.55, 0.7), h * 0.82
        d.rectangle((ex - 150, ey - 20, ex + 150, ey + 40), fill=(40, 40, 40))
        d.rectangle((ex - 130, ey - 140, ex + 90, ey - 20), fill=(235, 180, 30))
        d.rectangle((ex - 110, ey - 210, ex - 10, ey - 140), fill=(225, 170, 25))
        d.rectangle((ex - 100, ey - 200, ex - 30, ey - 150), fill=(120, 160, 190))
        d.line((ex + 60, ey - 110, ex + 260, ey - 260, ex + 340, ey - 60), fill=(230, 175, 30), width=26)
        d.polygon([(ex + 310, ey - 70), (ex + 390, ey - 60), (ex + 370, ey), (ex + 320, ey - 10)], fill=(60, 60, 60))
        for k in range(4):
            person(d, w * 0.2 + k * 70, h * 0.9 + k * 8, 170, (240, 120, 30), hat=(250, 250, 240))
    elif kind == "flood":
        d.rectangle((0, int(h * 0.5), w, h), fill=(120, 98, 70))
        for i in range(4):
            x = w * (0.1 + i * 0.22) + rng.uniform(-30, 30)
            y = h * 0.62
            d.rectangle((x, y - 150, x + 220, y + 60), fill=jitter(rng, (190, 180, 160), 15))
            d.polygon([(x - 20, y - 150), (x + 110, y - 230), (x + 240, y - 150)], fill=jitter(rng, (110, 70, 60), 15))
            d.rectangle((x + 80, y - 60, x + 130, y + 60), fill=(70, 55, 45))
        water_top = int(h * 0.66)
        d.rectangle((0, water_top, w, h), fill=(140, 110, 75))
        for _ in range(1200):
            y = rng.uniform(water_top, h)
            x = rng.uniform(0, w)
            d.line((x, y, x + rng.uniform(10, 50), y), fill=jitter(rng, (160, 130, 95), 18), width=2)
        crowd(d, rng, int(h * 0.75), int(h * 0.98), 14, 130, 240, [(40, 90, 50), (45, 95, 55), (30, 60, 110), (240, 120, 40)])
    elif kind == "village":
        d.rectangle((0, int(h * 0.55), w, h), fill=(110, 135, 70))
        for _ in range(rng.randint(3, 5)):
            x = rng.uniform(0, w - 320)
            y = h * rng.uniform(0.52, 0.66)
            s = 0.7 + (y / h - 0.5) * 2
            for k in range(5):
                d.rectangle((x + k * 60 * s, y, x + k * 60 * s + 10 * s, y + 80 * s), fill=(70, 50, 35))
            d.rectangle((x - 10 * s, y - 110 * s, x + 260 * s, y), fill=jitter(rng, (130, 95, 60), 12))
            d.polygon([(x - 40 * s, y - 110 * s), (x + 125 * s, y - 200 * s), (x + 290 * s, y - 110 * s)], fill=jitter(rng, (80, 70, 65), 12))
            for k in range(3):
                d.rectangle((x + (30 + k * 80) * s, y - 80 * s, x + (60 + k * 80) * s, y - 40 * s), fill=(50, 35, 25))
        d.rectangle((w * 0.15, h * 0.8, w * 0.85, h * 0.86), fill=(235, 235, 235))
        crowd(d, rng, int(h * 0.78), int(h * 0.99), 18, 160, 260, ETHNIC + SHIRTS)
    elif kind in ("festival", "tug", "pole"):
        field_y = int(h * (horizon + 0.06))
        d.rectangle((0, field_y, w, h), fill=jitter(rng, (105, 145, 70), 10))
        for _ in range(2500):
            x, y = rng.uniform(0, w), rng.uniform(field_y, h)
            d.line((x, y, x + rng.uniform(-3, 3), y - rng.uniform(3, 9)), fill=jitter(rng, (90, 130, 60), 20), width=1)
        for i in range(4):  # bunting
            y0 = h * (0.15 + 0.05 * i)
            x0 = -50 + i * 30
            pts = [(x, y0 + 40 * math.sin(x / w * math.pi)) for x in range(int(x0), w + 60, 60)]
            d.line(pts, fill=(90, 80, 70), width=2)
            for xa, ya in pts:
                d.polygon([(xa, ya), (xa + 40, ya), (xa + 20, ya + 45)], fill=rng.choice([(220, 40, 40), (240, 200, 40), (40, 110, 200), (40, 160, 80)]))
        crowd(d, rng, field_y + 10, field_y + 70, 140, 70, 95, ETHNIC + SHIRTS)
        if kind == "pole":
            px = w * 0.5
            d.line((px, h * 0.06, px, field_y + 80), fill=(150, 120, 70), width=14)
            d.ellipse((px - 70, h * 0.04, px + 70, h * 0.16), outline=(240, 210, 60), width=10)
            for _ in range(3):
                x, y = rng.uniform(w * 0.2, w * 0.8), rng.uniform(h * 0.2, h * 0.4)
                d.ellipse((x - 18, y - 18, x + 18, y + 18), fill=jitter(rng, (210, 60, 60), 30))
                d.line((x + 12, y + 12, x + 60, y + 70), fill=(220, 200, 80), width=3)
            crowd(d, rng, int(h * 0.7), int(h * 0.98), 16, 220, 360, ETHNIC)
        elif kind == "tug":
            y = h * 0.78
            d.line((w * 0.05, y - 120, w * 0.95, y - 110), fill=(200, 180, 130), width=8)
            for k in range(16):
                x = w * 0.08 + k * w * 0.055 + (40 if k >= 8 else 0)
                person(d, x, y + rng.uniform(-6, 6), 250, (150, 30, 40) if k < 8 else (30, 50, 110), pants=(30, 30, 30), bent=False)
            crowd(d, rng, int(h * 0.9), int(h * 1.02), 20, 300, 360, SHIRTS)
        else:
            ax = w * rng.uniform(0.35, 0.6)
            d.rectangle((ax - 180, h * 0.62, ax + 180, h * 0.72), fill=(160, 40, 40))
            d.rectangle((ax - 190, h * 0.6, ax + 190, h * 0.625), fill=(230, 200, 80))
            for k in range(7):
                x = ax - 150 + k * 50
                d.ellipse((x - 18, h * 0.6 - 30, x + 18, h * 0.6), fill=rng.choice([(240, 200, 60), (220, 90, 60), (240, 240, 230)]))
            for k in range(3):
                person(d, ax - 260 + k * 260, h * 0.86, 300, (30, 30, 40), hat=None)
            crowd(d, rng, int(h * 0.8), int(h * 1.02), 18, 280, 380, ETHNIC)
    elif kind == "market":
        ground_y = int(h * (horizon + 0.05))
        d.rectangle((0, ground_y, w, h), fill=(150, 145, 135))
        for row in range(3):
            t = row / 2
            y = ground_y + 30 + (h - ground_y) * 0.45 * t
            s = 0.6 + 0.8 * t
            x = rng.uniform(-200, 0)
            while x < w:
                roof = rng.choice([(245, 245, 240), (235, 235, 230), (60, 110, 190), (200, 50, 50)])
                d.polygon([(x, y - 180 * s), (x + 150 * s, y - 250 * s), (x + 300 * s, y - 180 * s)], fill=roof)
                d.rectangle((x, y - 180 * s, x + 300 * s, y - 160 * s), fill=mix(roof, (0, 0, 0), 0.15))
                d.rectangle((x + 5, y - 160 * s, x + 300 * s - 5, y), fill=mix(roof, (40, 40, 40), 0.55))
                d.rectangle((x + 10, y - 70 * s, x + 300 * s - 10, y - 40 * s), fill=(200, 190, 170))
                for k in range(int(10 * s) + 4):
                    bx = x + 20 * s + k * 26 * s
                    if bx > x + 290 * s:
                        break
                    d.rectangle(
                        (bx, y - 100 * s, bx + 18 * s, y - 70 * s),
                        fill=rng.choice([(220, 150, 40), (180, 60, 50), (240, 220, 170), (110, 70, 40), (80, 140, 60)]),
                    )
                x += 320 * s
        crowd(d, rng, int(h * 0.7), int(h * 1.02), 40, 150, 330, SHIRTS)
    elif kind == "building":
        by = int(h * 0.72)
        bx0, bx1 = int(w * rng.uniform(0.12, 0.25)), int(w * rng.uniform(0.75, 0.88))
        floors = 4
        fh = 85
        d.rectangle((bx0, by - floors * fh - 30, bx1, by), fill=(236, 232, 220))
        d.rectangle((bx0 - 20, by - floors * fh - 50, bx1 + 20, by - floors * fh - 25), fill=(150, 70, 60))
        for f in range(floors):
            y = by - (f + 1) * fh + 20
            for x in range(bx0 + 30, bx1 - 40, 70):
                d.rectangle((x, y, x + 42, y + 48), fill=jitter(rng, (110, 150, 185), 10))
            d.rectangle((bx0, y + 58, bx1, y + 64), fill=(200, 196, 185))
        d.rectangle((w * 0.47, by - 110, w * 0.53, by), fill=(90, 120, 150))
        d.rectangle((0, by, w, h), fill=(170, 168, 160))
        for _ in range(8):
            x = rng.uniform(0, w)
            flowers(d, rng, x, by + rng.uniform(10, 60), rng.uniform(40, 80), rng.uniform(30, 50), 60)
        for _ in range(500):  # trees on both sides of the yard
            x = rng.uniform(-40, bx0 - 10) if rng.random() < 0.5 else rng.uniform(bx1 + 10, w + 40)
            y = rng.uniform(by - 260, by + 30)
            r = rng.uniform(14, 34)
            d.ellipse((x - r, y - r * 0.8, x + r, y + r * 0.8), fill=jitter(rng, (50, 100, 50), 22))
        crowd(d, rng, by + 80, h, 12, 160, 260, [(245, 245, 245), (240, 240, 240), (60, 110, 180)] + SHIRTS)
    elif kind == "flag":
        by = int(h * 0.62)
        d.rectangle((w * 0.1, by - 330, w * 0.9, by), fill=(232, 205, 120))
        d.polygon([(w * 0.35, by - 330), (w * 0.5, by - 420), (w * 0.65, by - 330)], fill=(225, 195, 110))
        for k in range(12):
            x = w * 0.14 + k * w * 0.063
            d.rectangle((x, by - 300, x + 26, by - 20), fill=(245, 235, 205))
            d.rectangle((x + 34, by - 260, x + 70, by - 170), fill=(90, 100, 100))
        d.rectangle((0, by, w, h), fill=(160, 158, 150))
        px = w * 0.5
        d.line((px, h * 0.05, px, by + 40), fill=(210, 210, 210), width=10)
        fl = [(px + 5, h * 0.06)] + [(px + 5 + k * 20, h * 0.06 + 14 * math.sin(k / 3)) for k in range(1, 15)]
        fl += [(x, y + 190) for x, y in reversed(fl)]
        d.polygon(fl, fill=(210, 30, 35))
        star(d, px + 150, h * 0.06 + 95, 55, (250, 215, 40))
        for r in range(5):
            y = by + 80 + r * 80
            s = 170 + r * 35
            for k in range(18):
                person(
                    d,
                    w * 0.04 + k * w * 0.055 + (r % 2) * 30 + rng.uniform(-6, 6),
                    y,
                    s,
                    (245, 245, 245) if rng.random() < 0.75 else (40, 70, 120),
                    pants=(35, 35, 45),
                )
    elif kind == "monument":
        by = int(h * 0.62)
        for k in range(6):
            d.rectangle((w * 0.2 - k * 25, by - 60 + k * 14, w * 0.8 + k * 25, by - 46 + k * 14), fill=mix((200, 195, 185), (150, 145, 135), k / 6))
        d.rectangle((w * 0.43, by - 360, w * 0.57, by - 60), fill=(170, 160, 145))
        d.ellipse((w * 0.46, by - 560, w * 0.54, by - 380), fill=(95, 80, 60))
        d.ellipse((w * 0.475, by - 610, w * 0.525, by - 540), fill=(95, 80, 60))
        for k in range(4):
            cx = w * (0.3 + k * 0.13)
            d.ellipse((cx - 60, by - 180, cx + 60, by - 60), outline=(60, 120, 50), width=22)
            for a in range(0, 360, 20):
                x = cx + 60 * math.cos(math.radians(a))
                y = by - 120 + 60 * math.sin(math.radians(a))
                d.ellipse((x - 9, y - 9, x + 9, y + 9), fill=rng.choice([(240, 220, 60), (230, 60, 60), (245, 245, 240)]))
            d.rectangle((cx - 4, by - 60, cx + 4, by), fill=(90, 70, 50))
        d.rectangle((0, by + 30, w, h), fill=(175, 170, 160))
        for r in range(4):
            y = by + 150 + r * 100
            s = 200 + r * 45
            for k in range(12):
                person(
                    d,
                    w * 0.08 + k * w * 0.075 + (r % 2) * 40 + rng.uniform(-8, 8),
                    y,
                    s,
                    (245, 245, 245) if rng.random() < 0.7 else (35, 40, 60),
                    pants=(35, 35, 45),
                )
    return img


# --------------------------------------------------------------------------- indoor scenes


def scene_hall(rng: random.Random, kind: str, size: tuple[int, int]) -> Image.Image:
    w, h = size
    if kind == "classroom":
        wall_top, wall_bottom = (225, 225, 200), (200, 205, 180)
    elif kind == "office":
        wall_top, wall_bottom = (215, 225, 235), (185, 195, 205)
    else:
        wall_top, wall_bottom = rng.choice(
            [((95, 70, 55), (150, 115, 85)), ((70, 76, 92), (125, 130, 145)), ((125, 98, 70), (195, 165, 125)), ((150, 140, 125), (205, 198, 185))]
        )
    img = vgradient(size, jitter(rng, wall_top, 8), jitter(rng, wall_bottom, 8))
    d = ImageDraw.Draw(img)
    # ceiling lights
    for row in range(2):
        for k in range(7):
            x = w * (0.08 + k * 0.14) + rng.uniform(-10, 10)
            y = h * (0.04 + row * 0.06)
            d.ellipse((x - 40, y - 10, x + 40, y + 10), fill=(255, 250, 230))
    img = img.filter(ImageFilter.GaussianBlur(1))
    for k in range(4):
        img = glow(img, (int(w * (0.15 + 0.23 * k)), int(h * 0.05)), int(w * 0.12), (255, 240, 200), 0.35)
    d = ImageDraw.Draw(img)

    if kind == "meeting":
        # a long table running away from the camera, people on both sides, a small backdrop at the end
        bx0, bx1 = w * rng.uniform(0.28, 0.34), w * rng.uniform(0.66, 0.72)
        d.rectangle((bx0, h * 0.14, bx1, h * 0.4), fill=jitter(rng, rng.choice([(185, 25, 30), (25, 60, 140)]), 10))
        for k in range(2):
            d.rectangle((bx0 + 40, h * (0.2 + 0.08 * k), bx1 - 40, h * (0.2 + 0.08 * k) + 14), fill=(245, 215, 80))
        star(d, (bx0 + bx1) / 2, h * 0.34, 22, (250, 215, 40))
        d.rectangle((0, h * 0.42, w, h), fill=jitter(rng, (120, 95, 75), 12))
        cloth = rng.choice([(235, 235, 230), (60, 110, 170), (60, 115, 80)])
        d.polygon([(w * 0.4, h * 0.46), (w * 0.6, h * 0.46), (w * 0.9, h * 1.02), (w * 0.1, h * 1.02)], fill=cloth)
        for k in range(7):
            t = k / 6
            y = h * 0.47 + (h * 0.55) * (t**1.2)
            r = 10 + 36 * t
            for side in (-1, 1):
                x = w * 0.5 + side * (w * 0.1 + w * 0.4 * t) + side * r * 1.2
                shirt = jitter(rng, rng.choice([(240, 240, 240), (40, 50, 70), (235, 235, 245), (60, 90, 140)]), 10)
                d.ellipse((x - r * 1.9, y - r * 0.4, x + r * 1.9, y + r * 2.6), fill=shirt)
                d.ellipse((x - r, y - r * 1.7, x + r, y + r * 0.4), fill=jitter(rng, (30, 26, 24), 8))
                px = w * 0.5 + side * (w * 0.07 + w * 0.36 * t)
                d.rectangle((px - r * 1.2, y + r * 0.2, px + r * 1.2, y + r * 0.4), fill=(250, 250, 250))
                d.polygon(
                    [(px - r * 0.3, y + r * 0.3), (px + r * 0.9, y + r * 0.3), (px + r * 0.8, y - r * 0.3), (px - r * 0.1, y - r * 0.3)], fill=(250, 250, 245)
                )
        for k in range(3):
            t = 0.15 + 0.3 * k
            flowers(d, rng, w * 0.5, h * 0.5 + h * 0.5 * t, 30 + 60 * t, 14 + 26 * t, 60)
        for x in (w * 0.08, w * 0.92):
            d.rectangle((x - 30, h * 0.3, x + 30, h * 0.42), fill=(90, 60, 40))
            flowers(d, rng, x, h * 0.28, 60, 40, 80)
    elif kind in ("conference", "ceremony"):
        bx0, bx1 = w * rng.uniform(0.1, 0.24), w * rng.uniform(0.76, 0.9)
        by0, by1 = h * rng.uniform(0.1, 0.16), h * rng.uniform(0.44, 0.5)
        d.rectangle((bx0, by0, bx1, by1), fill=jitter(rng, rng.choice([(185, 25, 30), (185, 25, 30), (25, 60, 140)]), 10))
        band = Image.new("L", size, 0)
        bd = ImageDraw.Draw(band)
        for k in range(3):  # banner lettering, blurred, not readable
            y = by0 + (by1 - by0) * (0.22 + 0.22 * k)
            x = bx0 + (bx1 - bx0) * rng.uniform(0.18, 0.25)
            xe = bx1 - (bx1 - bx0) * rng.uniform(0.08, 0.2)
            while x < xe:
                ww = rng.uniform(20, 60)
                bd.rectangle((x, y, x + ww, y + (30 if k == 1 else 20)), fill=255)
                x += ww + rng.uniform(10, 22)
        band = band.filter(ImageFilter.GaussianBlur(3))
        img.paste((250, 220, 70), (0, 0), band)
        d = ImageDraw.Draw(img)
        star(d, bx0 + (bx1 - bx0) * 0.1, (by0 + by1) / 2, 55, (250, 215, 40))
        # bust on a pedestal, stage left
        px = bx0 - w * 0.04
        d.rectangle((px - 40, h * 0.38, px + 40, h * 0.56), fill=(220, 215, 205))
        d.ellipse((px - 35, h * 0.26, px + 35, h * 0.38), fill=(230, 220, 190))
        # stage
        d.rectangle((0, h * 0.5, w, h * 0.58), fill=(120, 40, 35))
        d.rectangle((w * 0.25, h * 0.45, w * 0.75, h * 0.53), fill=(245, 245, 240))
        for k in range(9):
            x = w * 0.28 + k * w * 0.055
            d.ellipse((x - 16, h * 0.41, x + 16, h * 0.45), fill=(30, 25, 25))
            d.ellipse((x - 30, h * 0.44, x + 30, h * 0.5), fill=rng.choice([(30, 35, 50), (240, 240, 240), (50, 60, 90)]))
        d.rectangle((w * 0.86, h * 0.4, w * 0.93, h * 0.58), fill=(110, 70, 45))
        flowers(d, rng, w * 0.5, h * 0.56, 140, 40, 220)
        if kind == "ceremony":
            for k in range(6):
                person(d, w * 0.2 + k * w * 0.12, h * 0.74, 330, rng.choice([(40, 45, 60), (240, 240, 240)]))
                flowers(d, rng, w * 0.2 + k * w * 0.12 + 30, h * 0.6, 40, 30, 50)
            heads_rows(d, rng, int(h * 0.82), int(h * 1.02), 2, 26, 34, None)
        else:
            heads_rows(
                d,
                rng,
                int(h * rng.uniform(0.6, 0.68)),
                int(h * 1.04),
                rng.randint(4, 7),
                rng.uniform(9, 13),
                rng.uniform(30, 40),
                rng.choice([(90, 140, 200), (240, 240, 235), (60, 115, 80), (170, 40, 45)]),
            )
    elif kind == "classroom":
        d.rectangle((w * 0.25, h * 0.12, w * 0.75, h * 0.42), fill=(40, 80, 60))
        d.rectangle((w * 0.24, h * 0.42, w * 0.76, h * 0.44), fill=(150, 110, 70))
        for k in range(3):
            x = w * (0.02 + 0.8 * (k // 2))
            d.rectangle((x + k % 2 * 10, h * 0.15, x + w * 0.14, h * 0.5), fill=(235, 245, 250))
            img2 = glow(img, (int(x + w * 0.07), int(h * 0.32)), 220, (255, 250, 230), 0.4)
            img.paste(img2)
            d = ImageDraw.Draw(img)
        d.rectangle((0, h * 0.5, w, h), fill=(180, 160, 130))
        heads_rows(d, rng, int(h * 0.6), int(h * 1.04), 5, 14, 40, (150, 105, 65), [(245, 245, 245), (240, 240, 250), (235, 238, 242)])
    elif kind == "office":
        for k in range(5):
            x = w * 0.05 + k * w * 0.19
            d.rectangle((x, h * 0.12, x + w * 0.15, h * 0.3), fill=(40, 90, 160))
            d.rectangle((x + 10, h * 0.14, x + w * 0.15 - 10, h * 0.17), fill=(240, 240, 240))
        d.rectangle((0, h * 0.5, w, h), fill=(190, 185, 175))
        for k in range(5):
            x = w * 0.1 + k * w * 0.19
            person(d, x, h * 0.58, 260, (60, 110, 170))
            d.rectangle((x - 70, h * 0.34, x + 70, h * 0.44), fill=(25, 25, 30))
            d.rectangle((x - 62, h * 0.35, x + 62, h * 0.43), fill=jitter(rng, (90, 140, 190), 20))
        d.rectangle((0, h * 0.46, w, h * 0.56), fill=(235, 230, 220))
        d.rectangle((0, h * 0.56, w, h * 0.6), fill=(150, 140, 125))
        for k in range(6):
            person(d, w * 0.08 + k * w * 0.17 + rng.uniform(-20, 20), h * 0.98, 420, jitter(rng, rng.choice(SHIRTS), 20))
    return img


# --------------------------------------------------------------------------- choice of scene

SCENES: list[tuple[str, str, str]] = [
    # (name contains, family, kind)
    ("thi-hoc-sinh", "hall", "classroom"),
    ("mot-cua", "hall", "office"),
    ("tang-hoa", "hall", "ceremony"),
    ("trao-quyet-dinh", "hall", "ceremony"),
    ("quang-canh", "hall", "meeting"),
    ("ky-hop", "hall", "conference"),
    ("hoi-truong", "hall", "conference"),
    ("hoi-nghi", "hall", "conference"),
    ("que", "land", "forest"),
    ("tiem-chung", "land", "village"),
    ("nha-dai-doan-ket", "land", "village"),
    ("khoi-cong", "land", "road"),
    ("chao-co", "land", "flag"),
    ("thuyen", "land", "boats"),
    ("ho-ba-be", "land", "lake"),
    ("keo-co", "land", "tug"),
    ("nem-con", "land", "pole"),
    ("le-te", "land", "festival"),
    ("gian-hang", "land", "market"),
    ("hoi-cho", "land", "market"),
    ("lua", "land", "terraces"),
    ("dieu-tri", "land", "building"),
    ("mua-lu", "land", "flood"),
    ("cam-sanh", "land", "orchard"),
    ("dang-huong", "land", "monument"),
]
PORTRAIT = {"nem-con"}


def render(rel: str) -> Image.Image:
    stem = Path(rel).stem
    seed = int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    family, kind = "land", rng.choice(["lake", "terraces", "forest", "village"])
    for key, fam, k in SCENES:
        if key in stem:
            family, kind = fam, k
            break
    size = (H, W) if stem in PORTRAIT else (W, H)
    img = scene_hall(rng, kind, size) if family == "hall" else scene_landscape(rng, kind, size)
    img = img.filter(ImageFilter.GaussianBlur(0.8))
    # gentle vignette
    vig = Image.radial_gradient("L").resize(size).point(lambda v: max(0, v - 110))
    img = Image.composite(Image.new("RGB", size, (0, 0, 0)), img, vig.point(lambda v: v // 3))
    return img


def grain(img: Image.Image, seed: int, strength: float) -> Image.Image:
    rng = random.Random(seed)
    noise = Image.frombytes("L", img.size, rng.randbytes(img.size[0] * img.size[1]))
    noise = noise.filter(ImageFilter.GaussianBlur(0.55))
    lut = [max(0, min(255, int(128 + (v - 128) * strength))) for v in range(256)]
    noise = noise.point(lut)
    return ImageChops.overlay(img, Image.merge("RGB", (noise, noise, noise)))


def encode(img: Image.Image, rel: str) -> bytes:
    """JPEG bytes of img with film grain tuned so the file is a realistic size."""
    seed = int.from_bytes(hashlib.sha256(("grain:" + rel).encode()).digest()[:8], "big")
    lo, hi = 0.0, 4.0
    strength = 1.2
    best = b""
    for _ in range(8):
        buf = io.BytesIO()
        grain(img, seed, strength).save(buf, "JPEG", quality=QUALITY, optimize=True)
        best = buf.getvalue()
        n = len(best)
        if n < SIZE_MIN:
            lo = strength
        elif n > SIZE_MAX:
            hi = strength
        else:
            break
        strength = (lo + hi) / 2
    return best


# --------------------------------------------------------------------------- content scan


def front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text("utf-8-sig")
    if not text.startswith("---"):
        return {}, text
    _, head, body = text.split("---", 2)
    return yaml.safe_load(head) or {}, body


IMG_RE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def collect(site: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    content = site / "content"
    photos: set[Path] = set()
    audio: list[tuple[Path, str]] = []
    for md in sorted((content / "articles").rglob("*.md")):
        meta, body = front_matter(md)
        srcs = []
        if isinstance(meta.get("cover"), dict):
            srcs.append(meta["cover"]["src"])
        for g in meta.get("gallery") or []:
            srcs.append(g["src"])
        srcs += IMG_RE.findall(body)
        for src in srcs:
            photos.add(content / src.lstrip("/") if src.startswith("/media/") else md.parent / src)
        if meta.get("audio"):
            a = meta["audio"]
            audio.append((content / a.lstrip("/") if a.startswith("/media/") else md.parent / a, body))
    return sorted(photos), audio


# --------------------------------------------------------------------------- audio


SPOKEN = [  # what the synthesiser should say for abbreviations and numeric dates
    (r"\bHĐND\b", "Hội đồng nhân dân"),
    (r"\bUBND\b", "Ủy ban nhân dân"),
    (r"\bMTTQ\b", "Mặt trận Tổ quốc"),
    (r"\bTHPT\b", "trung học phổ thông"),
    (r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", r"\1 tháng \2 năm \3"),
    (r"\b(\d{1,2})/(\d{1,2})\b", r"ngày \1 tháng \2"),
    (r"(\d) - (\d)", r"\1 đến \2"),
    (r"[()]", ""),
]


def spoken_sentences(body: str) -> list[str]:
    """The article's text paragraphs as sentences, written out the way they are read aloud."""
    paras = []
    for block in re.split(r"\n\s*\n", body.strip()):
        block = block.strip()
        if not block or block.startswith(("!", "#", ">", "|", "**Xem", "- ")):
            continue
        paras.append(re.sub(r"\*+", "", block).replace("BBK - ", "").replace("./.", "."))
    text = " ".join(paras)
    for pattern, repl in SPOKEN:
        text = re.sub(pattern, repl, text)
    return [s.strip() for s in re.split(r"(?<=\.)\s+", text) if s.strip()]


def make_audio(target: Path, body: str, min_s: float = 20, max_s: float = 40) -> None:
    """Speak the opening sentences (as many as fit in max_s seconds) to target as a small mono MP3."""
    espeak, lame = shutil.which("espeak-ng"), shutil.which("lame")
    if not espeak or not lame:
        print(f"skip {target}: espeak-ng and lame are needed (apt-get install -y espeak-ng lame)", file=sys.stderr)
        return
    sentences = spoken_sentences(body)
    with tempfile.TemporaryDirectory() as tmp:
        wav, best = Path(tmp) / "doc-bai.wav", Path(tmp) / "best.wav"
        seconds = 0.0
        for n in range(1, len(sentences) + 1):
            text = "Báo Bắc Kạn điện tử. " + " ".join(sentences[:n])
            subprocess.run([espeak, "-v", "vi", "-s", "150", "-w", str(wav), text], check=True)
            with wave.open(str(wav)) as wf:
                length = wf.getnframes() / wf.getframerate()
            if length > max_s and seconds >= min_s:
                break
            shutil.copyfile(wav, best)
            seconds = length
            if length > max_s:
                break
        subprocess.run([lame, "--quiet", "-b", "48", "-m", "m", "--noreplaygain", str(best), str(target)], check=True)
    print(f"{target}  {target.stat().st_size // 1024} KB  {seconds:.1f} s")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--site", default=str(Path(__file__).resolve().parent.parent))
    ap.add_argument("--no-audio", action="store_true")
    args = ap.parse_args(argv)
    site = Path(args.site).resolve()
    photos, audio = collect(site)
    total = 0
    for path in photos:
        rel = path.relative_to(site / "content").as_posix()
        data = encode(render(rel), rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
        print(f"{rel}  {len(data) // 1024} KB")
    if not args.no_audio:
        for path, body in audio:
            make_audio(path, body)
            total += path.stat().st_size if path.exists() else 0
    print(f"{len(photos)} photos, {len(audio)} audio, {total / 1_048_576:.2f} MB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
