"""The search index: Pagefind over the built pages, only published articles, reproducible."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
import json
import shutil
from pathlib import Path

import cbor2
import pytest
from sitekit import run_cli, tree_bytes, write_site

from toasoan.model import Article
from toasoan.search import article_record, index_site, shard_keys

SITE = """\
-- content/articles/2023/06/chuyen-doi-so.md --
---
title: Đẩy mạnh chuyển đổi số ở Chợ Đồn
date: 2023-06-07 15:30
category: thoi-su
tags: [chuyển đổi số]
summary: Đồng chí Phạm Duy Hưng kiểm tra.
---
Nội dung về dữ liệu số.
-- content/articles/2024/01/kinh-te.md --
---
title: Giá lúa tăng mạnh
date: 2024-01-10 08:00
category: kinh-te
---
Nông dân phấn khởi vì giá tăng.
-- content/articles/2023/07/ban-nhap.md --
---
title: Bản nháp bí mật
date: 2023-07-01 08:00
category: thoi-su
draft: true
---
Nội dung nháp zqxbimat.
-- content/articles/2040/01/bai-tuong-lai.md --
---
title: Bài tương lai
date: 2040-01-01 08:00
category: thoi-su
---
Nội dung tương lai zqxtuonglai.
"""


def _payload(path: Path) -> bytes:
    data = gzip.decompress(path.read_bytes())
    assert data.startswith(b"pagefind_dcd")
    return data


SHARDED = {"TOASOAN_SEARCH_SHARD_MIN": "1"}  # one shard per year, even for two articles


def _build(root: Path, out: Path, env: dict[str, str] | None = None) -> str:
    run = run_cli("--site", root, "--output", out, env=env)
    assert run.code == 0, run.stderr
    return run.stdout


def _all(built: Path, folder: str) -> bytes:
    return b"".join(_payload(p) for p in sorted((built / "pagefind").glob(f"*/{folder}/*")))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_site(tmp_path_factory.mktemp("search") / "site", SITE)
    _build(root, root / "public", SHARDED)
    return root / "public"


def test_the_shards_the_manifest_and_the_search_page_are_written(built: Path) -> None:
    bundle = built / "pagefind"
    assert json.loads((bundle / "shards.json").read_text(encoding="utf-8"))["shards"] == ["2024", "2023"]
    for name in ("pagefind-ui.js", "pagefind-ui.css", "2024/pagefind.js", "2024/pagefind-worker.js", "2024/pagefind-entry.json",
                 "2023/pagefind-entry.json"):
        assert (bundle / name).is_file(), name
    # Pagefind's engine is published once, beside the newest shard that the search page opens.
    assert not (bundle / "2023/pagefind.js").exists() and list((bundle / "2024").glob("wasm.*.pagefind"))
    assert not list((bundle / "2023").glob("wasm.*"))
    page = (built / "tim-kiem/index.html").read_text(encoding="utf-8")
    assert "/pagefind/pagefind-ui.js" in page and "/pagefind/shards.json" in page and "mergeIndex" in page
    assert 'lang="vi"' in page and "<noscript>" in page and 'href="/luu-tru/"' in page
    assert "Không tìm thấy kết quả" in page


def test_only_published_articles_are_indexed_each_in_its_year(built: Path) -> None:
    for shard, url in (("2023", b"/2023/06/chuyen-doi-so/"), ("2024", b"/2024/01/kinh-te/")):
        entry = json.loads((built / f"pagefind/{shard}/pagefind-entry.json").read_text(encoding="utf-8"))
        assert entry["languages"]["vi"]["page_count"] == 1
        assert url in b"".join(_payload(p) for p in (built / f"pagefind/{shard}/fragment").iterdir())
    fragments = _all(built, "fragment")
    for absent in (b"zqxbimat", b"zqxtuonglai", b"/404", b"/tim-kiem/", b"/chuyen-muc/", b"/luu-tru/"):
        assert absent not in fragments, absent
    index = _all(built, "index")
    assert b"zqxbimat" not in index and b"zqxtuonglai" not in index


def test_records_carry_filters_metadata_and_a_copy_without_d_stroke(built: Path) -> None:
    fragments = _all(built, "fragment").decode()
    assert "07/06/2023" in fragments and "Đẩy mạnh chuyển đổi số ở Chợ Đồn" in fragments
    index = _all(built, "index")
    # The hidden copy spells đ as d (tones kept): "dồn" is a word of the index, next to "đồn".
    for word in ("dẩy", "dổi", "dồn", "dồng", "đổi", "đồn"):
        assert word.encode() in index, word
    filters = _all(built, "filter")
    assert "Thời sự".encode() in filters and "Kinh tế".encode() in filters and b"2024" in filters
    # The pages themselves carry no search markup: the index is made from the articles' data.
    html = (built / "2023/06/chuyen-doi-so/index.html").read_text(encoding="utf-8")
    assert "data-pagefind" not in html


def test_word_index_chunks_are_small(tmp_path: Path) -> None:
    """Pagefind cuts its word index after ~100,000 positions: one chunk per common word is
    megabytes. Ours are cut again to about CHUNK_BYTES, and every chunk is named in the meta."""
    body = "\n".join(" ".join(f"từ{i}{j} chuyển đổi số" for j in range(100)) for i in range(30))  # lines under the limit
    articles = "".join(
        f"-- content/articles/2023/0{m}/bai-{m}.md --\n---\ntitle: Bài {m}\ndate: 2023-0{m}-01 08:00\ncategory: thoi-su\n---\n{body}\n"
        for m in range(1, 4)
    )
    root = write_site(tmp_path / "site", articles)
    _build(root, root / "public")
    index = list((root / "public/pagefind").glob("*/index/*.pf_index"))
    assert len(index) > 3
    assert max(len(_payload(p)) for p in index) < 60_000


def _index_words(built: Path) -> dict[str, list[list[int]]]:
    """Each indexed spelling -> the location lists of its pages (as Pagefind writes them)."""
    import cbor2

    spellings: dict[str, list[list[int]]] = {}
    for path in sorted((built / "pagefind").glob("*/index/*.pf_index")):
        for word in cbor2.loads(_payload(path)[len(b"pagefind_dcd"):])[0]:
            for spelling, pages in [(word[0], word[1]), *((v[0], v[1]) for v in word[2])]:
                spellings.setdefault(spelling, []).extend(page[1] for page in pages)
    return spellings


def test_a_common_word_keeps_one_location_per_page_the_titles(tmp_path: Path) -> None:
    """A word in most pages keeps one location per page, the heaviest: its place in the title
    (Pagefind writes the lightest group first, so the first locations would be the body's). A
    rare word keeps all of its locations."""
    body = " ".join(["Người dân hưởng ứng chuyển đổi số, hiếm hoi vùng cao."] * 12)
    articles = "".join(
        f"-- content/articles/2023/0{m}/bai-{m}.md --\n---\ntitle: Chuyển đổi số tháng {m}\n"
        f"date: 2023-0{m}-01 08:00\ncategory: thoi-su\n---\n{body}{' Lạ lùng.' * (m == 1)}\n"
        for m in range(1, 5)
    )
    root = write_site(tmp_path / "site", articles)
    _build(root, root / "public")
    words = _index_words(root / "public")
    heading = -(7 * 24 + 1)  # the weight of an <h1> (7, in 24ths), as a group mark
    assert len(words["chuyển"]) == 4
    for locations in words["chuyển"]:
        assert [x for x in locations if x >= 0] == [0] and locations[0] == heading, locations
    # "hiếm" is in every page too: no title place, one body location.
    assert all(len([x for x in locations if x >= 0]) == 1 for locations in words["hiếm"])
    # "lùng" is in one page of four: rare, every location kept.
    assert [len([x for x in locations if x >= 0]) for locations in words["lùng"]] == [1]
    assert [len([x for x in locations if x >= 0]) for locations in words["lạ"]] == [1]


def test_rewritten_files_are_the_cbor_cbor2_writes_in_gzip_without_a_date(built: Path) -> None:
    """The re-cut index is written by our own encoder and libdeflate: each file is a gzip stream
    with no time stamp, its content exactly what `cbor2.dumps` makes of what it holds, and named
    by that content."""
    import hashlib

    import cbor2

    files = [p for p in (built / "pagefind").rglob("*") if p.suffix in (".pf_index", ".pf_meta", ".pf_filter")]
    assert any(p.suffix == ".pf_index" for p in files)
    for path in files:
        data = path.read_bytes()
        assert data[:2] == b"\x1f\x8b" and data[4:8] == b"\0\0\0\0", path  # gzip, mtime 0
        payload = _payload(path)
        assert cbor2.dumps(cbor2.loads(payload[len(b"pagefind_dcd") :])) == payload[len(b"pagefind_dcd") :], path
        digest = hashlib.sha256(payload).hexdigest()
        assert digest.startswith(path.name.split("_", 1)[1].split(".")[0]), path


def test_the_title_has_a_folded_copy_weighed_as_the_title(built: Path) -> None:
    """ "đổi" in a title is also found as "dổi" with the title's weight (not only through the
    body's folded copy, at half weight): "chuyen doi so" finds such titles first."""
    heading = -(7 * 24 + 1)
    assert any(heading in locations for locations in _index_words(built)["dổi"])


def test_same_input_gives_the_same_bundle_clean_or_from_the_cache(built: Path, tmp_path: Path) -> None:
    root = built.parent
    shutil.rmtree(root / ".cache" / "search")
    out = _build(root, tmp_path / "clean", SHARDED)
    assert "(2 dựng mới, 0 lấy từ bộ nhớ đệm)" in out
    out = _build(root, tmp_path / "warm", SHARDED)
    assert "(0 dựng mới, 2 lấy từ bộ nhớ đệm)" in out
    first = tree_bytes(built / "pagefind")
    assert first == tree_bytes(tmp_path / "clean/pagefind") == tree_bytes(tmp_path / "warm/pagefind")


def test_editing_one_article_rebuilds_only_its_shard(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    _build(root, root / "public", SHARDED)
    before = tree_bytes(root / "public/pagefind")
    entries = sorted(p.name for p in (root / ".cache/search").iterdir())
    path = root / "content/articles/2024/01/kinh-te.md"
    path.write_text(path.read_text(encoding="utf-8").replace("phấn khởi", "phấn khởi zqxmoi"), encoding="utf-8")
    out = _build(root, root / "public", SHARDED)
    assert "Tìm kiếm: 2 bài trong 2 phần (1 dựng mới, 1 lấy từ bộ nhớ đệm)" in out
    after = tree_bytes(root / "public/pagefind")
    assert {k: v for k, v in before.items() if k.startswith("2023/")} == {k: v for k, v in after.items() if k.startswith("2023/")}
    assert b"zqxmoi" in b"".join(_payload(root / "public/pagefind" / k) for k in after if k.startswith("2024/index/"))
    # The edited shard's old cache entry is gone, the other stays; nothing else of the cache is touched.
    now = sorted(p.name for p in (root / ".cache/search").iterdir())
    assert [e for e in entries if e.startswith("2023-")] == [e for e in now if e.startswith("2023-")]
    assert [e for e in entries if e.startswith("2024-")] != [e for e in now if e.startswith("2024-")]
    assert len(now) == 2


def test_the_cache_keeps_other_folders_and_a_clean_build_equals_a_cached_one(tmp_path: Path) -> None:
    root = write_site(tmp_path / "site", SITE)
    (root / ".cache/other").mkdir(parents=True)
    (root / ".cache/other/keep.txt").write_text("x", encoding="utf-8")
    (root / ".cache/.toasoan-cache").write_text("marker", encoding="utf-8")
    _build(root, root / "public")
    assert (root / ".cache/other/keep.txt").is_file() and (root / ".cache/.toasoan-cache").is_file()
    # A single small site is one shard: Pagefind ranks with the statistics of the whole archive.
    assert json.loads((root / "public/pagefind/shards.json").read_text(encoding="utf-8"))["shards"] == ["2023_2024"]


def test_a_failing_indexer_keeps_the_old_output(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    root = built.parent
    _build(root, out, SHARDED)
    before = tree_bytes(out)
    # Pagefind cannot write where the bundle goes: a static file takes the folder's name.
    (root / "static").mkdir(exist_ok=True)
    (root / "static/pagefind").write_text("không phải thư mục", encoding="utf-8")
    try:
        run = run_cli("--site", root, "--output", out, env=SHARDED)
    finally:
        (root / "static/pagefind").unlink()
    assert run.code != 0
    assert "chỉ mục tìm kiếm" in run.stderr
    assert tree_bytes(out) == before


def _dated(count: int, start: dt.datetime = dt.datetime(2025, 1, 1), prefix: str = "bai") -> list[Article]:
    return [
        Article(source=f"bai-{n}.md", title=f"Bài {n}", date=start + dt.timedelta(hours=n), updated=None, category="tin", tags=(),
                author=None, summary=None, officials=(), cover=None, gallery=(), audio=None, body_images=(), body_links=(),
                slug=f"bai-{n}", draft=False, body="", body_line=1, url=f"/{prefix}/{n:05d}/")
        for n in range(count)
    ]


def test_the_newest_articles_have_a_shard_of_their_own_that_moves_by_blocks() -> None:
    """The newest shard keeps a multiple of `tail` articles; the newest `tail` to `2 * tail - 1`
    are a shard of their own, so the big one changes only once every `tail` new articles."""
    def sizes(keys: dict[str, str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for shard in keys.values():
            found[shard] = found.get(shard, 0) + 1
        return found

    assert sizes(shard_keys(_dated(1025), 1000, 32)) == {"2025": 992, "2025-moi": 33}
    assert sizes(shard_keys(_dated(1055), 1000, 32)) == {"2025": 992, "2025-moi": 63}
    assert sizes(shard_keys(_dated(1056), 1000, 32)) == {"2025": 1024, "2025-moi": 32}
    # The head is the oldest articles; a new article joins the newest shard and moves nothing else.
    before, after = shard_keys(_dated(1030), 1000, 32), shard_keys(_dated(1031), 1000, 32)
    assert {u: s for u, s in after.items() if u in before} == before
    assert max(before, key=lambda u: u) in {u for u, s in before.items() if s == "2025-moi"}
    # Older years keep their shards; a shard under half the minimum is not cut.
    two_years = _dated(1200, dt.datetime(2024, 1, 1), "cu") + _dated(1030)
    assert sizes(shard_keys(two_years, 1000, 32)) == {"2024": 1200, "2025": 992, "2025-moi": 38}
    assert sizes(shard_keys(_dated(1200), 1000, 32)) == {"2025": 1152, "2025-moi": 48}
    assert sizes(shard_keys(_dated(40), 1000, 32)) == {"2025": 40}
    assert sizes(shard_keys(_dated(1025), 1000, 0)) == {"2025": 1025}


def test_an_edit_of_the_newest_article_indexes_only_the_newest_shard(tmp_path: Path) -> None:
    env = {"TOASOAN_SEARCH_SHARD_MIN": "2", "TOASOAN_SEARCH_SHARD_TAIL": "1"}
    root = write_site(tmp_path / "site", SITE + """\
-- content/articles/2024/02/moi.md --
---
title: Tin mới nhất
date: 2024-02-01 08:00
category: thoi-su
---
Nội dung mới.
""")
    _build(root, root / "public", env)
    manifest = json.loads((root / "public/pagefind/shards.json").read_text(encoding="utf-8"))
    assert manifest["shards"] == ["2023_2024-moi", "2023_2024"]
    before = tree_bytes(root / "public/pagefind")
    path = root / "content/articles/2024/02/moi.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Nội dung mới.", "Nội dung mới zqxsua."), encoding="utf-8")
    out = _build(root, root / "public", env)
    assert "Tìm kiếm: 3 bài trong 2 phần (1 dựng mới, 1 lấy từ bộ nhớ đệm)" in out
    after = tree_bytes(root / "public/pagefind")
    old = {k: v for k, v in before.items() if k.startswith("2023_2024/")}
    assert old and old == {k: v for k, v in after.items() if k.startswith("2023_2024/")}
    assert b"zqxsua" in b"".join(_payload(root / "public/pagefind" / k) for k in after if k.startswith("2023_2024-moi/index/"))


def test_index_site_names_every_file_it_publishes(tmp_path: Path) -> None:
    """A patch build takes the bundle's files from `index_site` rather than listing them again:
    the list must be exactly what is on disk, or a file would miss its `.gz` copy and header."""
    articles = _dated(3)
    records = [article_record(a, "2025-moi" if n == 2 else "2025", "Tin", None) for n, a in enumerate(articles)]
    files: list[str] = []
    index_site(tmp_path / "staging", records, tmp_path / "cache", files)
    on_disk = sorted(p.relative_to(tmp_path / "staging").as_posix() for p in (tmp_path / "staging").rglob("*") if p.is_file())
    assert files == on_disk and "pagefind/shards.json" in files and "pagefind/2025-moi/pagefind.js" in files


def test_cached_shards_are_published_while_another_is_indexed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A patch build re-indexes one small shard: the cached shards' ~10,000 links are made while
    Pagefind indexes it, not after (the search stage costs the larger of the two, not their sum)."""
    import threading

    from toasoan import search

    articles = _dated(3)
    records = [article_record(a, "2025-moi" if n == 2 else "2025", "Tin", None) for n, a in enumerate(articles)]
    index_site(tmp_path / "first", records, tmp_path / "cache")  # both shards in the cache
    edited = [*records[:2], article_record(dataclasses.replace(articles[2], title="Bài sửa"), "2025-moi", "Tin", None)]
    staging = tmp_path / "staging"
    old_published = threading.Event()
    build_shard = search._build_shard

    def waiting_build(members: list[search.Record], entry: Path) -> int:
        # Evidence, bounded: the cached shard's files are linked before this shard is done.
        old_published.wait(timeout=60)
        assert (staging / "pagefind/2025/pagefind-entry.json").is_file()
        return build_shard(members, entry)

    publish_shard = search._publish_shard

    def watched_publish(bundle: Path, shard: str, source: Path, newest: str) -> list[str]:
        written = publish_shard(bundle, shard, source, newest)
        if shard == "2025":
            old_published.set()
        return written

    monkeypatch.setattr(search, "_build_shard", waiting_build)
    monkeypatch.setattr(search, "_publish_shard", watched_publish)
    files: list[str] = []
    report = index_site(staging, edited, tmp_path / "cache", files)
    assert (report.built, report.cached) == (1, 1)
    on_disk = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
    assert files == on_disk and "pagefind/2025-moi/pagefind.js" in files and "pagefind/pagefind-ui.js" in files
    fresh = tmp_path / "fresh"
    index_site(fresh, edited, tmp_path / "fresh-cache")
    assert tree_bytes(staging) == tree_bytes(fresh)


def test_a_shard_started_ahead_gives_the_same_bundle_and_close_stops_pagefind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A patch build hands the shards it must index to Pagefind before it makes its staging folder
    (`start_shards`: only those not in the cache and with their records' HTML); `index_site`
    finishes them from the files Pagefind made meanwhile, indexing nothing again, into the same
    bundle. `close` stops a Pagefind process whose files nobody took."""
    from toasoan import search

    articles = _dated(3)
    records = [article_record(a, "2025-moi" if n == 2 else "2025", "Tin", None) for n, a in enumerate(articles)]
    index_site(tmp_path / "first", records, tmp_path / "cache")
    edited = [*records[:2], article_record(dataclasses.replace(articles[2], title="Bài sửa"), "2025-moi", "Tin", None)]
    started = search.start_shards(edited, tmp_path / "cache")
    build_shard = search._build_shard
    monkeypatch.setattr(search, "_build_shard", lambda *_: pytest.fail("a shard started ahead was indexed again"))
    try:
        report = index_site(tmp_path / "staging", edited, tmp_path / "cache", ahead=started)
    finally:
        started.close()
    assert (report.built, report.cached) == (1, 1)
    monkeypatch.setattr(search, "_build_shard", build_shard)
    index_site(tmp_path / "fresh", edited, tmp_path / "fresh-cache")
    assert tree_bytes(tmp_path / "staging") == tree_bytes(tmp_path / "fresh")
    again = [*records[:2], article_record(dataclasses.replace(articles[2], title="Bài sửa lần nữa"), "2025-moi", "Tin", None)]
    untaken = search.start_shards(again, tmp_path / "cache")
    processes = [service._proc for service, _, _ in untaken._running.values()]
    assert len(processes) == 1  # the edited shard only: the other is in the cache
    untaken.close()
    assert all(process.poll() is not None for process in processes)


def test_the_word_index_encodes_integers_as_cbor2_does() -> None:
    """The encodings of page numbers and positions are made when first asked for (not a table of
    131,072 at import): each is cbor2's, and what is out of range or not a number is missing."""
    import subprocess
    import sys

    from toasoan.search import _INT, _encoded_pages

    fresh = subprocess.run([sys.executable, "-c", "import toasoan.search as s; print(len(s._INT))"], capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == "0"  # importing made none
    for number in (0, 1, 23, 24, 255, 256, 65535, -1, -24, -25, -256, -257, -65536):
        assert _INT[number] == cbor2.dumps(number)
    for outside in (65536, -65537, 1.5, float("nan"), float("inf"), "1", None):
        with pytest.raises(KeyError):
            _INT[outside]  # type: ignore[index]
    pages = [[3, [-8, 0, 70000, 2], []], [65535, [1, 2], []], [7, [True, 4.0], []]]
    encoded, _ = _encoded_pages(pages)
    assert encoded == cbor2.dumps([[3, [-8, 0, 70000, 2], []], [65535, [1, 2], []], [7, [1, 4], []]])


def test_records_pickle_without_asking_their_fields_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A snapshot holds every search record (10,000 at 10k articles) and a patch build reads them
    all back: their state is the dataclass's own (same pickle bytes), its field names worked out
    once per class, not per record."""
    import pickle

    from toasoan import search

    records = [article_record(a, "2025", "Tin", None) for a in _dated(50)]
    light = [search.Record(url=r.url, shard=r.shard, html="", digest=r.digest) for r in records]
    assert all(r.__getstate__() == [getattr(r, f.name) for f in dataclasses.fields(r)] for r in light)
    asked: list[object] = []
    fields = dataclasses.fields

    def counted(obj: object) -> tuple[dataclasses.Field[object], ...]:
        asked.append(obj)
        return fields(obj)  # type: ignore[arg-type]

    monkeypatch.setattr(dataclasses, "fields", counted)
    assert pickle.loads(pickle.dumps(light, protocol=5)) == light
    assert asked == []
