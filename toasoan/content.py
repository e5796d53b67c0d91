"""content/ -> validated articles and pages (no rendering); every problem as a Diagnostic."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import pickle
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, cast

import mutagen
from frontmatter.default_handlers import YAMLHandler

from .buildcache import find_entry, fingerprint, load_model, write_blob
from .config import SiteConfig
from .dates import DateError, parse_datetime
from .errors import Diagnostic, Severity, error, has_errors, warning
from .filetypes import audio_problem
from .model import Article, Asset, Official, OfficialRef, Site, StaticPage
from .proofread import OfficialIndex, article_findings
from .registry import load_officials
from .sources import SourceError, inside, read_text_noting, relative, walk_files
from .text import did_you_mean, nfc, slugify_vi, strip_invisible
from .workers import parallel_map
from .yamldoc import YamlDoc, YamlError, load_yaml, odd_space_note, odd_spaces

ARTICLES_DIR = "content/articles"
PAGES_DIR = "content/pages"
MEDIA_DIR = "content/media"
MEDIA_URL = "/media/"

ARTICLE_KEYS = {
    "title", "date", "updated", "category", "tags", "author", "summary", "officials",
    "cover", "gallery", "audio", "slug", "aliases", "draft",
}
PAGE_KEYS = {"title", "slug", "description", "date", "updated", "draft"}
MAX_SLUG = 200
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REFERENCE = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*<?([^\s>]+)>?")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s")
_BACKTICKS = re.compile(r"`+")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_FRONT = YAMLHandler()


_Read = tuple[str, str, str]
"""A file an article's loading looked at besides its own: ("probe", path, "file" | "missing" |
"outside") for a photo or audio it names, ("audio", path, sha256) for the audio it reads."""


@dataclass
class _Context:
    """What every file check needs: the site, the registry, and where problems go."""

    root: Path
    config: SiteConfig
    officials: dict[str, Official]
    diags: list[Diagnostic] = field(default_factory=list)
    checked_media: dict[str, bool] = field(default_factory=dict)
    # What loading the current article read besides its own file: (kind, path, what was found).
    reads: list[_Read] = field(default_factory=list)
    _official_names: dict[str, str] = field(default_factory=dict)
    index: OfficialIndex = field(default_factory=lambda: OfficialIndex(exact={}))

    def __post_init__(self) -> None:
        self._official_names = {o.name.casefold(): o.id for o in self.officials.values()}
        self.index = OfficialIndex.of(self.officials)

    def official_by_name(self, name: str) -> str | None:
        return self._official_names.get(name.casefold())


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadCache:
    """Loaded articles kept between builds: the value (the Article or None, its diagnostics and
    what it read besides its file) under a hash of the file's bytes, its path and everything
    else loading depends on (`salt`: the generator, the config, the officials registry).

    `folder` is the build cache's folder, `known` the previous build's entries (key -> blob
    hash); `record(key, sha, how)` is told in the parent process of every entry used, with how
    it was had ("cached", "made", "damaged")."""

    folder: Path
    known: Mapping[str, str]
    salt: str
    write: bool
    record: Callable[[str, str, str], None]


@dataclass(frozen=True)
class _Document:
    rel: str
    path: Path
    meta: YamlDoc
    body: str
    body_line: int
    front: str = ""


def load_site(
    root: Path, config: SiteConfig, now: dt.datetime, drafts: bool = False, jobs: int = 1,
    progress: Callable[[int, int], None] | None = None, cache: LoadCache | None = None,
) -> tuple[Site, list[Diagnostic]]:
    """Read and check every content file; unpublished articles are left out unless `drafts`.

    With `cache`, an article whose file, path and dependencies are as a previous build saw them
    is taken from it instead of parsed and checked again."""
    root = root.resolve()
    officials, diags = load_officials(root)
    paths = walk_files(root, root / ARTICLES_DIR, ".md")
    store = None
    if cache is not None:  # the salt is made here once, not in each worker
        store = dataclasses.replace(cache, salt=fingerprint(cache.salt, *loading_inputs(config, officials)))
    loaded = parallel_map(_load_articles, paths, jobs, _LoadState(root, config, officials, store), progress)
    articles = []
    held: list[Article] = []  # unpublished articles with errors: left out, their errors warnings
    for article, found, entry in loaded:
        if article is not None and has_errors(found):
            if drafts or article.is_published(now):
                article = None
            else:
                found = held_back(found, article.draft, article.date)
                held.append(article)
                article = None
        diags += found
        if article is not None:
            articles.append(article)
        if store is not None and entry is not None:
            store.record(*entry)
    ctx = _Context(root=root, config=config, officials=officials, diags=diags)
    pages = [p for path in walk_files(root, root / PAGES_DIR, ".md") if (p := _load_page(ctx, path, now, drafts))]
    published = [a for a in articles if drafts or a.is_published(now)]
    published.sort(key=lambda a: (a.date, a.source), reverse=True)
    waiting = [a.date for a in [*articles, *held] if not a.draft and a.date > now]
    waiting += [p.date for p in pages if p.date is not None and not p.draft and p.date > now]
    shown_pages = [p for p in pages if drafts or p.is_published(now)]
    site = Site(
        config=config,
        articles=tuple(published),
        pages=tuple(sorted(shown_pages, key=lambda p: p.source)),
        officials=officials,
        unpublished=len(articles) - len(published) + len(held),
        next_publication=min(waiting, default=None),
        # Every article left out (a draft, scheduled, or held back for its errors), without body.
        held=tuple(sorted(
            (dataclasses.replace(a, body="") for a in [*articles, *held] if not (drafts or a.is_published(now)) or a in held),
            key=lambda a: a.source,
        )),
    )
    return site, ctx.diags


def load_article(root: Path, config: SiteConfig, officials: dict[str, Official], path: Path) -> tuple[Article | None, list[Diagnostic]]:
    """One article file read and checked as `load_site` reads each (no cache): for a preview
    that shows one save at once."""
    return _load_checked(_Context(root=root.resolve(), config=config, officials=officials), path)


def held_back(diags: Sequence[Diagnostic], draft: bool, date: dt.datetime) -> list[Diagnostic]:
    """The errors of a document readers do not see yet (a draft, or one scheduled for later) as
    warnings that say so: one unfinished draft does not stop the paper. Published, they stop it."""
    why = "bản nháp" if draft else f"hẹn giờ đăng {date:%d/%m/%Y %H:%M}"
    note = f" (bài chưa đăng: {why}; lỗi này sẽ chặn bản dựng khi bài được đăng)"
    return [dataclasses.replace(d, severity=Severity.WARNING, message=d.message + note) if d.is_error else d for d in diags]


CONFIG_READS = frozenset({"limits", "tz", "timezone", "category", "categories"})  # tz: from timezone
"""What loading reads of the config (a test holds this module to it); `loading_inputs` covers it."""


def loading_inputs(config: SiteConfig, officials: dict[str, Official]) -> tuple[Any, ...]:
    """Everything besides its file that loading an article depends on, for the cache's key: the
    config's `CONFIG_READS` and the officials' ids and names. A changed tagline or an official's
    positions do not make every article be read again."""
    categories = tuple(c.key for c in config.categories)
    return config.timezone, config.limits, categories, tuple((o.id, o.name) for o in officials.values())


@dataclass(frozen=True, slots=True)
class _LoadState:
    root: Path
    config: SiteConfig
    officials: dict[str, Official]
    cache: LoadCache | None


_Loaded = tuple[Article | None, list[Diagnostic], tuple[str, str, str] | None]
"""An article (None when its file could not be read as one; with errors among its diagnostics it
is published by no build, and stops only a build that would publish it), its diagnostics, and its cache entry (key, blob hash,
how it was had) when there is one."""


def _load_articles(paths: Sequence[Path], state: _LoadState) -> list[_Loaded]:
    ctx = _Context(root=state.root, config=state.config, officials=state.officials)
    cache = state.cache
    seen: dict[_Read, bool] = {}  # reads already found unchanged in this chunk (shared media)
    folders: dict[Path, bool] = {}  # folders found inside the site
    results: list[_Loaded] = []
    for path in paths:
        key = _cache_key(cache, state.root, path, folders) if cache is not None else None
        if cache is None or key is None:
            results.append((*_load_checked(ctx, path), None))
            continue
        hit, how = find_entry(cache.folder, cache.known, key)
        if hit is not None:
            entry = _cached(hit.data)
            if entry is None:
                how = "damaged"
            elif all(_unchanged(state.root, read, seen) for read in entry[2]):
                results.append((entry[0], entry[1], (key, hit.sha, how)))
                continue
            else:
                how = "made"
        article, diags = _load_checked(ctx, path)
        stored = None
        if cache.write:
            stored = write_blob(cache.folder, pickle.dumps((article, diags, tuple(ctx.reads)), protocol=5))[0]
        results.append((article, diags, (key, stored, how) if stored is not None else None))
    return results


def _load_checked(ctx: _Context, path: Path) -> tuple[Article | None, list[Diagnostic]]:
    ctx.reads = []
    before = len(ctx.diags)
    article = _load_article(ctx, path)
    return article, ctx.diags[before:]


def _cache_key(cache: LoadCache, root: Path, path: Path, folders: dict[Path, bool]) -> str | None:
    """The article's key: its bytes, its path and the salt; None when it is not read as it is
    (outside the site, unreadable: the normal path reports why)."""
    # `inside` resolves every segment; a folder's answer holds for its files that are not links.
    parent = folders.get(path.parent)
    if parent is None:
        parent = folders[path.parent] = inside(root, path.parent)
    if not parent or (path.is_symlink() and not inside(root, path)):
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return fingerprint(cache.salt, relative(root, path), data)


def _cached(data: bytes) -> tuple[Article | None, list[Diagnostic], tuple[_Read, ...]] | None:
    try:
        value = load_model(data)
    except Exception:  # a blob of the right hash that does not load: treated as damage
        return None
    if not (isinstance(value, tuple) and len(value) == 3):
        return None
    return cast(tuple[Article | None, list[Diagnostic], tuple[_Read, ...]], value)


def _unchanged(root: Path, read: _Read, seen: dict[_Read, bool]) -> bool:
    """Whether a file the article's loading looked at is still as it was then."""
    found = seen.get(read)
    if found is None:
        kind, rel, value = read
        path = root / rel
        found = _probe(root, path) == value if kind == "probe" else _content_hash(path) == value
        seen[read] = found
    return found


def _probe(root: Path, path: Path) -> str:
    if not inside(root, path):
        return "outside"
    return "file" if path.is_file() else "missing"


def _content_hash(path: Path) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return ""


def _read_document(ctx: _Context, path: Path) -> _Document | None:
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
    for key, line in meta.duplicate_keys():
        ctx.diags.append(error(rel, line, f"khóa `{key}` được viết hai lần"))
    if not _body_within_limit(ctx, rel, body, closing_line):
        return None
    return _Document(rel=rel, path=path, meta=meta, body=body, body_line=closing_line, front=front)


_LIMIT_HINT = " (giới hạn đổi được bằng `limits.{}` trong site_config.yaml)"


def _within_size_limits(ctx: _Context, rel: str, text: str) -> bool:
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


def _body_within_limit(ctx: _Context, rel: str, body: str, body_line: int) -> bool:
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


def _too_many(ctx: _Context, doc: _Document, key: str, count: int) -> bool:
    """A list field (`tags`, `officials`, `gallery`) longer than its `limits.<key>` is an error."""
    limit: int = getattr(ctx.config.limits, key)
    if count <= limit:
        return False
    ctx.diags.append(error(doc.rel, doc.meta.line(key), f"`{key}` có {count} mục, quá giới hạn {limit}{_LIMIT_HINT.format(key)}"))
    return True


def _title_within_limit(ctx: _Context, doc: _Document, title: str | None) -> None:
    limit = ctx.config.limits.title_length
    if title is not None and len(title) > limit:
        ctx.diags.append(error(doc.rel, doc.meta.line("title"), f"`title` dài {len(title)} ký tự, quá giới hạn {limit}{_LIMIT_HINT.format('title_length')}"))


def _text_field(ctx: _Context, doc: _Document, key: str, *, required: bool = False) -> str | None:
    value = doc.meta.data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            line = doc.meta.line(key) if key in doc.meta.data else 1
            ctx.diags.append(error(doc.rel, line, f"thiếu `{key}` hoặc `{key}` để trống"))
        return None
    if isinstance(value, dict | list):
        ctx.diags.append(error(doc.rel, doc.meta.line(key), f"`{key}` phải là một dòng chữ"))
        return None
    if isinstance(value, bool):
        value = "có" if value else "không"
    text = _visible(ctx, doc.rel, doc.meta.line(key), key, nfc(str(value))).strip()
    if required and not text:
        ctx.diags.append(error(doc.rel, doc.meta.line(key), f"thiếu `{key}` hoặc `{key}` để trống"))
    return text


def _visible(ctx: _Context, rel: str, line: int, key: str, text: str) -> str:
    """`text` without bidi controls and zero-width characters, with a warning when it had any."""
    cleaned, note = strip_invisible(text)
    if note is not None:
        ctx.diags.append(warning(rel, line, f"`{key}` {note}"))
    return cleaned


def _date_field(ctx: _Context, doc: _Document, key: str, *, required: bool = False) -> dt.datetime | None:
    value = doc.meta.data.get(key)
    if value is None:
        if required:
            ctx.diags.append(error(doc.rel, 1, f"thiếu `{key}` (ví dụ `{key}: 2023-06-07 15:30`)"))
        return None
    try:
        return parse_datetime(value, ctx.config.tz)
    except DateError as exc:
        ctx.diags.append(error(doc.rel, doc.meta.line(key), f"`{key}`: {exc}", code="date"))
        return None


def _check_keys(ctx: _Context, doc: _Document, known: set[str]) -> None:
    for key in doc.meta.data:
        if str(key) not in known:
            hint = did_you_mean(str(key), known)
            ctx.diags.append(warning(doc.rel, doc.meta.line(key), f"khóa không dùng đến `{key}`{hint}"))


def _slug_field(ctx: _Context, doc: _Document, fallback: str) -> str:
    """The `slug:` when given, else the file name (`fallback`) made into a slug: never the
    title, so that a corrected headline keeps the address every shared link points to."""
    slug = _text_field(ctx, doc, "slug")
    if slug is not None:
        if not _SLUG.match(slug) or len(slug) > MAX_SLUG:
            suggestion = slugify_vi(slug)
            message = f"`slug` chỉ gồm chữ thường không dấu, số và `-`, tối đa {MAX_SLUG} ký tự (ví dụ `{suggestion}`)"
            ctx.diags.append(error(doc.rel, doc.meta.line("slug"), message))
        return slug
    return slugify_vi(fallback) or "bai-viet"


def _load_article(ctx: _Context, path: Path) -> Article | None:
    doc = _read_document(ctx, path)
    if doc is None:
        return None
    before = len(ctx.diags)
    data = doc.meta.data
    _check_keys(ctx, doc, ARTICLE_KEYS)
    title = _text_field(ctx, doc, "title", required=True)
    _title_within_limit(ctx, doc, title)
    date = _date_field(ctx, doc, "date", required=True)
    updated = _date_field(ctx, doc, "updated")
    category = _text_field(ctx, doc, "category", required=True)
    if category is not None and ctx.config.category(category) is None:
        keys = [c.key for c in ctx.config.categories]
        ctx.diags.append(error(doc.rel, doc.meta.line("category"), f"chuyên mục `{category}` không có trong site_config.yaml{did_you_mean(category, keys)}"))
    draft = data.get("draft", False)
    if not isinstance(draft, bool):
        ctx.diags.append(error(doc.rel, doc.meta.line("draft"), "`draft` phải là `true` hoặc `false`"))
    stem = path.parent.name if path.name == "index.md" else path.stem
    slug = _slug_field(ctx, doc, stem)
    article_dir = path.parent
    cover = _asset_field(ctx, doc, article_dir, "cover")
    gallery = _gallery(ctx, doc, article_dir)
    audio = _audio(ctx, doc, article_dir)
    body_images = _body_images(ctx, doc, article_dir)
    body_links = internal_links(doc.body, doc.body_line)
    article = Article(
        source=doc.rel,
        title=title or "",
        date=date or dt.datetime(1970, 1, 1, tzinfo=ctx.config.tz),
        updated=updated,
        category=category or "",
        tags=_tags(ctx, doc),
        author=_text_field(ctx, doc, "author"),
        summary=_text_field(ctx, doc, "summary"),
        officials=_officials(ctx, doc),
        cover=cover,
        gallery=gallery,
        audio=audio,
        body_images=body_images,
        body_links=body_links,
        slug=slug,
        aliases=_aliases(ctx, doc),
        draft=draft is True,
        body=doc.body,
        body_line=doc.body_line,
    )
    article = dataclasses.replace(article, field_lines=_field_lines(doc, article.tags))
    if not any(d.is_error for d in ctx.diags[before:]):
        ctx.diags += article_findings(doc.rel, article, doc.meta, doc.front, list(prose_lines(doc.body)), ctx.index)
    return article  # with errors among its diagnostics, `load_site` decides whether it stops the build


_ALIAS_BAD = re.compile(r"[\s?#\\<>\"']")


def _aliases(ctx: _Context, doc: _Document) -> tuple[tuple[str, int], ...]:
    """`aliases:` the article's old addresses (site paths), each with its line: a small page at
    each sends readers to the article's address."""
    raw = doc.meta.data.get("aliases")
    if raw is None:
        return ()
    items = raw if isinstance(raw, list) else [raw]
    found: dict[str, int] = {}
    for i, item in enumerate(items):
        line = doc.meta.line("aliases", i) if isinstance(raw, list) else doc.meta.line("aliases")
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


def _field_lines(doc: _Document, tags: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """Where the fields the site-wide checks report on stand (`proofread.site_findings`);
    `tags.N` is the line of the article's N-th tag (the first item written that way)."""
    lines = [(key, doc.meta.line(key)) for key in ("title", "date") if key in doc.meta.data]
    raw = doc.meta.data.get("tags")
    written = [nfc(str(item)).strip() for item in raw] if isinstance(raw, list) else []
    for i, tag in enumerate(tags):
        at = next((n for n, item in enumerate(written) if strip_invisible(item)[0].strip() == tag), None)
        lines.append((f"tags.{i}", doc.meta.line("tags", at) if at is not None else doc.meta.line("tags")))
    return tuple(lines)


def _tags(ctx: _Context, doc: _Document) -> tuple[str, ...]:
    raw = doc.meta.data.get("tags")
    if raw is None:
        return ()
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        ctx.diags.append(error(doc.rel, doc.meta.line("tags"), "`tags` phải là danh sách, ví dụ `[chuyển đổi số, viễn thông]`"))
        return ()
    if _too_many(ctx, doc, "tags", len(items)):
        return ()
    tags: list[str] = []
    seen: dict[str, str] = {}
    for i, item in enumerate(items):
        if isinstance(item, dict | list) or item is None:
            ctx.diags.append(error(doc.rel, doc.meta.line("tags", i), "mỗi từ khóa phải là một chữ hoặc cụm từ"))
            continue
        tag = _visible(ctx, doc.rel, doc.meta.line("tags", i), "tags", nfc(str(item))).strip()
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


def _officials(ctx: _Context, doc: _Document) -> tuple[OfficialRef, ...]:
    raw = doc.meta.data.get("officials")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raw = [raw]
    if _too_many(ctx, doc, "officials", len(raw)):
        return ()
    refs: list[OfficialRef] = []
    for i, item in enumerate(raw):
        line = doc.meta.line("officials", i)
        if isinstance(item, dict):
            ident = item.get("id")
            name = _visible(ctx, doc.rel, line, "name", nfc(str(item.get("name") or ""))).strip()
            position = _visible(ctx, doc.rel, line, "position", nfc(str(item["position"]))).strip() if item.get("position") else None
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
            ctx.diags.append(error(doc.rel, line, "nhân vật phải là mã trong officials.yaml, một tên, hoặc `{name, position}`"))
            continue
        text = _visible(ctx, doc.rel, line, "officials", nfc(str(item))).strip()
        if text in ctx.officials:
            refs.append(OfficialRef(name=ctx.officials[text].name, official_id=text))
        elif (found := ctx.official_by_name(text)) is not None:
            refs.append(OfficialRef(name=ctx.officials[found].name, official_id=found))
        elif _SLUG.match(text):
            ctx.diags.append(error(doc.rel, line, _unknown_official(ctx, text)))
        else:
            refs.append(OfficialRef(name=text))
    return tuple(refs)


def _unknown_official(ctx: _Context, ident: str) -> str:
    return f"không có nhân vật mã `{ident}` trong content/officials.yaml{did_you_mean(ident, ctx.officials)}"


def _gallery(ctx: _Context, doc: _Document, article_dir: Path) -> tuple[Asset, ...]:
    raw = doc.meta.data.get("gallery")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        ctx.diags.append(error(doc.rel, doc.meta.line("gallery"), "`gallery` phải là danh sách `- { src: ..., caption: ... }`"))
        return ()
    if _too_many(ctx, doc, "gallery", len(raw)):
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


def _asset_field(ctx: _Context, doc: _Document, article_dir: Path, key: str) -> Asset | None:
    raw = doc.meta.data.get(key)
    if raw is None:
        return None
    return _asset(ctx, doc, article_dir, raw, (key,), "tệp âm thanh" if key == "audio" else "ảnh")


def _audio(ctx: _Context, doc: _Document, article_dir: Path) -> Asset | None:
    """The article's audio, only when its content is a type browsers play (never HTML or the like)."""
    audio = _asset_field(ctx, doc, article_dir, "audio")
    if audio is None:
        return None
    ctx.reads.append(("audio", audio.source, _content_hash(ctx.root / audio.source)))
    problem = audio_problem(ctx.root / audio.source)
    if problem is not None:
        ctx.diags.append(error(doc.rel, audio.line, f"`audio` `{audio.src}`: {problem}"))
        return None
    return dataclasses.replace(audio, duration=audio_seconds(ctx.root / audio.source))


def _asset(ctx: _Context, doc: _Document, article_dir: Path, raw: Any, where: tuple[str | int, ...], what: str) -> Asset | None:
    line = doc.meta.line(*where)
    caption = ""
    if isinstance(raw, dict):
        caption = _visible(ctx, doc.rel, line, "caption", nfc(str(raw.get("caption") or ""))).strip()
        raw = raw.get("src")
    if not isinstance(raw, str) or not raw.strip():
        ctx.diags.append(error(doc.rel, line, f"{what} cần `src`: tên tệp bên cạnh bài hoặc `/media/...`"))
        return None
    return resolve_asset(ctx.root, doc.rel, article_dir, nfc(raw.strip()), line, caption, what, ctx.diags, ctx.checked_media, ctx.reads)


def resolve_asset(
    root: Path, rel: str, article_dir: Path, src: str, line: int, caption: str, what: str, diags: list[Diagnostic],
    checked_media: dict[str, bool] | None = None, reads: list[_Read] | None = None,
) -> Asset | None:
    """Find the file an article names; refuse, without reading, anything that leaves the site.

    `checked_media` remembers library files already found good (many articles share them);
    `reads` is told what was found at the path (the build cache checks it again later)."""
    if _SCHEME.match(src) or src.startswith("//"):
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
    found = "file" if known_good else _probe(root, path)
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
    try:
        found = mutagen.File(path)
    except (mutagen.MutagenError, OSError, ValueError, EOFError):
        return None
    length = getattr(getattr(found, "info", None), "length", None)
    return round(length) if isinstance(length, int | float) and length > 0 else None


# Inline Markdown scanners. Each runs in time linear in the line: a run of `](` or `![` that
# never closes (an editor's typo, or a hostile file) is read once, not once per opening.
_DESTINATION_END = re.compile(r"[)\s>]")
_QUOTE = re.compile(r"[\"']")


class _Next:
    """The first match of a pattern at or after a position, remembered: asked in increasing
    order (as the scanners do), the text is searched once in all."""

    def __init__(self, text: str, pattern: re.Pattern[str]) -> None:
        self.text = text
        self.pattern = pattern
        self.asked = 1
        self.found = 0  # nothing is known yet: asked > found

    def at(self, position: int) -> int:
        """Index of the first match at or after `position`; len(text) when there is none."""
        if not self.asked <= position <= self.found:
            match = self.pattern.search(self.text, position)
            self.asked, self.found = position, match.start() if match else len(self.text)
        return self.found


class _Scanner:
    """`[text](destination "title")` and `![alt](...)`, `![alt][label]` in one line of prose."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.destination_end = _Next(text, _DESTINATION_END)
        self.quote = _Next(text, _QUOTE)
        self.bracket = _Next(text, re.compile(r"\]"))
        self.paren = _Next(text, re.compile(r"\)"))
        self.label_end = _Next(text, re.compile(r"\]"))

    def _space(self, i: int) -> int:
        text = self.text
        while i < len(text) and text[i].isspace():
            i += 1
        return i

    def destination(self, start: int) -> tuple[str, int] | None:
        """After `](` at `start`: (destination, end of the closing `)`), or None."""
        text, n = self.text, len(self.text)
        i = self._space(start)
        if i < n and text[i] == "<" and self.destination_end.at(i + 1) > i + 1:
            i += 1
        j = self.destination_end.at(i)
        if j == i:
            return None
        k = j + 1 if j < n and text[j] == ">" else j
        m = self._space(k)
        if m > k and m < n and text[m] in "\"'":
            closing = self.quote.at(m + 1)
            r = self._space(closing + 1) if closing < n else n
            if r < n and text[r] == ")":
                return text[i:j], r + 1
        if m < n and text[m] == ")":
            return text[i:j], m + 1
        # A file name with spaces (`Ảnh hội nghị số 1.jpg`), no title: Markdown takes it whole.
        close = self.paren.at(i)
        spaced = text[i:close].rstrip()
        if close < n and spaced and not any(ch in spaced for ch in "\"'()<>[]"):
            return spaced, close + 1
        return None

    def images(self) -> Iterator[tuple[int, int, str, str]]:
        """(start, end, alt, src) of each `![alt](src "title")`, left to right, not overlapping."""
        text = self.text
        start = text.find("![")
        while start >= 0:
            close = self.bracket.at(start + 2)
            if close + 1 < len(text) and text[close + 1] == "(":
                found = self.destination(close + 2)
                if found is not None:
                    yield start, found[1], text[start + 2 : close], found[0]
                    start = text.find("![", found[1])
                    continue
            start = text.find("![", start + 1)

    def reference_images(self) -> Iterator[tuple[str, str]]:
        """(alt, label) of each `![alt][label]` (`![alt][]` and `![alt] [label]` too)."""
        text, n = self.text, len(self.text)
        start = text.find("![")
        while start >= 0:
            close = self.bracket.at(start + 2)
            i = close + 1
            if i < n and text[i].isspace():
                i += 1
            if i < n and text[i] == "[":
                end = self.label_end.at(i + 1)
                if end < n:
                    yield text[start + 2 : close], text[i + 1 : end]
                    start = text.find("![", end + 1)
                    continue
            start = text.find("![", start + 1)

    def site_links(self) -> Iterator[str]:
        """Destinations of `](/...)` that start with one `/` (site-absolute), images left out."""
        for link in self.links():
            if link.startswith("/") and not link.startswith("//"):
                yield link

    def links(self) -> Iterator[str]:
        """Destinations of every `](...)` (in a text without images)."""
        text = self.text
        start = text.find("](")
        while start >= 0:
            found = self.destination(start + 2)
            if found is not None:
                yield found[0]
                start = text.find("](", found[1])
                continue
            start = text.find("](", start + 1)


def _without_images(text: str) -> str:
    kept, last = [], 0
    for start, end, _, _ in _Scanner(text).images():
        kept.append(text[last:start])
        last = end
    kept.append(text[last:])
    return "".join(kept)


def _blank_code_spans(text: str) -> str:
    """Inline code spans (a run of backticks up to the next run of the same length) as spaces."""
    if "`" not in text:
        return text
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    following: list[int | None] = [None] * len(runs)
    last_of_length: dict[int, int] = {}
    for index in range(len(runs) - 1, -1, -1):
        length = runs[index][1] - runs[index][0]
        following[index] = last_of_length.get(length)
        last_of_length[length] = index
    pieces, last, index = [], 0, 0
    while index < len(runs):
        closing = following[index]
        if closing is None:
            index += 1
            continue
        start, end = runs[index][0], runs[closing][1]
        pieces += [text[last:start], " " * (end - start)]
        last, index = end, closing + 1
    pieces.append(text[last:])
    return "".join(pieces)


def prose_lines(body: str) -> Iterator[tuple[int, str]]:
    """(offset, text) of each body line that Markdown reads as prose: fenced and indented code
    blocks are skipped and inline code spans blanked, so syntax shown as code is not checked."""
    fence: str | None = None
    in_list = False
    code = False
    previous_blank = True
    for offset, text in enumerate(body.split("\n")):
        stripped = text.strip()
        opening = _FENCE.match(text)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence) and not stripped.strip(fence[0]):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        indented = text.startswith(("    ", "\t"))
        if not stripped:
            previous_blank = True
            continue
        if indented and not in_list and (previous_blank or code):
            code = True
            previous_blank = False
            continue
        code = False
        if _LIST_ITEM.match(text):
            in_list = True
        elif not indented:
            in_list = False
        previous_blank = False
        yield offset, _blank_code_spans(text)


def internal_links(body: str, first_line: int) -> tuple[tuple[str, int], ...]:
    """Site-absolute link targets in a Markdown body (`[a](/2023/06/x/)`), each with its file line."""
    if "](/" not in body and "]: /" not in body:
        return ()
    found = []
    for offset, text in prose_lines(body):
        for link in _Scanner(_without_images(text)).site_links():
            found.append((link, first_line + offset))
        definition = _REFERENCE.match(text)
        if definition and definition.group(2).startswith("/") and not definition.group(2).startswith("//"):
            found.append((definition.group(2), first_line + offset))
    return tuple(found)


def source_links(body: str, first_line: int) -> tuple[tuple[str, int], ...]:
    """Links written as a Markdown file (`../06/bai-viet.md#muc`, `bai-viet/index.md`), each
    with its file line: editors link articles by their files; the pipeline resolves them."""
    if ".md" not in body:
        return ()
    found = []
    for offset, text in prose_lines(body):
        if ".md" not in text:
            continue
        written = list(_Scanner(_without_images(text)).links())
        definition = _REFERENCE.match(text)
        if definition:
            written.append(definition.group(2))
        for link in written:
            path = link.split("#", 1)[0].split("?", 1)[0]
            if path.endswith(".md") and not _SCHEME.match(link) and not link.startswith("//"):
                found.append((link, first_line + offset))
    return tuple(found)


def body_images(body: str) -> list[tuple[int, str, str]]:
    """(offset, src, alt) of every photo in a Markdown body: inline `![alt](src)` and
    reference-style `![alt][ref]` (reported at the `[ref]: src` line)."""
    if "![" not in body:
        return []
    lines = list(prose_lines(body))
    definitions: dict[str, tuple[int, str]] = {}
    for offset, text in lines:
        match = _REFERENCE.match(text)
        if match:
            definitions.setdefault(match.group(1).strip().casefold(), (offset, match.group(2)))
    found = []
    for offset, text in lines:
        scanner = _Scanner(text)
        for _, _, alt, src in scanner.images():
            found.append((offset, src, alt))
        for alt, written in scanner.reference_images():
            label = written or alt
            target = definitions.get(label.strip().casefold())
            if target is not None:
                found.append((target[0], target[1], alt))
    return found


def _body_images(ctx: _Context, doc: _Document, base_dir: Path) -> tuple[Asset, ...]:
    found: list[Asset] = []
    for offset, src, alt in body_images(doc.body):
        if src.startswith(("http://", "https://")):
            continue
        line = doc.body_line + offset
        asset = resolve_asset(ctx.root, doc.rel, base_dir, src, line, nfc(alt), "ảnh", ctx.diags, ctx.checked_media, ctx.reads)
        if asset is not None and asset not in found:
            found.append(asset)
    return tuple(found)


def _load_page(ctx: _Context, path: Path, now: dt.datetime, drafts: bool) -> StaticPage | None:
    """A static page; one that readers do not see yet (`draft: true`, a future `date`) has its
    errors as warnings unless `drafts` (it is left out then, as articles are)."""
    doc = _read_document(ctx, path)
    if doc is None:
        return None
    before = len(ctx.diags)
    _check_keys(ctx, doc, PAGE_KEYS)
    title = _text_field(ctx, doc, "title", required=True)
    _title_within_limit(ctx, doc, title)
    slug = _slug_field(ctx, doc, path.stem)
    draft = doc.meta.data.get("draft", False)
    if not isinstance(draft, bool):
        ctx.diags.append(error(doc.rel, doc.meta.line("draft"), "`draft` phải là `true` hoặc `false`"))
    date = _date_field(ctx, doc, "date")
    updated = _date_field(ctx, doc, "updated")
    images = _body_images(ctx, doc, path.parent) if title is not None else ()
    page = StaticPage(
        source=doc.rel,
        body_images=images,
        title=title or "",
        slug=slug,
        description=_text_field(ctx, doc, "description") or "",
        body=doc.body,
        body_line=doc.body_line,
        body_links=internal_links(doc.body, doc.body_line),
        draft=draft is True,
        date=date,
        updated=updated,
    )
    if not has_errors(ctx.diags[before:]):
        return page
    if not drafts and not page.is_published(now):
        ctx.diags[before:] = held_back(ctx.diags[before:], page.draft, page.date or now)
    return None
