"""The search index: Pagefind bundles in shards, made from the articles' data, kept in the cache.

Each published article becomes one record: a small HTML document made from its data (title,
sapo, body, tags, officials, category, date, cover; plus a hidden copy of its words with đ/Đ
spelt d/D, since Pagefind folds tone marks but not đ). Articles are split into shards by year
(years gathered to SHARD_MIN articles, a year with more than SHARD_MAX split by month), and the
newest 64 to 127 articles apart (SHARD_TAIL), so that an edit re-indexes a few dozen records, not a
thousand; each shard is an independent Pagefind
bundle at `pagefind/<shard>/`, and `pagefind/shards.json` lists them newest first for the search
page, which searches the newest and merges the others (Pagefind's `mergeIndex`), so results are
ranked together.

A shard's finished bundle is kept in `CACHE/search/<shard>-<hash>/`, the hash taken over exactly
its records, Pagefind's version and this module's settings: a build makes only the shards whose
records changed. The records go to Pagefind's service mode (`pagefind --service`, the protocol
of the `pagefind` Python package, spoken here directly: the package waits 0.1 s per reply) in a
fresh process per shard, so the indexer's memory follows the largest shard, not the archive.

Every bundle is rewritten to be reproducible and cheap to search: filter files sorted and named
by content (Pagefind 1.5 writes them in hash-map order), the word index cut into small chunks, so
a query downloads the postings of its words, not hundreds of neighbours, and a common word keeps
one location per page (its heaviest, the title's if it is there), and the files rewritten are
gzip by libdeflate at level 10: at 10,000 articles a search for "chuyen doi so" downloads about
463 KB, not 900 KB."""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import cbor2
import deflate

from .dates import short_date
from .model import Article, Site, quick_pickling

BUNDLE = "pagefind"  # the bundles' folder inside the output; templates/search.html loads /pagefind/
MANIFEST = "shards.json"
LANGUAGE = "vi"
SHARD_MAX = 3000  # articles in one year before its shards are made of months
SHARD_MIN = 1000  # articles in one shard at least (but the only one): years are gathered to reach it
SHARD_TAIL = 64  # the newest articles, in a shard of their own: SHARD_TAIL to 2 * SHARD_TAIL - 1 of them
TAIL_SUFFIX = "-moi"  # that shard's name: its group's and this
CHUNK_BYTES = 12_000  # target size of one word-index chunk (CBOR, before gzip, estimated)
TITLE_WEIGHT = 7  # Pagefind's weight of an <h1>: the title's folded copy weighs the same
LOCATIONS_MAX = 1  # positions kept for a common word in one page (the heaviest: the title's)
COMMON = 10  # a word is common in a shard when one page in COMMON has it or more
# The index files we rewrite are gzip made by libdeflate at this level: 3.5 % smaller than zlib's
# level 9 (a 10k shard's index, meta and filters) in 70 % of its time; its output is fixed for a
# given version (pinned), named in SETTINGS so that a new one makes the shards again.
GZIP_LEVEL = 10
SETTINGS = (  # change when records or post-processing change
    f"records-4 chunk-{CHUNK_BYTES} heaviest-locations-{LOCATIONS_MAX}-common-{COMMON}"
    f" libdeflate-{deflate.__version__}-{GZIP_LEVEL}"
)
# Pagefind's files shared by every shard: published once, beside the newest shard's index.
ENGINE_FILES = ("pagefind.js", "pagefind-worker.js")  # and wasm.*.pagefind
UI_FILES = ("pagefind-ui.js", "pagefind-ui.css")
TIMEOUT = 1800  # seconds for one shard
ENTRY_FILE = "pagefind-entry.json"  # in a shard's cache entry (renamed in whole, `_build_shard`)


class SearchFailed(OSError):
    """The search index could not be made; the staging folder is discarded, the old output stays."""


class ShardGone(SearchFailed):
    """A shard given without its records' HTML is not in the cache any more (a patch build then
    gives way to a full build, which has every record)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One article as Pagefind sees it: its URL, its shard and the HTML made from its data."""

    url: str
    shard: str
    html: str
    # SHA-256 of the URL and the HTML, made with the record: a shard's cache key is taken over
    # its records' digests, so a build that indexes one shard does not hash the whole archive.
    digest: bytes = b""

    def __post_init__(self) -> None:
        if not self.digest:
            object.__setattr__(self, "digest", _record_digest(self.url, self.html))


quick_pickling(Record)  # a snapshot holds every record (URL, shard, digest): 10,000 at 10k articles


@dataclass(frozen=True, slots=True)
class SearchReport:
    shards: int
    built: int
    cached: int
    records: int
    seconds: float
    peak_kb: int  # the largest indexer process (resident set high-water mark), 0 if nothing built


def pagefind_executable() -> Path:
    """The Pagefind binary shipped in the installed `pagefind_bin` wheel."""
    try:
        import pagefind_bin
    except ImportError as exc:
        raise SearchFailed(
            "không tạo được chỉ mục tìm kiếm: chưa cài Pagefind (chạy `pip install -r requirements.txt`)"
        ) from exc
    try:
        return Path(pagefind_bin.get_executable())
    except (FileNotFoundError, OSError) as exc:
        raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: không tìm thấy tệp chạy Pagefind ({exc})") from exc


def pagefind_version() -> str:
    from .installed import installed_version

    # A binary from elsewhere: its size stands for its version.
    return installed_version("pagefind_bin") or f"size-{pagefind_executable().stat().st_size}"


# --- records -------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")


def _text(html_fragment: str) -> str:
    return html.unescape(_TAG.sub(" ", html_fragment))


def _folded_words(text: str) -> str:
    """The distinct words that carry đ/Đ, spelt with d/D, in first-seen order."""
    seen: dict[str, None] = {}
    for word in text.split():
        if "đ" in word or "Đ" in word:
            seen.setdefault(word.replace("đ", "d").replace("Đ", "D"), None)
    return " ".join(seen)


def shard_keys(articles: Sequence[Article], minimum: int | None = None, tail: int | None = None) -> dict[str, str]:
    """Article URL → shard. Years (months of a year with more than SHARD_MAX articles) are taken
    oldest first and gathered until a shard holds `minimum` articles (SHARD_MIN, or the
    TOASOAN_SEARCH_SHARD_MIN environment variable); what is left at the newest end joins the last
    shard. Old years keep their shard as new articles come in.

    The newest shard is then cut by count, oldest first, in blocks of `tail` articles (SHARD_TAIL,
    or TOASOAN_SEARCH_SHARD_TAIL): its last block and the articles after it, `tail` to
    `2 * tail - 1` of them, form a shard of their own, `<name>-moi`. That is where edits land
    (the newest articles), so re-indexing after an edit costs tens of records, not a thousand; the
    rest of the newest shard changes only once every `tail` new articles. Pagefind ranks each
    shard with its own word statistics (BM25): a word found once weighs less in a shard of 64
    articles than in one of a thousand, so `tail` is the smallest size at which a strong match
    there still ranks before weak ones in a big shard, and an exact spelling before an inexact
    one either way (tests/browser/test_search_ranking.py; at 32 the latter failed). The cut is
    made only when the newest shard keeps at least `minimum // 2` articles."""
    if minimum is None:
        minimum = int(os.environ.get("TOASOAN_SEARCH_SHARD_MIN", "") or SHARD_MIN)
    if tail is None:
        tail = int(os.environ.get("TOASOAN_SEARCH_SHARD_TAIL", "") or SHARD_TAIL)
    per_year: dict[int, int] = {}
    for a in articles:
        per_year[a.date.year] = per_year.get(a.date.year, 0) + 1
    unit_of = {a.url: f"{a.date.year}-{a.date.month:02d}" if per_year[a.date.year] > SHARD_MAX else str(a.date.year) for a in articles}
    sizes: dict[str, int] = {}
    for unit in unit_of.values():
        sizes[unit] = sizes.get(unit, 0) + 1
    groups: list[list[str]] = []
    count = minimum  # start a first group
    for unit in sorted(sizes):
        if count >= minimum:
            groups.append([])
            count = 0
        groups[-1].append(unit)
        count += sizes[unit]
    if len(groups) > 1 and count < minimum:
        newest = groups.pop()
        groups[-1] += newest
    name = {unit: group[0] if len(group) == 1 else f"{group[0]}_{group[-1]}" for group in groups for unit in group}
    keys = {url: name[unit] for url, unit in unit_of.items()}
    if groups and tail > 0:
        last = name[groups[-1][0]]
        members = sorted((a.date, a.url) for a in articles if keys[a.url] == last)
        cut = len(members) - tail - len(members) % tail  # the head keeps a multiple of `tail`
        if cut >= max(minimum // 2, 1):
            for _, url in members[cut:]:
                keys[url] = last + TAIL_SUFFIX
    return keys


def article_record(article: Article, shard: str, category: str, image: str | None) -> Record:
    """The HTML Pagefind indexes for one article: data only, no page chrome. The title is the
    heading (Pagefind weighs headings more); the folded copy of the body weighs half, so the exact spelling
    ranks first."""
    esc = html.escape
    meta = f"ngày:{short_date(article.date)}" + (f", image:{image}" if image else "")
    extras = [*article.tags, *(o.name for o in article.officials)]
    words = " ".join([article.title, article.summary or "", *extras, _text(article.lead), _text(article.body_html)])
    parts = [
        f'<html lang="{LANGUAGE}"><body><article data-pagefind-body data-pagefind-filter="Năm:{article.date.year}"'
        f' data-pagefind-meta="{esc(meta)}">',
        f"<h1>{esc(article.title)}</h1>",
        f'<p><span data-pagefind-filter="Chuyên mục">{esc(category)}</span>'
        + (f" {esc(article.author)}" if article.author else "") + "</p>",
    ]
    if article.summary:
        parts.append(f"<p>{esc(article.summary)}</p>")
    parts += [article.lead, article.body_html]
    if extras:
        parts.append(f"<p>{esc(' '.join(extras))}</p>")
    # The title's own folded copy weighs as much as the title: "chuyen doi so" finds "Chuyển đổi
    # số" in titles as it finds "chuyển" and "số" there (its copy comes before the body's, so a
    # word that keeps only its first positions keeps this one).
    folded_title = _folded_words(article.title)
    if folded_title:
        parts.append(f'<p data-pagefind-weight="{TITLE_WEIGHT}">{esc(folded_title)}</p>')
    parts.append(f'<p data-pagefind-weight="0.5">{esc(_folded_words(words))}</p></article></body></html>')
    return Record(url=article.url, shard=shard, html="\n".join(parts))


@dataclass(frozen=True, slots=True)
class KnownDigests:
    """Where `shard_records` keeps each shard's record digests under a hash of exactly what its
    records are made of (`shard_inputs`), so that a build whose shard inputs are unchanged and
    whose bundle is in the search cache `folder` makes none of its records (reads no article's
    HTML back, folds no word). `recall(key)` gives the digests kept (32 bytes each, in record
    order) or None; `remember(key, digests)` keeps them. The caller's store is checksummed:
    digests of the wrong length are ignored."""

    folder: Path
    recall: Callable[[str], bytes | None]
    remember: Callable[[str, bytes], None]


def shard_records(
    site: Site, images: dict[str, str], with_html: Callable[[Iterable[Article]], Iterable[Article]] | None = None,
    known: KnownDigests | None = None,
) -> Iterator[Record]:
    """Every published article's record, made one at a time, shard by shard and by URL within a
    shard (the order `index_site` takes them in). `with_html` gives articles their HTML when
    the model leaves it in the build cache (`pipeline.with_bodies`). With `known`, the records of
    a shard whose inputs and bundle are unchanged come without HTML, with their kept digests
    (`index_site` takes such a shard from the cache)."""
    shards = shard_keys(site.articles)
    order = sorted(site.articles, key=lambda a: (shards[a.url], a.url))
    for shard, group in itertools.groupby(order, key=lambda a: shards[a.url]):
        members = list(group)
        if known is None:
            yield from _made_records(site, members, shard, images, with_html)
            continue
        key = shard_inputs(site, members, shard, images)
        digests = known.recall(key)
        if digests is not None and len(digests) == 32 * len(members):
            split = [digests[i:i + 32] for i in range(0, len(digests), 32)]
            if (known.folder / f"{shard}-{_shard_digest(split, pagefind_version())}" / ENTRY_FILE).is_file():
                yield from (Record(url=a.url, shard=shard, html="", digest=d) for a, d in zip(members, split, strict=True))
                continue
        made: list[bytes] = []
        for record in _made_records(site, members, shard, images, with_html):
            made.append(record.digest)
            yield record
        known.remember(key, b"".join(made))


def _made_records(
    site: Site, members: list[Article], shard: str, images: dict[str, str],
    with_html: Callable[[Iterable[Article]], Iterable[Article]] | None,
) -> Iterator[Record]:
    for a in members if with_html is None else with_html(members):
        yield site_record(site, a, shard, images.get(a.url))


def shard_inputs(site: Site, members: Sequence[Article], shard: str, images: dict[str, str]) -> str:
    """A hash of everything the records of `shard` (its `members`, in order) are made of: each
    article's fields that `article_record` reads (its HTML by the blob that holds it, when the
    model left it in the build cache), its category's name and its image. The code that makes
    records is not in it: the caller's store belongs to one generator version."""
    digest = hashlib.sha256(f"{SETTINGS}\n{shard}\n{len(members)}\n".encode())
    for a in members:
        category = site.config.category(a.category)
        digest.update(record_inputs(a, category.name if category else a.category, images.get(a.url)))
    return digest.hexdigest()


def record_inputs(article: Article, category: str, image: str | None) -> bytes:
    """What one article's record is made of, as bytes (length-prefixed, so no two inputs meet)."""
    parts = [
        article.url, article.date.isoformat(), article.title, article.summary, article.author, category, image,
        article.lead, article.body_html, article.body_blob, *article.tags, "\x00", *(o.name for o in article.officials),
    ]
    out = bytearray()
    for part in parts:
        data = b"\xff" if part is None else part.encode("utf-8")
        out += len(data).to_bytes(8, "little")
        out += data
    return hashlib.sha256(out).digest()


def site_record(site: Site, article: Article, shard: str, image: str | None) -> Record:
    """`article_record` with the article's category named as the site's config names it."""
    category = site.config.category(article.category)
    return article_record(article, shard, category.name if category else article.category, image)


# --- building the shards -------------------------------------------------------------------


def index_site(
    staging: Path, records: Iterable[Record], cache: Path, files: list[str] | None = None, kept: list[Record] | None = None,
    carried: Collection[str] = (), ahead: Started | None = None,
) -> SearchReport:
    """Publish one bundle per shard in `staging/pagefind/`, from the cache or made afresh;
    entries of `cache` (the `search/` folder of the build cache) no build used are removed.
    The published files' output paths are added to `files`, sorted, when it is given (a patch
    build needs them and need not list 10,000 files again).

    `records` come shard by shard (`shard_records`; a list in any order is grouped first), and
    each shard's HTML is let go as soon as its bundle is made or found in the cache: memory holds
    a few shards, not the archive. `kept` is given every record without its HTML (URL, shard,
    digest: what tells a later build which shards changed). A record without HTML stands for one
    whose shard's bundle must be in the cache; when it is not, SearchFailed. The shards named
    `carried` are in `staging` already (a patch build linked their folders from the last output,
    `same_shards`): they are neither published again nor listed in `files`. A shard `ahead`
    holds (`start_shards`) is finished from the files Pagefind made meanwhile."""
    started = time.perf_counter()
    if isinstance(records, Sequence):
        records = sorted(records, key=lambda r: r.shard)  # stable: by URL within a shard, as given
    version = pagefind_version()
    entries: dict[str, Path] = {}
    built = 0
    peak = 0
    count = 0
    try:
        cache.mkdir(parents=True, exist_ok=True)
        # Shards are independent bundles: one indexer process per shard, as many at once as
        # there are cores (each makes the same bytes whatever runs beside it).
        workers = max(1, min(os.cpu_count() or 1, 4))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            running: list[tuple[str, Future[int]]] = []
            for shard, group in itertools.groupby(records, key=lambda r: r.shard):
                if shard in entries:
                    raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: phần `{shard}` đến hai lần")
                members = list(group)
                count += len(members)
                entry = cache / f"{shard}-{_shard_hash(members, version)}"
                entries[shard] = entry
                if kept is not None:
                    kept.extend(Record(url=r.url, shard=r.shard, html="", digest=r.digest) for r in members)
                if (entry / "pagefind-entry.json").is_file():
                    continue
                if any(not r.html for r in members):
                    raise ShardGone(f"không tạo được chỉ mục tìm kiếm: phần `{shard}` không còn trong bộ nhớ đệm")
                while len(running) >= workers:  # at most `workers` shards' HTML held at once
                    peak = max(peak, running.pop(0)[1].result())
                    built += 1
                if ahead is not None and ahead.has(entry):
                    running.append((shard, pool.submit(_finish_shard, ahead, entry)))
                else:
                    running.append((shard, pool.submit(_build_shard, members, entry)))
                del members
            # The shards found in the cache are linked while the others are still being indexed
            # (links are the kernel's work, indexing Pagefind's process: a patch build's search
            # stage costs the larger of the two, not their sum).
            newest = max(entries, default="")
            indexing = {shard for shard, _ in running}
            published = [
                path for shard in entries if shard not in indexing and shard not in carried
                for path in _publish_shard(staging / BUNDLE, shard, entries[shard], newest)
            ]
            for shard, future in running:
                peak = max(peak, future.result())
                built += 1
                published += _publish_shard(staging / BUNDLE, shard, entries[shard], newest)
        published += _publish_rest(staging / BUNDLE, entries)
        if files is not None:
            files.extend(sorted(f"{BUNDLE}/{path}" for path in published))
        _prune(cache, set(entries.values()))
    except OSError as exc:
        if isinstance(exc, SearchFailed):
            raise
        raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: {exc}") from exc
    return SearchReport(shards=len(entries), built=built, cached=len(entries) - built, records=count,
                        seconds=time.perf_counter() - started, peak_kb=peak)


def same_shards(output: Path, folders: Iterable[tuple[str, Sequence[str]]], records: Sequence[Record], cache: Path) -> frozenset[str]:
    """The shards whose folder in `output` (the last output, checked as its record says; `folders`:
    its folders with their files' names) is the bundle these `records` give, so that a patch
    build carries the folder as it is instead of publishing it again: its entry file is the very
    file (device and inode) of the shard's cache entry (every file of a shard's folder is linked
    from one entry, `_publish_shard`, and an entry is never written again once made), and it holds
    Pagefind's engine exactly when it is still the newest shard."""
    version = pagefind_version()
    ordered = sorted(records, key=lambda r: r.shard)  # as `index_site` takes them
    entries = {shard: f"{shard}-{_shard_hash(group, version)}" for shard, group in itertools.groupby(ordered, key=lambda r: r.shard)}
    newest = max(entries, default="")
    found: set[str] = set()
    for folder, names in folders:
        parent, _, shard = folder.rpartition("/")
        if parent != BUNDLE or shard not in entries or ENTRY_FILE not in names:
            continue
        if (ENGINE_FILES[0] in names) != (shard == newest):
            continue
        try:
            mine = os.lstat(output / folder / ENTRY_FILE)
            cached = os.lstat(cache / entries[shard] / ENTRY_FILE)
        except OSError:
            continue
        if (mine.st_dev, mine.st_ino) == (cached.st_dev, cached.st_ino):
            found.add(shard)
    return frozenset(found)


def _shard_hash(records: Iterable[Record], version: str) -> str:
    return _shard_digest((r.digest for r in records), version)


def _shard_digest(digests: Iterable[bytes], version: str) -> str:
    digest = hashlib.sha256(f"pagefind {version}\n{SETTINGS}\n".encode())
    for d in digests:
        digest.update(d)
    return digest.hexdigest()[:16]


def _record_digest(url: str, html: str) -> bytes:
    return hashlib.sha256(f"{len(url)}:{url}{len(html)}:{html}".encode()).digest()


def _build_shard(records: Sequence[Record], entry: Path) -> int:
    """Index one shard into the cache entry `entry` (via a temporary folder beside it, renamed
    in when complete); returns the indexer's peak resident memory in KB."""
    with _Service() as service:
        files, peak = _indexed(service, records)
    _store(files, entry)
    return peak


def _indexed(service: _Service, records: Sequence[Record]) -> tuple[list[dict[str, Any]], int]:
    """The bundle's files as Pagefind gives them (path and base64 content) for `records`, and
    its peak resident memory in KB."""
    index = service.call({"type": "NewIndex", "config": {"force_language": LANGUAGE}})["index_id"]
    service.call_all([{"type": "AddFile", "index_id": index, "url": r.url, "file_contents": r.html, "file_path": None}
                      for r in records])
    # The files come back in the reply and are written here: with WriteFiles the reply
    # may come before Pagefind's own writes are all on disk.
    files: list[dict[str, Any]] = service.call({"type": "GetFiles", "index_id": index})["files"]
    return files, service.peak_kb()


_UNUSED = ("pagefind-component-ui.", "pagefind-modular-ui.", "pagefind-highlight.")  # Pagefind's files no build publishes


def _store(files: list[dict[str, Any]], entry: Path) -> None:
    """Pagefind's `files`, rewritten (`_rewrite`), as the cache entry `entry` (written in a
    temporary folder beside it, renamed in when complete). The UI variants no build publishes
    are not written."""
    work = Path(tempfile.mkdtemp(prefix=".tmp-", dir=entry.parent))
    try:
        out = work / "out"
        out.mkdir()
        made = {""}
        for item in files:
            path = item["path"]
            if not isinstance(path, str) or path.startswith("/") or any(part in ("", ".", "..") for part in path.split("/")) or "\x00" in path:
                raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: Pagefind trả về đường dẫn lạ `{path}`")
            if path.startswith(_UNUSED):
                continue
            folder = path.rpartition("/")[0]
            if folder not in made:
                (out / folder).mkdir(parents=True, exist_ok=True)
                made.add(folder)
            (out / path).write_bytes(base64.b64decode(item["content"]))
        files.clear()
        _rewrite(out)
        shutil.rmtree(entry, ignore_errors=True)
        out.rename(entry)
    finally:
        shutil.rmtree(work, ignore_errors=True)


class Started:
    """The shards a patch build must index, handed to Pagefind before the staging folder is made
    (`start_shards`): each shard's records go to its own `pagefind --service` process from a
    thread that only writes the requests and reads the replies (the GIL is free while Pagefind
    works in its process), so Pagefind indexes while the build recycles its staging folder, and
    `index_site` takes the files in hand. `close` stops whatever was not taken (a build that
    gives way or fails)."""

    def __init__(self) -> None:
        self._running: dict[Path, tuple[_Service, threading.Thread, list[Any]]] = {}

    def start(self, records: Sequence[Record], entry: Path) -> None:
        service = _Service()
        outcome: list[Any] = []

        def run() -> None:
            try:
                outcome.append(_indexed(service, records))
            except BaseException as exc:  # told to `take`
                outcome.append(exc)

        thread = threading.Thread(target=run, name=f"pagefind {entry.name}", daemon=True)
        self._running[entry] = (service, thread, outcome)
        thread.start()

    def has(self, entry: Path) -> bool:
        return entry in self._running

    def take(self, entry: Path) -> tuple[list[dict[str, Any]], int] | None:
        """The files and peak memory of the shard started for `entry`, waited for; None if none was."""
        found = self._running.pop(entry, None)
        if found is None:
            return None
        service, thread, outcome = found
        thread.join()
        service.__exit__()
        if not outcome or isinstance(outcome[0], BaseException):
            raise SearchFailed("không tạo được chỉ mục tìm kiếm: Pagefind ngừng giữa chừng") from (outcome[0] if outcome else None)
        files, peak = outcome[0]
        return files, peak

    def close(self) -> None:
        for service, thread, _ in self._running.values():
            service.__exit__()  # its thread's read ends
            thread.join()
        self._running.clear()


def start_shards(records: Sequence[Record], cache: Path) -> Started:
    """Pagefind started on every shard of `records` whose bundle is not in the search cache `cache`
    and whose records have their HTML (a patch build's changed shards), as `index_site` would
    index them; given to `index_site(..., started=)`."""
    started = Started()
    version = pagefind_version()
    try:
        for shard, group in itertools.groupby(sorted(records, key=lambda r: r.shard), key=lambda r: r.shard):
            members = list(group)
            entry = cache / f"{shard}-{_shard_hash(members, version)}"
            if not (entry / ENTRY_FILE).is_file() and all(r.html for r in members):
                started.start(members, entry)
    except BaseException:
        started.close()
        raise
    return started


def _finish_shard(started: Started, entry: Path) -> int:
    taken = started.take(entry)
    assert taken is not None
    files, peak = taken
    _store(files, entry)
    return peak


def _publish_shard(bundle: Path, shard: str, source: Path, newest: str) -> list[str]:
    """One shard's index files under `bundle/<shard>/` (hard links from its cache entry `source`),
    and Pagefind's engine beside the `newest` shard's (the search page's primary index). Some
    10,000 files at 10k articles in all: linked by name between open folders, one listing each.
    Returns the paths written, relative to `bundle`."""
    bundle.mkdir(parents=True, exist_ok=True)
    target = bundle / shard
    target.mkdir()
    written: list[str] = []
    top = []
    for name in sorted(path.name for path in source.iterdir()):
        if name in ("index", "fragment", "filter"):
            (target / name).mkdir()
            written += (f"{shard}/{name}/{linked}" for linked in _link_folder(source / name, target / name))
        elif name == "pagefind-entry.json" or name.endswith(".pf_meta") or (shard == newest and _engine_file(name)):
            top.append(name)
    written += (f"{shard}/{linked}" for linked in _link_folder(source, target, top))
    return written


def _publish_rest(bundle: Path, entries: dict[str, Path]) -> list[str]:
    """After every shard's files (`_publish_shard`): Pagefind's UI once at the top, from the
    newest shard's entry, and the manifest listing the shards newest first. Returns the paths
    written, relative to `bundle`."""
    order = sorted(entries, reverse=True)
    bundle.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    if order:
        written += _link_folder(entries[order[0]], bundle, UI_FILES)
    manifest = {"version": pagefind_version(), "shards": order}
    (bundle / MANIFEST).unlink(missing_ok=True)  # never written through: a recycled folder's file may be a link
    (bundle / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*written, MANIFEST]


def _names(folder: int) -> list[str]:
    with os.scandir(folder) as found:
        return sorted(entry.name for entry in found)


def _engine_file(name: str) -> bool:
    return name in ENGINE_FILES or (name.startswith("wasm.") and name.endswith(".pagefind"))


def _link_folder(source: Path, target: Path, names: Sequence[str] | None = None) -> Sequence[str]:
    """Hard links in `target` to the files `names` of `source` (all of them by default), copies
    where a link cannot be made; returns the names."""
    src = os.open(source, os.O_RDONLY | os.O_DIRECTORY)
    try:
        dst = os.open(target, os.O_RDONLY | os.O_DIRECTORY)
        try:
            if names is None:
                names = _names(src)
            for name in names:
                try:
                    os.link(name, name, src_dir_fd=src, dst_dir_fd=dst, follow_symlinks=False)
                except FileExistsError:  # never copied over: it could be a link to another output's file
                    raise
                except OSError:
                    shutil.copyfile(source / name, target / name)
        finally:
            os.close(dst)
    finally:
        os.close(src)
    return names


def _prune(cache: Path, used: set[Path]) -> None:
    for entry in cache.iterdir():
        if entry not in used and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)


class _Service:
    """`pagefind --service`: requests are base64 JSON each followed by a comma; so are replies."""

    BATCH = 64  # requests sent before their replies are read

    def __init__(self) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PAGEFIND_")}
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__
        try:
            self._proc = subprocess.Popen(
                [str(pagefind_executable()), "--service"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=self._log, env=env,
            )
        except OSError as exc:
            self._log.close()
            raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: không chạy được Pagefind ({exc})") from exc
        self._next = 0
        self._pending = bytearray()
        self._deadline = time.monotonic() + TIMEOUT

    def __enter__(self) -> _Service:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.terminate()
        self._proc.wait()
        self._log.close()

    def call(self, payload: dict[str, Any]) -> dict[str, Any]:
        return self.call_all([payload])[0]

    def call_all(self, payloads: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers to `payloads`, in their order. They are sent in batches without waiting
        for each reply (Pagefind reads its input on a thread of its own and answers each message
        by its id), so a shard's thousand records do not cost a thousand round trips."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        answers: list[dict[str, Any]] = []
        for start in range(0, len(payloads), self.BATCH):
            first = self._next + 1
            messages = []
            for payload in payloads[start : start + self.BATCH]:
                self._next += 1
                message = json.dumps({"message_id": self._next, "payload": payload}, ensure_ascii=False)
                messages.append(base64.b64encode(message.encode("utf-8")) + b",")
            try:
                self._proc.stdin.write(b"".join(messages))
                self._proc.stdin.flush()
                replies: dict[Any, dict[str, Any]] = {}
                while len(replies) < len(messages):
                    reply = self._read()
                    replies[reply.get("message_id")] = reply
            except (OSError, ValueError) as exc:
                raise self._failed(f"Pagefind ngừng giữa chừng ({exc})") from exc
            if time.monotonic() > self._deadline:
                raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: Pagefind chạy quá {TIMEOUT} giây")
            for message_id in range(first, self._next + 1):
                answer: dict[str, Any] = (replies.get(message_id) or {}).get("payload") or {}
                if answer.get("type") == "Error":
                    raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: Pagefind báo lỗi: {answer.get('message')}")
                answers.append(answer)
        return answers

    def _read(self) -> dict[str, Any]:
        """One reply: the bytes up to the next comma (what follows is kept for the next)."""
        assert self._proc.stdout is not None
        end = self._pending.find(b",")
        while end < 0:
            more = os.read(self._proc.stdout.fileno(), 1 << 20)
            if not more:
                raise ValueError("no reply")
            self._pending += more
            found = more.find(b",")
            end = found if found < 0 else len(self._pending) - len(more) + found
        reply: dict[str, Any] = json.loads(base64.b64decode(bytes(self._pending[:end])))
        del self._pending[: end + 1]
        return reply

    def _failed(self, message: str) -> SearchFailed:
        self._log.seek(0)
        tail = "; ".join(self._log.read().decode("utf-8", "replace").strip().splitlines()[-5:])
        return SearchFailed(f"không tạo được chỉ mục tìm kiếm: {message}" + (f": {tail}" if tail else ""))

    def peak_kb(self) -> int:
        try:
            status = Path(f"/proc/{self._proc.pid}/status").read_text(encoding="ascii")
        except OSError:
            return 0
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        return int(found.group(1)) if found else 0


# --- making a bundle reproducible and its chunks small ------------------------------------

_MAGIC = b"pagefind_dcd"


def _read_cbor(path: Path) -> Any:
    data = gzip.decompress(path.read_bytes())
    if not data.startswith(_MAGIC):
        raise SearchFailed(f"không tạo được chỉ mục tìm kiếm: tệp Pagefind lạ `{path.name}`")
    return cbor2.loads(data[len(_MAGIC) :])


def _write_cbor(value: Any) -> tuple[bytes, str]:
    return _packed(cbor2.dumps(value))


def _packed(encoded: bytes) -> tuple[bytes, str]:
    """A Pagefind file's bytes from its CBOR, and the SHA-256 its name is taken from: gzip as
    Pagefind's own (its script inflates any gzip stream), mtime 0 and no name."""
    raw = _MAGIC + encoded
    return bytes(deflate.gzip_compress(raw, GZIP_LEVEL)), hashlib.sha256(raw).hexdigest()


def _head(major: int, count: int) -> bytes:
    """A CBOR head: major type (`0x00` unsigned, `0x20` negative, `0x80` array) and its argument,
    in the shortest form (as cbor2 and Pagefind write it)."""
    if count < 24:
        return bytes((major | count,))
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if count < 1 << (8 * size):
            return bytes((major | extra,)) + count.to_bytes(size, "big")
    raise ValueError(count)


class _Integers(dict[int, bytes]):
    """The CBOR encoding of each integer from -2**16 to 2**16 - 1, made the first time it is asked
    for (a table of all 131,072 made at import took ~0.1 s of every build's start, patch builds
    included; a shard uses a few thousand); any other key is missing (KeyError). A whole float
    or a bool finds the integer it equals, as in a table made in advance."""

    def __missing__(self, key: object) -> bytes:
        if type(key) in (int, bool, float):
            try:
                number = int(key)  # type: ignore[call-overload]
            except (OverflowError, ValueError):  # inf, nan
                raise KeyError(key) from None
            if number == key and -(1 << 16) <= number < 1 << 16:
                encoded = self[number] = _head(0x00, number) if number >= 0 else _head(0x20, -1 - number)
                return encoded
        raise KeyError(key)


# The encoded forms of the integers and array heads a word index is made of (page numbers,
# positions, weight marks, lengths): looked up, not encoded one by one.
_INT = _Integers()
_ARRAY = [bytes((0x80 | n,)) if n < 24 else bytes((0x98, n)) if n < 256 else b"\x99" + n.to_bytes(2, "big") for n in range(1 << 12)]


def _encoded_pages(pages: list[Any]) -> tuple[bytes, int]:
    """`cbor2.dumps(pages)` for a word's pages, each `[page, locations, []]` (integers, as Pagefind
    writes them: a location that is a bool or a whole float would pass for the integer it
    equals), in half its time (a chunk is mostly such small arrays; anything else is encoded by
    cbor2); and the estimated size of the entry, 4 bytes a page and 2 a location."""
    parts = [_ARRAY[len(pages)] if len(pages) < len(_ARRAY) else _head(0x80, len(pages))]
    locations = 0
    for page in pages:
        locations += len(page[1])
        if type(page) is list and len(page) == 3 and type(page[0]) is int and type(page[1]) is list and page[2] == []:
            try:
                parts.append(b"\x83" + _INT[page[0]] + _ARRAY[len(page[1])] + b"".join([_INT[x] for x in page[1]]) + b"\x80")
                continue
            except (KeyError, IndexError, TypeError):  # a number beyond the tables, or not a number
                pass
        parts.append(cbor2.dumps(page))
    return b"".join(parts), 4 * len(pages) + 2 * locations


def _encoded_word(word: list[Any]) -> tuple[bytes, int]:
    """`cbor2.dumps(word)` for a word-index entry `[word, pages, variants, ...]`, each variant
    `[spelling, pages, ...]`, the pages by `_encoded_pages`; and the entry's estimated size (its
    spellings' characters and their pages')."""
    parts = [_head(0x80, len(word)), cbor2.dumps(word[0])]
    encoded, size = _encoded_pages(word[1])
    parts.append(encoded)
    size += len(word[0])
    if len(word) > 2:
        parts.append(_head(0x80, len(word[2])))
        for variant in word[2]:
            encoded, weight = _encoded_pages(variant[1])
            parts += [_head(0x80, len(variant)), cbor2.dumps(variant[0]), encoded, *map(cbor2.dumps, variant[2:])]
            size += len(variant[0]) + weight
        parts += map(cbor2.dumps, word[3:])
    return b"".join(parts), size


def _rewrite(bundle: Path) -> None:
    """Filter values sorted and filter files named by content (Pagefind 1.5 writes them from a
    hash map with a random seed, upstream issue 638); the word index re-cut into chunks of about
    CHUNK_BYTES, named by content; then the meta file and the entry that name them."""
    entry_path = bundle / "pagefind-entry.json"
    entry = json.loads(entry_path.read_text(encoding="utf-8"))
    for language, info in sorted(entry.get("languages", {}).items()):
        old_meta = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = _read_cbor(old_meta)
        renamed = []
        for name, file_hash in meta[3]:
            old_filter = bundle / "filter" / f"{file_hash}.pf_filter"
            label, values = _read_cbor(old_filter)
            data, digest = _write_cbor([label, sorted(values, key=lambda v: (v[0], v[1]))])
            old_filter.unlink()
            new_hash = f"{language}_{digest[:7]}"
            (bundle / "filter" / f"{new_hash}.pf_filter").write_bytes(data)
            renamed.append([name, new_hash])
        meta[3] = sorted(renamed)
        meta[2] = _rechunk(bundle / "index", language, meta[2], len(meta[1]))
        data, digest = _write_cbor(meta)
        new_meta_hash = f"{language}_{digest[:10]}"
        old_meta.unlink()
        (bundle / f"pagefind.{new_meta_hash}.pf_meta").write_bytes(data)
        info["hash"] = new_meta_hash
    entry_path.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _rechunk(folder: Path, language: str, chunks: list[list[str]], pages: int) -> list[list[str]]:
    """Pagefind cuts its word index after a fixed count of word positions: with common words a
    chunk holds megabytes of other words. A word common in the shard's `pages` keeps only its
    heaviest LOCATIONS_MAX positions in a page (`_first_locations`), and the index is cut again after about CHUNK_BYTES of entries (a
    word of half that or more stays whole, in a chunk of its own), keeping Pagefind's order and its rule
    for chunk bounds (adjacent bounds shortened to the first differing character)."""
    words: list[Any] = []
    for _, _, file_hash in chunks:
        path = folder / f"{file_hash}.pf_index"
        words += _read_cbor(path)[0]
        path.unlink()
    groups: list[list[tuple[str, bytes]]] = [[]]
    size = 0
    for word in words:
        _first_locations(word[1], pages)
        for variant in word[2] if len(word) > 2 else ():
            _first_locations(variant[1], pages)
        encoded, own = _encoded_word(word)
        # A big (common) word has a chunk of its own: who searches it does not get its neighbours.
        if groups[-1] and (size >= CHUNK_BYTES or 2 * own >= CHUNK_BYTES):
            groups.append([])
            size = 0
        groups[-1].append((word[0], encoded))
        size += own if 2 * own < CHUNK_BYTES else CHUNK_BYTES
    del words
    bounds = [[group[0][0], group[-1][0]] for group in groups if group]
    for left, right in zip(bounds, bounds[1:], strict=False):
        left[1], right[0] = _prefixes(left[1], right[0])
    named: list[list[str]] = []
    used: set[str] = set()
    for (start, end), group in zip(bounds, groups, strict=True):
        data, digest = _packed(b"\x81" + _head(0x80, len(group)) + b"".join(encoded for _, encoded in group))
        length = 7
        while f"{language}_{digest[:length]}" in used:
            length += 1
        name = f"{language}_{digest[:length]}"
        used.add(name)
        (folder / f"{name}.pf_index").write_bytes(data)
        named.append([start, end, name])
    return named


def _first_locations(pages: list[Any], total: int) -> None:
    """A word's pages, each `[page, locations, ...]`, cut in place: if the word is common (in one
    page in COMMON of the shard's `total` or more), each page keeps at most LOCATIONS_MAX
    locations, the heaviest (the title's) first.

    Pagefind writes a page's locations in groups of one weight, lightest group first: a negative
    entry `-(w + 1)` starts a group of weight `w` (entries before any start one of weight 25),
    whose positions follow as differences, the first from zero. A group cut short keeps its
    first positions. The locations are the bulk of a common word's entry (who searches "so"
    downloads every page that has số, sở, sơ...), and they hardly rank (a common word's weight
    in Pagefind's BM25 is small, and the title's place is kept); the excerpt is taken around
    those kept."""
    if len(pages) * COMMON < total:
        return
    most = LOCATIONS_MAX
    for page in pages:
        locations = page[1]
        if len(locations) <= most:
            continue
        heaviest = min(locations)
        if heaviest >= 0:  # one group, of the default weight
            page[1] = locations[:most]
            continue
        if locations[0] < 0 or heaviest < -26:  # the heaviest group is marked: its first ones
            start = locations.index(heaviest)
            run = locations[start : start + most + 1]
            if len(run) == most + 1 and min(run[1:]) >= 0:
                page[1] = run
                continue
        if sum(1 for location in locations if location >= 0) > LOCATIONS_MAX:
            groups: list[tuple[int, list[int]]] = [(25, [])]
            for location in locations:
                if location < 0:
                    groups.append((-location - 1, [location]))
                else:
                    groups[-1][1].append(location)
            room = LOCATIONS_MAX
            keep: dict[int, int] = {}  # group index -> positions kept
            for index in sorted(range(len(groups)), key=lambda i: -groups[i][0]):
                count = sum(1 for location in groups[index][1] if location >= 0)
                keep[index] = min(count, room)
                room -= keep[index]
            kept: list[int] = []
            for index, (_, entries) in enumerate(groups):
                if keep[index]:
                    kept += entries[: keep[index] + (entries[0] < 0)]
            page[1] = kept


def _prefixes(a: str, b: str) -> tuple[str, str]:
    """The shortest bounds that still tell `a` (a chunk's last word) from `b` (the next's first)."""
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return a[: common + 1], b[: common + 1]
