"""The proofreader: mistakes that are valid input yet publish wrong, found as warnings at their
lines. Two kinds of check:

- `article_findings`: what one article shows by itself (its front matter text, its body lines,
  its photos, the officials registry). Run while the article is loaded, so it is kept in the
  build cache with the article (its key covers the file, the config and the registry's names).
- `site_findings`: what needs the other articles or the clock (duplicate titles, tag spellings,
  dates far ahead, covers too small to share). Run on every build, never cached per article.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import Diagnostic, warning
from .model import Article, Official
from .text import fold_vi
from .yamldoc import YamlDoc

SUMMARY_LIMIT = 200
"""A sapo longer than this is cut in search results (they show ~160 characters; the pages'
meta description is cut at 160): warned, with a margin so that a full sentence is not."""
COVER_WIDTH = 1200
"""Zalo and Facebook draw a large share preview only from a photo at least this wide."""
FUTURE_DAYS = 366
"""A date further ahead than this is most likely a typo in the year (`2062` for `2026`)."""

_CURLY = re.compile(r"^\s*(?:-\s+)?(?:[^\s:#\"'][^:#]*:\s+)?([“”„‟«‘’‚‛])(.*)([“”„‟»‘’‚‛])\s*(?:#.*)?$")
_INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
_PLACEHOLDER = re.compile(r"^\s*BBK\s*-\s*\d{1,2}/\d{1,2},\s*\.\.\.\s*$")
_LIST_ITEM = re.compile(r"^( *)(?:[-*+]|\d+[.)])\s+\S")
_NOT_PARAGRAPH = re.compile(r"^\s*(?:#|>|\||<|\[[^\]]+\]:|[-*_](?:\s*[-*_]){2,}\s*$)")
_UPPER = "".join(re.escape(chr(c)) for c in range(0x2000) if chr(c).isupper())
# Two or more capitalised words in a row (a person's name is one): found by the regex engine,
# so the Python loop sees only these runs, not every word of the body.
_CAPITALISED_RUN = re.compile(rf"(?<!\w)[{_UPPER}]\w*(?: [{_UPPER}]\w*)+")
_LINK_TEXT = re.compile(r"\[[^\]]*\]\([^)]*\)")


def _fold(word: str) -> str:
    return _fold_cached(word)


@functools.lru_cache(maxsize=1 << 16)
def _fold_cached(word: str) -> str:
    return fold_vi(word)


def within_one_edit(a: str, b: str) -> bool:
    """Whether `a` becomes `b` by at most one inserted, removed or replaced character."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i + (len(a) == len(b)):] == b[i + 1:]


@dataclass(frozen=True)
class OfficialIndex:
    """The registry's names, indexed by folded words with one word left out, so that a name in
    the body that differs by a diacritic or a letter is found with a few dictionary lookups."""

    exact: dict[str, str]  # name as registered -> id
    near: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = field(default_factory=dict)
    lengths: tuple[int, ...] = ()

    @classmethod
    def of(cls, officials: Mapping[str, Official]) -> OfficialIndex:
        exact: dict[str, str] = {}
        near: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = defaultdict(list)
        lengths: set[int] = set()
        for official in sorted(officials.values(), key=lambda o: o.id):
            words = official.name.split()
            if len(words) < 2:
                continue
            exact.setdefault(" ".join(words), official.id)
            folded = tuple(_fold(w) for w in words)
            lengths.add(len(words))
            for i in range(len(folded)):
                near[(*folded[:i], "*", *folded[i + 1:])].append((official.id, folded))
        return cls(exact=exact, near=dict(near), lengths=tuple(sorted(lengths, reverse=True)))

    def resembles(self, name: str) -> str | None:
        """The id of the registered official whose name `name` misses by a diacritic or a
        letter (not an exact match), or None."""
        words = name.split()
        if " ".join(words) in self.exact:
            return None
        return self._near(words)

    def _near(self, words: Sequence[str]) -> str | None:
        folded = tuple(_fold(w) for w in words)
        for i in range(len(folded)):
            for ident, registered in self.near.get((*folded[:i], "*", *folded[i + 1:]), ()):
                theirs, ours = registered[i], folded[i]
                if theirs == ours or (min(len(theirs), len(ours)) >= 3 and within_one_edit(theirs, ours)):
                    return ident
        return None

    def mentions(self, text: str) -> Iterable[tuple[str, str | None]]:
        """(name as written, id of a registered official it misses, or None when it is one
        exactly) for each run of capitalised words in `text` that names an official."""
        if not self.lengths:
            return
        runs = [match.group(0).split(" ") for match in _CAPITALISED_RUN.finditer(text)]
        for run in runs:
            i = 0
            while i < len(run):
                for n in self.lengths:
                    if i + n > len(run):
                        continue
                    name = " ".join(run[i:i + n])
                    if name in self.exact:
                        yield name, None
                        break
                    if (ident := self._near(run[i:i + n])) is not None:
                        yield name, ident
                        break
                else:
                    i += 1
                    continue
                i += n


def _curly_quotes(rel: str, front: str, front_line: int) -> list[Diagnostic]:
    found = []
    for number, line in enumerate(front.split("\n")):
        if line.isascii():
            continue
        match = _CURLY.match(line)
        if match:
            message = (f"giá trị đặt trong ngoặc kép cong {match.group(1)}…{match.group(3)}: YAML giữ cả hai dấu ngoặc "
                       "trong giá trị; dùng ngoặc thẳng `\"...\"` hoặc bỏ ngoặc")
            found.append(warning(rel, front_line + number, message, code="curly-quotes"))
    return found


def _body_text(rel: str, lines: Sequence[tuple[int, str]], body_line: int, draft: bool) -> list[Diagnostic]:
    """Invisible characters, the `new` placeholder, and lists Markdown would not see."""
    found: list[Diagnostic] = []
    previous = -2
    block_plain = False  # the current block (lines without a blank between) started as a paragraph
    block_list = False
    for offset, text in lines:
        line = body_line + offset
        if offset != previous + 1:
            block_plain, block_list = False, False
            starts = True
        else:
            starts = False
        previous = offset
        if not text.isascii():
            invisible = _INVISIBLE.findall(text)
            if invisible:
                names = ", ".join(f"U+{ord(ch):04X}" for ch in sorted(set(invisible)))
                message = f"có ký tự vô hình ({names}: khoảng trắng không độ rộng hoặc dấu đảo chiều chữ): xóa chúng đi"
                found.append(warning(rel, line, message, code="invisible-character"))
        if not draft and _PLACEHOLDER.match(text):
            message = "dòng mẫu `BBK - ngày, ...` của lệnh `new` vẫn còn: viết phần mở đầu bài (hoặc để `draft: true`)"
            found.append(warning(rel, line, message, code="placeholder"))
        item = _LIST_ITEM.match(text)
        if item is None:
            if starts:
                block_plain = _NOT_PARAGRAPH.match(text) is None
            continue
        indent = len(item.group(1))
        if starts:
            block_list = True
        elif block_plain and not block_list:
            message = "danh sách viết ngay dưới dòng chữ, không có dòng trống: Markdown gộp nó vào đoạn văn; thêm một dòng trống trước dòng này"
            found.append(warning(rel, line, message, code="list-needs-blank-line"))
            block_list = True
        elif block_list and 1 <= indent <= 3:
            found.append(warning(rel, line, f"mục con thụt {indent} dấu cách: Markdown đưa nó ra cùng cấp với mục trên; thụt 4 dấu cách", code="list-indent"))
        block_list = True
    return found


def _photos(rel: str, article: Article, meta: YamlDoc) -> list[Diagnostic]:
    found = []
    if article.cover is not None and not article.cover.caption:
        found.append(warning(rel, article.cover.line, f"ảnh bìa `{article.cover.src}` chưa có chú thích (`caption`)", code="photo-caption"))
    for photo in article.body_images:
        if not photo.caption.strip():
            found.append(warning(rel, photo.line, f"ảnh `{photo.src}` chưa có chú thích: viết nó trong `![chú thích](...)`", code="photo-caption"))
    # A photo twice in the body, or twice in the gallery. The cover shown again in the gallery
    # or the body, and a gallery photo shown in the story, are left alone: the sample portal
    # (as many papers) does both.
    for photos in (article.gallery, article.body_images):
        first: dict[str, int] = {}
        for photo in photos:
            line = first.setdefault(photo.source, photo.line)
            if line != photo.line:
                found.append(warning(rel, photo.line, f"ảnh `{photo.src}` đã dùng ở dòng {line} của bài này", code="photo-repeated"))
    return found


def _officials(rel: str, article: Article, meta: YamlDoc, lines: Sequence[tuple[int, str]], body_line: int, index: OfficialIndex) -> list[Diagnostic]:
    found = []
    for i, ref in enumerate(article.officials):
        if ref.official_id is None and (ident := index.resembles(ref.name)) is not None:
            message = f"`{ref.name}` gần giống nhân vật `{_name(index, ident)}` trong content/officials.yaml: nếu là người này, viết mã `{ident}`"
            found.append(warning(rel, meta.line("officials", i), message, code="official-near-miss"))
    if not index.lengths:
        return found
    listed = {r.official_id for r in article.officials if r.official_id}
    listed_names = {" ".join(r.name.split()) for r in article.officials}
    told: set[str] = set()
    for offset, text in lines:
        if "](" in text:  # a link's text is another article's headline
            text = _LINK_TEXT.sub("", text)
        for name, ident in index.mentions(text):
            line = body_line + offset
            if ident is not None:
                if name in listed_names or name in told:
                    continue
                told.add(name)
                message = f"tên `{name}` khác tên trong content/officials.yaml: `{_name(index, ident)}` (mã `{ident}`); nếu là người này, sửa cho đúng"
                found.append(warning(rel, line, message, code="official-name-mismatch"))
                continue
            official = index.exact[name]
            if official not in listed and official not in told:
                told.add(official)
                message = f"bài nhắc tới `{name}` nhưng `officials:` chưa có mã `{official}`: thêm vào để bài hiện ở trang của nhân vật"
                found.append(warning(rel, line, message, code="official-not-listed"))
    return found


def _name(index: OfficialIndex, ident: str) -> str:
    return next(name for name, found in index.exact.items() if found == ident)


def article_findings(
    rel: str, article: Article, meta: YamlDoc, front: str, lines: Sequence[tuple[int, str]], index: OfficialIndex
) -> list[Diagnostic]:
    """What one article shows by itself: `front` is its front matter's text, `lines` its prose
    lines (offset from `article.body_line`, text) as `scanner.prose_lines` gives them."""
    found = _curly_quotes(rel, front, meta.first_line)
    found += _body_text(rel, lines, article.body_line, article.draft)
    found += _photos(rel, article, meta)
    found += _officials(rel, article, meta, lines, article.body_line, index)
    if article.summary and len(article.summary) > SUMMARY_LIMIT:
        message = f"sapo dài {len(article.summary)} ký tự: kết quả tìm kiếm chỉ hiện khoảng 160 ký tự đầu; rút gọn còn dưới {SUMMARY_LIMIT}"
        found.append(warning(rel, meta.line("summary"), message, code="long-summary"))
    return found


def _line(article: Article, key: str) -> int:
    return dict(article.field_lines).get(key, 1)


def site_findings(articles: Sequence[Article], now: dt.datetime) -> list[Diagnostic]:
    """Findings that need every article (published or waiting) or the clock: run on every
    build, never kept with one article."""
    found = duplicate_titles(articles) + tag_spellings(articles)
    ahead = now + dt.timedelta(days=FUTURE_DAYS)
    for article in articles:
        if article.date > ahead:
            message = f"ngày đăng {article.date:%d/%m/%Y} còn hơn một năm nữa: có gõ nhầm năm không? Bài chỉ được đăng vào ngày đó"
            found.append(warning(article.source, _line(article, "date"), message, code="date-far-future"))
    return found


def findings_end(articles: Sequence[Article], now: dt.datetime) -> list[dt.datetime]:
    """The moments after `now` at which the clock alone ends a `site_findings` warning: a date
    that stops being more than FUTURE_DAYS ahead."""
    ahead = now + dt.timedelta(days=FUTURE_DAYS)  # as `site_findings` has it
    return [a.date - dt.timedelta(days=FUTURE_DAYS) for a in articles if a.date > ahead]


def title_key(title: str) -> str:
    """What two titles that `duplicate_titles` finds the same have in common."""
    return " ".join(title.casefold().split())


def duplicate_titles(articles: Sequence[Article]) -> list[Diagnostic]:
    groups: dict[str, list[Article]] = defaultdict(list)
    for article in articles:
        groups[title_key(article.title)].append(article)
    found = []
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda a: (a.date, a.source))
        for article in group[1:]:
            message = f"tiêu đề trùng với bài `{group[0].source}`: độc giả và máy tìm kiếm không phân biệt được hai bài"
            found.append(warning(article.source, _line(article, "title"), message, code="duplicate-title"))
    return found


def _tag_key(tag: str) -> str:
    return " ".join(_fold(w) for w in tag.split())


def tag_spellings(articles: Sequence[Article]) -> list[Diagnostic]:
    """A tag written with another case or other diacritics than the established spelling of the
    same words, or one letter away from an established tag (multi-word tags only: one-word ones
    such as Sở and Số are different words)."""
    uses: dict[str, Counter[str]] = defaultdict(Counter)
    keys: dict[str, str] = {}  # a few hundred tags on thousands of articles: each folded once
    for article in articles:
        for tag in article.tags:
            key = keys.get(tag)
            if key is None:
                key = keys[tag] = _tag_key(tag)
            uses[key][tag] += 1
    established = {key: min(counts.items(), key=lambda kv: (-kv[1], kv[0])) for key, counts in uses.items()}
    totals = {key: sum(counts.values()) for key, counts in uses.items()}
    typo_of = _typos(totals)
    found = []
    for article in articles:
        for i, tag in enumerate(article.tags):
            key = keys[tag]
            best, count = established[key]
            target = None
            if tag != best and (tag.casefold() == best.casefold() or " " in key):
                target = best, count
            elif key in typo_of:
                other = typo_of[key]
                target = established[other][0], totals[other]
            if target is not None:
                message = f"từ khóa `{tag}` khác cách viết đã dùng `{target[0]}` ({target[1]} bài): viết giống nhau để các bài vào cùng một trang từ khóa"
                found.append(warning(article.source, _line(article, f"tags.{i}"), message, code="tag-spelling"))
    return found


def _typos(totals: Mapping[str, int]) -> dict[str, str]:
    """Rare tag keys one edit away from a much more used one: rare key -> the established one."""
    by_deletion: dict[str, list[str]] = defaultdict(list)
    for key in totals:
        if " " in key and len(key) >= 8 and not any(ch.isdigit() for ch in key):
            for variant in {key, *(key[:i] + key[i + 1:] for i in range(len(key)))}:
                by_deletion[variant].append(key)
    found: dict[str, str] = {}
    for keys in by_deletion.values():
        if len(keys) < 2:
            continue
        leader = max(keys, key=lambda k: (totals[k], k))
        for key in keys:
            if key != leader and totals[leader] >= 2 * totals[key] and within_one_edit(key, leader):
                found.setdefault(key, leader)
    return found


def small_covers(articles: Sequence[Article], widths: Mapping[str, int]) -> list[Diagnostic]:
    """Covers narrower than a large share preview needs (`widths`: photo source -> pixels)."""
    found = []
    for article in articles:
        cover = article.cover
        if cover is not None and cover.source in widths and widths[cover.source] < COVER_WIDTH:
            message = f"ảnh bìa `{cover.src}` chỉ rộng {widths[cover.source]} px: Zalo, Facebook cần ít nhất {COVER_WIDTH} px để hiện ảnh lớn khi chia sẻ"
            found.append(warning(article.source, cover.line, message, code="cover-too-small"))
    return found
