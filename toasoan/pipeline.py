"""The one place that orders the stages: config -> content -> markup -> routes -> pages -> writer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jinja2

from . import urls
from .buildcache import BuildCache, fingerprint, generator_stamp, open_cache, read_blob, write_blob
from .config import load_config
from .content import MEDIA_DIR, load_site
from .dates import now_from_env
from .errors import BuildFailed, Diagnostic, error, has_errors, sort_diagnostics, warning
from .feeds import feed_files
from .images import PHOTO_SUFFIXES
from .markup import Renderer, split_lead
from .model import Article, Asset, Site, StaticPage
from .photos import SitePhotos, cache_dir, photo_files, plan_photos, prune_photos
from .routes import Route, plan_routes
from .search import index_site
from .sitemaps import sitemap_files
from .sources import inside, relative, walk_files
from .templates import TemplateFailed, check_templates, make_environment, render_route, template_dirs, template_fingerprints
from .views import Photos, PhotoView, photo_view, site_view
from .workers import parallel_chunks, parallel_map
from .writer import OutputFile, check_output_dir, commit_output

THEME_DIR = Path(__file__).resolve().parent.parent
# How wide a photo in an article's column is drawn (the default theme's .story column).
BODY_SIZES = "(min-width: 47rem) 44rem, calc(100vw - 2rem)"


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOptions:
    site_dir: Path
    output: Path | None = None
    drafts: bool = False
    jobs: int = 1
    environ: dict[str, str] = field(default_factory=dict)
    theme_dir: Path = THEME_DIR


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildResult:
    pages: int
    files: int
    articles: int
    unpublished: int
    seconds: float
    output: Path | None
    warnings: list[Diagnostic]
    photos_decoded: int = 0
    photos_cached: int = 0
    pages_cached: int = 0  # pages taken from the build cache instead of rendered
    markdown_cached: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class _Plan:
    """Everything checked and ready to render."""

    root: Path
    site: Site
    env: jinja2.Environment
    routes: list[Route]
    copies: list[OutputFile]
    photos: SitePhotos
    now: dt.datetime
    warnings: list[Diagnostic]
    cache: BuildCache
    stamp: str
    template_prints: dict[str, str]
    markdown_cached: int


Progress = Callable[[str, int, int], None]
"""Told (stage name, done, total) as a build goes; the CLI draws a bar with it."""


def _stage(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(name, done, total)


def build(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    """Check everything, then render and swap the output in; BuildFailed leaves it untouched."""
    started = time.perf_counter()
    root = options.site_dir.resolve()
    out = check_output_dir(root, options.output or root / "public")
    plan = _prepare(options, progress)
    site = site_view(plan.site.config)
    globals_ = {"site": site}
    failures: list[Diagnostic] = []
    cache = plan.cache
    # A page is kept by a hash of exactly what made it: its typed context, the templates it
    # uses (with what they include), the site-wide template values and the generator itself.
    shared = fingerprint(plan.stamp, site)
    keys = [fingerprint(shared, plan.template_prints.get(r.template, ""), r.template, r.context) for r in plan.routes]
    state = _RenderState(env=plan.env, globals=globals_, root=root, folder=cache.folder, known=cache.previous.get("page", {}))
    cached = [0]

    def rendered() -> Iterator[OutputFile]:
        # Pages stream from the workers to the staging folder: memory does not hold the site.
        jobs = list(zip(plan.routes, keys, strict=True))
        chunks = parallel_chunks(_render_chunk, jobs, options.jobs, state, _stage(progress, "Dựng trang"))
        results = (result for chunk in chunks for result in chunk)
        for (route, key), result in zip(jobs, results, strict=True):
            if isinstance(result, Diagnostic):
                failures.append(result)
                continue
            sha, blob, how = result
            if how == "damaged":
                cache.notices.append("bộ nhớ đệm hỏng ở một trang: đã dựng lại trang đó")
            cached[0] += how == "cached"
            cache.record("page", key, sha)
            if not failures:
                yield OutputFile(urls.output_file(route.url), copy_from=blob, link=True)
        if failures:
            raise BuildFailed(sort_diagnostics(failures + plan.warnings))
        yield from plan.copies

    count = commit_output(out, rendered(), finalize=index_site)
    cache.finish()
    prune_photos(plan.photos)
    return BuildResult(
        pages=len(plan.routes), files=count, articles=len(plan.site.articles),
        unpublished=plan.site.unpublished, seconds=time.perf_counter() - started,
        output=out, warnings=plan.warnings + _notices(cache), photos_decoded=plan.photos.report.decoded,
        photos_cached=plan.photos.report.cached, pages_cached=cached[0], markdown_cached=plan.markdown_cached,
    )


def check(options: BuildOptions) -> BuildResult:
    """Load and validate everything (every photo decoded once if not in the cache), render
    nothing, write nothing."""
    started = time.perf_counter()
    plan = _prepare(options, write=False)
    return BuildResult(
        pages=len(plan.routes), files=0, articles=len(plan.site.articles),
        unpublished=plan.site.unpublished, seconds=time.perf_counter() - started,
        output=None, warnings=plan.warnings + _notices(plan.cache), photos_decoded=plan.photos.report.decoded,
        photos_cached=plan.photos.report.cached, markdown_cached=plan.markdown_cached,
    )


CACHE_LABEL = "bộ nhớ đệm"


def _notices(cache: BuildCache) -> list[Diagnostic]:
    """One line per kind of cache damage found (the build went on without the damaged parts)."""
    return [warning(CACHE_LABEL, 0, notice) for notice in sorted(set(cache.notices))]


def _prepare(options: BuildOptions, progress: Progress | None = None, *, write: bool = True) -> _Plan:
    """Read and check everything; with `write`, photo variants missing from the cache are made."""
    root = options.site_dir.resolve()
    config, diags = load_config(root)
    if config is None:
        raise BuildFailed(sort_diagnostics(diags))
    env_diags = _check_environ(options.environ)
    now = now_from_env(options.environ, config.tz)
    site, content_diags = load_site(root, config, now, options.drafts, options.jobs, _stage(progress, "Đọc bài"))
    diags += env_diags + content_diags
    site = _with_urls(site)
    env = make_environment(template_dirs(root, options.theme_dir))
    template_diags = check_templates(env, root)
    template_prints = template_fingerprints(env)
    stamp = generator_stamp()
    cache = open_cache(cache_dir(root, config), stamp)
    photos, photo_diags = plan_photos(root, site, options.jobs, write=write, progress=_stage(progress, "Xử lý ảnh"))
    markup_state = _MarkupState(
        photos=photos.processed, env=env, folder=cache.folder, known=cache.previous.get("markdown", {}),
        salt=fingerprint(stamp, template_prints.get("macros.html", "")), write=write,
    )
    site, markup_diags, markdown_cached = _with_html(site, options.jobs, markup_state, cache, _stage(progress, "Chuyển Markdown"))
    routes, route_diags = plan_routes(site, photos.processed, options.jobs)
    generated = feed_files(site, photos.processed, now) + sitemap_files(site, routes, now)
    reserved = {urls.output_file(r.url) for r in routes} | {g.path for g in generated}
    copies, copy_diags = _plan_copies(root, options.theme_dir, site, reserved)
    copies += photo_files(photos) + generated
    diags += template_diags + photo_diags + markup_diags + route_diags + copy_diags
    diags += _check_links(site, {r.url for r in routes} | {"/" + c.path for c in copies})
    if has_errors(diags):
        raise BuildFailed(sort_diagnostics(diags))
    return _Plan(
        root=root, site=site, env=env, routes=routes, copies=copies, photos=photos, now=now, warnings=sort_diagnostics(diags),
        cache=cache, stamp=stamp, template_prints=template_prints, markdown_cached=markdown_cached,
    )


def _check_environ(environ: dict[str, str]) -> list[Diagnostic]:
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch and not (epoch.isdigit() and len(epoch) <= 11):
        return [error("SOURCE_DATE_EPOCH", 0, f"phải là số giây kể từ 1970, không phải `{epoch}`")]
    return []


def _with_urls(site: Site) -> Site:
    articles = tuple(dataclasses.replace(a, url=urls.article_url(site.config, a)) for a in site.articles)
    pages = tuple(dataclasses.replace(p, url=urls.page_url(p)) for p in site.pages)
    return dataclasses.replace(site, articles=articles, pages=pages)


@dataclass(frozen=True, slots=True, kw_only=True)
class _MarkupState:
    photos: Photos
    env: jinja2.Environment
    folder: Path  # the build cache
    known: dict[str, str]  # Markdown entries of the previous build: key -> blob hash
    salt: str  # the generator and the picture macro
    write: bool


def _with_html(
    site: Site, jobs: int, state: _MarkupState, cache: BuildCache, progress: Callable[[int, int], None] | None
) -> tuple[Site, list[Diagnostic], int]:
    documents: list[Article | StaticPage] = [*site.articles, *site.pages]
    outcomes = parallel_map(_markup_chunk, documents, jobs, state, progress)
    articles = []
    pages = []
    diags = []
    cached = 0
    rendered: list[str | Diagnostic] = []
    for outcome in outcomes:
        if isinstance(outcome, Diagnostic):
            rendered.append(outcome)
            continue
        body, key, sha, how = outcome
        rendered.append(body)
        cached += how == "cached"
        if how == "damaged":
            cache.notices.append("bộ nhớ đệm hỏng ở một bài: đã chuyển lại Markdown của bài đó")
        if sha is not None:
            cache.record("markdown", key, sha)
    for doc, body_html in zip(documents, rendered, strict=True):
        # The Markdown source is dropped once it is HTML: nothing later reads it.
        if isinstance(body_html, Diagnostic):
            diags.append(body_html)
        elif isinstance(doc, Article):
            if doc.summary:
                articles.append(dataclasses.replace(doc, body="", body_html=body_html))
            else:
                lead, rest = split_lead(body_html)
                articles.append(dataclasses.replace(doc, body="", body_html=rest, lead=lead))
        else:
            pages.append(dataclasses.replace(doc, body="", body_html=body_html))
    return dataclasses.replace(site, articles=tuple(articles), pages=tuple(pages)), diags, cached


_BODY_IMG = re.compile(r'<img [^>]*?src="(/anh/[^"]+)"[^>]*>')


_Markup = tuple[str, str, str | None, str] | Diagnostic
"""A document's HTML, its cache key, the blob that holds it and how it was had
("cached", "made", "damaged"), or the error that stopped it."""


def _markup_chunk(documents: Sequence[Article | StaticPage], state: _MarkupState) -> list[_Markup]:
    photos = state.photos
    picture: Any = None
    renderer: Renderer | None = None
    results: list[_Markup] = []
    for doc in documents:
        views = {a.src: photo_view(a, photos) for a in doc.body_images if a.source in photos}
        by_url = {v.src: v for v in views.values()}
        # A body photo is the page's first photo when the article has no cover: load it first.
        first_eager = isinstance(doc, Article) and doc.cover is None
        # Markdown is kept by a hash of its source, the photos it shows and the code that makes it.
        key = fingerprint(state.salt, doc.body, tuple(sorted(views.items())), first_eager)
        how = "made"
        sha = state.known.get(key)
        if sha is not None:
            hit = read_blob(state.folder, sha)
            if hit is not None:
                results.append((hit.data.decode("utf-8"), key, sha, "cached"))
                continue
            how = "damaged"
        if renderer is None or picture is None:
            renderer = Renderer()
            picture = state.env.get_template("macros.html").module.picture  # type: ignore[attr-defined]

        def resolve(src: str, views: dict[str, PhotoView] = views) -> str | None:
            return views[src].src if src in views else None

        try:
            body = renderer.render(doc.body, resolve)
        except RecursionError:
            renderer = Renderer()  # a converter that gave up half-way is not reused
            message = "nội dung lồng nhau quá sâu (danh sách hoặc trích dẫn trong nhau hàng trăm tầng): không dựng được"
            results.append(error(doc.source, doc.body_line, message))
            continue
        eager = [first_eager]

        def to_picture(
            match: re.Match[str], by_url: dict[str, PhotoView] = by_url, eager: list[bool] = eager, picture: Any = picture
        ) -> str:
            view = by_url.get(match.group(1))
            if view is None:
                return match.group(0)
            html = str(picture(view, eager=eager[0], sizes=BODY_SIZES))
            eager[0] = False
            return html

        html = _BODY_IMG.sub(to_picture, body) if by_url else body
        stored = write_blob(state.folder, html.encode("utf-8"))[0] if state.write else None
        results.append((html, key, stored, how))
    return results


@dataclass(frozen=True, slots=True, kw_only=True)
class _RenderState:
    env: jinja2.Environment
    globals: dict[str, Any]
    root: Path
    folder: Path  # the build cache
    known: dict[str, str]  # pages of the previous build: key -> blob hash


def _render_chunk(jobs: Sequence[tuple[Route, str]], state: _RenderState) -> list[tuple[str, Path, str] | Diagnostic]:
    """Each page from the cache when its key is known and its blob sound, else rendered into
    the cache; the writer links the blob into the output."""
    results: list[tuple[str, Path, str] | Diagnostic] = []
    for route, key in jobs:
        how = "made"
        sha = state.known.get(key)
        if sha is not None:
            hit = read_blob(state.folder, sha)
            if hit is not None:
                results.append((sha, hit.path, "cached"))
                continue
            how = "damaged"
        try:
            data = render_route(state.env, route, state.globals, state.root)
        except TemplateFailed as exc:
            results.append(exc.diagnostic)
            continue
        sha, path = write_blob(state.folder, data)
        results.append((sha, path, how))
    return results


def _check_links(site: Site, targets: set[str]) -> list[Diagnostic]:
    """Links an editor wrote to a page of this site that the build does not make."""
    diags = []
    documents: list[Article | StaticPage] = [*site.articles, *site.pages]
    for doc in documents:
        for link, line in doc.body_links:
            path = unquote(link.split("#", 1)[0].split("?", 1)[0]) or "/"
            if path in targets or (path.endswith("/") and path + "index.html" in targets) or path + "/" in targets:
                continue
            diags.append(warning(doc.source, line, f"liên kết hỏng `{link}`: trang không có trang này"))
    return diags


def _plan_copies(root: Path, theme_dir: Path, site: Site, reserved: set[str]) -> tuple[list[OutputFile], list[Diagnostic]]:
    """Static files (theme, then the site's own), the media library and audio beside articles;
    `reserved` are the files the build makes itself (pages, feeds, sitemaps)."""
    diags: list[Diagnostic] = []
    files: dict[str, OutputFile] = {}

    def add_tree(top: Path, base: str, owner: Path) -> None:
        for path in walk_files(owner, top):
            rel = relative(top, path)
            if not inside(owner, path):
                diags.append(warning(relative(root, path), 0, "tệp trỏ ra ngoài thư mục trang: bỏ qua, không sao chép"))
                continue
            target = base + rel
            if path.suffix.lower() in PHOTO_SUFFIXES and base == "media/":
                continue  # photos are published only as variants, without their metadata
            if target in reserved:
                diags.append(error(relative(root, path), 0, f"tệp tĩnh trùng địa chỉ với một tệp toasoan tự tạo: `/{target}`"))
                continue
            files[target] = OutputFile(target, copy_from=path)

    theme = theme_dir.resolve()
    if theme != root:
        add_tree(theme / "static", "", theme)
    add_tree(root / "static", "", root)
    add_tree(root / MEDIA_DIR, "media/", root)
    owners: list[tuple[str, tuple[Asset, ...]]] = [(a.url, a.assets()) for a in site.articles]
    owners += [(p.url, p.body_images) for p in site.pages]
    for owner_url, assets in owners:
        for asset in assets:
            if asset.media_path is None and Path(asset.name).suffix.lower() not in PHOTO_SUFFIXES:
                target = urls.asset_file(owner_url, asset)
                files[target] = OutputFile(target, copy_from=root / asset.source)
    return [files[k] for k in sorted(files)], diags


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
