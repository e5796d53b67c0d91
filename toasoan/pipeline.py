"""The one place that orders the stages: config -> content -> markup -> routes -> pages -> writer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import posixpath
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Set
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jinja2

from . import deploy, shortcut, snapshot, uptodate, urls
from .assets import MEDIA_DIR
from .buildcache import (
    BUILD_DIR,
    BuildCache,
    Fingerprints,
    find_entry,
    fingerprint,
    generator_stamp,
    open_cache,
    read_blob,
    write_blob,
)
from .config import SiteConfig, load_config
from .content import ARTICLES_DIR, LoadCache, load_site
from .dates import now_from_env
from .errors import BuildFailed, Diagnostic, Severity, error, has_errors, sort_diagnostics, warning
from .feeds import feed_files
from .filetypes import library_check
from .images import PHOTO_SUFFIXES, claim_cache
from .markup import Renderer, slow_paragraph, split_lead
from .model import Article, Site, StaticPage
from .photos import (
    SitePhotos,
    cache_dir,
    card_urls,
    check_cache_dir,
    photo_files,
    plan_photos,
    prune_photos,
)
from .proofread import findings_end, site_findings, small_covers
from .redirects import alias_file, redirect_files
from .related import Inputs as RelatedInputs
from .related import related_again, related_articles, related_inputs
from .routes import ArticleContext, Route, outline, plan_routes
from .scanner import prose_lines, source_links
from .search import (
    BUNDLE,
    KnownDigests,
    Record,
    SearchReport,
    index_site,
    shard_records,
)
from .shortcut import default_theme_dir
from .sitemaps import NEWS_WINDOW, sitemap_files
from .sources import inside, relative, walk_files
from .templates import Assets, TemplateFailed, check_templates, make_environment, render_route, template_dirs, template_fingerprints
from .views import CardView, CategoryView, OfficialView, Photos, PhotoView, photo_view, site_view
from .workers import TimeLimitExceeded, parallel_chunks, parallel_map, time_limit
from .writer import (
    CACHE_LOCK,
    MARKER,
    OutputFile,
    UnsafeOutput,
    Waiting,
    commit_output,
    hold_lock,
    keep_copy,
)

THEME_DIR = default_theme_dir()
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
    strict: bool = False  # warnings fail the run like errors, before anything is written


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
    cards_drawn: int = 0  # share cards drawn (not taken from the cache)
    pages_cached: int = 0  # pages taken from the build cache instead of rendered
    markdown_cached: int = 0
    articles_cached: int = 0  # articles taken from the build cache instead of read and checked
    search: SearchReport | None = None
    # When "now" reaches this, the same input gives another site (a scheduled article appears, one
    # leaves the news sitemap); None: never by the clock alone.
    valid_until: dt.datetime | None = None
    up_to_date: bool = False  # nothing changed since the last build of this output: nothing written
    patched: bool = False  # the last output patched (`patch.patch_build`), not a full build
    # The articles left out (source, draft, date), for `check`'s summary; the next scheduled one.
    held: tuple[tuple[str, bool, dt.datetime], ...] = ()
    next_publication: dt.datetime | None = None
    repaired: bool = False  # damaged cache entries were found (and remade) by this build
    timings: tuple[tuple[str, float], ...] = ()  # (stage, seconds) in order, for profiles and benchmarks
    # (source file, URL) of every article and page published, for `serve` (a renamed article's
    # old address redirects); empty when the build was up to date.
    addresses: tuple[tuple[str, str], ...] = ()


class _Stopwatch:
    """Seconds spent in each stage of one build, in order."""

    def __init__(self) -> None:
        self.laps: list[tuple[str, float]] = []
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.laps.append((stage, now - self._last))
        self._last = now
        if os.environ.get("TOASOAN_MEMORY"):  # for bench/: this process's memory at each stage's end
            sys.stderr.write(f"memory {json.dumps([stage, *_memory_mb()], ensure_ascii=False)}\n")


def _memory_mb() -> tuple[int, int]:
    """(resident, peak resident) MB of this process, from /proc (0, 0 where there is none)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0, 0
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss, peak = (int(fields.get(name, "0 kB").split()[0]) // 1024 for name in ("VmRSS", "VmHWM"))
    return rss, peak


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
    articles_cached: int
    clock: _Stopwatch
    markup: _MarkupState
    assets: Assets  # static files' URLs (CSS and JS under content-hashed names)
    # The article addresses this build publishes, remembered after it succeeds (None: not
    # remembered, for a `--drafts` build or a refused cache folder).
    addresses: uptodate.Addresses | None = None
    related: tuple[tuple[int, ...], ...] = ()  # each article's "Xem thêm" picks (indexes in site.articles)
    link_targets: frozenset[str] = frozenset()  # every address a body's link may name
    findings: Findings = field(default_factory=dict)  # `file_findings` of this plan's articles


Progress = Callable[[str, int, int], None]
"""Told (stage name, done, total) as a build goes; the CLI draws a bar with it."""


def _stage(progress: Progress | None, name: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(name, done, total)


Keep = Callable[["_Plan"], None]
"""Given the plan of a build that succeeded (`serve` keeps it to preview the next save at once)."""


@dataclass(slots=True)
class Warm:
    """What a long-lived process (`serve`) keeps between its builds of one output, so that a save
    of article bodies or cards patches the last output (`patch.patch_build`) without reading anything back:
    `build(..., warm=w)` takes the snapshot from here when it belongs to the last record (else
    reads the file) and leaves here, after each build that succeeded, the plan of the output as it
    now stands (a full build's own plan, or the last plan with a patch's model, picks and routes:
    `patch.patched_plan`) and its snapshot (None when the build cannot leave one, e.g. a patch without
    the kept plan). A file saved while a build ran is read again by the next one, a patch as
    usual (`uptodate.as_built`). An up-to-date build leaves both as they were. The templates are the plan's
    (`_Plan.env`): a patch runs only when no template changed since the build that compiled them.
    The up-to-date records this process wrote are read back from `records` while their files are
    unchanged (no JSON parsed again). With `persist` False the snapshot lives only here (an
    output that is gone when the process ends, like serve's temporary folder, needs no file)."""

    persist: bool = True
    snapshot: snapshot.Snapshot | None = None
    plan: _Plan | None = None
    records: uptodate.KeptRecords = field(default_factory=dict)  # the up-to-date records it wrote

    def forget(self) -> None:
        self.snapshot = self.plan = None

    def remove_records(self) -> None:
        """For an output that goes away with the process (serve's temporary folder): remove the
        up-to-date records its builds wrote in the site's cache, and their snapshots; no later
        build can use them."""
        for path in self.records:
            uptodate.remove(path)
            snapshot.forget(snapshot.path_for(path))
        self.records.clear()
        self.forget()


def build(
    options: BuildOptions, progress: Progress | None = None, waiting: Waiting | None = None, keep: Keep | None = None,
    checked: shortcut.Checked | None = None, warm: Warm | None = None,
) -> BuildResult:
    """Check everything, then render and swap the output in; BuildFailed leaves it untouched.

    The build holds a lock on the output folder from start to end, and one on the photo cache
    from the photos to the prune: a second build of the same output or cache waits (`waiting`
    is told why) and then runs, instead of deleting the first one's staging folder or cache.
    `checked`: what `shortcut.check` found for these options, its lock still held by the caller.
    `keep` is given a full build's plan, and asks for one (no patch); `warm`: see `Warm`."""
    with ExitStack() as held:
        started = time.perf_counter()
        if checked is None:
            checked = shortcut.check(
                options.site_dir, options.output, theme_dir=options.theme_dir, drafts=options.drafts, environ=options.environ,
                held=held, waiting=waiting, kept=warm.records if warm is not None else None,
            )
        out, known = checked.out, checked.last

        locked: set[Path] = set()

        def lock_cache(folder: Path) -> None:  # once: a patch that gives way to a full build locked it already
            if folder not in locked:
                held.enter_context(hold_lock(folder / CACHE_LOCK, f"dùng xong bộ nhớ đệm ảnh `{folder}`", waiting))
                locked.add(folder)

        if known is None:
            if warm is None:
                return _build(options, out, progress, lock_cache, keep)
            warm.forget()
            made: dict[str, Any] = {}
            result = _build(options, out, progress, lock_cache, keep, made)
            warm.plan = made.get("plan")
            return result
        previous = _result_from_json(known.record.result, out) if known.record is not None else None
        if previous is not None and checked.standing:
            return dataclasses.replace(
                previous, files=0, seconds=time.perf_counter() - started, pages_cached=previous.pages, photos_decoded=0, up_to_date=True,
                timings=checked.timings,
            )
        if keep is None and known.record is not None and previous is not None and not (options.strict and previous.warnings):
            last = _Last(known.record_file, known.record, known.inputs, known.hashed, known.now, previous)
            from .patch import patch_build  # that module builds on this one's stages

            patched = patch_build(options, out, lock_cache, last, warm)
            if patched is not None:
                return dataclasses.replace(
                    patched, seconds=time.perf_counter() - started, timings=(*checked.timings, *patched.timings), patched=True,
                )
        uptodate.forget(known.record_file)  # a build killed from here on must never look up to date
        uptodate.forget_spare(known.record_file)  # a full build makes its staging folder afresh (the spare is removed)
        if warm is not None:
            warm.forget()  # the snapshot is kept again below only with the record that this build writes
        made = {}
        result = _build(options, out, progress, lock_cache, keep, made)
        record_started = time.perf_counter()
        copied = ("", 0.0)
        # Kept only when no damaged cache entry was remade (its notice belongs to this build
        # alone). A file saved while it built is read again by the next build (`as_built`); a
        # page made from a file that came and went meanwhile makes the record never stand (`as_read`).
        if not result.repaired:
            inputs, hashed = uptodate.as_built(*shortcut.input_files(options.site_dir, options.theme_dir), known.inputs, known.hashed)
            inputs = uptodate.as_read(inputs, hashed, options.site_dir.resolve(), (source for source, _ in result.addresses))
            valid_until = result.valid_until.timestamp() if result.valid_until else None
            state = uptodate.output_state(out)
            saved = _result_to_json(result)
            record = uptodate.Record(inputs=inputs, built_at=known.now, valid_until=valid_until, output=state, result=saved, hashed=hashed)
            uptodate.write_record(known.record_file, record, warm.records if warm is not None else None)
            snap = _write_snapshot(known.record_file, inputs, made, persist=warm is None or warm.persist)
            if warm is not None:
                warm.snapshot = snap
            if snap is not None:  # the next build may patch: its staging folder is made from a copy of this output
                copy_started = time.perf_counter()
                spare = keep_copy(out, state.folders)
                if spare is not None:
                    uptodate.write_spare(known.record_file, spare)
                copied = ("spare for the next patch", time.perf_counter() - copy_started)
        if warm is not None:
            warm.plan = made.get("plan")
        laps = (*checked.timings, *result.timings, ("up-to-date record, snapshot", time.perf_counter() - record_started - copied[1]))
        if copied[1]:
            laps += (copied,)
        return dataclasses.replace(result, timings=laps)


@dataclass(frozen=True, slots=True)
class _Last:
    """The last build of an output, as its record tells, and this build's inputs."""

    record_file: Path
    record: uptodate.Record
    inputs: str  # the inputs hash now
    hashed: uptodate.Hashed  # this build's input files
    now: float
    result: BuildResult  # the last build's


def _write_snapshot(record_file: Path, inputs: str, made: dict[str, Any], *, persist: bool = True) -> snapshot.Snapshot | None:
    """Beside a record just written: what that build was made of, for the next build's `patch.patch_build`
    (written to its file unless not `persist`, then only returned)."""
    path = snapshot.path_for(record_file)
    plan: _Plan | None = made.get("plan")
    if plan is None:
        snapshot.forget(path)
        return None
    snap = snapshot.Snapshot(
        inputs=inputs, site=_without_html(plan.site), related=plan.related, share_cards=card_urls(plan.photos),
        link_targets=plan.link_targets, photos=plan.photos.processed, links=plan.markup.links, assets=plan.assets,
        markdown_salt=plan.markup.salt, template_prints=plan.template_prints, records=tuple(made["records"]), covers=made["covers"],
        page_keys=_list_keys(plan.site, plan.routes, made["keys"]), findings=plan.findings,
    )
    _store_snapshot(path, snap, persist=persist)
    return snap


def _store_snapshot(path: Path, snap: snapshot.Snapshot, *, persist: bool) -> None:
    """Write `snap` to its file, or, kept in memory only (`Warm.persist` False), remove the file
    an earlier build of this output left: it is no use to anyone."""
    if persist:
        snapshot.write(path, snap)
    else:
        snapshot.forget(path)


def _list_keys(site: Site, routes: Sequence[Route], keys: Sequence[str]) -> dict[str, str]:
    """The page keys of every route but the articles' (URL -> key)."""
    articles = {a.url for a in site.articles}
    return {r.url: k for r, k in zip(routes, keys, strict=True) if r.url not in articles}


def _without_html(site: Site) -> Site:
    """The model as a snapshot keeps it: no article's HTML (a patch makes its edited articles'
    again, and no other page it makes shows a body)."""
    return dataclasses.replace(site, articles=tuple(dataclasses.replace(a, body_html="") if a.body_html else a for a in site.articles))


def _with_markup(article: Article, html: str) -> Article:
    """An article with its Markdown made into HTML, as `_with_html` keeps it."""
    if article.summary:
        return dataclasses.replace(article, body="", body_html=html)
    lead, rest = split_lead(html)
    return dataclasses.replace(article, body="", body_html=rest, lead=lead)


def _diags_to_json(diags: Iterable[Diagnostic]) -> list[list[Any]]:
    return [[d.path, d.line, d.message, d.severity.name, d.code, d.column] for d in diags]


def _result_to_json(result: BuildResult) -> dict[str, Any]:
    return {
        "pages": result.pages, "articles": result.articles, "unpublished": result.unpublished,
        "photos_cached": result.photos_cached + result.photos_decoded, "markdown_cached": result.markdown_cached,
        "warnings": _diags_to_json(result.warnings),
        "search": dataclasses.asdict(result.search) if result.search else None,
        "valid_until": result.valid_until.isoformat() if result.valid_until else None,
    }


def _result_from_json(data: dict[str, Any], out: Path) -> BuildResult | None:
    """The last build's result as it was saved; None when it does not read as one."""
    try:
        valid_until = data["valid_until"]
        search = data["search"]
        return BuildResult(
            pages=int(data["pages"]), files=0, articles=int(data["articles"]), unpublished=int(data["unpublished"]),
            seconds=0.0, output=out, photos_cached=int(data["photos_cached"]), markdown_cached=int(data["markdown_cached"]),
            warnings=[
                Diagnostic(path=str(p), line=int(n), message=str(m), severity=Severity[str(v)], code=str(c), column=int(col))
                for p, n, m, v, c, col in data["warnings"]
            ],
            search=SearchReport(**search) if search else None,
            valid_until=dt.datetime.fromisoformat(valid_until) if valid_until else None,
        )
    except (KeyError, TypeError, ValueError):
        return None


def _build(
    options: BuildOptions, out: Path, progress: Progress | None, lock_cache: Callable[[Path], None], keep: Keep | None = None,
    made: dict[str, Any] | None = None,
) -> BuildResult:
    """A full build; `made` is given the plan and the search records (for the snapshot)."""
    started = time.perf_counter()
    root = options.site_dir.resolve()
    plan = _prepare(options, progress, lock_cache=lock_cache)
    globals_ = page_globals(plan)
    failures: list[Diagnostic] = []
    cache = plan.cache
    # A page is kept by a hash of exactly what made it: its typed context, the templates it
    # uses (with what they include), the site-wide template values and the generator itself.
    page_shas: dict[str, str] = {}  # output path -> SHA-256, for pages (their compressed copies)
    # Pages rendered by this build, with their `.gz` copies made by the worker that rendered them
    # (no read-back, in parallel): output path -> (copy, the page's size).
    gzipped: dict[str, tuple[deploy.Compressed, int]] = {}
    keys = page_keys(plan, globals_)
    plan.clock.lap("page keys")
    state = _RenderState(
        env=plan.env, globals=globals_, root=root, folder=cache.folder, known=cache.previous.get("page", {}),
        known_gzip=cache.previous.get("gzip", {}),
    )
    cached = [0]
    written: list[str] = [MARKER]  # every file `commit_output` stages, so the deploy files need no walk

    def staged(route: Route, key: str, sha: str, blob: Path | str, how: str) -> OutputFile:
        cached[0] += cache.account("page", key, sha, how, _PAGE_DAMAGED)
        path = urls.output_file(route.url)
        page_shas[path] = sha
        return OutputFile(path, copy_from=blob, link=True)

    def rendered() -> Iterator[OutputFile]:
        # Pages already in the cache are checked and linked here: sending their contexts to the
        # workers only to be told "cached" cost more than the check itself.
        jobs = []
        for route, key in zip(plan.routes, keys, strict=True):
            hit, _ = find_entry(cache.folder, state.known, key)
            if hit is None:
                jobs.append((route, key))  # new, or damaged: the worker finds that again and renders it
            else:
                page = staged(route, key, hit.sha, hit.path, "cached")
                written.append(page.path)
                yield page
        # Pages stream from the workers to the staging folder: memory does not hold the site.
        chunks = parallel_chunks(_render_chunk, jobs, options.jobs, state, _stage(progress, "Dựng trang"))
        results = (result for chunk in chunks for result in chunk)
        for (route, key), result in zip(jobs, results, strict=True):
            if isinstance(result, Diagnostic):
                failures.append(result)
                continue
            sha, blob, how, copy, size = result
            page = staged(route, key, sha, blob, how)
            if copy is not None:
                cache.account("gzip", copy.key, copy.sha, copy.how, _GZIP_DAMAGED)
                gzipped[page.path] = (copy, size)
            if not failures:
                written.append(page.path)
                yield page
        if failures:
            raise BuildFailed(sort_diagnostics(failures + plan.warnings))
        for item in plan.copies:
            written.append(item.path)
            yield item

    # The search index is made from the articles' data once the pages are staged, shard by shard.
    covers = {a.url: photo_view(a.cover, plan.photos.processed).src for a in plan.site.articles if a.cover and a.cover.source in plan.photos.processed}
    search_cache = _search_cache(root, plan.site.config, options.drafts)
    reports: list[SearchReport] = []

    def finalize(staging: Path) -> None:
        plan.clock.lap("pages rendered or linked, files copied")
        # Records are made and indexed shard by shard, each article's HTML read back from the
        # cache: memory holds a few shards' records, not every article's.
        light: list[Record] = []
        known = _known_digests(cache, search_cache) if plan.markup.write else None
        records = shard_records(plan.site, covers, lambda articles: with_bodies(articles, cache.folder), known)
        bundle: list[str] = []
        reports.append(index_site(staging, records, search_cache, bundle, kept=light))
        if made is not None:
            made.update(plan=plan, records=sorted(light, key=lambda r: r.url), covers=covers, keys=keys)
        plan.clock.lap("search")
        _deploy_files(staging, plan, page_shas, gzipped, options.jobs, sorted(written + bundle))
        plan.clock.lap("deploy files (.gz, _headers)")

    try:
        count = commit_output(out, rendered(), finalize=finalize)
    except UnsafeOutput as exc:  # the last guard; _prepare has checked every path already
        raise BuildFailed([error(f"{out.name}/{exc.path}", 0, exc.message)]) from None
    plan.clock.lap("swap")
    cache.finish()
    prune_photos(plan.photos)
    if plan.addresses is not None:
        uptodate.write_addresses(cache_dir(root, plan.site.config) / BUILD_DIR, plan.addresses)
    plan.clock.lap("cache index, prune")
    if keep is not None:
        keep(plan)
    return BuildResult(
        pages=len(plan.routes), files=count, articles=len(plan.site.articles),
        unpublished=plan.site.unpublished, seconds=time.perf_counter() - started,
        output=out, warnings=plan.warnings + _notices(cache), photos_decoded=plan.photos.report.decoded,
        photos_cached=plan.photos.report.cached, search=reports[0] if reports else None, cards_drawn=plan.photos.cards_drawn,
        pages_cached=cached[0], markdown_cached=plan.markdown_cached, articles_cached=plan.articles_cached,
        valid_until=_valid_until(plan.site, plan.now), repaired=bool(cache.notices or plan.photos.report.broken or plan.photos.cards_repaired),
        timings=tuple(plan.clock.laps), addresses=tuple((r.source, r.url) for r in plan.routes if r.source),
    )


def _search_cache(root: Path, config: SiteConfig, drafts: bool) -> Path:
    """The search shards' cache folder. Shards with drafts (serve) are kept apart, so that serve
    and build do not prune each other's."""
    return cache_dir(root, config) / ("search-drafts" if drafts else "search")


_RECORDS = "search-records"  # the build cache's kind: a shard's inputs -> its records' digests


def _known_digests(cache: BuildCache, folder: Path) -> KnownDigests:
    """Search records' digests kept in the build cache (verified blobs, one per shard), so that a
    build whose shards' inputs are unchanged (a template edit) makes none of their records."""

    def remember(key: str, digests: bytes) -> None:
        sha, _ = write_blob(cache.folder, digests)
        cache.record(_RECORDS, key, sha)

    def recall(key: str) -> bytes | None:
        hit = cache.lookup(_RECORDS, key)
        return hit.data if hit is not None else None

    return KnownDigests(folder=folder, recall=recall, remember=remember)


def _write_headers(staging: Path, paths: Iterable[str], assets: Assets) -> None:
    """`_headers`, naming how long each of `paths` (every file staged) may be cached."""
    (staging / deploy.HEADERS).write_bytes(deploy.headers_file(paths, _immutable(assets)))


def _immutable(assets: Assets) -> Callable[[str], bool]:
    """Whether a published file is named by its content, for `_headers`."""
    hashed = frozenset(url.lstrip("/") for name, url in assets.urls if url.lstrip("/") != name)
    return lambda path: deploy.immutable(path, hashed)


_PHOTO_FOLDER = "anh/"  # photo variants and share cards: content-addressed (`deploy.immutable`)


_GZIP_DAMAGED = "bộ nhớ đệm hỏng ở một tệp nén: đã nén lại tệp đó"
_PAGE_DAMAGED = "bộ nhớ đệm hỏng ở một trang: đã dựng lại trang đó"


def _deploy_files(
    staging: Path, plan: _Plan, page_shas: dict[str, str], gzipped: dict[str, tuple[deploy.Compressed, int]], jobs: int,
    files: list[str],
) -> None:
    """Once every file is staged (the search index too): `.gz` copies from the build cache (those
    of the pages rendered by this build were made by the workers already), and `_headers`
    naming how long each file may be cached. `files`: every file of the staging folder (what the
    build wrote there; listing ~10,000 folders again cost ~0.4 s at 10k)."""
    cache = plan.cache

    def account(key: str, sha: str, how: str) -> None:
        cache.account("gzip", key, sha, how, _GZIP_DAMAGED)

    for path, (copy, size) in gzipped.items():
        deploy.link_copy(staging, path, copy, size)
    rest = [path for path in files if path not in gzipped]
    deploy.precompress(staging, cache.folder, cache.previous.get("gzip", {}), page_shas, jobs, account, paths=rest)
    _write_headers(staging, files, plan.assets)


def page_keys(plan: _Plan, globals_: dict[str, Any]) -> list[str]:
    """Each route's page key. A card or an official shown on many pages is hashed once."""
    return route_keys(plan.stamp, globals_, plan.assets, plan.template_prints, plan.routes)


_SHARED_VIEWS = (CardView, OfficialView, CategoryView, PhotoView)  # hashed once per build (`Fingerprints`)


def route_keys(stamp: str, globals_: dict[str, Any], assets: Assets, prints: dict[str, str], routes: Iterable[Route]) -> list[str]:
    """The page keys of `routes` (`page_keys`, for any routes)."""
    shared = fingerprint(stamp, globals_["site"], assets)
    keyed = Fingerprints(_SHARED_VIEWS)
    return [keyed(shared, prints.get(r.template, ""), r.template, r.context) for r in routes]


def page_globals(plan: _Plan) -> dict[str, Any]:
    """The site-wide values every template sees (part of every page's key)."""
    return site_globals(plan.site.config, plan.assets)


def site_globals(config: SiteConfig, assets: Assets) -> dict[str, Any]:
    return {"site": site_view(config), "asset": assets}


def _valid_until(site: Site, now: dt.datetime) -> dt.datetime | None:
    """The next moment the clock alone changes the site: an article's time comes (scheduled, or
    shown with --drafts), an article leaves the news sitemap's window, or a warning about a date
    far ahead ends."""
    moments = [a.date for a in site.articles if a.date > now]
    moments += findings_end([*site.articles, *site.held], now)
    moments += [a.date + NEWS_WINDOW for a in site.articles if a.date <= now < a.date + NEWS_WINDOW]
    if site.next_publication is not None:
        moments.append(site.next_publication)
    return min(moments, default=None)


def check(options: BuildOptions) -> BuildResult:
    """Load and validate everything (every photo decoded once if not in the cache), render
    nothing, write nothing."""
    started = time.perf_counter()
    plan = _prepare(options, write=False)
    return BuildResult(
        pages=len(plan.routes), files=0, articles=len(plan.site.articles),
        unpublished=plan.site.unpublished, seconds=time.perf_counter() - started,
        output=None, warnings=plan.warnings + _notices(plan.cache), photos_decoded=plan.photos.report.decoded,
        photos_cached=plan.photos.report.cached, markdown_cached=plan.markdown_cached, articles_cached=plan.articles_cached,
        held=tuple((a.source, a.draft, a.date) for a in plan.site.held), next_publication=plan.site.next_publication,
    )


CACHE_LABEL = "bộ nhớ đệm"


def _notices(cache: BuildCache) -> list[Diagnostic]:
    """One line per kind of cache damage found (the build went on without the damaged parts)."""
    return [warning(CACHE_LABEL, 0, notice) for notice in sorted(set(cache.notices))]


def _prepare(
    options: BuildOptions, progress: Progress | None = None, *, write: bool = True,
    lock_cache: Callable[[Path], None] | None = None,
) -> _Plan:
    """Read and check everything; with `write`, photo variants missing from the cache are made
    (after `lock_cache` was given the cache folder)."""
    root = options.site_dir.resolve()
    clock = _Stopwatch()
    config, diags = load_config(root)
    if config is None:
        raise BuildFailed(sort_diagnostics(diags))
    env_diags = _check_environ(options.environ)
    now = now_from_env(options.environ, config.tz)
    output = options.output or root / "public"
    cache_usable = not check_cache_dir(root, config, output)
    if lock_cache is not None and cache_usable:
        lock_cache(cache_dir(root, config))  # never a lock file in a folder the cache may not use
    if write and cache_usable:
        claim_cache(cache_dir(root, config))  # marked before the articles' entries are written
    stamp = generator_stamp()
    cache = open_cache(cache_dir(root, config), stamp, options.drafts)
    load_cache, articles_cached = _load_cache(cache, stamp, write=write) if cache_usable else (None, [0])
    site, content_diags = load_site(root, config, now, options.drafts, options.jobs, _stage(progress, "Đọc bài"), load_cache)
    diags += env_diags + content_diags
    site = _with_urls(site)
    diags += site_findings([*site.articles, *site.held], now)
    links, link_diags = _source_links(site)
    own = [*content_diags, *link_diags]  # with the broken links below: each article's `file_findings`
    diags += link_diags
    clock.lap("load articles")
    env = make_environment(template_dirs(root, options.theme_dir))
    template_diags = check_templates(env, root)
    photos, photo_diags = plan_photos(root, site, options.jobs, write=write, output=output, progress=_stage(progress, "Xử lý ảnh"))
    diags += small_covers(site.articles, {source: p.width for source, p in photos.processed.items()})
    template_prints = template_fingerprints(env)
    clock.lap("templates, photos")
    markup_state = _MarkupState(
        links=links,
        photos=photos.processed, env=env, seconds=config.limits.markdown_seconds, folder=cache.folder,
        known=cache.previous.get("markdown", {}), salt=fingerprint(stamp, template_prints.get("macros.html", "")),
        write=write and cache_usable,  # never write into a cache folder that was refused
        drop_stored=write and cache_usable,
    )
    site, markup_diags, markdown_cached = _with_html(site, options.jobs, markup_state, cache, _stage(progress, "Chuyển Markdown"))
    clock.lap("markdown")
    related = _related(site, options.jobs, cache, stamp, write and cache_usable)
    routes, route_diags = plan_routes(site, photos.processed, options.jobs, related, now=now, share_cards=card_urls(photos))
    clock.lap("related, routes")
    generated = feed_files(site, photos.processed, now) + sitemap_files(site, outline(site), now)
    clock.lap("feeds, sitemaps")
    variants = photo_files(photos)
    copies, copy_claims, copy_diags, assets = _plan_copies(root, options.theme_dir, site)
    redirects = redirect_files(site)
    copy_claims += [(r.file.path, _Claim(f"địa chỉ cũ `{r.url}` trong `aliases`", r.source, r.source, r.line)) for r in redirects]
    made = [(urls.output_file(r.url), _route_claim(r)) for r in routes]
    made += [(f.path, _MADE) for f in [OutputFile(MARKER), OutputFile(deploy.HEADERS), *generated, *variants]]
    diags += _check_claims(made, copy_claims)
    copies += variants + generated + [r.file for r in redirects]
    diags += template_diags + photo_diags + markup_diags + route_diags + copy_diags
    link_targets = frozenset({r.url for r in routes} | {"/" + c.path for c in copies})
    broken = _check_links(site, link_targets)
    diags += broken
    own += broken
    addresses = None
    if cache_usable and not options.drafts:  # a preview of drafts is not what readers saw
        addresses = _published_addresses(site)
        diags += _lost_addresses(uptodate.read_addresses(cache_dir(root, config) / BUILD_DIR), addresses, site)
    if has_errors(diags) or (options.strict and diags):
        raise BuildFailed(sort_diagnostics(diags))
    clock.lap("copies, claims, links")
    return _Plan(
        root=root, site=site, env=env, routes=routes, copies=copies, photos=photos, now=now, warnings=sort_diagnostics(diags),
        cache=cache, stamp=stamp, template_prints=template_prints, markdown_cached=markdown_cached,
        articles_cached=articles_cached[0], clock=clock, markup=markup_state, assets=assets, addresses=addresses,
        related=tuple(tuple(p) for p in related), link_targets=link_targets, findings=file_findings(site.articles, own),
    )


Findings = dict[str, tuple[Diagnostic, ...]]
"""Published articles' findings that an edit to the article's own file makes again, by source
(only those with any): what loading the file finds (`content.load_article`) and its body's
links that lead nowhere (`_source_links`, `_check_links`). A patch (`patch.patch_build`) replaces an edited
article's with those it finds now; every other finding that names it (a repeated title, a tag's
spelling, a date far ahead, a small cover) needs what the patch checks stays as it was."""


def file_findings(articles: Sequence[Article], diags: Iterable[Diagnostic]) -> Findings:
    """`Findings` of `articles` among `diags` (the loader's and the link checks' of a build)."""
    sources = {a.source for a in articles}
    found: dict[str, list[Diagnostic]] = {}
    for diag in diags:
        if diag.path in sources:
            found.setdefault(diag.path, []).append(diag)
    return {source: tuple(sort_diagnostics(own)) for source, own in sorted(found.items())}


def _published_addresses(site: Site) -> uptodate.Addresses:
    """Every address an article is published at: its page and its aliases."""
    found: uptodate.Addresses = {}
    for article in site.articles:
        found[urls.output_file(article.url)] = (article.url, article.source, article.title)
        for alias, _ in article.aliases:
            found.setdefault(alias_file(alias), (alias, article.source, article.title))
    return found


def _lost_addresses(previous: uptodate.Addresses | None, current: uptodate.Addresses, site: Site) -> list[Diagnostic]:
    """A warning for each address the last build published an article at and this one does not,
    with the fix: at the article that now lives elsewhere (the same file, else the same title,
    at an address that is new), else at the file the address came from."""
    if not previous:
        return []
    new = [a for a in site.articles if urls.output_file(a.url) not in previous]
    by_source = {a.source: a for a in new}
    by_title = {a.title: a for a in reversed(new)}  # the newest first when titles repeat
    diags = []
    for target, (url, source, title) in sorted(previous.items()):
        if target in current:
            continue
        moved = by_source.get(source) or by_title.get(title)
        fix = f"thêm `aliases: [{url}]`"
        if moved is not None:
            message = f"bài này đã đăng ở `{url}`, nay chuyển sang `{moved.url}`: liên kết cũ sẽ hỏng; {fix} vào bài này để giữ địa chỉ cũ"
            diags.append(warning(moved.source, 1, message, code="address-moved"))
        else:
            message = (
                f"địa chỉ `{url}` (bài “{title}”) không còn bài nào (tệp bị xóa, đổi tên, hoặc thành bản nháp): "
                f"nếu bài nay ở địa chỉ khác, {fix} vào bài đó"
            )
            diags.append(warning(source, 0, message, code="address-gone"))
    return diags


def _related(
    site: Site, jobs: int, cache: BuildCache, stamp: str, write: bool,
    before: tuple[Sequence[Sequence[int]], dict[int, RelatedInputs]] | None = None,
) -> list[list[int]]:
    """The "Xem thêm" picks, kept by a hash of all they depend on (officials, tags, categories,
    order): they change only when one of those does. `before`: the picks of the last build and
    the inputs the edited articles had then (none of them moved), when there was one: only the
    picks the edits can reach are made again (`related_again`)."""
    key = fingerprint(stamp, site.config.related, related_inputs(site.articles))
    hit = cache.lookup("related", key)
    if hit is not None:
        found = json.loads(hit.data)
        total = len(site.articles)
        if isinstance(found, list) and len(found) == total and all(isinstance(i, int) and 0 <= i < total for p in found for i in p):
            return [list(p) for p in found]
    if before is None:
        picks = related_articles(site.articles, site.config.related, jobs)
    else:
        picks = related_again(site.articles, site.config.related, before[0], before[1], jobs)
    if write:
        sha, _ = write_blob(cache.folder, json.dumps(picks, separators=(",", ":")).encode("ascii"))
        cache.record("related", key, sha)
    return picks


def _load_cache(cache: BuildCache, stamp: str, *, write: bool) -> tuple[LoadCache, list[int]]:
    """Loaded articles from the build cache ("article" entries), and a count of those reused."""
    cached = [0]

    def record(key: str, sha: str, how: str) -> None:
        cached[0] += cache.account("article", key, sha, how, "bộ nhớ đệm hỏng ở một bài: đã đọc lại bài đó")

    known = cache.previous.get("article", {})
    return LoadCache(folder=cache.folder, known=known, salt=stamp, write=write, record=record), cached


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
    links: dict[str, dict[str, str]]  # document -> {link written as a source path: its address}
    photos: Photos
    env: jinja2.Environment
    seconds: int  # the time limit for one document
    folder: Path  # the build cache
    known: dict[str, str]  # Markdown entries of the previous build: key -> blob hash
    salt: str  # the generator and the picture macro
    write: bool
    # An article's HTML stored in the cache comes back as its sapo alone (`_Markup`): the build
    # keeps the blob's hash instead of the HTML (`Article.body_blob`).
    drop_stored: bool = False


def _with_html(
    site: Site, jobs: int, state: _MarkupState, cache: BuildCache, progress: Callable[[int, int], None] | None
) -> tuple[Site, list[Diagnostic], int]:
    documents: list[Article | StaticPage] = [*site.articles, *site.pages]
    # Documents whose HTML is in the cache are looked up here; only the others go to the workers
    # (sending every body to them only to be told "cached" cost more than the lookup).
    found: list[_Markup | None] = []
    missing: list[Article | StaticPage] = []
    for doc in documents:
        key = _markdown_key(doc, state, _body_photos(doc, state.photos))
        hit, _ = find_entry(state.folder, state.known, key)
        found.append(_outcome(doc, hit.data.decode("utf-8"), key, hit.sha, "cached", state) if hit is not None else None)
        if hit is None:
            missing.append(doc)
    made = iter(parallel_map(_markup_chunk, missing, jobs, state, progress))
    articles = []
    pages = []
    diags = []
    cached = 0
    for doc, known in zip(documents, found, strict=True):
        outcome = known if known is not None else next(made)
        if isinstance(outcome, Diagnostic):
            diags.append(outcome)
            continue
        text, key, sha, how = outcome
        cached += cache.account("markdown", key, sha, how, "bộ nhớ đệm hỏng ở một bài: đã chuyển lại Markdown của bài đó")
        # The Markdown source is dropped once it is HTML: nothing later reads it. So is an
        # article's HTML once the cache holds it (`text` is then its sapo): only its page shows it.
        if isinstance(doc, StaticPage):
            pages.append(dataclasses.replace(doc, body="", body_html=text))
        elif state.drop_stored and sha is not None:
            articles.append(dataclasses.replace(doc, body="", body_html="", lead=text, body_blob=sha))
        else:
            articles.append(_with_markup(doc, text))
    return dataclasses.replace(site, articles=tuple(articles), pages=tuple(pages)), diags, cached


_SLOW_MESSAGE = (
    "đoạn văn từ dòng này có quá nhiều dấu `[`, `](` hay `<` chưa đóng (hoặc lồng nhau quá sâu): "
    "Markdown sẽ đọc rất lâu. Đóng chúng lại, hoặc viết `\\[`, `\\<` nếu cần dấu trơn"
)
_BODY_IMG = re.compile(r'<img [^>]*?src="(/anh/[^"]+)"[^>]*>')


_Markup = tuple[str, str, str | None, str] | Diagnostic
"""A document's HTML, its cache key, the blob that holds it and how it was had
("cached", "made", "damaged"), or the error that stopped it. With `drop_stored`, an article
whose HTML is in a blob gives only its sapo instead of the HTML ("" when it has a summary)."""


def _outcome(doc: Article | StaticPage, html: str, key: str, sha: str | None, how: str, state: _MarkupState) -> _Markup:
    if state.drop_stored and sha is not None and isinstance(doc, Article):
        html = "" if doc.summary else split_lead(html)[0]
    return html, key, sha, how


def _body_photos(doc: Article | StaticPage, photos: Photos) -> dict[str, PhotoView]:
    return {a.src: photo_view(a, photos) for a in doc.body_images if a.source in photos}


def _first_eager(doc: Article | StaticPage) -> bool:
    """A body photo is the page's first photo when the article has no cover: it loads first."""
    return isinstance(doc, Article) and doc.cover is None


def _markdown_key(doc: Article | StaticPage, state: _MarkupState, views: dict[str, PhotoView]) -> str:
    """Markdown is kept by a hash of its source, the photos it shows (`views`, `_body_photos`),
    the addresses of the articles it links to by their files, and the code that makes it."""
    links = state.links.get(doc.source, {})
    return fingerprint(state.salt, doc.body, tuple(sorted(views.items())), _first_eager(doc), tuple(sorted(links.items())))


def _markup_chunk(documents: Sequence[Article | StaticPage], state: _MarkupState) -> list[_Markup]:
    photos, seconds = state.photos, state.seconds
    picture: Any = None
    renderer = Renderer()
    results: list[_Markup] = []
    for doc in documents:
        views = _body_photos(doc, photos)
        by_url = {v.src: v for v in views.values()}
        first_eager = _first_eager(doc)
        links = state.links.get(doc.source, {})
        key = _markdown_key(doc, state, views)
        hit, how = find_entry(state.folder, state.known, key)
        if hit is not None:
            results.append(_outcome(doc, hit.data.decode("utf-8"), key, hit.sha, how, state))
            continue
        if picture is None:
            picture = state.env.get_template("macros.html").module.picture  # type: ignore[attr-defined]

        def resolve(src: str, views: dict[str, PhotoView] = views) -> str | None:
            return views[src].src if src in views else None

        slow = slow_paragraph(prose_lines(doc.body))
        if slow is not None:
            results.append(error(doc.source, doc.body_line + slow, _SLOW_MESSAGE))
            continue
        try:
            with time_limit(seconds):
                body = renderer.render(doc.body, resolve, links)
        except (RecursionError, TimeLimitExceeded) as exc:
            renderer = Renderer()  # a converter that gave up half-way is not reused
            if isinstance(exc, RecursionError):
                message = "nội dung lồng nhau quá sâu (danh sách hoặc trích dẫn trong nhau hàng trăm tầng): không dựng được"
            else:
                message = f"chuyển Markdown của bài này quá {seconds} giây: không dựng được (giới hạn `limits.markdown_seconds` trong site_config.yaml)"
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
        results.append(_outcome(doc, html, key, stored, how, state))
    return results


@dataclass(frozen=True, slots=True, kw_only=True)
class _RenderState:
    env: jinja2.Environment
    globals: dict[str, Any]
    root: Path
    folder: Path  # the build cache
    known: dict[str, str]  # pages of the previous build: key -> blob hash
    known_gzip: dict[str, str]  # `.gz` copies of the previous build: key -> blob hash


_Rendered = tuple[str, str, str, deploy.Compressed | None, int]
"""(the page's hash, its blob's file, how it was had, its `.gz` copy when it gets one, its size).
The file as a str: a Path sent back from a worker is parsed again when unpickled (~30 µs, two
a page in the main process)."""


def _render_chunk(jobs: Sequence[tuple[Route, str]], state: _RenderState) -> list[_Rendered | Diagnostic]:
    """Each page from the cache when its key is known and its blob sound, else rendered into
    the cache with its `.gz` copy (made here, from the bytes in hand, rather than read back from
    the staging folder later); the writer links the blobs into the output."""
    results: list[_Rendered | Diagnostic] = []
    for route, key in jobs:
        hit, how = find_entry(state.folder, state.known, key)
        if hit is not None:
            results.append((hit.sha, str(hit.path), how, None, len(hit.data)))
            continue
        try:
            data = render_route(state.env, with_body(route, state.folder), state.globals, state.root)
        except TemplateFailed as exc:
            results.append(exc.diagnostic)
            continue
        sha, path = write_blob(state.folder, data)
        copy = None
        if deploy.wants_gzip(urls.output_file(route.url), len(data)):
            copy = deploy.compressed(state.folder, state.known_gzip, sha, data)
        results.append((sha, str(path), how, copy, len(data)))
    return results


def with_body(route: Route, folder: Path) -> Route:
    """The route with its article's HTML read back from the build cache when the model left it
    there (`Article.body_blob`): what rendering the page needs, and nothing before it."""
    context = route.context
    if not isinstance(context, ArticleContext) or not context.article.body_blob:
        return route
    view = context.article
    return dataclasses.replace(route, context=dataclasses.replace(context, article=dataclasses.replace(
        view, body_html=article_html(view.body_blob, view.body_cut, folder), body_blob="", body_cut=False,
    )))


def with_bodies(articles: Iterable[Article], folder: Path) -> Iterator[Article]:
    """The articles, one at a time, each with its HTML read back from the build cache."""
    for a in articles:
        yield dataclasses.replace(a, body_html=article_html(a.body_blob, not a.summary, folder), body_blob="") if a.body_blob else a


def article_html(blob: str, cut: bool, folder: Path) -> str:
    """An article's body HTML from its blob, without its first paragraph (the sapo) when `cut`.
    The blob was written or verified by this build, which holds the cache's lock: a blob gone
    or changed since is a cache damaged under the build, which stops it."""
    hit = read_blob(folder, blob)
    if hit is None:
        raise OSError(f"bộ nhớ đệm dựng trang bị hỏng trong lúc dựng ({blob[:12]}): dựng lại")
    html = hit.data.decode("utf-8")
    return split_lead(html)[1] if cut else html


def _source_links(site: Site) -> tuple[dict[str, dict[str, str]], list[Diagnostic]]:
    """Links written as an article's file (`../06/bai-viet.md`, `content/articles/...md`,
    `bai-viet/index.md`): each document's map to the article's address, and a warning for a
    file that is no article or an article not published."""
    published = {a.source: a.url for a in site.articles}
    held = {a.source for a in site.held}
    found: dict[str, dict[str, str]] = {}
    diags: list[Diagnostic] = []
    documents: list[Article | StaticPage] = [*site.articles, *site.pages]
    for doc in documents:
        for link, line in source_links(doc.body, doc.body_line):
            path, _, fragment = link.partition("#")
            target = _source_target(doc.source, unquote(path))
            options = [target, target[: -len(".md")] + "/index.md"] if target else []
            url = next((published[o] for o in options if o in published), None)
            if url is not None:
                found.setdefault(doc.source, {})[link] = url + (f"#{fragment}" if fragment else "")
            elif any(o in held for o in options):
                message = f"liên kết `{link}` trỏ tới bài chưa đăng (bản nháp hoặc hẹn giờ): liên kết sẽ hỏng"
                diags.append(warning(doc.source, line, message, code="link-unpublished"))
            else:
                where = f" (tìm ở {target})" if target else ""
                diags.append(warning(doc.source, line, f"liên kết `{link}` trỏ tới tệp không phải bài viết nào{where}", code="link-source-missing"))
    return found, diags


def _source_target(document: str, path: str) -> str:
    """The site-relative file a source-path link names ("" when it leaves the site)."""
    if path.startswith("/"):
        path = path.lstrip("/")
    elif not path.startswith((ARTICLES_DIR + "/", "content/")):
        path = posixpath.join(posixpath.dirname(document), path)
    path = posixpath.normpath(path)
    return "" if path.startswith("..") else path


def _check_links(site: Site, targets: Set[str]) -> list[Diagnostic]:
    """Links an editor wrote to a page of this site that the build does not make."""
    diags = []
    documents: list[Article | StaticPage] = [*site.articles, *site.pages]
    for doc in documents:
        for link, line in doc.body_links:
            path = unquote(link.split("#", 1)[0].split("?", 1)[0]) or "/"
            if path.endswith(".md"):  # a source path: `_source_links` resolves or reports it
                continue
            if path in targets or (path.endswith("/") and path + "index.html" in targets) or path + "/" in targets:
                continue
            diags.append(warning(doc.source, line, f"liên kết hỏng `{link}`: trang không có trang này"))
    return diags


@dataclass(frozen=True, slots=True)
class _Claim:
    """What puts a file at an output path: `what` and the `file` it comes from ("" when toasoan
    makes it), and where a collision is reported (`at`, `line`; "" for toasoan's own files)."""

    what: str
    file: str = ""
    at: str = ""
    line: int = 0


_MADE = _Claim("một tệp toasoan tự tạo")


def _route_claim(route: Route) -> _Claim:
    return _Claim("trang", route.source, route.source) if route.source else _MADE


def _name(claim: _Claim) -> str:
    return f"{claim.what} `{claim.file}`" if claim.file else claim.what


def _claim_error(claim: _Claim, message: str) -> Diagnostic:
    subject = claim.what if claim.file == claim.at else _name(claim)
    return error(claim.at, claim.line, f"{subject} {message}")


def _check_claims(made: list[tuple[str, _Claim]], copied: list[tuple[str, _Claim]]) -> list[Diagnostic]:
    """Every output path is claimed once. `made` are the pages and files toasoan makes (two
    pages on one URL are reported by `routes`); `copied` the site's files, each reported at its
    own line when it lands on a path already claimed (naming the other file), in the search
    index's folder, or where another file needs a folder. One file copied twice is one file."""
    first: dict[str, _Claim] = {}
    for target, claim in made:
        first.setdefault(target, claim)
    diags: list[Diagnostic] = []
    for target, claim in copied:
        other = first.setdefault(target, claim)
        if target.startswith(BUNDLE + "/"):
            if other is claim:
                diags.append(_claim_error(claim, f"nằm trong `/{BUNDLE}/`, thư mục của chỉ mục tìm kiếm: `/{target}`"))
        elif other is not claim and (claim.file, claim.what) != (other.file, other.what):
            hint = " (đổi tên một trong hai)" if other.file else ""
            diags.append(_claim_error(claim, f"trùng địa chỉ với {_name(other)}: `/{target}`{hint}"))
    folders: dict[str, str] = {}  # every folder some file needs -> one such file
    for target in first:
        parts = target.split("/")
        for depth in range(1, len(parts)):
            folders.setdefault("/".join(parts[:depth]), target)
    for folder, inner in sorted(folders.items()):
        holder = first.get(folder)
        if holder is None:
            continue
        at, other = (holder, first[inner]) if holder.at else (first[inner], holder)
        if at.at:
            message = f"và {_name(other)} cần cùng chỗ `/{folder}`: một bên là tệp, một bên là thư mục"
            diags.append(_claim_error(at, message))
    return diags


def _plan_copies(root: Path, theme_dir: Path, site: Site) -> tuple[list[OutputFile], list[tuple[str, _Claim]], list[Diagnostic], Assets]:
    """Static files (theme, then the site's own: a site file replaces the theme's; CSS and JS
    under content-hashed names), the media library and audio beside articles, each with its
    claim on its output path; and the static files' URLs for the templates' `asset()`."""
    diags: list[Diagnostic] = []

    def tree(top: Path, base: str, owner: Path) -> dict[str, tuple[OutputFile, _Claim]]:
        found = {}
        for path in walk_files(owner, top):
            rel = relative(top, path)
            if not inside(owner, path):
                diags.append(warning(relative(root, path), 0, "tệp trỏ ra ngoài thư mục trang: bỏ qua, không sao chép"))
                continue
            if base == "media/" and not _library_file_published(root, path, photo_sources, diags):
                continue
            source = relative(root, path)
            target = base + rel
            if not base and rel.endswith(deploy.HASHED_SUFFIXES):
                target = deploy.hashed_name(rel, path.read_bytes())
            found[base + rel] = (OutputFile(target, copy_from=path), _Claim("tệp tĩnh" if not base else "tệp", source, source))
        return found

    photo_sources = _photo_sources(site)
    theme = theme_dir.resolve()
    static = tree(theme / "static", "", theme) if theme != root else {}
    static.update(tree(root / "static", "", root))
    assets = Assets(tuple(sorted((name, "/" + file.path) for name, (file, _) in static.items())))
    planned = [*static.values(), *tree(root / MEDIA_DIR, "media/", root).values()]
    # Beside articles only the audio is published as it is (its content was checked); photos,
    # whatever their names, are published only as variants.
    for article in site.articles:
        audio = article.audio
        if audio is not None and audio.media_path is None:
            target = urls.asset_file(article.url, audio)
            planned.append((OutputFile(target, copy_from=root / audio.source), _Claim("tệp", audio.source, article.source, audio.line)))
    files = {file.path: file for file, _ in reversed(planned)}  # the first claim is the one written
    return [files[k] for k in sorted(files)], [(file.path, claim) for file, claim in planned], diags, assets


def _photo_sources(site: Site) -> set[str]:
    """Every file an article or page uses as a photo (published as variants)."""
    used = {a.source for p in site.pages for a in p.body_images}
    for article in site.articles:
        used.update(a.source for a in article.assets() if a is not article.audio)
    return used


def _library_file_published(root: Path, path: Path, photo_sources: set[str], diags: list[Diagnostic]) -> bool:
    """Whether a media library file is copied as it is: never a photo (by content, whatever its
    name), never HTML/SVG/scripts; only the allow-listed types whose content matches the name.
    Refusals are warnings naming the file, except for files used as photos (published as
    variants, or reported at the lines using them) and unused photos named as photos."""
    verdict = library_check(path)
    if verdict.publish:
        return True
    source = relative(root, path)
    quiet = source in photo_sources or (verdict.photo and path.suffix.lower() in PHOTO_SUFFIXES)
    if not quiet:
        diags.append(warning(source, 0, f"không đăng tệp này: {verdict.message}"))
    return False


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
