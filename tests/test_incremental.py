"""Incremental builds: after any sequence of edits, a build that reuses the cache and the
previous output gives exactly the bytes of a clean build of the same site."""

from __future__ import annotations

import ast
import dataclasses
import random
import shutil
import unicodedata
import wave
from collections.abc import Callable
from pathlib import Path

import pytest
from sitekit import make_jpeg, tree_bytes, write_site

from toasoan import assets, content, front
from toasoan.config import Category, SiteConfig
from toasoan.errors import BuildFailed
from toasoan.pipeline import CACHE_LABEL, BuildOptions, BuildResult, build

NOW = 1790000000  # 2026-09-21
CONFIG = """\
title: Báo Thử Nghiệm
tagline: Tin tức thử nghiệm
base_url: https://thu.example.vn/
language: vi
timezone: Asia/Ho_Chi_Minh
permalink: /{year}/{month}/{slug}/
page_size: {category: 2, tag: 2, official: 2, archive: 2, home_lead: 2, home_section: 2}
related: 3
categories:
  thoi-su: {name: Thời sự, description: Tin thời sự}
  kinh-te: {name: Kinh tế}
menus:
  main:
    - {title: Trang chủ, url: /}
    - {title: Thời sự, category: thoi-su}
"""
OFFICIALS = """\
- id: pham-duy-hung
  name: Phạm Duy Hưng
  positions:
    - { title: Phó Chủ tịch UBND tỉnh, from: 2023-01-01 }
- id: le-thi-mai
  name: Lê Thị Mai
  positions:
    - { title: Giám đốc Sở Tài chính, from: 2020-01-01 }
"""
TAGS = ["chuyển đổi số", "nông nghiệp", "đường giao thông", "y tế"]
WORDS = ["tỉnh", "huyện", "xã", "đồng chí", "hội nghị", "đầu tư", "đường", "điện", "nước", "trường học", "nông dân", "mùa vụ"]


class Site:
    """A small site whose files a test edits at random, as editors would."""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.count = 0
        self.now = NOW
        self.pending: Callable[[], str] | None = None
        write_site(root, f"-- site_config.yaml --\n{CONFIG}-- content/officials.yaml --\n{OFFICIALS}")
        make_jpeg(root / "content/media/anh-chung.jpg", (900, 600))
        for _ in range(5):
            self.add()
        # An article with its own audio and photo beside it (loading checks both).
        bundle = root / BUNDLE
        write_site(root, f"-- {BUNDLE}/index.md --\n" + self._text("Bài có tiếng đọc", 12, "thoi-su", [], [], self._body(), False))
        self._edit_front(bundle / "index.md", "audio", "doc-bai.wav")
        path = bundle / "index.md"
        path.write_text(path.read_text(encoding="utf-8") + "\n![Ảnh riêng của bài.](anh-rieng.jpg)\n", encoding="utf-8")
        make_wav(bundle / "doc-bai.wav", 2)
        make_jpeg(bundle / "anh-rieng.jpg", (700, 500), (20, 90, 160))

    def articles(self) -> list[Path]:
        return sorted((self.root / "content/articles").rglob("*.md"))

    def _text(self, title: str, day: int, category: str, tags: list[str], officials: list[str], body: str, draft: bool) -> str:
        lines = ["---", f"title: {title}", f"date: 2026-09-{day:02d} 08:00", f"category: {category}", f"tags: [{', '.join(tags)}]"]
        if officials:
            lines.append(f"officials: [{', '.join(officials)}]")
        if draft:
            lines.append("draft: true")
        return "\n".join([*lines, "---", "", body, ""])

    def _body(self) -> str:
        words = " ".join(self.rng.choice(WORDS) for _ in range(12))
        photo = "\n\n![Ảnh chung của tòa soạn.](/media/anh-chung.jpg)" if self.rng.random() < 0.3 else ""
        return f"BBK - {words.capitalize()}.{photo}\n\n## Nội dung chính\n\nĐoạn thứ hai: {words}."

    def add(self) -> str:
        self.count += 1
        n = self.count
        day = self.rng.randint(1, 30)
        path = self.root / f"content/articles/2026/09/bai-{n}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        tags = self.rng.sample(TAGS, self.rng.randint(0, 2))
        officials = self.rng.sample(["pham-duy-hung", "le-thi-mai"], self.rng.randint(0, 2))
        category = self.rng.choice(["thoi-su", "kinh-te"])
        path.write_text(self._text(f"Bài số {n} về {self.rng.choice(WORDS)}", day, category, tags, officials, self._body(), False), encoding="utf-8")
        return f"add {path.name}"

    def _edit_front(self, path: Path, key: str, value: str) -> None:
        lines = path.read_text(encoding="utf-8").split("\n")
        end = lines.index("---", 1)
        front = [line for line in lines[1:end] if not line.startswith(f"{key}:")]
        path.write_text("\n".join(["---", *front, f"{key}: {value}", *lines[end:]]), encoding="utf-8")

    def edit(self) -> str:
        paths = self.articles()
        path = self.rng.choice(paths)
        kind = self.rng.choice([
            "body", "correction", "correction", "finding", "title", "repeat", "date", "category", "tags", "officials", "draft", "future",
            "photo", "slug", "aliases",
        ])
        if kind in ("correction", "finding"):  # the body after its first paragraph: a build that patches the last output
            text = path.read_text(encoding="utf-8")
            head, _, body = text.partition("\n---\n")
            lead, _, rest = body.strip("\n").partition("\n\n")
            words = f"Đoạn sửa {self.rng.randint(1, 999)}: {self.rng.choice(WORDS)}."
            if kind == "finding":  # a finding of its own: typed with combining marks, or a link that leads nowhere
                words = self.rng.choice([unicodedata.normalize("NFD", words), f"{words} Xem [trang cũ](/khong-co/{self.rng.randint(1, 3)}/)."])
            path.write_text(f"{head}\n---\n\n{lead}\n\n{words}\n\n{rest}\n", encoding="utf-8")
        elif kind == "body":
            text = path.read_text(encoding="utf-8")
            head, _, _ = text.partition("\n---\n")
            path.write_text(f"{head}\n---\n\n{self._body()}\n", encoding="utf-8")
        elif kind == "title":
            self._edit_front(path, "title", f"Tiêu đề mới {self.rng.randint(1, 999)} về {self.rng.choice(WORDS)}")
        elif kind == "repeat":  # another article's title (a site-wide finding), or its own again on another line
            other = self.rng.choice(paths)
            self._edit_front(path, "title", next(line for line in other.read_text(encoding="utf-8").split("\n") if line.startswith("title: "))[7:])
        elif kind == "date":
            self._edit_front(path, "date", f"2026-09-{self.rng.randint(1, 30):02d} {self.rng.randint(6, 20):02d}:15")
        elif kind == "category":
            self._edit_front(path, "category", self.rng.choice(["thoi-su", "kinh-te"]))
        elif kind == "tags":
            self._edit_front(path, "tags", f"[{', '.join(self.rng.sample(TAGS, self.rng.randint(0, 3)))}]")
        elif kind == "officials":
            self._edit_front(path, "officials", f"[{', '.join(self.rng.sample(['pham-duy-hung', 'le-thi-mai'], self.rng.randint(0, 2)))}]")
        elif kind == "draft":
            self._edit_front(path, "draft", self.rng.choice(["true", "false"]))
        elif kind == "future":  # "now" is 2026-09-21 21:13 in Hà Nội: a clock step publishes it
            self._edit_front(path, "date", "2026-09-22 02:00")
        elif kind == "slug":  # a few values: two articles on one address happen (an error)
            self._edit_front(path, "slug", f"dia-chi-{self.rng.randint(1, 4)}")
        elif kind == "aliases":  # redirect pages; one alias in two articles happens (an error)
            self._edit_front(path, "aliases", f"[/cu/{self.rng.randint(1, 4)}/, /2026/09/cu-{self.rng.randint(1, 4)}.html]")
        else:
            self._edit_front(path, "cover", "{src: /media/anh-chung.jpg, caption: Ảnh bìa.}")
        return f"{kind} {path.name}"

    def delete(self) -> str:
        paths = self.articles()
        if len(paths) <= 2:
            return self.add()
        path = self.rng.choice(paths)
        path.unlink()
        return f"delete {path.name}"

    def rename(self) -> str:
        path = self.rng.choice(self.articles())
        self.count += 1
        path.rename(path.with_name(f"doi-ten-{self.count}.md"))
        return f"rename {path.name}"

    def template(self) -> str:
        theme = Path(__file__).resolve().parent.parent / "templates"
        name = self.rng.choice(["base.html", "list.html", "macros.html", "article.html"])
        target = self.root / "templates" / name
        source = target if target.exists() else theme / name
        text = source.read_text(encoding="utf-8")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text + f"{{# sửa lần {self.rng.randint(1, 10**6)} #}}\n<!-- {self.rng.randint(1, 999)} -->\n", encoding="utf-8")
        return f"template {name}"

    def config(self) -> str:
        text = (self.root / "site_config.yaml").read_text(encoding="utf-8")
        lines = [line for line in text.split("\n") if not line.startswith("tagline:")]
        lines.insert(1, f"tagline: Khẩu hiệu {self.rng.randint(1, 999)}")
        (self.root / "site_config.yaml").write_text("\n".join(lines), encoding="utf-8")
        return "config tagline"

    def clock(self) -> str:
        self.now += 6 * 3600
        return "clock +6h"

    def media(self) -> str:
        """A file an article names changes: replaced, or broken (deleted, made unplayable) and
        put back by the next step."""
        kind = self.rng.choice(["photo", "audio", "own photo"])
        if kind == "photo":
            path = self.root / "content/media/anh-chung.jpg"
        elif kind == "own photo":
            path = self.root / BUNDLE / "anh-rieng.jpg"
        else:
            path = self.root / BUNDLE / "doc-bai.wav"
        size = self.rng.randint(2, 9)

        def replace() -> str:
            if kind == "audio":
                make_wav(path, size)
            else:
                make_jpeg(path, (100 * size, 80 * size), (self.rng.randint(0, 255), 40, 40))
            return f"media replace {path.name}"

        if self.rng.random() < 0.5:
            return replace()
        if kind == "audio" and self.rng.random() < 0.5:
            path.write_bytes(b"<html>not audio</html>\n")
        else:
            path.unlink()
        self.pending = replace
        return f"media break {path.name}"

    def officials(self, remove: float = 0.4) -> str:
        """officials.yaml changes: a name, or an official removed (put back by the next step)."""
        path = self.root / "content/officials.yaml"
        if self.rng.random() < remove:
            path.write_text(OFFICIALS.partition("- id: le-thi-mai")[0], encoding="utf-8")
            self.pending = lambda: self.officials(remove=0.0)
            return "officials remove le-thi-mai"
        name = self.rng.choice(["Phạm Duy Hưng", "Phạm Duy Hùng", "Phạm Văn Hưng"])
        path.write_text(OFFICIALS.replace("Phạm Duy Hưng", name), encoding="utf-8")
        return f"officials rename {name}"

    def categories(self, remove: float = 0.4) -> str:
        """The config's categories change: a name, or a category removed (put back next step)."""
        path = self.root / "site_config.yaml"
        lines = [line for line in path.read_text(encoding="utf-8").split("\n") if not line.startswith("  kinh-te:")]
        if self.rng.random() < remove:
            self.pending = lambda: self.categories(remove=0.0)
            path.write_text("\n".join(lines), encoding="utf-8")
            return "categories remove kinh-te"
        lines.insert(lines.index("categories:") + 1, f"  kinh-te: {{name: Kinh tế {self.rng.randint(1, 99)}}}")
        path.write_text("\n".join(lines), encoding="utf-8")
        return "categories rename"

    def step(self) -> str:
        if self.pending is not None:  # what the last step broke is put back
            action, self.pending = self.pending, None
            return action()
        action = self.rng.choices(
            [self.add, self.edit, self.delete, self.rename, self.template, self.config, self.clock, self.media, self.officials, self.categories],
            weights=[2, 7, 1, 1, 1, 1, 1, 4, 1, 1],
        )[0]
        return action()


BUNDLE = "content/articles/2026/09/co-tieng-doc"


def make_wav(path: Path, seconds: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(2000)
        out.writeframes(bytes(2000 * seconds))
    return path


def _build(site: Path, output: Path, now: int) -> BuildResult:
    options = BuildOptions(site_dir=site, output=output, jobs=1, environ={"SOURCE_DATE_EPOCH": str(now)})
    return build(options)


def _outcome(site: Path, output: Path, now: int) -> BuildResult | list[str]:
    """The build's result, or its error lines when it failed."""
    try:
        return _build(site, output, now)
    except BuildFailed as failed:
        # A warning about an address the previous build published depends on that build: a clean
        # build has none to compare with. Everything else must be the same.
        return [str(d) for d in failed.diagnostics if "thêm `aliases:" not in d.message]


def _clean_build(site: Path, work: Path, now: int) -> dict[str, bytes] | list[str]:
    return _clean(site, work, now)[0]


def _clean(site: Path, work: Path, now: int) -> tuple[dict[str, bytes] | list[str], list[tuple[object, ...]]]:
    """A clean build of a copy of `site`: its files (or its error lines) and its `findings`."""
    copy = work / "sach"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".cache", "public"))
    outcome = _outcome(copy, copy / "public", now)
    if isinstance(outcome, list):
        return outcome, []
    return tree_bytes(copy / "public"), findings(outcome)


def findings(result: BuildResult) -> list[tuple[object, ...]]:
    """A build's warnings as a clean build must give them too, in their order: all but a cache
    notice and an address the previous build published (those depend on that build)."""
    return [
        (d.path, d.line, d.column, d.severity, d.code, d.message)
        for d in result.warnings if d.path != CACHE_LABEL and d.code not in ("address-moved", "address-gone")
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_edits_always_give_a_clean_build(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    site = Site(tmp_path / "site", rng)
    output = tmp_path / "site" / "public"
    _build(site.root, output, site.now)
    history = []
    for _ in range(14):
        history.append(site.step())
        before = tree_bytes(output)
        result = _outcome(site.root, output, site.now)
        clean, found = _clean(site.root, tmp_path, site.now)
        if isinstance(result, list):  # a failed build: the same errors as a clean one, output kept
            assert result == clean, f"after {history}"
            assert tree_bytes(output) == before, f"after {history}"
            continue
        assert isinstance(clean, dict), f"after {history}: a clean build fails with {clean}"
        warm = tree_bytes(output)
        assert sorted(warm) == sorted(clean), f"after {history}: files differ {set(warm) ^ set(clean)}"
        changed = [name for name in clean if warm[name] != clean[name]]
        assert not changed, f"after {history}: {changed[:5]} differ from a clean build"
        assert findings(result) == found, f"after {history}: the warnings differ from a clean build's"
        whole_site = ("template base", "config", "template macros", "categories", "officials")
        assert result.pages_cached > 0 or history[-1].startswith(whole_site), history


def test_a_body_edit_renders_only_its_own_page(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(7))
    output = tmp_path / "site" / "public"
    first = _build(site.root, output, site.now)
    assert first.pages_cached == 0
    same = _build(site.root, output, site.now)
    assert same.up_to_date and same.files == 0
    path = site.articles()[0]
    head, _, body = path.read_text(encoding="utf-8").partition("\n---\n")
    # A word in the second paragraph: the sapo (the first paragraph) stays as it was.
    path.write_text(f"{head}\n---\n{body.replace('Đoạn thứ hai', 'Đoạn thứ hai đã sửa')}", encoding="utf-8")
    edited = _build(site.root, output, site.now)
    assert edited.pages - edited.pages_cached == 1
    assert edited.markdown_cached == edited.articles - 1
    title_path = site.articles()[1]
    site._edit_front(title_path, "title", "Một tiêu đề hoàn toàn mới")
    retitled = _build(site.root, output, site.now)
    made = retitled.pages - retitled.pages_cached
    assert 1 < made < retitled.pages  # its page and the lists it is on, not the whole site
    assert retitled.markdown_cached == retitled.articles  # a title edit runs no Markdown


def test_a_template_edit_runs_no_markdown(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(3))
    output = tmp_path / "site" / "public"
    _build(site.root, output, site.now)
    theme = Path(__file__).resolve().parent.parent / "templates"
    (site.root / "templates").mkdir()
    (site.root / "templates/list.html").write_text((theme / "list.html").read_text(encoding="utf-8") + "<!-- mới -->\n", encoding="utf-8")
    result = _build(site.root, output, site.now)
    assert result.markdown_cached == result.articles
    article_pages = len(site.articles())
    assert result.pages - result.pages_cached < result.pages - article_pages  # article pages kept


def test_a_damaged_cache_is_noticed_and_rebuilt(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(5))
    output = tmp_path / "site" / "public"
    _build(site.root, output, site.now)
    clean = tree_bytes(output)
    for record in (site.root / ".cache/build").glob("*/last-output-*"):
        record.unlink()  # no shortcut: this build reads the cache
    blobs = sorted((site.root / ".cache/build").rglob("blobs/*/*"))
    for blob in blobs[::3]:
        data = blob.read_bytes()
        blob.unlink()  # a damaged entry: the live output (a hard link) keeps its bytes
        blob.write_bytes(data[: len(data) // 2])
    result = _build(site.root, output, site.now)
    assert any("bộ nhớ đệm" in str(w) for w in result.warnings)
    assert tree_bytes(output) == clean
    for record in (site.root / ".cache/build").glob("*/last-output-*"):
        record.unlink()
    index = next((site.root / ".cache/build").glob("*/index"))
    index.write_bytes(index.read_bytes()[:100])
    result = _build(site.root, output, site.now)
    assert any("chỉ mục" in str(w) for w in result.warnings)
    assert result.pages_cached == 0
    assert tree_bytes(output) == clean


def _stats(root: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def test_nothing_changed_writes_nothing_and_a_touched_output_is_rebuilt(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(11))
    output = tmp_path / "site" / "public"
    _build(site.root, output, site.now)
    first = tree_bytes(output)
    before = _stats(output)
    again = _build(site.root, output, site.now)
    assert again.up_to_date and again.files == 0
    assert _stats(output) == before  # not one file written, linked or swapped
    victim = next(p for p in sorted(output.rglob("index.html")) if p.parent != output)
    victim.unlink()  # someone tidied the live folder by hand
    repaired = _build(site.root, output, site.now)
    assert not repaired.up_to_date
    assert tree_bytes(output) == first


def test_a_scheduled_article_appears_on_its_own_when_its_time_comes(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(13))
    output = tmp_path / "site" / "public"
    path = site.articles()[0]
    site._edit_front(path, "date", "2026-09-22 12:00")  # "now" is 2026-09-21 21:13 in Hà Nội
    _build(site.root, output, site.now)
    slug_dir = [p for p in output.rglob("*") if p.is_dir() and p.name == path.stem]
    assert slug_dir == []
    later = _build(site.root, output, site.now + 3600)
    assert later.up_to_date  # an hour on, nothing is due yet
    due = _build(site.root, output, site.now + 15 * 3600)
    assert not due.up_to_date
    assert [p for p in output.rglob("*") if p.is_dir() and p.name == path.stem]
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now + 15 * 3600)


def _equals_clean(site: Site, output: Path, tmp_path: Path) -> BuildResult | list[str]:
    """Build `site` with its cache; its errors or its files must be a clean build's."""
    before = tree_bytes(output)
    result = _outcome(site.root, output, site.now)
    clean = _clean_build(site.root, tmp_path, site.now)
    if isinstance(result, list):
        assert result == clean
        assert tree_bytes(output) == before
    else:
        assert tree_bytes(output) == clean
    return result


def test_a_warm_build_reads_no_article_again(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(11))
    output = tmp_path / "site" / "public"
    count = len(site.articles())
    first = _build(site.root, output, site.now)
    assert first.articles_cached == 0
    for record in (site.root / ".cache/build").glob("*/last-output-*"):
        record.unlink()  # no shortcut: a real warm build
    warm = _build(site.root, output, site.now)
    assert warm.articles_cached == count
    site._edit_front(site.articles()[0], "title", "Tiêu đề đã sửa")
    for record in (site.root / ".cache/build").glob("*/last-output-*"):
        record.unlink()  # a full build (a patch reads the articles whose "Xem thêm" shows the title too)
    assert _build(site.root, output, site.now).articles_cached == count - 1
    # A photo's content is the photo stage's business: the articles naming it are not read again.
    make_jpeg(site.root / BUNDLE / "anh-rieng.jpg", (300, 200), (1, 2, 3))
    assert _build(site.root, output, site.now).articles_cached == count
    # The audio's content is the article's (its length is shown): that article is read again.
    make_wav(site.root / BUNDLE / "doc-bai.wav", 7)
    assert _build(site.root, output, site.now).articles_cached == count - 1
    # The registry and the config are read by every article.
    site.officials(remove=0.0)
    assert _build(site.root, output, site.now).articles_cached == 0


def test_what_an_article_names_is_checked_again_when_cached(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(11))
    output = tmp_path / "site" / "public"
    _build(site.root, output, site.now)
    photo, audio = site.root / BUNDLE / "anh-rieng.jpg", site.root / BUNDLE / "doc-bai.wav"
    data = photo.read_bytes()
    photo.unlink()
    failed = _equals_clean(site, output, tmp_path)
    assert isinstance(failed, list) and any("không tìm thấy ảnh `anh-rieng.jpg`" in line for line in failed)
    photo.write_bytes(data)
    _equals_clean(site, output, tmp_path)
    make_wav(audio, 65)
    _equals_clean(site, output, tmp_path)
    assert "1:05" in (output / "2026/09/co-tieng-doc/index.html").read_text(encoding="utf-8")
    audio.write_bytes(b"<html>not audio</html>\n")
    failed = _equals_clean(site, output, tmp_path)
    assert isinstance(failed, list) and any("`audio` `doc-bai.wav`" in line for line in failed)
    audio.unlink()
    failed = _equals_clean(site, output, tmp_path)
    assert isinstance(failed, list) and any("không tìm thấy tệp âm thanh" in line for line in failed)
    make_wav(audio, 3)
    _equals_clean(site, output, tmp_path)


def test_the_article_cache_key_covers_what_loading_reads_of_the_config() -> None:
    """Loading (content.py and the modules it reads files through: front matter, assets) reads
    only `CONFIG_READS` of the config, all of them in the cache's key."""
    read = set()
    nodes = [n for module in (content, front, assets) for n in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8")))]
    for node in nodes:
        if isinstance(node, ast.Attribute):
            inner = node.value
            if (isinstance(inner, ast.Name) and inner.id == "config") or (isinstance(inner, ast.Attribute) and inner.attr == "config"):
                read.add(node.attr)
    assert read == set(content.CONFIG_READS)
    config = SiteConfig(title="T")
    base = content.loading_inputs(config, {})
    for change in ({"timezone": "Asia/Bangkok"}, {"limits": dataclasses.replace(config.limits, tags=1)}, {"categories": (Category(key="k", name="K", description=""),)}):
        assert content.loading_inputs(dataclasses.replace(config, **change), {}) != base, change
    assert content.loading_inputs(dataclasses.replace(config, tagline="khác"), {}) == base


def test_an_enum_member_pickled_by_name_loads_and_no_other_getattr_does() -> None:
    """Debian's Python 3.11.2 pickles an enum member as `getattr(Severity, "WARNING")` (3.11.7
    calls the class with the value). Refused, every cached article with a warning read as damage
    on every build there: a notice each time and never an up-to-date record, so never a patch."""
    import io
    import pickle

    from toasoan.buildcache import load_model
    from toasoan.errors import Diagnostic, Severity

    def by_name(reduced: Callable[[object], object]) -> bytes:
        class ByName(pickle.Pickler):
            def reducer_override(self, obj: object) -> object:
                return reduced(obj)

        out = io.BytesIO()
        ByName(out, protocol=5).dump(diag)
        return out.getvalue()

    diag = Diagnostic(path="content/bai.md", line=5, message="ảnh bìa chưa có chú thích", severity=Severity.WARNING)
    written = by_name(lambda obj: (getattr, (type(obj), obj.name)) if isinstance(obj, Severity) else NotImplemented)
    assert b"getattr" in written
    assert load_model(written) == diag
    for owner, name in ((Severity, "__class__"), (Severity, "mro"), (Path, "home")):
        evil = by_name(lambda obj, o=owner, n=name: (getattr, (o, n)) if isinstance(obj, Severity) else NotImplemented)
        with pytest.raises(pickle.UnpicklingError):
            load_model(evil)


def test_a_cache_entry_cannot_run_code(tmp_path: Path) -> None:
    """A restored CI cache may have been written by anyone: a blob whose pickle calls a function
    outside the model is refused (and so treated as damage), never run."""
    import pickle

    from toasoan.buildcache import load_model

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("ran",))

    with pytest.raises(pickle.UnpicklingError):
        load_model(pickle.dumps(Evil()))
    site = Site(tmp_path / "site", random.Random(17))
    output = tmp_path / "site" / "public"
    first = _build(site.root, output, site.now)
    assert first.articles_cached == 0
    again = _build(site.root, output, site.now + 1)
    assert again.up_to_date  # and a real warm build reads every article from the cache:
    for record in (site.root / ".cache/build").glob("*/last-output-*"):
        record.unlink()
    assert _build(site.root, output, site.now).articles_cached == len(site.articles())


def test_builds_with_and_without_drafts_keep_each_other_s_cache(tmp_path: Path) -> None:
    """`serve` builds with drafts, `build` without, on one site and one cache. Before, each build's
    cache prune removed what the other had made: the next `build` rendered every page and
    indexed every search shard again. Now each profile has its own index (and search folder),
    and a prune keeps the other profile's entries."""
    from toasoan.pipeline import BuildOptions, build

    site = tmp_path / "site"
    write_site(site, """\
-- content/articles/2023/06/bai-dang.md --
---
title: Bài đã đăng
date: 2023-06-07 08:00
category: thoi-su
---

Nội dung bài đã đăng.
-- content/articles/2023/06/ban-nhap.md --
---
title: Bản nháp
date: 2023-06-08 08:00
category: thoi-su
draft: true
---

Nội dung bản nháp.
""")
    env = {"SOURCE_DATE_EPOCH": "1790000000"}
    public = BuildOptions(site_dir=site, output=tmp_path / "public", environ=env)
    drafts = BuildOptions(site_dir=site, output=tmp_path / "preview", drafts=True, environ=env)
    first = build(public)
    assert build(drafts).pages > first.pages
    # Another output folder: nothing is up to date there, so every page comes from the cache.
    again = build(dataclasses.replace(public, output=tmp_path / "public-2"))
    assert again.pages == first.pages and again.pages_cached == again.pages
    assert again.search is not None and again.search.built == 0 and again.search.cached == again.search.shards
    assert tree_bytes(tmp_path / "public-2") == tree_bytes(tmp_path / "public")
    preview = build(dataclasses.replace(drafts, output=tmp_path / "preview-2"))
    assert preview.pages_cached == preview.pages
    assert preview.search is not None and preview.search.built == 0


def test_a_far_future_date_warning_ends_when_the_date_comes_within_a_year(tmp_path: Path) -> None:
    site = Site(tmp_path / "site", random.Random(13))
    output = tmp_path / "site" / "public"
    path = site.articles()[0]
    site._edit_front(path, "date", "2027-09-22 23:00")  # "now" is 2026-09-21 21:13: 366 days and ~2 h ahead
    first = _build(site.root, output, site.now)
    assert any(d.code == "date-far-future" for d in first.warnings)
    later = _build(site.root, output, site.now + 3 * 3600)  # now under a year and a day ahead
    assert not any(d.code == "date-far-future" for d in later.warnings)
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now + 3 * 3600)
