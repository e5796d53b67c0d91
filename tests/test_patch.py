"""Patch builds: an edit to article bodies alone re-makes only those pages (and their search
shard, `.gz` copies and `_headers`) from the last build's snapshot; an edit to what cards and
lists show (title, sapo, tags, category...) re-makes the pages that show it too. Both give
exactly the bytes and findings of a clean build; anything a patch cannot vouch for gets a full
build."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
import re
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from sitekit import make_jpeg, tree_bytes
from test_incremental import Site, _build, _clean, _clean_build, findings

from toasoan import patch as patching
from toasoan import pipeline, sitemaps, snapshot, uptodate, urls
from toasoan.errors import BuildFailed
from toasoan.pipeline import BuildOptions, BuildResult
from toasoan.routes import Route


def _patched(result: BuildResult) -> bool:
    return any(stage in ("edited articles", "edited cards") for stage, _ in result.timings)


def _body_patched(result: BuildResult) -> bool:
    return any(stage == "edited articles" for stage, _ in result.timings)


def _edit_second_paragraph(path: Path, words: str) -> None:
    head, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    path.write_text(f"{head}\n---\n{body.replace('Đoạn thứ hai', words, 1)}", encoding="utf-8")


def _add_paragraph(path: Path, words: str, *, replace: bool = False) -> None:
    """A paragraph after the body (`replace`: instead of the last one)."""
    text = path.read_text(encoding="utf-8").rstrip("\n")
    if replace:
        text = text.rpartition("\n\n")[0]
    path.write_text(f"{text}\n\n{words}\n", encoding="utf-8")


def _add_tag(path: Path, tag: str) -> None:
    """One tag more, written on the line the tags are on (no other line moves)."""
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^tags: \[(.*)\]$", lambda m: f"tags: [{m.group(1) + ', ' if m.group(1) else ''}{tag}]", text, count=1), encoding="utf-8")


def _published(site: Site, result: BuildResult) -> list[Path]:
    """The site's articles readers see (an unpublished one's edit changes no page)."""
    sources = {source for source, _ in result.addresses}
    return [p for p in site.articles() if p.relative_to(site.root).as_posix() in sources]


def _snapshots(site: Site) -> list[Path]:
    return sorted((site.root / ".cache").rglob("*.snapshot"))


def _read_snapshot(path: Path) -> snapshot.Snapshot:
    """The snapshot at `path`, whatever record it belongs to."""
    head = pickle.loads(path.read_bytes()[32:])
    found = snapshot.read(path, head.inputs)
    assert found is not None
    return found


def test_a_body_edit_is_patched_into_the_last_output(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(11))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    assert not _patched(first) and len(_snapshots(site)) == 1
    shown = _published(site, first)
    for n, path in enumerate(shown[:2]):
        _edit_second_paragraph(path, f"Đoạn thứ hai (sửa lần {n})")
    edited = _build(site.root, output, site.now)
    assert _patched(edited)
    # The two pages, nothing else.
    assert edited.pages - edited.pages_cached == 2
    urls = dict(edited.addresses)
    for n, path in enumerate(shown[:2]):
        page = output / urls[path.relative_to(site.root).as_posix()].strip("/") / "index.html"
        assert f"sửa lần {n}" in page.read_text(encoding="utf-8")
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    again = _build(site.root, output, site.now)
    assert again.up_to_date  # the patch left a record: nothing to do now
    # A title is on other pages (lists, feeds, "Xem thêm"): a patch that reaches them.
    site._edit_front(shown[0], "title", "Một tiêu đề hoàn toàn mới")
    retitled = _build(site.root, output, site.now)
    assert _patched(retitled) and not _body_patched(retitled)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # That patch left a snapshot again: the next body edit takes the body's own patch.
    _edit_second_paragraph(shown[1], "Đoạn thứ hai (lần nữa)")
    assert _body_patched(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def _same_as_clean(site: Site, output: Path, work: Path, result: BuildResult) -> None:
    """The output and the warnings are a clean build's."""
    files, found = _clean(site.root, work, site.now)
    assert tree_bytes(output) == files
    assert findings(result) == found


def test_a_body_edit_with_a_finding_is_patched_and_says_it(tmp_path: Path) -> None:
    """A link that leads nowhere, written into a body: the patch finds it as a clean build does,
    says it again after the next body edit, and forgets it once the link is gone."""
    site = Site(tmp_path / "site", random.Random(12))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    path = _published(site, first)[1]
    _edit_second_paragraph(path, "Xem [bài cũ](/khong-co-trang-nay/). Đoạn thứ hai")
    result = _build(site.root, output, site.now)
    assert _body_patched(result)
    assert [d.message for d in result.warnings if d.path.endswith(path.name)] == ["liên kết hỏng `/khong-co-trang-nay/`: trang không có trang này"]
    _same_as_clean(site, output, tmp_path, result)
    _edit_second_paragraph(path, "Xem [bài cũ](/khong-co-trang-nay/). Vẫn đoạn thứ hai")
    again = _build(site.root, output, site.now)
    assert _body_patched(again) and findings(again) == findings(result)
    _same_as_clean(site, output, tmp_path, again)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[bài cũ](/khong-co-trang-nay/)", "bài cũ"), encoding="utf-8")
    fixed = _build(site.root, output, site.now)
    assert _body_patched(fixed) and not any(d.path.endswith(path.name) for d in fixed.warnings)
    _same_as_clean(site, output, tmp_path, fixed)
    # A strict build fails on a new warning, as a clean strict build does, and leaves the output.
    before = tree_bytes(output)
    path.write_text(path.read_text(encoding="utf-8").replace("Vẫn đoạn thứ hai", "Xem [bài khác](/cung-khong-co/)."), encoding="utf-8")
    with pytest.raises(BuildFailed) as failed:
        pipeline.build(BuildOptions(site_dir=site.root, output=output, jobs=1, strict=True, environ={"SOURCE_DATE_EPOCH": str(site.now)}))
    assert [d.message for d in failed.value.diagnostics] == ["liên kết hỏng `/cung-khong-co/`: trang không có trang này"]
    assert tree_bytes(output) == before


def test_a_patch_does_not_say_again_an_address_the_last_build_lost(tmp_path: Path) -> None:
    """A build that no longer publishes an address says so once (then it is remembered as gone):
    the next build, a patch as a full one, does not say it again."""
    site = Site(tmp_path / "site", random.Random(15))
    output = site.root / "public"
    shown = _published(site, _build(site.root, output, site.now))
    moved = shown[0].with_name("ten-moi.md")
    shown[0].rename(moved)
    renamed = _build(site.root, output, site.now)
    assert not _patched(renamed) and [d.code for d in renamed.warnings if d.path.endswith("ten-moi.md")] == ["address-moved"]
    _add_paragraph(shown[1], "Câu mới thêm.")
    patched = _build(site.root, output, site.now)
    assert _body_patched(patched) and not [d for d in patched.warnings if d.code.startswith("address-")]
    for snap in _snapshots(site):  # the same edit again, without a snapshot: a full build
        snapshot.forget(snap)
    _add_paragraph(shown[1], "Câu mới thêm nữa.", replace=True)
    full = _build(site.root, output, site.now)
    assert not _patched(full) and findings(full) == findings(patched)


def test_articles_with_findings_are_patched_with_the_findings_of_a_clean_build(tmp_path: Path) -> None:
    """Findings of an article's own file (text typed with combining marks) and of the site (a
    title that repeats another's) do not stop a patch: body and card edits of those articles are
    patched, each build's warnings a clean build's. Lines that the site's findings point at and
    that an edit moved get a full build."""
    site = Site(tmp_path / "site", random.Random(14))
    for _ in range(3):
        site.add()
    output = site.root / "public"
    shown = _published(site, _build(site.root, output, site.now))
    typed, repeated, other, clean = shown[:4]
    text = typed.read_text(encoding="utf-8")
    typed.write_text(text.replace("Đoạn thứ hai", unicodedata.normalize("NFD", "Đoạn thứ hai (gõ tổ hợp)"), 1), encoding="utf-8")
    title = next(line for line in other.read_text(encoding="utf-8").split("\n") if line.startswith("title: "))[len("title: "):]
    text = repeated.read_text(encoding="utf-8")
    repeated.write_text(re.sub(r"^title: .*$", f"title: {title}", text, count=1, flags=re.M), encoding="utf-8")
    first = _build(site.root, output, site.now)
    codes = {(Path(d.path).name, d.code) for d in first.warnings}
    assert (typed.name, "not-nfc") in codes
    assert (repeated.name, "duplicate-title") in codes or (other.name, "duplicate-title") in codes
    warned = repeated if (repeated.name, "duplicate-title") in codes else other  # the later one of the two
    _same_as_clean(site, output, tmp_path, first)
    steps: list[tuple[str, Callable[[], None], Callable[[BuildResult], bool]]] = [
        ("body of the NFD article", lambda: _add_paragraph(typed, "Câu mới thêm."), _body_patched),
        ("body of the repeated title", lambda: _add_paragraph(repeated, "Câu mới thêm."), _body_patched),
        ("body of the other title", lambda: _add_paragraph(other, "Câu mới thêm."), _body_patched),
        ("sapo of the NFD article", lambda: site._edit_front(typed, "summary", "Sa-pô mới của bài"), _patched),
        ("sapo of the repeated title", lambda: site._edit_front(repeated, "summary", "Sa-pô mới của bài"), _patched),
        # A tag added on the tags' line: the repeated-title warning's line still holds the title.
        ("a tag more for the warned title", lambda: _add_tag(warned, "giáo dục"), _patched),
        ("NFD text into a clean article", lambda: _add_paragraph(clean, unicodedata.normalize("NFD", "Đoạn gõ tổ hợp.")), _body_patched),
        ("NFD text out of it", lambda: _add_paragraph(clean, "Đoạn gõ dựng sẵn.", replace=True), _body_patched),
        # The same title on another line: the repeated-title warning points elsewhere now.
        ("title moved", lambda: site._edit_front(repeated, "title", title), lambda r: not _patched(r)),
        ("title of its own", lambda: site._edit_front(repeated, "title", "Tiêu đề riêng, không trùng"), _patched),
        ("the repeated title again", lambda: site._edit_front(repeated, "title", title), _patched),
    ]
    for name, step, how in steps:
        step()
        result = _build(site.root, output, site.now)
        assert how(result), name
        _same_as_clean(site, output, tmp_path, result)


def test_a_damaged_or_foreign_snapshot_is_ignored(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(13))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    path = _published(site, first)[0]
    (snap,) = _snapshots(site)
    data = bytearray(snap.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snap.write_bytes(bytes(data))
    _edit_second_paragraph(path, "Đoạn thứ hai đã sửa")
    result = _build(site.root, output, site.now)
    assert not _patched(result)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # Checksummed bytes that would run code when unpickled are refused, never run.
    marker = tmp_path / "ran"
    payload = pickle.dumps(_RunsCode(str(marker)), protocol=5)
    snap.write_bytes(hashlib.sha256(payload).digest() + payload)
    _edit_second_paragraph(path, "Đoạn thứ hai đã sửa lần nữa")
    result = _build(site.root, output, site.now)
    assert not _patched(result) and not marker.exists()
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # The full builds wrote a sound snapshot again: the same edit is now patched.
    _edit_second_paragraph(path, "Đoạn thứ hai đã sửa lần ba")
    assert _body_patched(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


class _RunsCode:
    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (Path.touch, (self.path,))  # type: ignore[return-value]


def test_a_file_written_again_with_its_old_stat_is_still_seen(tmp_path: Path) -> None:
    """The snapshot trusts a file by its stat only when ctime (which no program can set) did not
    move: the same size and a restored mtime do not hide an edit."""
    site = Site(tmp_path / "site", random.Random(14))
    output = site.root / "public"
    _build(site.root, output, site.now)
    path = site.articles()[2]
    text = path.read_text(encoding="utf-8")
    stat = path.stat()
    path.write_text(text.replace("Đoạn thứ hai", "Đoạn thứ HAI", 1), encoding="utf-8")
    assert path.stat().st_size == stat.st_size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _build(site.root, output, site.now)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    assert "Đoạn thứ HAI" in "".join(v.decode("utf-8", "replace") for k, v in tree_bytes(output).items() if k.endswith(".html"))


@pytest.fixture
def two_shards(monkeypatch: pytest.MonkeyPatch) -> None:
    """Search in two shards even on a small site: the newest two or three articles apart."""
    monkeypatch.setenv("TOASOAN_SEARCH_SHARD_MIN", "2")
    monkeypatch.setenv("TOASOAN_SEARCH_SHARD_TAIL", "2")


@pytest.mark.usefixtures("two_shards")
def test_the_snapshot_keeps_no_search_text_and_a_lost_shard_gets_a_full_build(tmp_path: Path) -> None:
    # An edit re-indexes its own shard, from the articles' HTML in the build cache, and takes the
    # other from the search cache.
    site = Site(tmp_path / "site", random.Random(13))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    assert first.search is not None and first.search.shards > 1
    (snap_file,) = _snapshots(site)
    records = _read_snapshot(snap_file).records
    assert records and all(r.html == "" and r.digest for r in records)  # URL, shard, digest: no text
    shown = _published(site, first)
    _edit_second_paragraph(shown[0], "Đoạn thứ hai (sửa một lần)")
    edited = _build(site.root, output, site.now)
    assert _patched(edited) and edited.search is not None and (edited.search.built, edited.search.cached) == (1, 1)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # The search cache lost every shard: the patch cannot make the others, a full build does.
    (search_cache,) = (p for p in (site.root / ".cache").rglob("search") if p.is_dir())
    shutil.rmtree(search_cache)
    _edit_second_paragraph(shown[0], "Đoạn thứ hai (sửa lần hai)")
    again = _build(site.root, output, site.now)
    assert not _patched(again) and again.search is not None and again.search.built >= 1
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


_CARD_EDITS = {
    "title": ("title", "Tiêu đề đã sửa của bài"),
    "sapo": ("summary", "Sa-pô đã sửa của bài"),
    "tags": ("tags", "[y tế, chủ đề hoàn toàn mới]"),
    "category": ("category", ""),  # the other one
    "caption": ("cover", "{src: /media/anh-lon.jpg, caption: Chú thích đã sửa.}"),
}


def _html_changed(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {p for p in {*before, *after} if p.endswith(".html") and before.get(p) != after.get(p)}


@pytest.mark.parametrize("edit", sorted(_CARD_EDITS))
def test_an_edit_to_a_card_is_patched_into_the_pages_that_show_it(tmp_path: Path, edit: str) -> None:
    """Title, sapo, tags, category, cover caption: the pages that show the article's card (lists,
    home, tag pages, "Xem thêm" of others), its feeds, sitemaps and search record are made again,
    nothing else; the output is a clean build's, byte for byte."""
    site = Site(tmp_path / "site", random.Random(21))
    for _ in range(6):
        site.add()
    make_jpeg(site.root / "content/media/anh-lon.jpg", (1300, 800))  # wide enough for a cover: no warning
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    shown = _published(site, first)
    path = shown[len(shown) // 2]
    key, value = _CARD_EDITS[edit]
    if edit == "category":
        value = "kinh-te" if "category: thoi-su" in path.read_text(encoding="utf-8") else "thoi-su"
    if edit == "caption":  # a cover first, in a full build; then its caption alone
        site._edit_front(path, "cover", "{src: /media/anh-lon.jpg, caption: Chú thích cũ.}")
        _build(site.root, output, site.now)
    before = tree_bytes(output)
    site._edit_front(path, key, value)
    result = _build(site.root, output, site.now)
    assert _patched(result) and not _body_patched(result), edit
    after = tree_bytes(output)
    assert after == _clean_build(site.root, tmp_path, site.now), edit
    remade = result.pages - result.pages_cached
    changed = _html_changed(before, after)
    url = dict(result.addresses)[path.relative_to(site.root).as_posix()]
    assert url.strip("/") + "/index.html" in changed
    # Every page that shows the card (links to the article, before or after) is made again, and
    # only those: a field some of them do not print (a category or caption in "Xem thêm") leaves
    # their bytes as they were.
    own = url.strip("/") + "/index.html"
    showing = {p for tree in (before, after) for p, data in tree.items() if p.endswith(".html") and f'href="{url}"'.encode() in data}
    assert len(changed) <= remade <= len(showing | changed | {own}), (edit, sorted(changed), sorted(showing))
    if edit == "title":  # printed wherever the card is: exactly the pages that show it now
        titled = {p for p, data in after.items() if p.endswith(".html") and "Tiêu đề đã sửa của bài".encode() in data}
        assert remade == len(changed) and changed == titled
        assert any(p.startswith("anh/chia-se/") for p in set(after) - set(before)) or "cover" in path.read_text(encoding="utf-8")
    assert len(changed) < len([p for p in after if p.endswith(".html")]) // 2
    again = _build(site.root, output, site.now)
    assert again.up_to_date


def test_a_new_date_is_patched_but_a_new_address_or_schedule_gets_a_full_build(tmp_path: Path) -> None:
    """A new date within the address's month moves the article in its lists, archives, feeds,
    sitemaps and search shards: patched. A new address, or a date in the future: a full build."""
    site = Site(tmp_path / "site", random.Random(22))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    path = _published(site, first)[0]
    site._edit_front(path, "date", "2026-09-03 07:15")
    assert _patched(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    site._edit_front(path, "date", "2026-09-21 20:00")  # in the news sitemap's two days now
    assert _patched(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    site._edit_front(path, "date", "2026-09-25 20:00")  # scheduled: readers no longer see it
    assert not _patched(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    site._edit_front(path, "date", "2026-09-20 20:00")
    _build(site.root, output, site.now)
    site._edit_front(path, "slug", "dia-chi-moi")
    assert not _patched(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def test_a_title_that_repeats_another_is_patched_with_its_warning(tmp_path: Path) -> None:
    """A finding that needs every article (a repeated title): the patch finds the site's again,
    before and after, and replaces those that moved; a new title ends it."""
    site = Site(tmp_path / "site", random.Random(23))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    one, other = _published(site, first)[:2]
    title = next(line for line in other.read_text(encoding="utf-8").split("\n") if line.startswith("title: "))[len("title: "):]
    site._edit_front(one, "title", title)
    result = _build(site.root, output, site.now)
    assert _patched(result)
    assert [d.code for d in result.warnings if one.name in d.path or other.name in d.path] == ["duplicate-title"]
    _same_as_clean(site, output, tmp_path, result)
    site._edit_front(one, "title", "Một tiêu đề của riêng bài")
    result = _build(site.root, output, site.now)
    assert _patched(result) and not [d for d in result.warnings if one.name in d.path or other.name in d.path]
    _same_as_clean(site, output, tmp_path, result)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_card_edits_are_patched_and_equal_clean_builds(tmp_path: Path, seed: int) -> None:
    """Edits editors make to what cards and lists show (titles, sapos, tags, officials, categories,
    dates, the date of the last update, another article's title), one or two articles at a time,
    some of them with a finding of their own file: each build is a patch, and its output and
    warnings a clean build's."""
    rng = random.Random(seed)
    site = Site(tmp_path / "site", rng)
    for _ in range(5):
        site.add()
    output = site.root / "public"
    for path in rng.sample(site.articles(), 2):  # typed with combining marks: a finding of the file
        path.write_text(unicodedata.normalize("NFD", path.read_text(encoding="utf-8")), encoding="utf-8")
    result = _build(site.root, output, site.now)
    history: list[str] = []
    for _ in range(8):
        shown = _published(site, result)
        for path in rng.sample(shown, rng.randint(1, 2)):
            kind = rng.choice(["title", "repeat", "summary", "tags", "officials", "category", "updated", "date"])
            titles = {p: line[len("title: "):] for p in shown for line in p.read_text(encoding="utf-8").split("\n") if line.startswith("title: ")}
            value = {
                "title": f"Tiêu đề sửa {rng.randint(1, 10**6)}",
                "repeat": rng.choice(sorted({t for t in titles.values() if t != titles[path]} or {"Tiêu đề mới"})),  # another's: a site-wide finding
                "summary": f"Sa-pô sửa {rng.randint(1, 10**6)}",
                "tags": f"[{', '.join(rng.sample(['chuyển đổi số', 'nông nghiệp', 'y tế', 'giáo dục'], rng.randint(0, 3)))}]",
                "officials": f"[{', '.join(rng.sample(['pham-duy-hung', 'le-thi-mai'], rng.randint(0, 2)))}]",
                "category": rng.choice(["thoi-su", "kinh-te"]),
                "updated": f"2026-09-21 {rng.randint(10, 20)}:00",  # the sitemaps' and feeds' dates
                "date": f"2026-09-{rng.randint(1, 21):02d} {rng.randint(6, 20):02d}:15",  # still published, same address
            }[kind]
            site._edit_front(path, "title" if kind == "repeat" else kind, value)
            history.append(f"{kind} {path.name}")
        result = _build(site.root, output, site.now)
        assert _patched(result), history
        _same_as_clean(site, output, tmp_path, result)


@pytest.mark.usefixtures("two_shards")
def test_a_date_that_moves_an_article_to_another_search_shard_is_patched(tmp_path: Path) -> None:
    # The oldest article made the newest leaves the big shard and joins the small one, and another
    # article moves the other way: both shards are made again from the articles' HTML in the
    # cache, as a clean build makes them.
    site = Site(tmp_path / "site", random.Random(22))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    assert first.search is not None and first.search.shards == 2
    oldest = min(_published(site, first), key=lambda p: p.read_text(encoding="utf-8").split("date: ", 1)[1][:16])
    site._edit_front(oldest, "date", "2026-09-21 19:00")
    moved = _build(site.root, output, site.now)
    assert _patched(moved) and moved.search is not None and moved.search.built == 2
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    assert dict(moved.addresses) == dict(first.addresses)  # the same addresses


def _parts(snap_file: Path, separator: str = "-") -> dict[str, tuple[int, int]]:
    """The snapshot's (or record's) part files by name: (inode, mtime ns)."""
    prefix = snap_file.name + separator
    return {p.name[len(prefix):]: (p.stat().st_ino, p.stat().st_mtime_ns) for p in snap_file.parent.iterdir() if p.name.startswith(prefix)}


def test_a_body_patch_writes_again_only_the_snapshot_parts_it_changed(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(21))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    (snap_file,) = _snapshots(site)
    before = _parts(snap_file)
    assert {"site", "articles.0", "records.0", "links", "page_keys", "rest"} <= before.keys()
    _edit_second_paragraph(_published(site, first)[0], "Đoạn thứ hai (chỉ sửa thân bài)")
    assert _body_patched(_build(site.root, output, site.now))
    after = _parts(snap_file)
    assert after.keys() == before.keys()
    # One article's HTML blob and its search record moved; the model's rest, the page keys, the
    # picks and photos did not: those files are the first build's.
    assert {name for name in before if after[name] != before[name]} == {"articles.0", "records.0"}
    full = _read_snapshot(snap_file)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    # What the patch wrote reads back as the snapshot a full build of the same files writes.
    clean_snap = _read_snapshot(next((tmp_path / "sach" / ".cache").rglob("*.snapshot")))
    assert (full.site, full.records, full.related, full.page_keys, full.links) == (
        clean_snap.site, clean_snap.records, clean_snap.related, clean_snap.page_keys, clean_snap.links,
    )


def test_a_body_patch_adds_its_markdown_beside_the_cache_index_and_writes_again_only_the_records_parts_it_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A patch writes its few cache entries to `index.more` instead of the whole index again, and
    of its up-to-date record only the parts that changed; the next full build finds the patch's
    entries."""
    monkeypatch.setattr(uptodate, "FOLDERS_CHUNK", 4)  # a small site's record in several parts
    monkeypatch.setattr(uptodate, "HASHED_CHUNK", 4)
    site = Site(tmp_path / "site", random.Random(23))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    (index,) = (p for p in (site.root / ".cache").rglob("index") if p.parent.parent.name == "build")
    (record,) = (p for p in index.parent.glob("last-output-*") if "." not in p.name)
    before = (index.stat().st_ino, index.stat().st_mtime_ns)
    parts = _parts(record, ".part-")
    edited = _published(site, first)[0]
    _edit_second_paragraph(edited, "Đoạn thứ hai (chỉ sửa thân bài)")
    patched = _build(site.root, output, site.now)
    assert _body_patched(patched)
    assert (index.stat().st_ino, index.stat().st_mtime_ns) == before and index.with_name("index.more").is_file()
    again = _parts(record, ".part-")
    assert again.keys() == parts.keys()
    rewritten = {name for name in parts if again[name] != parts[name]}
    # The edited file's stats and digest; the search shard's folders (its files are named by
    # their content). Nothing else.
    chunks = {name: json.loads(record.with_name(f"{record.name}.part-{name}").read_bytes()[32:]) for name in again}
    assert {n for n in rewritten if n.startswith("hashed.")} == {n for n, c in chunks.items() if str(edited.resolve()) in c}
    assert all(any(rel.startswith("pagefind") for rel, _ in chunks[n]) for n in rewritten if n.startswith("folders."))
    assert len(rewritten) < len(parts) / 2
    assert _build(site.root, output, site.now).up_to_date
    record.unlink()  # the next build is a full one
    full = _build(site.root, output, site.now)
    # Every document's Markdown came from the cache, the edited body's (added by the patch) too.
    assert not _patched(full) and full.markdown_cached == patched.markdown_cached + 1
    assert not index.with_name("index.more").exists()  # written whole, with the patch's entry
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


@pytest.mark.parametrize("part", ["folders.0", "hashed.0"])
def test_a_damaged_part_of_the_up_to_date_record_gets_a_full_build(tmp_path: Path, part: str) -> None:
    site = Site(tmp_path / "site", random.Random(24))
    output = site.root / "public"
    _build(site.root, output, site.now)
    (found,) = (site.root / ".cache").rglob(f"last-output-*.part-{part}")
    found.write_bytes(found.read_bytes()[:-1])  # cut short
    again = _build(site.root, output, site.now)
    assert not again.up_to_date and not again.patched  # no record: nothing vouches for the output
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    assert _build(site.root, output, site.now).up_to_date  # that build wrote a sound record


def test_a_snapshot_part_of_another_write_gets_a_full_build(tmp_path: Path) -> None:
    """A write cut short between its parts and its head leaves parts the head does not name."""
    site = Site(tmp_path / "site", random.Random(22))
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    (snap_file,) = _snapshots(site)
    chunk = snap_file.with_name(snap_file.name + "-articles.0")
    old_chunk = chunk.read_bytes()
    shown = _published(site, first)
    _edit_second_paragraph(shown[0], "Đoạn thứ hai (lần một)")
    assert _body_patched(_build(site.root, output, site.now))
    chunk.write_bytes(old_chunk)  # whole and checksummed, but not the part this head names
    _edit_second_paragraph(shown[1], "Đoạn thứ hai (lần hai)")
    result = _build(site.root, output, site.now)
    assert not _patched(result)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)


def test_a_snapshot_part_gone_from_disk_is_written_again(tmp_path: Path) -> None:
    """`write` keeps a part only while its file still holds the bytes it was read from."""
    site = Site(tmp_path / "site", random.Random(23))
    _build(site.root, site.root / "public", site.now)
    (snap_file,) = _snapshots(site)
    found = _read_snapshot(snap_file)
    snap_file.with_name(snap_file.name + "-links").unlink()
    elsewhere = tmp_path / "other" / snap_file.name
    snapshot.write(snap_file, found)
    snapshot.write(elsewhere, found)  # read from one place, written to another: every part
    for path in (snap_file, elsewhere):
        again = snapshot.read(path, found.inputs)
        assert again is not None and (again.site, again.links, again.records) == (found.site, found.links, found.records)


def test_a_patch_takes_a_snapshot_already_in_memory_and_hands_back_the_next(tmp_path: Path) -> None:
    """A long-lived process keeps the snapshot (`pipeline.Warm`): the patch uses it without the
    file, and leaves the one it wrote, equal to the file's, which the next patch takes in turn."""
    site = Site(tmp_path / "site", random.Random(24))
    output = site.root / "public"
    options = BuildOptions(site_dir=site.root, output=output, jobs=1, environ={"SOURCE_DATE_EPOCH": str(site.now)})
    warm = pipeline.Warm()
    first = pipeline.build(options, warm=warm)
    (snap_file,) = _snapshots(site)
    assert warm.snapshot is not None and warm.plan is not None
    shown = _published(site, first)
    for n in range(2):
        snap_file.unlink()  # not read from disk: without the object this would be a full build
        _edit_second_paragraph(shown[n], f"Đoạn thứ hai (trong bộ nhớ, lần {n})")
        result = pipeline.build(options, warm=warm)
        assert result.patched
        assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
        assert warm.snapshot is not None
        assert snapshot.read(snap_file, warm.snapshot.inputs) == warm.snapshot  # the same as it wrote to disk


def _listed_site(root: Path) -> Site:
    """Fourteen published articles that all share a tag and an official (lists of two a page:
    the oldest is on the last page of its category, tag, official and archive lists, not on the
    home page); the oldest and the newest also share a second tag, so the newest's "Xem thêm"
    shows the oldest."""
    site = Site(root, random.Random(31))
    for _ in range(8):
        site.add()
    for day, path in enumerate(site.articles(), start=1):
        site._edit_front(path, "date", f"2026-09-{day:02d} 08:00")
        site._edit_front(path, "tags", "[y tế]")
        site._edit_front(path, "officials", "[le-thi-mai]")
    oldest, *_, newest = site.articles()
    for path in (oldest, newest):
        site._edit_front(path, "tags", "[y tế, nông nghiệp]")
    return site


def test_a_title_edit_plans_only_the_pages_that_show_the_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A title moves no article in any list: the patch plans no route of the whole site
    (`plan_routes`), only the pages that show the card (`routes.pages_showing`): the last pages
    of its category, tag, official and archive lists, another article's "Xem thêm", the home
    page for the newest; the feeds are made again; `_headers` is not made whole for a share card
    replaced. The pages made are exactly those whose bytes
    changed, each showing the new title, and the output is a clean build's."""
    site = _listed_site(tmp_path / "site")
    output = site.root / "public"
    first = _build(site.root, output, site.now)
    oldest, *_, newest = site.articles()
    urls_of = dict(first.addresses)
    planned: list[str] = []
    full_plan, whole_headers = pipeline.plan_routes, pipeline._write_headers

    def counting(*args: object, **kwargs: object) -> object:
        planned.append("plan_routes")
        return full_plan(*args, **kwargs)  # type: ignore[arg-type]

    def headers(*args: object) -> None:
        planned.append("_write_headers")
        whole_headers(*args)  # type: ignore[arg-type]

    cards = 0
    for path, title in ((oldest, "Tiêu đề mới của bài cũ nhất"), (newest, "Tiêu đề mới của bài mới nhất")):
        before = tree_bytes(output)
        site._edit_front(path, "title", title)
        monkeypatch.setattr(pipeline, "plan_routes", counting)
        monkeypatch.setattr(patching, "plan_routes", counting)
        monkeypatch.setattr(pipeline, "_write_headers", headers)
        monkeypatch.setattr(patching, "_write_headers", headers)
        result = _build(site.root, output, site.now)
        monkeypatch.setattr(pipeline, "plan_routes", full_plan)
        monkeypatch.setattr(patching, "plan_routes", full_plan)
        monkeypatch.setattr(pipeline, "_write_headers", whole_headers)
        monkeypatch.setattr(patching, "_write_headers", whole_headers)
        # No route of the whole site planned; `_headers` kept with only the search bundle's rules
        # made again, though a share card was replaced (`anh/` has one rule).
        assert _patched(result) and not _body_patched(result) and planned == [], path.name
        after = tree_bytes(output)
        assert after == _clean_build(site.root, tmp_path, site.now), path.name
        cards += any(p.startswith("anh/chia-se/") for p in set(after) - set(before))
        changed = _html_changed(before, after)
        titled = {p for p, data in after.items() if p.endswith(".html") and title.encode() in data}
        assert result.pages - result.pages_cached == len(changed) and changed == titled, path.name
        assert before["rss.xml"] != after["rss.xml"]
        own = urls_of[path.relative_to(site.root).as_posix()].strip("/") + "/index.html"
        if path == oldest:
            for prefix in ("chu-de/y-te/trang-", "chu-de/nong-nghiep/", "nhan-vat/le-thi-mai/trang-", "luu-tru/trang-", "luu-tru/2026/09/trang-"):
                assert any(p.startswith(prefix) for p in changed), (prefix, sorted(changed))
            assert any(p.startswith("chuyen-muc/") and "/trang-" in p for p in changed), sorted(changed)
            newest_page = urls_of[newest.relative_to(site.root).as_posix()].strip("/") + "/index.html"
            assert newest_page in changed and "index.html" not in changed  # "Xem thêm"; not on the home page
        else:
            assert "index.html" in changed and own in changed
    assert cards  # a headline drawn on a share card again


@pytest.mark.parametrize(("key", "value"), [
    ("tags", "[y tế, giáo dục]"), ("officials", "[le-thi-mai, pham-duy-hung]"), ("category", None), ("date", "2026-09-10 12:00"),
    ("updated", "2026-09-21 10:00"),
])
def test_a_list_or_date_edit_plans_only_the_pages_it_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, key: str, value: str | None) -> None:
    """A tag, official, category, date or update-date edit moves the article in (or into, out of)
    lists and changes sitemap.xml, yet the patch plans no route of the whole site
    (`plan_routes`): both models are outlined (`routes.outline`: URLs and list slices, no card)
    and only the list pages that are new or whose slice, heading, chips or pager changed are
    made (`routes.changed_pages`). The pages made are exactly those whose bytes changed, and the
    output is a clean build's."""
    site = _listed_site(tmp_path / "site")
    output = site.root / "public"
    _build(site.root, output, site.now)
    path = site.articles()[2]
    if value is None:
        value = "kinh-te" if "category: thoi-su" in path.read_text(encoding="utf-8") else "thoi-su"
    planned: list[str] = []
    lists: list[str] = []
    full_plan, changed_pages = pipeline.plan_routes, patching.changed_pages

    def counting(*args: object, **kwargs: object) -> object:
        planned.append("plan_routes")
        return full_plan(*args, **kwargs)  # type: ignore[arg-type]

    def listing(*args: object) -> list[Route]:
        found = changed_pages(*args)  # type: ignore[arg-type]
        lists.extend(urls.output_file(r.url) for r in found)
        return found

    before = tree_bytes(output)
    site._edit_front(path, key, value)
    monkeypatch.setattr(pipeline, "plan_routes", counting)
    monkeypatch.setattr(patching, "plan_routes", counting)
    monkeypatch.setattr(patching, "changed_pages", listing)
    result = _build(site.root, output, site.now)
    monkeypatch.setattr(pipeline, "plan_routes", full_plan)
    monkeypatch.setattr(patching, "plan_routes", full_plan)
    assert _patched(result) and not _body_patched(result) and planned == [], key
    after = tree_bytes(output)
    assert after == _clean_build(site.root, tmp_path, site.now), key
    changed = _html_changed(before, after)
    # The list and home pages planned are those whose bytes changed, and those that show the
    # edited card (a field a page does not print, the category in a list, leaves it the same).
    # Article pages made: the edited one and those whose "Xem thêm" changed or shows its card.
    articles = {a.strip("/") + "/index.html" for _, a in result.addresses}
    url = dict(result.addresses)[path.relative_to(site.root).as_posix()]
    showing = {p for p, data in after.items() if p.endswith(".html") and f'href="{url}"'.encode() in data}
    assert changed - articles <= set(lists) <= changed | showing, (key, sorted(changed), sorted(lists))
    assert len(lists) == len(set(lists))
    assert len(changed) <= result.pages - result.pages_cached <= len(changed | articles)
    if key in ("date", "updated"):
        assert before["sitemap.xml"] != after["sitemap.xml"]


def test_a_list_edit_past_the_sitemap_limit_is_patched_while_the_parts_stay_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the URL limit sitemap.xml is an index of parts (at 100k: three). A tag edit that adds a
    page is patched while the parts stay the same files; one that adds or removes a part gets a
    full build. Each output is a clean build's with the same limit."""
    site = Site(tmp_path / "site", random.Random(33))
    for _ in range(3):
        site.add()
    output = site.root / "public"
    shown = _published(site, _build(site.root, output, site.now))
    entries = (output / "sitemap.xml").read_text(encoding="utf-8").count("<loc>")
    shutil.rmtree(output)
    shutil.rmtree(site.root / ".cache")
    monkeypatch.setattr(sitemaps, "MAX_URLS", entries - 1)  # two parts: all but one entry, then one
    _build(site.root, output, site.now)
    assert sorted(p.name for p in output.glob("sitemap-[0-9]*.xml")) == ["sitemap-1.xml", "sitemap-2.xml"]
    site._edit_front(shown[0], "tags", "[thẻ mới thứ nhất]")  # its own tag page: one entry more
    assert _patched(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    monkeypatch.setattr(sitemaps, "MAX_URLS", entries + 1)  # no input: the output keeps its two parts
    site._edit_front(shown[0], "tags", "[]")  # one entry less, under the limit: one sitemap, no part
    assert not _patched(_build(site.root, output, site.now))
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)
    assert not (output / "sitemap-1.xml").exists()


def _saved_meanwhile_is_read_again(site: Site, output: Path, work: Path) -> None:
    """After a patch during which a file was saved: the next build is not up to date (it reads
    that file again), equals a clean build, and the one after it stands."""
    assert not _build(site.root, output, site.now).up_to_date
    assert tree_bytes(output) == _clean_build(site.root, work, site.now)
    assert _build(site.root, output, site.now).up_to_date


def _counted_stats(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path `uptodate` states from now on (the input hash's and `as_built`'s walks), in order."""
    stated: list[str] = []
    stat = uptodate._stat

    def counted(path: bytes) -> tuple[int, int, int, int] | None:
        stated.append(os.fsdecode(path))
        return stat(path)

    monkeypatch.setattr(uptodate, "_stat", counted)
    return stated


def test_a_card_patch_states_no_article_again_but_those_it_read_and_a_save_meanwhile_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As a body patch: after a title patch, only the files it read below content/articles/ (the
    edited article, those whose "Xem thêm" it made again from their files, and the files they
    name) are stated again; a save of another article while it ran is read by the next build,
    which then equals a clean one."""
    site = Site(tmp_path / "site", random.Random(32))
    for _ in range(4):
        site.add()
    output = site.root / "public"
    shown = _published(site, _build(site.root, output, site.now))
    edited, other = shown[0], shown[1]
    stated = _counted_stats(monkeypatch)
    site._edit_front(edited, "title", "Tiêu đề mới cho bài đầu")
    result = _build(site.root, output, site.now)
    assert _patched(result) and not _body_patched(result)
    articles = [p for p in stated if p.startswith(f"{site.root / 'content/articles'}/")]
    assert {p for p in articles if articles.count(p) > 1} == {str(edited)}
    assert len(articles) == len(set(articles)) + 1  # each once (the input hash), the edited one twice
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)

    changes = patching._card_changes

    def saving(*args: object) -> object:
        _edit_second_paragraph(other, "Đoạn thứ hai của bài khác, lưu lúc dựng")  # saved while the patch runs
        return changes(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(patching, "_card_changes", saving)
    site._edit_front(edited, "title", "Tiêu đề mới lần nữa")
    assert _patched(_build(site.root, output, site.now))
    monkeypatch.setattr(patching, "_card_changes", changes)
    _saved_meanwhile_is_read_again(site, output, tmp_path)


def test_a_body_patch_states_no_article_again_but_those_it_read_and_a_save_meanwhile_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """After a body patch, only the files it read below content/articles/ (the edited article and
    the files it names) are stated again to find saves made while it ran (`uptodate.as_built`):
    ~10,000 other articles at 10k, which it never read. A save of the edited article meanwhile
    leaves a record that is never up to date; a save of another article is read by the next build.
    Each next build equals a clean one."""
    site = Site(tmp_path / "site", random.Random(31))
    output = site.root / "public"
    shown = _published(site, _build(site.root, output, site.now))
    edited, other = shown[0], shown[1]
    stated = _counted_stats(monkeypatch)
    _edit_second_paragraph(edited, "Đoạn thứ hai đã sửa")
    assert _body_patched(_build(site.root, output, site.now))
    articles = [p for p in stated if p.startswith(f"{site.root / 'content/articles'}/")]
    twice = {p for p in articles if articles.count(p) > 1}
    assert twice == {str(edited)}, twice  # the hash's stat, and as_built's of the file it read
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now)

    changes = patching._body_changes
    for saved, words in ((edited, "Đoạn thứ hai sửa lúc dựng"), (other, "Đoạn thứ hai của bài khác")):
        def saving(*args: object, saved: Path = saved, words: str = words) -> object:
            _edit_second_paragraph(saved, words)  # saved while the patch runs
            return changes(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(patching, "_body_changes", saving)
        _edit_second_paragraph(edited, f"Đoạn thứ hai, lần {words}")
        assert _body_patched(_build(site.root, output, site.now))
        monkeypatch.setattr(patching, "_body_changes", changes)
        _saved_meanwhile_is_read_again(site, output, tmp_path)
