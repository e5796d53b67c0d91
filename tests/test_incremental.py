"""Incremental builds: after any sequence of edits, a build that reuses the cache and the
previous output gives exactly the bytes of a clean build of the same site."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from sitekit import make_jpeg, tree_bytes, write_site

from toasoan.pipeline import BuildOptions, BuildResult, build

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
        write_site(root, f"-- site_config.yaml --\n{CONFIG}-- content/officials.yaml --\n{OFFICIALS}")
        make_jpeg(root / "content/media/anh-chung.jpg", (900, 600))
        for _ in range(5):
            self.add()

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
        kind = self.rng.choice(["body", "title", "date", "category", "tags", "officials", "draft", "future", "photo"])
        if kind == "body":
            text = path.read_text(encoding="utf-8")
            head, _, _ = text.partition("\n---\n")
            path.write_text(f"{head}\n---\n\n{self._body()}\n", encoding="utf-8")
        elif kind == "title":
            self._edit_front(path, "title", f"Tiêu đề mới {self.rng.randint(1, 999)} về {self.rng.choice(WORDS)}")
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

    def step(self) -> str:
        action = self.rng.choices(
            [self.add, self.edit, self.delete, self.rename, self.template, self.config, self.clock],
            weights=[2, 8, 1, 1, 1, 1, 1],
        )[0]
        return action()


def _build(site: Path, output: Path, now: int) -> BuildResult:
    options = BuildOptions(site_dir=site, output=output, jobs=1, environ={"SOURCE_DATE_EPOCH": str(now)})
    return build(options)


def _clean_build(site: Path, work: Path, now: int) -> dict[str, bytes]:
    copy = work / "sach"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(site, copy, ignore=shutil.ignore_patterns(".cache", "public"))
    _build(copy, copy / "public", now)
    return tree_bytes(copy / "public")


@pytest.mark.parametrize("seed", [1, 2])
def test_random_edits_always_give_a_clean_build(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    site = Site(tmp_path / "site", rng)
    output = tmp_path / "site" / "public"
    _build(site.root, output, site.now)
    history = []
    for _ in range(10):
        history.append(site.step())
        result = _build(site.root, output, site.now)
        clean = _clean_build(site.root, tmp_path, site.now)
        warm = tree_bytes(output)
        assert sorted(warm) == sorted(clean), f"after {history}: files differ {set(warm) ^ set(clean)}"
        changed = [name for name in clean if warm[name] != clean[name]]
        assert not changed, f"after {history}: {changed[:5]} differ from a clean build"
        assert result.pages_cached > 0 or history[-1].startswith(("template base", "config", "template macros")), history


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
    slug_dir = [p for p in output.rglob("*") if p.is_dir() and "bai-so-1-" in p.name]
    assert slug_dir == []
    later = _build(site.root, output, site.now + 3600)
    assert later.up_to_date  # an hour on, nothing is due yet
    due = _build(site.root, output, site.now + 15 * 3600)
    assert not due.up_to_date
    assert [p for p in output.rglob("*") if p.is_dir() and "bai-so-1-" in p.name]
    assert tree_bytes(output) == _clean_build(site.root, tmp_path, site.now + 15 * 3600)
