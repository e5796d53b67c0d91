"""Vietnamese text helpers: NFC, slugs, accent folding, sorting, suggestions; no I/O."""

from __future__ import annotations

import difflib
import functools
import unicodedata
from collections.abc import Iterable

_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})

# Vietnamese alphabet order; letters with breve/circumflex/horn and đ are letters of their own.
_LETTER_MODS = {"\u0306": 1, "\u0302": 2, "\u031b": 3}  # breve, circumflex, horn
# Dictionary order of the tones: ngang, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


# Characters that show nothing yet change how a line reads or compares: bidi embeddings,
# overrides, isolates and marks (a headline displayed backwards) and zero-width ones (two tags
# that look the same but are different words). No Vietnamese one-line value needs them.
_INVISIBLE = "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
_DROP_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE))


def strip_invisible(text: str) -> tuple[str, str | None]:
    """`text` without bidi controls and zero-width characters, and a Vietnamese note naming
    what was removed (None when nothing was): the caller reports it as a warning at its line."""
    cleaned = text.translate(_DROP_INVISIBLE)
    if cleaned == text:
        return text, None
    found = ", ".join(f"U+{ord(ch):04X}" for ch in sorted(set(text) & set(_INVISIBLE)))
    return cleaned, f"có ký tự vô hình ({found}: đảo chiều chữ hoặc khoảng trắng không độ rộng), đã bỏ đi"


def nfc(text: str) -> str:
    """Return `text` in Unicode NFC (what the editor's keyboard produced is irrelevant)."""
    return unicodedata.normalize("NFC", text)


@functools.lru_cache(maxsize=1 << 16)
def slugify_vi(text: str, max_length: int = 200) -> str:
    """A URL slug with Vietnamese transliteration: "Đổi mới" -> "doi-moi" (memoised: tags repeat).
    python-slugify is imported at the first slug: a build that finds its output standing makes none."""
    from slugify import slugify

    return slugify(nfc(text).translate(_D_MAP), max_length=max_length, word_boundary=True)


def fold_vi(text: str) -> str:
    """Lower case without tone marks or letter marks, đ -> d: what a reader types without accents."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return nfc(stripped).casefold()


def vi_sort_key(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], str]:
    """Sort key in Vietnamese dictionary order: letters first, then tones, then the text."""
    letters: list[tuple[int, int]] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", text.casefold()):
        if ch in _LETTER_MODS:
            if letters:
                base, _ = letters[-1]
                letters[-1] = (base, _LETTER_MODS[ch])
        elif ch in _TONES:
            if tones:
                tones[-1] = _TONES[ch]
        elif not unicodedata.combining(ch):
            if ch == "đ":
                letters.append((ord("d"), 1))
            else:
                letters.append((ord(ch), 0))
            tones.append(0)
    return tuple(letters), tuple(tones), text


def person_sort_key(name: str) -> tuple[object, ...]:
    """Vietnamese people are listed by given name (the last word), then the full name."""
    words = name.split()
    given = words[-1] if words else ""
    return vi_sort_key(given), vi_sort_key(name)


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like `word`, for "did you mean ...?" hints, or None."""
    pool = sorted(set(candidates))
    found = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    return found[0] if found else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A Vietnamese hint suffix (" (có phải là `x`?)") or an empty string."""
    best = closest(word, candidates)
    return f" (có phải ý bạn là `{best}`?)" if best else ""


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with "…" when cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.-–")
    return cut + "…"
