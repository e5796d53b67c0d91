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
    remove_blobs,
    write_blob,
    write_index,
)
from .config import SiteConfig, load_config
from .content import ARTICLES_DIR, LoadCache, load_article, load_site
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
    needs_card,
    photo_files,
    plan_photos,
    prune_photos,
    prune_replaced,
    redraw_card,
    share_card,
)
from .proofread import duplicate_titles, findings_end, site_findings, small_covers, tag_spellings, title_key
from .redirects import alias_file, redirect_files
from .related import Inputs as RelatedInputs
from .related import related_again, related_articles, related_inputs
from .routes import ArticleContext, Outlined, Planner, Route, article_route, changed_pages, outline, pages_showing, plan_routes
from .scanner import prose_lines, source_links
from .search import (
    BUNDLE,
    KnownDigests,
    Record,
    SearchReport,
    ShardGone,
    index_site,
    same_shards,
    shard_keys,
    shard_records,
    site_record,
    start_shards,
)
from .shortcut import default_theme_dir
from .sitemaps import MAX_URLS, NEWS_WINDOW, news_sitemap, sitemap_files
from .sources import inside, relative, walk_files
from .templates import Assets, TemplateFailed, check_templates, make_environment, render_route, template_dirs, template_fingerprints
from .views import CardView, CategoryView, OfficialView, Photos, PhotoView, article_view, card_view, photo_view, site_view
from .workers import TimeLimitExceeded, parallel_chunks, parallel_map, time_limit
from .writer import (
    CACHE_LOCK,
    MARKER,
    Carried,
    Kept,
    OutputFile,
    Recycle,
    Spare,
    Staged,
    UnsafeOutput,
    Waiting,
    commit_output,
    discard_staging,
    hold_lock,
    keep_copy,
    make_staging,
    place,
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
    patched: bool = False  # the last output patched (`_patch`), not a full build
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
    of article bodies or cards patches the last output (`_patch`) without reading anything back:
    `build(..., warm=w)` takes the snapshot from here when it belongs to the last record (else
    reads the file) and leaves here, after each build that succeeded, the plan of the output as it
    now stands (a full build's own plan, or the last plan with a patch's model, picks and routes:
    `patched_plan`) and its snapshot (None when the build cannot leave one, e.g. a patch without
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
            patched = _patch(options, out, lock_cache, last, warm)
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
    """Beside a record just written: what that build was made of, for the next build's `_patch`
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


def _patch(options: BuildOptions, out: Path, lock_cache: Callable[[Path], None], last: _Last, warm: Warm | None = None) -> BuildResult | None:
    """A build that makes again only what the edited articles reach, linking every other file from
    the last output; None when it cannot tell that this gives exactly what a full build would (a
    full build then answers). It needs the last build's snapshot, that build's output as it left
    it, the same clock window, every changed input a published article's file, and those articles
    without findings. A body edit re-makes the article's page (`_edited_articles`); an edit that
    changes what cards, tag, official or "Xem thêm" lists show re-makes the pages whose key moved
    (`_card_changes`). `warm`: the snapshot and templates kept in memory, given the new ones."""
    clock = _Stopwatch()
    record = last.record
    if not (record.built_at <= last.now and (record.valid_until is None or last.now < record.valid_until)):
        return None
    snap_file = snapshot.path_for(last.record_file)
    kept_plan = warm.plan if warm is not None and warm.snapshot is not None and warm.snapshot.inputs == record.inputs else None
    snap = warm.snapshot if warm is not None and kept_plan is not None else snapshot.read(snap_file, record.inputs)
    if snap is None:
        return None
    previous, current = record.hashed, last.hashed
    if previous is None:
        return None
    root = options.site_dir.resolve()
    templated = _template_edit(previous, current, root, options.theme_dir)
    if not templated and previous.files.keys() != current.files.keys():
        return None  # a file appeared or went: the model's shape may change
    changed = [name for name, entry in current.files.items() if not entry[4] or entry[4] != previous.files.get(name, ("",) * 5)[4]]
    if not changed and not templated:
        return None
    articles_dir = f"{root / ARTICLES_DIR}/"
    if not templated and any(not (name.startswith(articles_dir) and name.endswith(".md")) for name in changed):
        return None
    sources = {relative(root, Path(name)) for name in changed}
    if not _findings_known(snap, last.result.warnings, sources) or not uptodate.output_unchanged(out, record.output):
        return None
    clock.lap("snapshot, changed files, output check")
    site = snap.site
    config = site.config
    lock_cache(cache_dir(root, config))
    # The kept plan's templates, compiled by the build its snapshot belongs to, unless a template changed since.
    env = kept_plan.env if kept_plan is not None and not templated else make_environment(template_dirs(root, options.theme_dir))
    globals_ = site_globals(config, snap.assets)
    now = now_from_env(options.environ, config.tz)
    cache = open_cache(cache_dir(root, config), generator_stamp(), options.drafts)
    edited = None if templated else _edited_articles(options, snap, sources, now, env, globals_, cache.folder)
    early = _EarlyStaging(out, len(record.output.folders)) if templated else None
    if early is not None:
        found = _template_changes(options, snap, now, env, globals_, cache, early)
        if found is None:
            early.discard()
            return None
        changes = found
        clock.lap("pages of the edited templates")
    elif edited is not None:
        changes = _body_changes(snap, edited, last.result.valid_until)
        clock.lap("edited articles")
    else:
        found = _card_changes(options, snap, sources, now, env, globals_, cache, record, out)
        if found is None:
            return None
        changes = found
        clock.lap("edited cards")
    warnings = _patched_warnings(snap, changes, last.result.warnings)
    if warnings is None or (options.strict and warnings):
        if early is not None:
            early.discard()
        return None  # a finding a patch cannot vouch for, or one that fails a strict build: a full build tells
    records = _remade_records(snap, changes, cache.folder)
    if records is None:
        if early is not None:
            early.discard()
        return None
    search_cache = _search_cache(root, config, options.drafts)
    by_url = tuple(sorted(records.values(), key=lambda r: r.url))
    # Pagefind indexes the changed shards in its processes while the staging folder is made.
    started = start_shards(by_url, search_cache)
    try:
        live = uptodate.read_values(last.record_file, record.output)  # its stats: the next record, the next spare
        uptodate.forget(last.record_file)  # a build killed from here on must never look up to date
        # The shards whose bundle is the last output's: carried as the other files (~13,000 at 10k).
        same = same_shards(out, record.output.folders, by_url, search_cache)
        carried = Carried(out, _carried_folders(record.output.folders, changes, same))
        dropped = _not_carried(record.output, carried)
        recycle, keep, spares = _recycling(last.record_file, live, dropped, carried)
        files = [changes.files[p] for p in sorted(changes.files)]
        reports: list[SearchReport] = []
        made: list[str] = [MARKER, *changes.files]
        light: list[Record] = []

        def finalize(staging: Path) -> None:
            clock.lap("pages linked or written")
            bundle: list[str] = []
            reports.append(index_site(staging, by_url, search_cache, bundle, light, carried=same, ahead=started))
            clock.lap("search")
            fresh = sorted(changes.files) + bundle
            gzipped: list[str] = []
            placed = early.placed if early is not None else frozenset()
            for path, (copy, size) in changes.gzipped.items():  # made by the workers that rendered the pages
                # Linked while the pages were rendered (`_EarlyStaging`), or now.
                if f"{path}.gz" in placed or deploy.link_copy(staging, path, copy, size):
                    gzipped.append(f"{path}.gz")
            rest = [p for p in fresh if p not in changes.gzipped]
            deploy.precompress(
                staging, cache.folder, cache.previous.get("gzip", {}), changes.page_shas, options.jobs, lambda *_: None, paths=rest, copies=gzipped,
            )
            made.extend(bundle)
            made.extend(gzipped)
            whole = _paths(f for f in carried.folders if f[0] == BUNDLE or f[0].startswith(f"{BUNDLE}/")) + bundle  # the search bundle's files, carried or made
            if not _patched_headers(staging, out, record.output.folders, changes, whole, snap.assets):
                _write_headers(staging, sorted({*_paths(carried.folders), *made}), snap.assets)
            made.append(deploy.HEADERS)
            clock.lap("deploy files (.gz, _headers)")

        try:
            staged = early.handed() if early is not None else None  # commit_output owns it from here on
            count = commit_output(out, files, finalize=finalize, carried=carried, recycle=recycle, keep=keep, staged=staged)
        except ShardGone:  # the search cache lost a shard the patch does not make again
            return None
    finally:
        started.close()
        if early is not None:
            early.discard()  # nothing once handed
    clock.lap("swap")
    model = changes.site
    cards_gone = [p for p in changes.dropped if p.startswith("anh/chia-se/")]
    if cards_gone:  # a share card replaced: its entry goes, as a full build's prune does
        prune_replaced(config, snap.photos, changes.share_cards.values(), cards_gone, cache_dir(root, config))
    if changes.addresses and not options.drafts:
        uptodate.write_addresses(cache_dir(root, config) / BUILD_DIR, _published_addresses(model))
    # A file saved while it built is read again by the next build (`as_built`). A body patch read
    # no file under content/articles/ but its edited articles' and the files they name: the
    # others are not stated again.
    read = [*changed, *(str(root / source) for i, article, *_ in edited or () for source in _named_files(article, site.articles[i]))]
    unread = root / ARTICLES_DIR if edited is not None else None
    inputs, hashed = uptodate.as_built(*shortcut.input_files(options.site_dir, options.theme_dir), last.inputs, last.hashed, unread, read)
    until = changes.valid_until
    result = {
        **record.result, "search": dataclasses.asdict(reports[0]), "pages": changes.pages, "valid_until": until.isoformat() if until else None,
        "warnings": _diags_to_json(warnings),  # without this patch's cache notices, as a clean build's
    }
    state = _patched_output(out, live, carried, made, recycle, spares)
    uptodate.write_record(last.record_file, dataclasses.replace(
        record, inputs=inputs, built_at=last.now, output=state, result=result, hashed=hashed,
        valid_until=until.timestamp() if until else None,
    ), warm.records if warm is not None else None)
    _record_spare(last.record_file, live, spares, dropped, made)
    links = dict(snap.links)
    for article in changes.articles.values():
        links.pop(article.source, None)
        own = changes.links.get(article.source)
        if own:
            links[article.source] = own
    new = dataclasses.replace(
        snap, inputs=inputs, site=model, links=links, records=tuple(sorted(light, key=lambda r: r.url)), related=changes.related,
        share_cards=changes.share_cards, link_targets=changes.link_targets, page_keys=changes.page_keys,
        template_prints=snap.template_prints if changes.template_prints is None else changes.template_prints,
        findings=_patched_findings(snap.findings, changes.findings),
    )
    _store_snapshot(snap_file, new, persist=warm is None or warm.persist)
    # The entries this build used join the cache's index (nothing is removed: a full build prunes).
    entries = dict(cache.previous)
    for kind, made_now in changes.index.items():
        entries[kind] = {**entries.get(kind, {}), **made_now}
    if changes.page_index is not None:  # a template patch: the pages it replaced leave the index
        replaced = _replaced_blobs(entries, changes.page_index)
        write_index(cache.folder, entries, cache.index)
        remove_blobs(cache.folder, replaced, entries, cache.index)
    elif not cache.add_to_index(changes.index):  # beside the index, not the whole index again
        write_index(cache.folder, entries, cache.index)
    if warm is not None:
        warm.snapshot = new if kept_plan is not None else None
        warm.plan = None if kept_plan is None else patched_plan(
            kept_plan, model, changes.related, changes.share_cards, changes.link_targets, now, options.jobs,
        )
        if warm.plan is not None:
            warm.plan = dataclasses.replace(warm.plan, warnings=warnings, findings=new.findings)
        if warm.plan is not None and changes.template_prints is not None:  # the templates this output was made with
            warm.plan = dataclasses.replace(warm.plan, env=env, template_prints=changes.template_prints)
    clock.lap("up-to-date record, snapshot")
    carried_gz = sum(name.endswith(".gz") for _, names in carried.folders for name in names)  # a full build counts pages and copies, not these
    return dataclasses.replace(
        last.result, pages=changes.pages, valid_until=changes.valid_until, files=count - carried_gz, output=out, search=reports[0],
        pages_cached=changes.pages - changes.rendered, photos_decoded=0, cards_drawn=changes.cards_drawn,
        warnings=[*warnings, *(warning(CACHE_LABEL, 0, notice) for notice in changes.notices)], repaired=bool(changes.notices),
        markdown_cached=len(site.articles) + len(site.pages) - changes.markdown_made,
        articles_cached=len(site.articles) + len(site.held) - changes.read,
        timings=tuple(clock.laps), addresses=tuple((a.source, a.url) for a in model.articles) + tuple((p.source, p.url) for p in model.pages),
    )


def _findings_known(snap: snapshot.Snapshot, warnings: Sequence[Diagnostic], sources: Set[str]) -> bool:
    """Whether the last build's warnings hold the snapshot's `Findings` of each edited file (the
    snapshot and the record tell of the same build)."""
    given = set(warnings)
    return all(d in given for source in sources for d in snap.findings.get(source, ()))


def _patched_warnings(snap: snapshot.Snapshot, changes: _Changes, warnings: Sequence[Diagnostic]) -> list[Diagnostic] | None:
    """A patch's warnings, as a full build would give them: the last build's (without its cache
    notices and `_ONCE` findings, which were that build's alone) with each edited article's `Findings`, and the
    site-wide findings the edits may move (`_Changes.resaid`), replaced by those found now. The
    other findings that name an edited article (a repeated title or a tag's spelling not found
    again, a small cover...: what they read stays) point at lines of its front matter: None
    when those lines moved."""
    if not set(changes.resaid[0]).issubset(warnings):
        return None  # the record tells of findings other than those the snapshot's model gives
    gone = {d for source in changes.findings for d in snap.findings.get(source, ())}.union(changes.resaid[0])
    kept = [d for d in warnings if d not in gone and d.path != CACHE_LABEL and d.code not in _ONCE]
    named = {d.path for d in kept}.intersection(a.source for a in changes.articles.values())
    if named:
        before = {a.source: a for a in snap.site.articles if a.source in named}
        if any(_positions(a) != _positions(before[a.source]) for a in changes.articles.values() if a.source in named):
            return None
    return sort_diagnostics([*kept, *changes.resaid[1], *(d for found in changes.findings.values() for d in found)])


_ONCE = frozenset({"address-moved", "address-gone"})
"""Findings a build gives once: the addresses it no longer publishes are then remembered as gone
(`_lost_addresses`); the next build, a patch too, does not say them again."""


def _positions(article: Article) -> tuple[Any, ...]:
    """The lines of an article that findings other than its own `Findings` point at."""
    return article.field_lines, article.cover.line if article.cover else 0


def _patched_findings(findings: Findings, edited: Findings) -> Findings:
    """The snapshot's `Findings` with the edited articles' replaced (those without any go)."""
    merged = {**findings, **edited}
    return {source: found for source, found in sorted(merged.items()) if found}


def _paths(folders: Iterable[tuple[str, Sequence[str]]]) -> list[str]:
    """The files of `folders` (folder, names) as paths."""
    return [f"{folder}/{name}" if folder else name for folder, names in folders for name in names]


def _recycling(
    record_file: Path, live: uptodate.OutputState, dropped: Sequence[str], carried: Carried,
) -> tuple[Recycle | None, Kept | None, list[tuple[Path, tuple[int, int, int], bool]]]:
    """How a patch uses spares (`writer.Spare`): the one the last build kept, made into this
    patch's staging folder (every file it has that this output does not carry as it is removed:
    those where it differs from the last output, and the last output's `dropped` files, the ones
    not carried; every carried file it lacks linked); and whether the output this patch replaces
    is kept as the next one (when its stats are known: the spare's record needs its folders'),
    told to the list returned. The spare's record is removed whatever happens next."""
    spare = uptodate.take_spare(record_file)
    spares: list[tuple[Path, tuple[int, int, int], bool]] = []
    keep: Kept | None = None
    if live.values is not None:
        def keep(path: Path, top: tuple[int, int, int], recycled: bool) -> None:
            spares.append((path, top, recycled))
    if spare is None:
        return None, keep, spares
    by_folder = dict(carried.folders)
    relink = frozenset(p for p in spare.differ if p.rpartition("/")[2] in by_folder.get(p.rpartition("/")[0], ()))
    # The search bundle's files too: those of the shards made again go, the others stay (`same_shards`).
    remove = sorted(spare.differ.union(dropped))
    if len(remove) + len(relink) > len(live.folders):
        # A spare the last build replaced most files of (a template patch: every page and its
        # .gz): unlinking and linking each costs more than a fresh folder (one mkdir per folder,
        # one link per file: ~0.9 s at 10k against ~4.9 s for 29,000 files). It is removed as
        # stale, unclaimed.
        return None, keep, spares
    return Recycle(spare=spare, remove=remove, relink=relink), keep, spares


def _not_carried(state: uptodate.OutputState, carried: Carried) -> list[str]:
    """The files of the last output the patch does not link as they are (a folder whose files
    are all carried costs no work per file)."""
    by_folder = dict(carried.folders)
    found: list[str] = []
    for folder, names in state.folders:
        linked = by_folder.get(folder, ())
        if len(linked) != len(names):
            prefix = f"{folder}/" if folder else ""
            mine = set(linked)
            found.extend(prefix + name for name in names if name not in mine)
    return found


def _patched_output(
    out: Path, live: uptodate.OutputState, carried: Carried, made: Sequence[str], recycle: Recycle | None,
    spares: Sequence[tuple[Path, tuple[int, int, int], bool]],
) -> uptodate.OutputState:
    """The patched output's state for its record, from the last output's stats (the carried files
    are hard links to its files) and the spare's folders' when the staging folder was that spare
    (checked when claimed; only the folders the patch changed are stated again); a walk of the
    whole output when the last output's stats are not known."""
    still: dict[str, uptodate.Stat] | None = None
    moved: Sequence[str] = ()
    if recycle is not None and spares and spares[0][2]:
        values = recycle.spare.values
        still = {rel: (values[3 * n], values[3 * n + 1], values[3 * n + 2]) for n, rel in enumerate(recycle.spare.folders)}
        moved = recycle.remove
    state = uptodate.patched_state(out, live, carried.folders, made, still, moved)
    return state if state is not None else uptodate.output_state(out)


def _record_spare(
    record_file: Path, live: uptodate.OutputState, spares: Sequence[tuple[Path, tuple[int, int, int], bool]], dropped: Sequence[str],
    made: Sequence[str],
) -> None:
    """Beside the record just written, the record of the spare the patch kept: the replaced output
    as the last record described it (its folders' stats; its own, as it was renamed), and the
    files where it differs from the new output (the last output's files not carried, and every
    file the patch made, the search bundle's included)."""
    found = uptodate.folder_stats(live)
    if not spares or found is None:
        return
    path, top, _ = spares[0]
    folders, values = found
    differ = frozenset((*dropped, *made))
    uptodate.write_spare(record_file, Spare(path=path, top=top, folders=folders, values=values, differ=differ))


def patched_plan(
    plan: _Plan, site: Site, related: tuple[tuple[int, ...], ...], share_cards: dict[str, str], link_targets: frozenset[str],
    now: dt.datetime, jobs: int,
) -> _Plan:
    """`plan` as a patch over its output leaves it: the patch's model (no article's HTML), picks,
    share cards and addresses, and the routes a full build over that model plans. When only
    bodies changed (every card, pick and share card as before) only the edited articles' routes
    are made again; when cards changed but no list's members (`_card_routes`), those and the
    pages that show a changed card; else every route is planned again (`plan_routes`)."""
    old = plan.site.articles
    changed = [i for i, (a, b) in enumerate(zip(site.articles, old, strict=False)) if a is not b and a != b]
    # A share card is drawn again only for a new headline or category: not a body edit.
    bodies = len(site.articles) == len(old) and related == plan.related and all(
        _same_but_body(site.articles[i], old[i]) and site.articles[i].lead == old[i].lead for i in changed
    )
    routes: list[Route] | None
    if bodies:
        at = {r.url: k for k, r in enumerate(plan.routes)}
        routes = list(plan.routes)
        for i in changed:
            routes[at[site.articles[i].url]] = article_route(site, i, plan.photos.processed, related[i], now, share_cards)
    else:
        routes = _card_routes(plan, site, related, share_cards, changed, now)
        if routes is None:
            routes = _listed_routes(plan, site, related, share_cards, now)
    if routes is None:
        routes, _ = plan_routes(site, plan.photos.processed, jobs, [list(p) for p in related], now=now, share_cards=share_cards)
    # `photos` stays the full build's: its share cards are not read again (the routes have their URLs).
    return dataclasses.replace(plan, site=site, routes=routes, now=now, related=related, link_targets=link_targets)


def _card_routes(
    plan: _Plan, site: Site, related: tuple[tuple[int, ...], ...], share_cards: dict[str, str], changed: Sequence[int], now: dt.datetime,
) -> list[Route] | None:
    """The plan's routes after card edits that leave every list's members, order and heading as
    they were (the same articles in the same order, no date moved, `_moved_lists` empty: a title,
    sapo, caption... edit), as `plan_routes` over `site` makes them: the home and list pages that
    show a changed card (`pages_showing`) and the pages of the articles that changed, show a
    changed card in "Xem thêm" or pick others (`article_route`) made again, every other route
    kept. None when the edits may move a list (then every route is planned)."""
    old = plan.site.articles
    if len(site.articles) != len(old) or any((site.articles[i].source, site.articles[i].date) != (old[i].source, old[i].date) for i in changed):
        return None
    if _moved_lists({i: old[i] for i in changed}, site):
        return None
    photos = plan.photos.processed

    def card(article: Article) -> CardView:
        return card_view(article_view(article, site.config, site.officials, photos))

    recarded = {i for i in changed if card(site.articles[i]) != card(old[i])}
    at = {r.url: k for k, r in enumerate(plan.routes)}
    routes = list(plan.routes)
    for route in pages_showing(site, photos, share_cards, recarded):
        if route.url not in at:
            return None
        routes[at[route.url]] = route
    edited = set(changed)
    for i, picks in enumerate(related):
        if i in edited or picks != plan.related[i] or not recarded.isdisjoint(picks):
            routes[at[site.articles[i].url]] = article_route(site, i, photos, picks, now, share_cards)
    return routes


def _listed_routes(
    plan: _Plan, site: Site, related: tuple[tuple[int, ...], ...], share_cards: dict[str, str], now: dt.datetime,
) -> list[Route] | None:
    """The plan's routes after edits that may move lists or dates (the same articles, told apart
    by source), as `plan_routes` over `site` makes them: every route in the new model's order
    (`routes.outline`), the home and list pages `changed_pages` finds and the pages of the
    articles that changed, pick others or show a changed card in "Xem thêm" made again, every
    other route the plan's. None when the articles are not the same ones (then every route is
    planned)."""
    old = plan.site
    was = {a.source: i for i, a in enumerate(old.articles)}
    if len(site.articles) != len(old.articles) or any(a.source not in was for a in site.articles):
        return None
    photos = plan.photos.processed

    def card(article: Article) -> CardView:
        return card_view(article_view(article, site.config, site.officials, photos))

    before = [old.articles[was[a.source]] for a in site.articles]  # each article as it was, by its new index
    changed = {i for i, (a, b) in enumerate(zip(site.articles, before, strict=True)) if a is not b and a != b}
    recarded = {i for i in changed if card(site.articles[i]) != card(before[i])}
    pages = outline(site)
    fresh = {r.url: r for r in changed_pages(old, site, outline(old), pages, photos, share_cards, recarded)}
    by_url = {r.url: r for r in plan.routes}
    index_of = {a.url: i for i, a in enumerate(site.articles)}
    routes: list[Route] = []
    for page in pages:
        route = fresh.get(page.url)
        i = index_of.get(page.url)
        if route is None and i is not None:
            picks = related[i]
            then = tuple(old.articles[j].source for j in plan.related[was[site.articles[i].source]])
            if i in changed or tuple(site.articles[j].source for j in picks) != then or not recarded.isdisjoint(picks):
                route = article_route(site, i, photos, picks, now, share_cards)
        if route is None:
            route = by_url.get(page.url)
            if route is None:
                return None
        routes.append(route)
    return routes


@dataclass(frozen=True, slots=True, kw_only=True)
class _Changes:
    """What a patch build changes in the last output and in the snapshot."""

    site: Site  # the model after the edits (no article's HTML)
    articles: dict[int, Article]  # the edited articles (with their HTML) by index in the model
    links: dict[str, dict[str, str]]  # each edited article's links written as source paths
    files: dict[str, OutputFile]  # output path -> the file written or linked instead of the last one
    dropped: frozenset[str]  # files of the last output this one no longer has
    pages: int  # routes of the site
    rendered: int  # pages made or taken from the cache instead of linked from the last output
    index: dict[str, dict[str, str]]  # the build cache entries this build made or used, by kind
    related: tuple[tuple[int, ...], ...]
    share_cards: dict[str, str]
    link_targets: frozenset[str]
    page_keys: dict[str, str]
    valid_until: dt.datetime | None  # as `BuildResult.valid_until`
    read: int  # article files read again
    markdown_made: int  # documents whose Markdown was not in the build cache
    cards_drawn: int = 0
    addresses: bool = False  # a title of a published article changed: the addresses record too
    shards: dict[str, str] | None = None  # every article's search shard by URL, when a date moved
    # Pages rendered by this build: output path -> its `.gz` copy (made by the worker) and its size.
    gzipped: dict[str, tuple[deploy.Compressed, int]] = field(default_factory=dict)
    page_shas: dict[str, str] = field(default_factory=dict)  # output path -> SHA-256 of pages linked from the cache
    template_prints: dict[str, str] | None = None  # the templates' fingerprints, when templates changed
    # Every page's cache entry (key -> blob hash) when every route was keyed (a template edit):
    # the entries of the pages it replaced leave the index and their blobs go (`_replaced_blobs`).
    page_index: dict[str, str] | None = None
    notices: tuple[str, ...] = ()  # damaged cache entries found (and made again) by this build
    findings: Findings = field(default_factory=dict)  # each edited article's `Findings` now (empty ones too)
    # Site-wide findings found again because the edits may move them: (the last build's, now's).
    resaid: tuple[tuple[Diagnostic, ...], tuple[Diagnostic, ...]] = ((), ())


def _body_changes(snap: snapshot.Snapshot, edited: list[_Edited], valid_until: dt.datetime | None) -> _Changes:
    """The changes of edits to article bodies alone: their pages."""
    articles = list(snap.site.articles)
    for index, article, _, _, _, entry, _ in edited:
        # As a full build keeps it: the HTML in the cache, when the patch stored it there.
        articles[index] = dataclasses.replace(article, body_html="", body_blob=entry[1] if entry else "")
    markdown = {entry[0]: entry[1] for _, _, _, _, _, entry, _ in edited if entry is not None}
    return _Changes(
        site=dataclasses.replace(snap.site, articles=tuple(articles)),
        articles={index: article for index, article, *_ in edited}, links={snap.site.articles[i].source: own for i, _, _, _, own, _, _ in edited},
        files={urls.output_file(route.url): OutputFile(urls.output_file(route.url), data=page) for _, _, route, page, _, _, _ in edited},
        findings={article.source: found for _, article, _, _, _, _, found in edited},
        dropped=frozenset(), pages=len(snap.page_keys) + len(articles), rendered=len(edited), index={"markdown": markdown},
        related=snap.related, share_cards=snap.share_cards, link_targets=snap.link_targets, page_keys=snap.page_keys,
        valid_until=valid_until, read=len(edited), markdown_made=len(edited),
    )


def _remade_records(snap: snapshot.Snapshot, changes: _Changes, folder: Path) -> dict[str, Record] | None:
    """The search records by URL for a patch: the snapshot's (URL, shard and digest only, no
    HTML), each in its shard as the edits leave it, and every record of a shard that holds an
    edited article or gained or lost one made again, the others' HTML read back from the build
    cache; None when an HTML is not there (a full build then)."""
    records = {r.url: r for r in snap.records}
    touched: set[str] = set()
    if changes.shards is not None:
        if changes.shards.keys() != records.keys():
            return None
        for url, r in records.items():
            shard = changes.shards[url]
            if r.shard != shard:
                touched |= {r.shard, shard}
                records[url] = dataclasses.replace(r, shard=shard)
    edited = {a.url: a for a in changes.articles.values()}
    if any(url not in records for url in edited):
        return None
    touched |= {records[url].shard for url in edited}
    members = [edited.get(a.url, a) for a in changes.site.articles if a.url in records and records[a.url].shard in touched]
    if any(not a.body_blob and a.url not in edited for a in members):
        return None  # this model keeps no way to its HTML
    try:
        for a in with_bodies(members, folder):
            records[a.url] = site_record(snap.site, a, records[a.url].shard, snap.covers.get(a.url))
    except OSError:
        return None
    return records


def _carried_folders(
    folders: Sequence[tuple[str, Sequence[str]]], changes: _Changes, shards: Set[str] = frozenset(),
) -> list[tuple[str, Sequence[str]]]:
    """The last output's files a patch links as they are, by folder (folders left with none
    are not made: a clean build has no empty folder). Of the search bundle, the folders of the
    `shards` whose bundle is unchanged (`search.same_shards`), whole; its other files are made
    again by `index_site`."""
    # The folders holding a file `_carried` may refuse: every other folder is kept whole, with no
    # work per file (~50,000 files at 10k, a few dozen of them made again by a body patch).
    touched = {p.rpartition("/")[0] for p in (*changes.files, *changes.dropped, MARKER, deploy.HEADERS)}
    found: list[tuple[str, Sequence[str]]] = []
    bundle = f"{BUNDLE}/"
    for folder, names in folders:
        if folder == BUNDLE or folder.startswith(bundle):
            if folder != BUNDLE and folder.split("/", 2)[1] in shards and names:
                found.append((folder, names))
            continue
        if folder not in touched:
            if names:
                found.append((folder, names))  # the record's list, never changed
            continue
        prefix = f"{folder}/" if folder else ""
        kept = [name for name in names if _carried(prefix + name, changes)]
        if kept:
            found.append((folder, kept))
    return found


def _carried(path: str, changes: _Changes) -> bool:
    """Whether a file of the last output is linked into the patched one as it is."""
    if path in (MARKER, deploy.HEADERS) or path.startswith(BUNDLE + "/"):
        return False
    if path in changes.files or path in changes.dropped:
        return False
    return not (path.endswith(".gz") and (path[:-3] in changes.files or path[:-3] in changes.dropped))


@dataclass(frozen=True, slots=True, kw_only=True)
class QuickInputs:
    """What making one article's page again needs of the last good build."""

    root: Path
    site: Site  # that build's model (articles with their HTML)
    old: Article  # the article as that build had it
    route: Route  # its page
    photos: Photos
    env: jinja2.Environment
    globals: dict[str, Any]  # `page_globals`
    markdown_salt: str
    now: dt.datetime
    drafts: bool
    # Every address the site publishes, to check the body's links against (a build's findings
    # must be the same); None: not checked (`serve`'s quick page, which a full build follows).
    targets: Set[str] | None
    cache_folder: Path | None = None  # the build cache the HTML is written to (None: kept in memory)


# What a body edit changes in an article; everything else must stay equal for a quick page.
_BODY_FIELDS = {"body": "", "body_line": 0, "body_links": (), "body_images": (), "body_html": "", "lead": "", "body_blob": ""}


_Quick = tuple[Article, Route, bytes, dict[str, str], tuple[str, str] | None, tuple[Diagnostic, ...]]
"""The article (its HTML made, its Markdown dropped), its page's route, the page, the addresses
of the links its body writes as source paths, its Markdown's cache entry (key, blob hash)
when it was written to the cache, and its `Findings` (warnings only; without `targets`, the
broken links are not looked for)."""


def quick_article(quick: QuickInputs) -> _Quick | None:
    """The article as its file is now, its page's route and the page, made as a full build over
    the same model makes them, byte for byte; None whenever the edit could reach another page
    (a title, date, tag, category, photo, sapo or first paragraph that cards show, the article's
    address, its being published) or an error is found in it."""
    site, old = quick.site, quick.old
    article, diags = load_article(quick.root, site.config, site.officials, quick.root / old.source)
    if article is None or not _own_warnings(diags, old.source) or not (quick.drafts or article.is_published(quick.now)):
        return None
    article = dataclasses.replace(article, url=urls.article_url(site.config, article))
    if not _same_but_body(article, old) or [a.source for a in article.body_images] != [a.source for a in old.body_images]:
        return None
    others = tuple(article if a.source == old.source else a for a in site.articles)  # only its body is not ""
    links, link_diags = _source_links(dataclasses.replace(site, articles=others, pages=()))
    if quick.targets is not None:
        link_diags += _check_links(dataclasses.replace(site, articles=(article,), pages=()), quick.targets)
    if not _own_warnings(link_diags, old.source):
        return None
    state = _MarkupState(
        links=links, photos=quick.photos, env=quick.env, seconds=site.config.limits.markdown_seconds,
        folder=quick.cache_folder or quick.root, known={}, salt=quick.markdown_salt, write=quick.cache_folder is not None,
    )
    (outcome,) = _markup_chunk([article], state)
    if isinstance(outcome, Diagnostic):
        return None
    html, key, stored, _ = outcome
    article = _with_markup(article, html)
    context = quick.route.context
    if not isinstance(context, ArticleContext):
        return None
    view = article_view(article, site.config, site.officials, quick.photos)
    if card_view(view) != card_view(context.article):
        return None  # its card (lists, home, "Xem thêm", feeds) changed: other pages too
    route = dataclasses.replace(quick.route, context=dataclasses.replace(context, article=view))
    try:
        page = render_route(quick.env, route, quick.globals, quick.root)
    except TemplateFailed:
        return None
    findings = tuple(sort_diagnostics([*diags, *link_diags]))
    return article, route, page, links.get(old.source, {}), (key, stored) if stored else None, findings


def _own_warnings(diags: Sequence[Diagnostic], source: str) -> bool:
    """Whether `diags` are warnings that name the article `source` alone (its `Findings`)."""
    return all(d.path == source and not d.is_error for d in diags)


def _same_but_body(new: Article, old: Article) -> bool:
    return dataclasses.replace(new, **_BODY_FIELDS) == dataclasses.replace(old, **_BODY_FIELDS)  # type: ignore[arg-type]


_Edited = tuple[int, Article, Route, bytes, dict[str, str], tuple[str, str] | None, tuple[Diagnostic, ...]]
"""An edited article: its index in the model, then as `_Quick`."""


def _edited_articles(
    options: BuildOptions, snap: snapshot.Snapshot, sources: set[str], now: dt.datetime, env: jinja2.Environment, globals_: dict[str, Any],
    cache_folder: Path,
) -> list[_Edited] | None:
    """Each edited article loaded, checked and its page made again, when nothing but its body
    changed and no error is found in it; None otherwise."""
    root = options.site_dir.resolve()
    site = snap.site
    by_source = {a.source: i for i, a in enumerate(site.articles)}
    edited: list[_Edited] = []
    for source in sorted(sources):
        index = by_source.get(source)
        if index is None:
            return None
        route = article_route(site, index, snap.photos, snap.related[index], now, snap.share_cards)
        quick = quick_article(QuickInputs(
            root=root, site=site, old=site.articles[index], route=route, photos=snap.photos, env=env,
            globals=globals_, markdown_salt=snap.markdown_salt, now=now, drafts=options.drafts, targets=snap.link_targets,
            cache_folder=cache_folder,
        ))
        if quick is None:
            return None
        edited.append((index, *quick))
    return edited


def _same_place(new: Article, old: Article) -> bool:
    """Whether an edited article stays where it was: same address, state, photos (the same files
    in the same places, captions aside), audio and old addresses; its cards and date may change."""

    def files(article: Article) -> tuple[Any, ...]:
        cover = article.cover.source if article.cover else None
        audio = article.audio
        sound = (audio.source, audio.name, audio.media_path, audio.duration) if audio else None
        return (
            cover, tuple(a.source for a in article.gallery), tuple(a.source for a in article.body_images), sound,
            tuple(a for a, _ in article.aliases),
        )

    same = (new.url, new.draft, new.slug) == (old.url, old.draft, old.slug)
    return same and files(new) == files(old)


def _named_files(*articles: Article) -> set[str]:
    """The files (site-relative) that these articles name: cover, gallery, body photos, audio."""
    return {asset.source for article in articles for asset in article.assets()}


def _with_markup(article: Article, html: str) -> Article:
    """An article with its Markdown made into HTML, as `_with_html` keeps it."""
    if article.summary:
        return dataclasses.replace(article, body="", body_html=html)
    lead, rest = split_lead(html)
    return dataclasses.replace(article, body="", body_html=rest, lead=lead)


def _card_changes(
    options: BuildOptions, snap: snapshot.Snapshot, sources: set[str], now: dt.datetime, env: jinja2.Environment,
    globals_: dict[str, Any], cache: BuildCache, record: uptodate.Record, out: Path,
) -> _Changes | None:
    """The changes of edits that may reach other pages (a title, sapo, tag, official, category,
    caption...): the model with the edited articles, the "Xem thêm" picks again when what they
    read changed, the routes the edits may reach (`_plan_reached`: only those that show a changed
    card when no list moved, else every route), and made again only the pages whose key moved
    (lists, home, tags...: their keys are in the snapshot), the edited articles' own pages and those whose "Xem
    thêm" shows a changed card or picks others; feeds, sitemaps and redirect pages made again and
    kept when their bytes moved; a share card drawn for a changed headline. None when an edited
    article moved (address, date, state, photos, audio, aliases), has a finding, or the edit
    changes a finding, a claim or a link check of the site."""
    root = options.site_dir.resolve()
    site = snap.site
    config = site.config
    by_source = {a.source: i for i, a in enumerate(site.articles)}
    articles = list(site.articles)
    loaded: dict[int, Article] = {}
    own: list[Diagnostic] = []  # the edited articles' `Findings`
    for source in sorted(sources):
        index = by_source.get(source)
        if index is None:
            return None
        article, diags = load_article(root, config, site.officials, root / source)
        if article is None or not _own_warnings(diags, source) or not (options.drafts or article.is_published(now)):
            return None
        own += diags
        article = dataclasses.replace(article, url=urls.article_url(config, article))
        old = site.articles[index]
        if not _same_place(article, old) or (article.date != old.date and not (article.date <= now and old.date <= now)):
            return None  # moved, or a scheduled article's date (the next publication) changed
        loaded[index] = articles[index] = article
    # Their links written as source paths, found as a full build finds them (the others' bodies are "").
    links, link_diags = _source_links(dataclasses.replace(site, articles=tuple(articles), pages=()))
    if not all(d.path in sources and not d.is_error for d in link_diags):
        return None
    own += link_diags
    state = _MarkupState(
        links={**snap.links, **{s: links.get(s, {}) for s in sources}}, photos=snap.photos, env=env,
        seconds=config.limits.markdown_seconds, folder=cache.folder, known=cache.previous.get("markdown", {}),
        salt=snap.markdown_salt, write=True,
    )
    order = sorted(loaded)
    made = 0  # Markdown not found in the cache
    markdown: dict[str, str] = {}
    edited: dict[int, Article] = {}
    for index, marked in zip(order, _markup_chunk([loaded[i] for i in order], state), strict=True):
        if isinstance(marked, Diagnostic):
            return None
        html, key, sha, how = marked
        made += how != "cached"
        if sha is not None:
            markdown[key] = sha
        edited[index] = _with_markup(loaded[index], html)
        articles[index] = dataclasses.replace(edited[index], body_html="", body_blob=sha or "")  # as a full build keeps it
    # A new date puts the article elsewhere in the model (newest first, as `load_site` orders it):
    # from here on indexes are the new model's, `was` gives an edited article as it was.
    dated = any(articles[i].date != site.articles[i].date for i in edited)
    was = {i: site.articles[i] for i in edited}
    if dated:
        articles.sort(key=lambda a: (a.date, a.source), reverse=True)
        at = {a.source: i for i, a in enumerate(articles)}
        was = {at[a.source]: a for a in was.values()}
        edited = {at[a.source]: a for a in edited.values()}
    model = dataclasses.replace(site, articles=tuple(articles))
    # The site-wide findings the edits may move (a title now repeated, a tag spelt two ways, a date
    # far ahead...): found again before and after, to replace in the warnings (`_patched_warnings`).
    everyone, before = [*model.articles, *model.held], [*site.articles, *site.held]
    resaid: list[tuple[list[Diagnostic], list[Diagnostic]]] = []
    if dated:
        resaid.append((site_findings(before, now), site_findings(everyone, now)))
    else:
        if any(model.articles[i].title != was[i].title for i in edited):
            resaid += _title_findings(everyone, before, edited, was)
        if any(model.articles[i].tags != was[i].tags for i in edited):
            resaid.append((tag_spellings(before), tag_spellings(everyone)))
    photos = snap.photos
    stamp = generator_stamp()
    index_entries: dict[str, dict[str, str]] = {"markdown": markdown}
    # "Xem thêm": the picks again only when what they read changed (officials, tags, category).
    related = snap.related
    inputs_were = {i: related_inputs([was[i]])[0] for i in edited}
    if dated or any(related_inputs([model.articles[i]])[0] != inputs_were[i] for i in edited):
        earlier = None if dated else (snap.related, inputs_were)
        picked = _related(model, options.jobs, cache, stamp, write=True, before=earlier)
        related = tuple(tuple(p) for p in picked)
        index_entries["related"] = cache.used.get("related", {})

    def card(article: Article) -> CardView:
        return card_view(article_view(article, config, site.officials, photos))

    recarded = {i for i in edited if card(model.articles[i]) != card(was[i])}
    # Share cards of the edited articles shown without a photo: drawn again for a new headline.
    share_cards = dict(snap.share_cards)
    drawn = 0
    new_files: dict[str, OutputFile] = {}
    for index in sorted(edited):
        article = model.articles[index]
        if not needs_card(article):
            continue
        wanted = share_card(model, article)
        url = urls.card_url(wanted.key())
        if share_cards.get(article.source) == url:
            continue
        entry, count = redraw_card(model, article, cache_dir(root, config))
        drawn += count
        if entry is None or entry.og is None:
            return None
        share_cards[article.source] = url
        new_files[url.lstrip("/")] = OutputFile(url.lstrip("/"), copy_from=Path(entry.folder) / entry.og.file, link=True)
    # Addresses: what a link may name, and the files of pages that came or went.
    article_urls = {a.url: i for i, a in enumerate(model.articles)}
    old_urls = {*snap.page_keys, *article_urls}
    moved = _moved_lists(was, model)
    same_updates = all(model.articles[i].updated == was[i].updated for i in edited)
    narrow = not dated and not moved and same_updates
    planned = _plan_reached(model, site, photos, share_cards, recarded, narrow=narrow)
    if planned is None:
        return None
    outlined, reached = planned

    def article_route_of(index: int) -> Route:
        return article_route(model, index, photos, related[index], now, share_cards)

    new_urls = old_urls if outlined is None else {p.url for p in outlined}
    targets = (snap.link_targets - old_urls) | new_urls
    with_bodies = dataclasses.replace(model, articles=tuple(edited.values()), pages=())
    own += _check_links(with_bodies, targets)
    if targets != snap.link_targets and _check_links(model, targets) != _check_links(model, snap.link_targets):
        return None
    old_count, new_count = len(old_urls), len(new_urls)
    if old_count != new_count and max(old_count, new_count) > MAX_URLS:
        return None  # the sitemap may be split otherwise
    dropped = {urls.output_file(u) for u in old_urls - new_urls}
    by_folder = dict(record.output.folders)  # the last output's files, by folder: asked about a few paths

    def listed(path: str) -> bool:
        folder, _, name = path.rpartition("/")
        return name in by_folder.get(folder, ())

    for url in new_urls - old_urls:
        path = urls.output_file(url)
        parents = ["/".join(path.split("/")[:depth]) for depth in range(1, path.count("/") + 1)]
        if listed(path) or path in by_folder or any(listed(p) for p in parents):
            return None  # it would land on a file or folder of the last output: let a full build judge
    used_cards = set(share_cards.values())
    dropped |= {url.lstrip("/") for url in set(snap.share_cards.values()) - used_cards}
    # The pages to make: lists whose key moved, the edited articles, and the articles whose
    # "Xem thêm" changed; every other page is the last output's. Only article files changed since
    # the last build (`_patch`): its templates' fingerprints are this build's, not parsed again.
    prints = snap.template_prints
    keys = route_keys(stamp, globals_, snap.assets, prints, reached)
    others = list(snap.page_keys) if outlined is None else [p.url for p in outlined if p.url not in article_urls]
    page_keys = {u: snap.page_keys[u] for u in others if u in snap.page_keys}  # a route not reached keeps its key
    page_keys.update((r.url, k) for r, k in zip(reached, keys, strict=True))
    jobs = [(r, k) for r, k in zip(reached, keys, strict=True) if snap.page_keys.get(r.url) != k]
    old_picks = {a.source: tuple(site.articles[j].source for j in p) for a, p in zip(site.articles, snap.related, strict=True)} if dated else {}

    def picks_moved(index: int) -> bool:
        if not dated:
            return related[index] != snap.related[index]
        return tuple(model.articles[j].source for j in related[index]) != old_picks[model.articles[index].source]

    reread = [
        index for index, picks in enumerate(related)
        if index not in edited and (not recarded.isdisjoint(picks) or picks_moved(index))
    ]
    found = _bodies(root, model, reread, state)
    if found is None:
        return None
    bodies, remade = found
    whole = {**edited, **bodies}
    for index in sorted(whole):
        route = article_route_of(index)
        context = route.context
        assert isinstance(context, ArticleContext)
        view = article_view(whole[index], config, site.officials, photos)
        full = dataclasses.replace(route, context=dataclasses.replace(context, article=view))
        (key,) = route_keys(stamp, globals_, snap.assets, prints, [full])
        jobs.append((full, key))
    render = _RenderState(
        env=env, globals=globals_, root=root, folder=cache.folder, known=cache.previous.get("page", {}), known_gzip=cache.previous.get("gzip", {}),
    )
    pages: dict[str, str] = {}
    outcomes = _render_chunk(jobs, render) if len(jobs) < 64 else [o for c in parallel_chunks(_render_chunk, jobs, options.jobs, render, None) for o in c]
    for (route, key), outcome in zip(jobs, outcomes, strict=True):
        if isinstance(outcome, Diagnostic):
            return None
        sha, blob, *_ = outcome
        pages[key] = sha
        path = urls.output_file(route.url)
        new_files[path] = OutputFile(path, copy_from=blob, link=True)
    index_entries["page"] = pages
    # Feeds, sitemaps and the edited articles' redirect pages: made again, kept when they moved.
    # The sitemap lists every page with its members' newest change: the same while the pages,
    # their members and every date stay (the news sitemap shows titles: always made again).
    if not moved and others == list(snap.page_keys) and same_updates:
        generated = [*feed_files(model, photos, now), news_sitemap(model, now)]
    else:
        assert outlined is not None  # outlined whenever a list or an update date moved
        generated = feed_files(model, photos, now) + sitemap_files(model, outlined, now)
    generated += [r.file for r in redirect_files(dataclasses.replace(model, articles=tuple(model.articles[i] for i in sorted(edited))))]
    for file in generated:
        assert file.data is not None
        if not listed(file.path):
            return None
        if (out / file.path).read_bytes() != file.data:
            new_files[file.path] = file
    titles = any(model.articles[i].title != was[i].title for i in edited)
    return _Changes(
        site=model, articles=edited, links={a.source: links.get(a.source, {}) for a in edited.values()},
        files=new_files, dropped=frozenset(dropped), pages=len(new_urls), rendered=len(jobs), index=index_entries,
        related=related, share_cards=share_cards, link_targets=frozenset(targets), page_keys=page_keys, cards_drawn=drawn,
        read=len(edited) + len(bodies), markdown_made=made + remade,
        addresses=titles, valid_until=_valid_until(model, now), shards=shard_keys(model.articles) if dated else None,
        findings={source: () for source in sources} | file_findings(model.articles, own),
        resaid=(tuple(d for old, _ in resaid for d in old), tuple(d for _, new in resaid for d in new)),
    )


def _title_findings(
    everyone: Sequence[Article], before: Sequence[Article], edited: dict[int, Article], was: dict[int, Article],
) -> list[tuple[list[Diagnostic], list[Diagnostic]]]:
    """`duplicate_titles` before and after title edits without a date moved (`everyone`: the
    articles after them, then the held ones; `before`: the same before), when it may find
    otherwise: only the articles whose title reads as an edited article's old or new one are
    looked at first, and when none of them repeats another, before or after, every finding is
    as it was (each title folded once, not every title twice): none then."""
    touched = {title_key(a.title) for a in (*edited.values(), *was.values())}
    keys = [title_key(a.title) for a in everyone]
    after = [a for a, key in zip(everyone, keys, strict=True) if key in touched]
    # The same articles with the edited ones as they were (`before`: indexes are the same while
    # no date moved; an edited article's old title is one of those looked for).
    then = [was.get(i, a) for i, (a, key) in enumerate(zip(everyone, keys, strict=True)) if key in touched or i in was]
    if not duplicate_titles(after) and not duplicate_titles(then):
        return []
    return [(duplicate_titles(before), duplicate_titles(everyone))]


def _template_edit(previous: uptodate.Hashed, current: uptodate.Hashed, root: Path, theme_dir: Path) -> bool:
    """Whether the inputs differ and every file that appeared, went or changed is under the
    site's or the theme's `templates/` folder (everything else byte for byte the same)."""
    folders = tuple({f"{root / 'templates'}/", f"{theme_dir.resolve() / 'templates'}/"})
    found = False
    for name in previous.files.keys() ^ current.files.keys():
        if not name.startswith(folders):
            return False
        found = True
    for name, entry in current.files.items():
        was = previous.files.get(name)
        if was is not None and (not entry[4] or entry[4] != was[4]):
            if not name.startswith(folders):
                return False
            found = True
    return found


class _EarlyStaging:
    """A template patch's staging folder, made while its pages are still being rendered. Once the
    pages it replaces, with their `.gz` copies, outnumber the last output's folders, the spare
    will not be recycled (`_recycling`: a fresh folder costs less) and a fresh staging folder is
    made anyway: from then on the main process, which otherwise only waits for the workers,
    links each page and copy rendered (those before in one go) as its chunk comes back, instead
    of all of them after the last render (~15,000 folders and ~30,000 links at 10k). Below that,
    nothing is made here and the patch stages as before (a template that a few pages use)."""

    def __init__(self, out: Path, folders: int) -> None:
        self.out = out
        self.folders = folders
        self.replaced = 0  # files of the last output replaced so far (a page, its copy)
        self.waiting: list[tuple[str, str, str | None]] = []
        self.staged: Staged | None = None
        self.placed: Set[str] = frozenset()

    def add(self, path: str, blob: str, copy: str | None) -> None:
        """A page rendered (or found in the page cache) at `path`, and its `.gz` copy when it is
        published."""
        self.replaced += 1 if copy is None else 2
        if self.staged is None:
            self.waiting.append((path, blob, copy))
            if self.replaced <= self.folders:
                return
            self.staged = make_staging(self.out)
            self.placed = self.staged.placed
            waiting, self.waiting = self.waiting, []
            for item in waiting:
                self._place(*item)
            return
        self._place(path, blob, copy)

    def _place(self, path: str, blob: str, copy: str | None) -> None:
        assert self.staged is not None
        place(self.staged, path, blob)
        if copy is not None:
            place(self.staged, f"{path}.gz", copy)

    def handed(self) -> Staged | None:
        """The staging folder, given to `commit_output` (which owns it from then on), if made."""
        staged, self.staged = self.staged, None
        return staged

    def discard(self) -> None:
        """The staging folder removed, if made and not handed."""
        if self.staged is not None:
            discard_staging(self.staged)
            self.staged = None


def _template_changes(
    options: BuildOptions, snap: snapshot.Snapshot, now: dt.datetime, env: jinja2.Environment, globals_: dict[str, Any], cache: BuildCache,
    early: _EarlyStaging | None = None,
) -> _Changes | None:
    """The changes of edits to templates alone (`_template_edit`): every route planned again over
    the snapshot's model (no article read, no Markdown run, the "Xem thêm" picks kept: none of
    them reads a template), each by the worker that renders it (`routes.Planner` over the
    main process's `routes.outline`: URLs and list slices), and the pages whose key moved made again, each article's HTML read
    back from the build cache (`with_body`); a page whose key the cache knows is linked from it.
    Feeds, sitemaps, redirect pages, share cards and the search bundle are made without Jinja:
    the last output's. None when a template does not compile, the Markdown's templates
    (`macros.html` with what it imports: the bodies' photos) changed, an article's HTML is not in
    the cache, the routes are not the last build's, or a page fails to render. `early`: told of
    each page made, as its chunk comes back (`_EarlyStaging`)."""
    root = options.site_dir.resolve()
    if check_templates(env, root):
        return None  # a full build reports it
    stamp = generator_stamp()
    prints = template_fingerprints(env)
    site = snap.site
    if fingerprint(stamp, prints.get("macros.html", "")) != snap.markdown_salt or any(not a.body_blob for a in site.articles):
        return None
    routes = outline(site)  # planned in the workers (~0.8 s at 10k in one process)
    article_urls = {a.url for a in site.articles}
    addresses = {r.url for r in routes}
    if len(addresses) != len(routes) or addresses != {*snap.page_keys, *article_urls} or len(routes) != len(snap.page_keys) + len(article_urls):
        return None  # two routes claim one address (a full build reports it), or not the last build's routes
    known = cache.previous.get("page", {})
    files: dict[str, OutputFile] = {}
    page_shas: dict[str, str] = {}
    pages: dict[str, str] = {}
    page_index: dict[str, str] = {}
    page_keys: dict[str, str] = {}
    state = _KeyedState(
        render=_RenderState(env=env, globals=globals_, root=root, folder=cache.folder, known=known, known_gzip=cache.previous.get("gzip", {})),
        shared=fingerprint(stamp, globals_["site"], snap.assets), prints=prints, last=snap.page_keys,
        keyed=Fingerprints(_SHARED_VIEWS), planner=Planner(site, snap.photos, snap.related, now, snap.share_cards),
    )
    gzipped: dict[str, tuple[deploy.Compressed, int]] = {}
    copies: dict[str, str] = {}
    notices: list[str] = []
    outcomes: list[tuple[str, _Rendered | Diagnostic | None]] = []
    try:  # each page planned and keyed by the worker that makes it (~0.8 s and ~0.7 s at 10k)
        for chunk in parallel_chunks(_keyed_chunk, routes, options.jobs, state, None):
            if early is not None:
                for route, (_, outcome) in zip(routes[len(outcomes):], chunk, strict=False):
                    if isinstance(outcome, Diagnostic):
                        early = None  # the patch gives way to a full build: nothing more placed
                        break
                    if outcome is not None:
                        _, blob, _, copy, size = outcome
                        early.add(urls.output_file(route.url), blob, copy.blob if copy is not None and deploy.smaller(copy, size) else None)
            outcomes.extend(chunk)
    except (OSError, UnsafeOutput):  # an article's HTML gone from the cache meanwhile; a page's link refused
        return None
    rendered = 0
    for route, (key, outcome) in zip(routes, outcomes, strict=True):
        if route.url not in article_urls:
            page_keys[route.url] = key
        if outcome is None:  # the snapshot's key: the last output's page
            if key in known:
                page_index[key] = known[key]
            continue
        if isinstance(outcome, Diagnostic):
            return None  # a full build reports it
        sha, blob, how, copy, size = outcome
        path = urls.output_file(route.url)
        files[path] = OutputFile(path, copy_from=blob, link=True)
        page_shas[path] = pages[key] = page_index[key] = sha
        rendered += how != "cached"
        if how == "damaged":
            notices.append(_PAGE_DAMAGED)
        if copy is not None:
            gzipped[path] = (copy, size)
            copies[copy.key] = copy.sha
            if copy.how == "damaged":
                notices.append(_GZIP_DAMAGED)
    return _Changes(
        site=site, articles={}, links={}, files=files, dropped=frozenset(), pages=len(routes), rendered=rendered,
        index={"page": pages, "gzip": copies}, related=snap.related, share_cards=snap.share_cards, link_targets=snap.link_targets,
        page_keys=page_keys, valid_until=_valid_until(site, now), read=0, markdown_made=0, gzipped=gzipped, page_shas=page_shas,
        template_prints=prints, page_index=page_index, notices=tuple(sorted(set(notices))),
    )


def _replaced_blobs(entries: dict[str, dict[str, str]], page_index: dict[str, str]) -> set[str]:
    """`entries` (the index about to be written) with exactly `page_index` as its pages, and
    without the `.gz` copies of the pages that left it (a `.gz` key ends with its original's
    hash); the blobs those named. Without this each template edit would leave a page and a copy
    of every page it replaced in the cache until a full build's prune."""
    stale = set(entries.get("page", {}).values()) - set(page_index.values())
    entries["page"] = dict(page_index)
    copies = entries.get("gzip", {})
    gone = {key: sha for key, sha in copies.items() if key.rpartition(":")[2] in stale}
    entries["gzip"] = {key: sha for key, sha in copies.items() if key not in gone}
    return stale | set(gone.values())


def _plan_reached(
    model: Site, old: Site, photos: Photos, share_cards: dict[str, str], recarded: set[int], *, narrow: bool,
) -> tuple[list[Outlined] | None, list[Route]] | None:
    """What a card patch needs of the routes: every route of the model as URLs and list slices
    (`routes.outline`; None when not needed), and the routes (not articles') whose page the edits
    may change. `narrow` (no list gains, loses or reorders an article, no date or update date
    moved: a title, sapo, author, caption... edit): the pages that show a changed card, from
    `pages_showing`; no page comes or goes then, so the addresses are the snapshot's. Else both
    models are outlined (no view or card of ~15,000 routes is made: sitemap.xml needs only URLs
    and slices) and `changed_pages` plans the home and list pages that are new or whose heading,
    chips, page count, slice or shown cards changed. None when two routes claim one address (a
    full build reports it)."""
    if narrow:
        return None, pages_showing(model, photos, share_cards, recarded)
    pages = outline(model)
    if len({p.url for p in pages}) != len(pages):
        return None
    return pages, changed_pages(old, model, outline(old), pages, photos, share_cards, recarded)


def _moved_lists(was: dict[int, Article], new: Site) -> set[str]:
    """The lists (by their first page's URL) whose members, their order or heading an edit may
    change: every tag and official page of an article whose tags or officials changed, both
    categories and the home page's sections when its category changed; a new date moves the
    article in every list it is on (and in the archives of both dates)."""
    found: set[str] = set()
    for index, before in was.items():
        after = new.articles[index]
        dated = before.date != after.date
        if dated or before.tags != after.tags:
            found.update(urls.tag_url(t) for t in (*before.tags, *after.tags))
        if dated or before.officials != after.officials:
            found.update(urls.official_url(r.official_id) for r in (*before.officials, *after.officials) if r.official_id)
        if dated or before.category != after.category:
            found.update({urls.category_url(before.category), urls.category_url(after.category), "/"})
        if dated:
            for day in (before.date, after.date):
                found.update({urls.archive_url(), urls.archive_url(day.year), urls.archive_url(day.year, day.month)})
    return found


def _bodies(root: Path, site: Site, indexes: Sequence[int], state: _MarkupState) -> tuple[dict[int, Article], int] | None:
    """Unedited articles read again with their HTML (from the build cache, else made), for pages
    whose "Xem thêm" changed, and how many had to be made; None when one does not read back as
    the model has it."""
    found: list[Article] = []
    result: dict[int, Article] = {}
    for index in indexes:
        old = site.articles[index]
        if old.body_blob:  # its HTML is in the build cache: read back, not made again
            try:
                result[index] = next(with_bodies([old], state.folder))
            except OSError:
                return None
            continue
        article, _ = load_article(root, site.config, site.officials, root / old.source)
        if article is None:
            return None
        article = dataclasses.replace(article, url=old.url)
        if not _same_but_body(article, old):
            return None
        found.append(article)
    made = 0
    for index, article, outcome in zip([i for i in indexes if i not in result], found, _markup_chunk(found, state), strict=True):
        if isinstance(outcome, Diagnostic):
            return None
        result[index] = _with_markup(article, outcome[0])
        made += outcome[3] != "cached"
    return result, made


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


def _patched_headers(
    staging: Path, out: Path, folders: Sequence[tuple[str, Sequence[str]]], changes: _Changes, bundle: Sequence[str], assets: Assets,
) -> bool:
    """`_headers` as the last output's with the search bundle's rules made again, when every
    other file a rule names is where it was (nothing dropped, no file new outside the bundle):
    the same bytes as `_write_headers` over every file, without a rule tree of 50,000 files.
    A share card replaced (a new headline) changes no rule: every file under `anh/` is named by
    its content, so the folder has one rule while it holds any file. False when that cannot be
    told (then `_write_headers` writes it whole)."""
    photos = [p for p in changes.files if p.startswith(_PHOTO_FOLDER)]
    if any(not p.startswith(_PHOTO_FOLDER) for p in changes.dropped) or (changes.dropped and not photos):
        return False
    listed = dict(folders)
    if photos and not any(names for folder, names in folders if f"{folder}/".startswith(_PHOTO_FOLDER)):
        return False  # `anh/` had no file: its rule is new
    for path in changes.files:
        folder, _, name = path.rpartition("/")
        if name not in listed.get(folder, ()) and not path.startswith(_PHOTO_FOLDER):
            return False
    try:
        last = (out / deploy.HEADERS).read_bytes()
    except OSError:
        return False
    data = deploy.replace_folder_rules(last, BUNDLE, bundle, _immutable(assets))
    if data is None:
        return False
    (staging / deploy.HEADERS).write_bytes(data)
    return True


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
links that lead nowhere (`_source_links`, `_check_links`). A patch (`_patch`) replaces an edited
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


@dataclass(frozen=True, slots=True, kw_only=True)
class _KeyedState:
    render: _RenderState
    shared: str  # the part of every page key the site-wide values make (`route_keys`)
    prints: dict[str, str]  # the templates' fingerprints
    last: dict[str, str]  # the snapshot's page keys: URL -> key
    keyed: Fingerprints  # each process's own (a fork's copy): cards shown on many pages hashed once
    planner: Planner  # each process's own too: a view or card made once per process


def _keyed_chunk(items: Sequence[Outlined], state: _KeyedState) -> list[tuple[str, _Rendered | Diagnostic | None]]:
    """Each outlined route planned (`Planner`, as `plan_routes` makes it), its page key (exactly
    `route_keys`'), and its page as `_render_chunk` makes it, or None when the key is the
    snapshot's (the last output's page stays). Planned and keyed here, in the workers, the
    routes and keys overlap the renders instead of delaying them."""
    results: list[tuple[str, _Rendered | Diagnostic | None]] = []
    for item in items:
        route = state.planner.route(item)
        key = state.keyed(state.shared, state.prints.get(route.template, ""), route.template, route.context)
        if state.last.get(route.url) == key:
            results.append((key, None))
        else:
            results.append((key, _render_chunk([(route, key)], state.render)[0]))
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
