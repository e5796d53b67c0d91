"""Front matter: an article's or page's file read into its YAML header and body, and each
header field checked and parsed at its line (types and keys by `schema`)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from frontmatter.default_handlers import YAMLHandler

from .config import SiteConfig
from .dates import DateError, parse_datetime
from .errors import Diagnostic, error, warning
from .model import Official, OfficialRef
from .proofread import OfficialIndex
from .schema import Checked, Schema, check, scalar_text
from .sources import SourceError, read_text_noting, relative
from .text import did_you_mean, nfc, slugify_vi, strip_invisible
from .yamldoc import YamlDoc, YamlError, load_yaml, odd_space_note, odd_spaces

MAX_SLUG = 200
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FRONT = YAMLHandler()


Read = tuple[str, str, str]
"""A file an article's loading looked at besides its own: ("probe", path, "file" | "missing" |
"outside") for a photo or audio it names, ("audio", path, sha256) for the audio it reads."""


@dataclass
class Context:
    """What every file check needs: the site, the registry, and where problems go."""

    root: Path
    config: SiteConfig
    officials: dict[str, Official]
    diags: list[Diagnostic] = field(default_factory=list)
    checked_media: dict[str, bool] = field(default_factory=dict)
    # What loading the current article read besides its own file: (kind, path, what was found).
    reads: list[Read] = field(default_factory=list)
    _official_names: dict[str, str] = field(default_factory=dict)
    index: OfficialIndex = field(default_factory=lambda: OfficialIndex(exact={}))

    def __post_init__(self) -> None:
        self._official_names = {o.name.casefold(): o.id for o in self.officials.values()}
        self.index = OfficialIndex.of(self.officials)

    def official_by_name(self, name: str) -> str | None:
        return self._official_names.get(name.casefold())



@dataclass(frozen=True)
class Document:
    rel: str
    path: Path
    meta: YamlDoc
    body: str
    body_line: int
    front: str = ""
    checked: Checked = Checked([], frozenset())

    def ok(self, *where: str | int) -> bool:
        """Whether `schema.check` let the value at `where` through (present or not)."""
        return self.checked.ok(*where)


def read_document(ctx: Context, path: Path, schema: Schema) -> Document | None:
    """The file split into front matter and body, the front matter held to `schema` (its
    diagnostics added); None when it cannot be read as such."""
    rel = relative(ctx.root, path)
    try:
        text, not_nfc = read_text_noting(ctx.root, path)
    except SourceError as exc:
        ctx.diags.append(error(rel, exc.line, exc.message))
        return None
    if not _within_size_limits(ctx, rel, text):
        return None
    if not _FRONT.detect(text):
        ctx.diags.append(error(rel, 1, "thiếu phần khai báo đầu bài (front matter) mở bằng `---` ở dòng đầu"))
        return None
    opening = _FRONT.FM_BOUNDARY.match(text)
    closing = _FRONT.FM_BOUNDARY.search(text, opening.end()) if opening else None
    if opening is None or closing is None:
        ctx.diags.append(error(rel, 1, "phần khai báo đầu bài mở bằng `---` nhưng không có `---` đóng lại"))
        return None
    front, body = text[opening.end() : closing.start()], text[closing.end() :]
    # The boundary pattern may take line ends with it: count lines from where each part starts.
    front_line = text.count("\n", 0, opening.end()) + 1
    closing_line = text.count("\n", 0, closing.end()) + 1
    try:
        meta = load_yaml(front, first_line=front_line)
    except YamlError as exc:
        ctx.diags.append(error(rel, exc.line, exc.message, code="yaml-syntax"))
        return None
    if not_nfc:
        message = "chữ không ở dạng Unicode dựng sẵn (NFC) từ dòng này (bộ gõ tổ hợp?): đã chuẩn hóa khi đọc; nên đặt bộ gõ về Unicode dựng sẵn"
        ctx.diags.append(warning(rel, not_nfc, message, code="not-nfc"))
    for number, ch in odd_spaces(front):
        ctx.diags.append(warning(rel, front_line + number, odd_space_note(ch), code="odd-space"))
    if not isinstance(meta.data, dict):
        ctx.diags.append(error(rel, 2, "phần khai báo đầu bài phải là các dòng `khóa: giá trị`"))
        return None
    checked = check(schema, meta, rel, choices={"categories": [c.key for c in ctx.config.categories]})
    ctx.diags += checked.diagnostics
    if not _body_within_limit(ctx, rel, body, closing_line):
        return None
    return Document(rel=rel, path=path, meta=meta, body=body, body_line=closing_line, front=front, checked=checked)


_LIMIT_HINT = " (giới hạn đổi được bằng `limits.{}` trong site_config.yaml)"


def _within_size_limits(ctx: Context, rel: str, text: str) -> bool:
    """Each line no longer than `limits.line_length`; every line over it is an error."""
    limit = ctx.config.limits.line_length
    if len(text) <= limit:
        return True
    good = True
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > limit:
            ctx.diags.append(error(rel, number, f"dòng dài {len(line)} ký tự, quá giới hạn {limit}{_LIMIT_HINT.format('line_length')}"))
            good = False
    return good


def _body_within_limit(ctx: Context, rel: str, body: str, body_line: int) -> bool:
    """A body over `limits.body_kb` is an error at the line where it passes the limit."""
    limit = ctx.config.limits.body_kb * 1024
    if len(body) * 4 <= limit:  # UTF-8 takes at most 4 bytes a character
        return True
    data = body.encode()
    if len(data) <= limit:
        return True
    line = body_line + data.count(b"\n", 0, limit)
    kb = -(-len(data) // 1024)
    message = f"nội dung bài dài {kb} KB, quá giới hạn {ctx.config.limits.body_kb} KB từ dòng này{_LIMIT_HINT.format('body_kb')}"
    ctx.diags.append(error(rel, line, message))
    return False


def too_many(ctx: Context, doc: Document, key: str, count: int) -> bool:
    """A list field (`tags`, `officials`, `gallery`) longer than its `limits.<key>` is an error."""
    limit: int = getattr(ctx.config.limits, key)
    if count <= limit:
        return False
    ctx.diags.append(error(doc.rel, doc.meta.line(key), f"`{key}` có {count} mục, quá giới hạn {limit}{_LIMIT_HINT.format(key)}"))
    return True


def title_within_limit(ctx: Context, doc: Document, title: str | None) -> None:
    limit = ctx.config.limits.title_length
    if title is not None and len(title) > limit:
        ctx.diags.append(error(doc.rel, doc.meta.line("title"), f"`title` dài {len(title)} ký tự, quá giới hạn {limit}{_LIMIT_HINT.format('title_length')}"))


def text_field(ctx: Context, doc: Document, key: str) -> str | None:
    """A one-line text field (`schema` checked its type and whether it is required), cleaned."""
    value = doc.meta.data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()) or not doc.ok(key):
        return None
    return visible(ctx, doc.rel, doc.meta.line(key), key, nfc(scalar_text(value))).strip()


def visible(ctx: Context, rel: str, line: int, key: str, text: str) -> str:
    """`text` without bidi controls and zero-width characters, with a warning when it had any."""
    cleaned, note = strip_invisible(text)
    if note is not None:
        ctx.diags.append(warning(rel, line, f"`{key}` {note}"))
    return cleaned


def date_field(ctx: Context, doc: Document, key: str) -> dt.datetime | None:
    value = doc.meta.data.get(key)
    if value is None or not doc.ok(key):
        return None
    try:
        return parse_datetime(value, ctx.config.tz)
    except DateError as exc:
        ctx.diags.append(error(doc.rel, doc.meta.line(key), f"`{key}`: {exc}", code="date"))
        return None


def slug_field(ctx: Context, doc: Document, fallback: str) -> str:
    """The `slug:` when given, else the file name (`fallback`) made into a slug: never the
    title, so that a corrected headline keeps the address every shared link points to."""
    slug = text_field(ctx, doc, "slug")
    if slug is not None:
        if len(slug) > MAX_SLUG:
            message = f"`slug` dài {len(slug)} ký tự, tối đa {MAX_SLUG} (ví dụ `{slugify_vi(slug)}`)"
            ctx.diags.append(error(doc.rel, doc.meta.line("slug"), message))
        return slug
    return slugify_vi(fallback) or "bai-viet"


_ALIAS_BAD = re.compile(r"[\s?#\\<>\"']")


def alias_list(ctx: Context, doc: Document) -> tuple[tuple[str, int], ...]:
    """`aliases:` the article's old addresses (site paths), each with its line: a small page at
    each sends readers to the article's address."""
    raw = doc.meta.data.get("aliases")
    if raw is None or not doc.ok("aliases"):
        return ()
    items = raw if isinstance(raw, list) else [raw]
    found: dict[str, int] = {}
    for i, item in enumerate(items):
        line = doc.meta.line("aliases", i) if isinstance(raw, list) else doc.meta.line("aliases")
        if not doc.ok("aliases", i):
            continue
        text = nfc(str(item)).strip() if isinstance(item, str | int) else ""
        segments = text.split("/")[1:]
        if (
            not text.startswith("/") or text.startswith("//") or _ALIAS_BAD.search(text)
            or any(part in (".", "..") for part in segments) or "" in segments[:-1]
        ):
            example = "/2023/06/ten-bai-cu/"
            message = f"mỗi địa chỉ cũ trong `aliases` là một đường dẫn trong trang bắt đầu bằng `/` (ví dụ `{example}`), không phải `{item}`"
            ctx.diags.append(error(doc.rel, line, message))
            continue
        found.setdefault(text, line)
    return tuple(found.items())


def field_lines(doc: Document, tags: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """Where the fields the site-wide checks report on stand (`proofread.site_findings`);
    `tags.N` is the line of the article's N-th tag (the first item written that way)."""
    lines = [(key, doc.meta.line(key)) for key in ("title", "date") if key in doc.meta.data]
    raw = doc.meta.data.get("tags")
    written = [nfc(str(item)).strip() for item in raw] if isinstance(raw, list) else []
    for i, tag in enumerate(tags):
        at = next((n for n, item in enumerate(written) if strip_invisible(item)[0].strip() == tag), None)
        lines.append((f"tags.{i}", doc.meta.line("tags", at) if at is not None else doc.meta.line("tags")))
    return tuple(lines)


def tag_list(ctx: Context, doc: Document) -> tuple[str, ...]:
    raw = doc.meta.data.get("tags")
    if raw is None or not doc.ok("tags"):
        return ()
    items = scalar_text(raw).split(",") if not isinstance(raw, list) else raw
    if too_many(ctx, doc, "tags", len(items)):
        return ()
    tags: list[str] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(items):
        if isinstance(item, dict | list) or item is None or not doc.ok("tags", i):
            continue
        tag = visible(ctx, doc.rel, doc.meta.line("tags", i), "tags", nfc(scalar_text(item))).strip()
        if not tag or not slugify_vi(tag):
            continue
        first = seen.setdefault(" ".join(tag.casefold().split()), tag)
        if first is not tag:
            if first != tag:
                message = f"từ khóa `{tag}` trùng với `{first}` đã có trong bài (chỉ khác chữ hoa, chữ thường): bỏ bớt một"
                ctx.diags.append(warning(doc.rel, doc.meta.line("tags", i), message, code="tag-repeated"))
            continue
        tags.append(tag)
    return tuple(tags)


def official_refs(ctx: Context, doc: Document) -> tuple[OfficialRef, ...]:
    raw = doc.meta.data.get("officials")
    if raw is None or not doc.ok("officials"):
        return ()
    if not isinstance(raw, list):
        raw = [raw]
    if too_many(ctx, doc, "officials", len(raw)):
        return ()
    refs: list[OfficialRef] = []
    for i, item in enumerate(raw):
        line = doc.meta.line("officials", i)
        if not doc.ok("officials", i):
            continue
        if isinstance(item, dict):
            ident = item.get("id")
            name = visible(ctx, doc.rel, line, "name", nfc(str(item.get("name") or ""))).strip()
            position = visible(ctx, doc.rel, line, "position", nfc(str(item["position"]))).strip() if item.get("position") else None
            if ident is not None:
                if str(ident) not in ctx.officials:
                    ctx.diags.append(error(doc.rel, line, _unknown_official(ctx, str(ident))))
                    continue
                official = ctx.officials[str(ident)]
                refs.append(OfficialRef(name=name or official.name, official_id=official.id, position=position))
            elif name:
                refs.append(OfficialRef(name=name, official_id=ctx.official_by_name(name), position=position))
            else:
                ctx.diags.append(error(doc.rel, line, "nhân vật cần `name` (và `position` nếu có)"))
            continue
        if item is None or isinstance(item, list):
            continue
        text = visible(ctx, doc.rel, line, "officials", nfc(scalar_text(item))).strip()
        if text in ctx.officials:
            refs.append(OfficialRef(name=ctx.officials[text].name, official_id=text))
        elif (found := ctx.official_by_name(text)) is not None:
            refs.append(OfficialRef(name=ctx.officials[found].name, official_id=found))
        elif _SLUG.match(text):
            ctx.diags.append(error(doc.rel, line, _unknown_official(ctx, text)))
        else:
            refs.append(OfficialRef(name=text))
    return tuple(refs)


def _unknown_official(ctx: Context, ident: str) -> str:
    return f"không có nhân vật mã `{ident}` trong content/officials.yaml{did_you_mean(ident, ctx.officials)}"


