"""content/ -> validated articles and pages (no rendering); every problem as a Diagnostic."""

from __future__ import annotations

import dataclasses
import datetime as dt
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from .assets import asset_field, audio_file, body_photos, content_hash, gallery_photos, probe
from .buildcache import find_entry, fingerprint, load_model, write_blob
from .config import SiteConfig
from .errors import Diagnostic, Severity, has_errors
from .front import (
    Context,
    Read,
    alias_list,
    date_field,
    field_lines,
    official_refs,
    read_document,
    slug_field,
    tag_list,
    text_field,
    title_within_limit,
)
from .model import Article, Official, Site, StaticPage
from .proofread import article_findings
from .registry import load_officials
from .scanner import internal_links, prose_lines
from .schema import ARTICLE, PAGE
from .sources import inside, relative, walk_files
from .workers import parallel_map

ARTICLES_DIR = "content/articles"
PAGES_DIR = "content/pages"


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
    ctx = Context(root=root, config=config, officials=officials, diags=diags)
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
    return _load_checked(Context(root=root.resolve(), config=config, officials=officials), path)


def held_back(diags: Sequence[Diagnostic], draft: bool, date: dt.datetime) -> list[Diagnostic]:
    """The errors of a document readers do not see yet (a draft, or one scheduled for later) as
    warnings that say so: one unfinished draft does not stop the paper. Published, they stop it."""
    why = "bản nháp" if draft else f"hẹn giờ đăng {date:%d/%m/%Y %H:%M}"
    note = f" (bài chưa đăng: {why}; lỗi này sẽ chặn bản dựng khi bài được đăng)"
    return [dataclasses.replace(d, severity=Severity.WARNING, message=d.message + note) if d.is_error else d for d in diags]


CONFIG_READS = frozenset({"limits", "tz", "timezone", "categories"})  # tz: from timezone
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
    ctx = Context(root=state.root, config=state.config, officials=state.officials)
    cache = state.cache
    seen: dict[Read, bool] = {}  # reads already found unchanged in this chunk (shared media)
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


def _load_checked(ctx: Context, path: Path) -> tuple[Article | None, list[Diagnostic]]:
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


def _cached(data: bytes) -> tuple[Article | None, list[Diagnostic], tuple[Read, ...]] | None:
    try:
        value = load_model(data)
    except Exception:  # a blob of the right hash that does not load: treated as damage
        return None
    if not (isinstance(value, tuple) and len(value) == 3):
        return None
    return cast(tuple[Article | None, list[Diagnostic], tuple[Read, ...]], value)


def _unchanged(root: Path, read: Read, seen: dict[Read, bool]) -> bool:
    """Whether a file the article's loading looked at is still as it was then."""
    found = seen.get(read)
    if found is None:
        kind, rel, value = read
        path = root / rel
        found = probe(root, path) == value if kind == "probe" else content_hash(path) == value
        seen[read] = found
    return found


def _load_article(ctx: Context, path: Path) -> Article | None:
    before = len(ctx.diags)
    doc = read_document(ctx, path, ARTICLE)
    if doc is None:
        return None
    data = doc.meta.data
    title = text_field(ctx, doc, "title")
    title_within_limit(ctx, doc, title)
    date = date_field(ctx, doc, "date")
    updated = date_field(ctx, doc, "updated")
    category = text_field(ctx, doc, "category")
    draft = data.get("draft", False)
    stem = path.parent.name if path.name == "index.md" else path.stem
    slug = slug_field(ctx, doc, stem)
    article_dir = path.parent
    cover = asset_field(ctx, doc, article_dir, "cover")
    gallery = gallery_photos(ctx, doc, article_dir)
    audio = audio_file(ctx, doc, article_dir)
    body_images = body_photos(ctx, doc, article_dir)
    body_links = internal_links(doc.body, doc.body_line)
    article = Article(
        source=doc.rel,
        title=title or "",
        date=date or dt.datetime(1970, 1, 1, tzinfo=ctx.config.tz),
        updated=updated,
        category=category or "",
        tags=tag_list(ctx, doc),
        author=text_field(ctx, doc, "author"),
        summary=text_field(ctx, doc, "summary"),
        officials=official_refs(ctx, doc),
        cover=cover,
        gallery=gallery,
        audio=audio,
        body_images=body_images,
        body_links=body_links,
        slug=slug,
        aliases=alias_list(ctx, doc),
        draft=draft is True,
        body=doc.body,
        body_line=doc.body_line,
    )
    article = dataclasses.replace(article, field_lines=field_lines(doc, article.tags))
    if not any(d.is_error for d in ctx.diags[before:]):
        ctx.diags += article_findings(doc.rel, article, doc.meta, doc.front, list(prose_lines(doc.body)), ctx.index)
    return article  # with errors among its diagnostics, `load_site` decides whether it stops the build


def _load_page(ctx: Context, path: Path, now: dt.datetime, drafts: bool) -> StaticPage | None:
    """A static page; one that readers do not see yet (`draft: true`, a future `date`) has its
    errors as warnings unless `drafts` (it is left out then, as articles are)."""
    before = len(ctx.diags)
    doc = read_document(ctx, path, PAGE)
    if doc is None:
        return None
    title = text_field(ctx, doc, "title")
    title_within_limit(ctx, doc, title)
    slug = slug_field(ctx, doc, path.stem)
    draft = doc.meta.data.get("draft", False)
    date = date_field(ctx, doc, "date")
    updated = date_field(ctx, doc, "updated")
    images = body_photos(ctx, doc, path.parent) if title is not None else ()
    page = StaticPage(
        source=doc.rel,
        body_images=images,
        title=title or "",
        slug=slug,
        description=text_field(ctx, doc, "description") or "",
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

