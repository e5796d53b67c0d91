"""Patch builds: a build that makes again only what the edited articles or templates reach, from the
last build's snapshot (`snapshot`), linking every other file from the last output; `patch_build` returns
None whenever it cannot tell that this gives exactly what a full build (`pipeline`) would."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from . import deploy, shortcut, snapshot, uptodate, urls
from .buildcache import (
    BUILD_DIR,
    BuildCache,
    Fingerprints,
    fingerprint,
    generator_stamp,
    open_cache,
    remove_blobs,
    write_index,
)
from .content import ARTICLES_DIR, load_article
from .dates import now_from_env
from .errors import Diagnostic, sort_diagnostics, warning
from .feeds import feed_files
from .model import Article, Site
from .photos import (
    cache_dir,
    needs_card,
    prune_replaced,
    redraw_card,
    share_card,
)
from .pipeline import (
    _GZIP_DAMAGED,
    _PAGE_DAMAGED,
    _PHOTO_FOLDER,
    _SHARED_VIEWS,
    CACHE_LABEL,
    BuildOptions,
    BuildResult,
    Findings,
    Warm,
    _check_links,
    _diags_to_json,
    _immutable,
    _Last,
    _markup_chunk,
    _MarkupState,
    _Plan,
    _published_addresses,
    _related,
    _render_chunk,
    _Rendered,
    _RenderState,
    _search_cache,
    _source_links,
    _Stopwatch,
    _store_snapshot,
    _valid_until,
    _with_markup,
    _write_headers,
    file_findings,
    route_keys,
    site_globals,
    with_bodies,
)
from .proofread import duplicate_titles, site_findings, tag_spellings, title_key
from .redirects import redirect_files
from .related import related_inputs
from .routes import ArticleContext, Outlined, Planner, Route, article_route, changed_pages, outline, pages_showing, plan_routes
from .search import (
    BUNDLE,
    Record,
    SearchReport,
    ShardGone,
    index_site,
    same_shards,
    shard_keys,
    site_record,
    start_shards,
)
from .sitemaps import news_sitemap, sitemap_files
from .sources import relative
from .templates import Assets, TemplateFailed, check_templates, make_environment, render_route, template_dirs, template_fingerprints
from .views import CardView, Photos, article_view, card_view
from .workers import parallel_chunks
from .writer import (
    MARKER,
    Carried,
    Kept,
    OutputFile,
    Recycle,
    Spare,
    Staged,
    UnsafeOutput,
    commit_output,
    discard_staging,
    make_staging,
    place,
)


def patch_build(options: BuildOptions, out: Path, lock_cache: Callable[[Path], None], last: _Last, warm: Warm | None = None) -> BuildResult | None:
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
    # A file saved while it built is read again by the next build (`as_built`). A body or card
    # patch read no file under content/articles/ but those it names (`_Changes.files_read`): the
    # others are not stated again.
    read = [*changed, *(str(root / source) for source in changes.files_read or ())]
    unread = root / ARTICLES_DIR if changes.files_read is not None else None
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
        for article in changes.articles.values():
            if article.source in named:
                was, now = _positions(before[article.source]), _positions(article)
                if any(was.get(d.line) != now.get(d.line) for d in kept if d.path == article.source):
                    return None
    return sort_diagnostics([*kept, *changes.resaid[1], *(d for found in changes.findings.values() for d in found)])


_ONCE = frozenset({"address-moved", "address-gone"})
"""Findings a build gives once: the addresses it no longer publishes are then remembered as gone
(`_lost_addresses`); the next build, a patch too, does not say them again."""


def _positions(article: Article) -> dict[int, frozenset[str]]:
    """What each line of an article's front matter holds (its keys, a tag's items as `tags`, the
    cover): a finding other than its own `Findings` points at one of them, and must find the same
    key there after an edit (a tag added on its line moves nothing; a title moved to another line
    does)."""
    found: dict[int, set[str]] = {}
    for key, line in article.field_lines:
        found.setdefault(line, set()).add(key.partition(".")[0])
    if article.cover is not None:
        found.setdefault(article.cover.line, set()).add("cover")
    return {line: frozenset(keys) for line, keys in found.items()}


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
    # Every file below content/articles/ the patch read (site-relative: the edited articles, the
    # unedited ones it loaded again, the files each names, as they are and as they were); None
    # when not told (a template patch: every input is stated again after it).
    files_read: frozenset[str] | None = None
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
        files_read=frozenset(source for i, article, *_ in edited for source in {article.source} | _named_files(article, snap.site.articles[i])),
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
    if article is None or not _own_warnings(diags, {old.source}) or not (quick.drafts or article.is_published(quick.now)):
        return None
    article = dataclasses.replace(article, url=urls.article_url(site.config, article))
    if not _same_but_body(article, old) or [a.source for a in article.body_images] != [a.source for a in old.body_images]:
        return None
    others = tuple(article if a.source == old.source else a for a in site.articles)  # only its body is not ""
    links, link_diags = _source_links(dataclasses.replace(site, articles=others, pages=()))
    if quick.targets is not None:
        link_diags += _check_links(dataclasses.replace(site, articles=(article,), pages=()), quick.targets)
    if not _own_warnings(link_diags, {old.source}):
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


def _own_warnings(diags: Sequence[Diagnostic], sources: Set[str]) -> bool:
    """Whether `diags` are warnings that each name one of the articles `sources` (their `Findings`)."""
    return all(d.path in sources and not d.is_error for d in diags)


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
        if article is None or not _own_warnings(diags, {source}) or not (options.drafts or article.is_published(now)):
            return None
        own += diags
        article = dataclasses.replace(article, url=urls.article_url(config, article))
        old = site.articles[index]
        if not _same_place(article, old) or (article.date != old.date and not (article.date <= now and old.date <= now)):
            return None  # moved, or a scheduled article's date (the next publication) changed
        loaded[index] = articles[index] = article
    # Their links written as source paths, found as a full build finds them (the others' bodies are "").
    links, link_diags = _source_links(dataclasses.replace(site, articles=tuple(articles), pages=()))
    if not _own_warnings(link_diags, sources):
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
    # the last build (`patch_build`): its templates' fingerprints are this build's, not parsed again.
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
    bodies, remade, reloaded = found
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
    remapped = bool(moved) or others != list(snap.page_keys) or not same_updates
    if not remapped:
        generated = [*feed_files(model, photos, now), news_sitemap(model, now)]
    else:
        assert outlined is not None  # outlined whenever a list or an update date moved
        generated = feed_files(model, photos, now) + sitemap_files(model, outlined, now)
    generated += [r.file for r in redirect_files(dataclasses.replace(model, articles=tuple(model.articles[i] for i in sorted(edited))))]
    # Past the URL limit the sitemap is an index of parts: a page more or less may add or remove
    # one (a part the last output has and this one not, or the other way: a full build).
    parts = {f.path for f in generated if _SITEMAP_PART.fullmatch(f.path)}
    if remapped and parts != {name for name in by_folder.get("", ()) if _SITEMAP_PART.fullmatch(name)}:
        return None
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
        files_read=frozenset(
            s for i, a in edited.items() for s in {a.source} | _named_files(a, was[i])
        ) | frozenset(s for a in reloaded for s in {a.source} | _named_files(a)),
        addresses=titles, valid_until=_valid_until(model, now), shards=shard_keys(model.articles) if dated else None,
        findings={source: () for source in sources} | file_findings(model.articles, own),
        resaid=(tuple(d for old, _ in resaid for d in old), tuple(d for _, new in resaid for d in new)),
    )


_SITEMAP_PART = re.compile(r"sitemap-[0-9]+\.xml")  # `urls.sitemap_url(N)`'s file, in the output's top folder


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


def _bodies(root: Path, site: Site, indexes: Sequence[int], state: _MarkupState) -> tuple[dict[int, Article], int, list[Article]] | None:
    """Unedited articles read again with their HTML (from the build cache, else made from their
    files), for pages whose "Xem thêm" changed, how many had to be made, and those loaded from
    their files; None when one does not read back as the model has it."""
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
    return result, made, found


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
