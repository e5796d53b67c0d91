"""site_config.yaml -> a frozen SiteConfig, every problem with its line; reads one file only."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Diagnostic, error, warning
from .schema import CONFIG, IMAGE_FORMATS, LIMIT_DEFAULTS, PAGE_SIZE_DEFAULTS, Checked, check, scalar_text
from .sources import SourceError, read_text
from .text import nfc, strip_invisible
from .yamldoc import YamlDoc, YamlError, load_yaml

CONFIG_NAME = "site_config.yaml"

# The defaults of `page_size:` and `limits:` (how much one file may hold) are in `schema`.
PERMALINK_FIELDS = {"year", "month", "day", "slug", "category"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Category:
    key: str
    name: str
    description: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """`limits:` in site_config.yaml (LIMIT_DEFAULTS): counts per article, sizes per file, and
    the seconds Markdown may take on one document."""

    tags: int = LIMIT_DEFAULTS["tags"]
    officials: int = LIMIT_DEFAULTS["officials"]
    gallery: int = LIMIT_DEFAULTS["gallery"]
    title_length: int = LIMIT_DEFAULTS["title_length"]
    body_kb: int = LIMIT_DEFAULTS["body_kb"]
    line_length: int = LIMIT_DEFAULTS["line_length"]
    markdown_seconds: int = LIMIT_DEFAULTS["markdown_seconds"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MenuItem:
    """A menu link: either a `url` as written, or a `category` key whose page it links to."""

    title: str
    url: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteConfig:
    title: str
    tagline: str = ""
    description: str = ""
    base_url: str = "http://localhost/"
    language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    permalink: str = "/{year}/{month}/{slug}/"
    page_size: dict[str, int] = field(default_factory=lambda: dict(PAGE_SIZE_DEFAULTS))
    image_widths: tuple[int, ...] = (480, 960, 1600)
    image_formats: tuple[str, ...] | None = None  # None: AVIF where Pillow writes it, WebP, JPEG
    related: int = 5
    categories: tuple[Category, ...] = ()
    menus: dict[str, tuple[MenuItem, ...]] = field(default_factory=dict)
    cache_dir: str = ".cache"
    cache_dir_line: int = 0  # where `cache_dir` is written, for errors about the folder
    copyright: str = ""
    limits: Limits = field(default_factory=Limits)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def category(self, key: str) -> Category | None:
        for cat in self.categories:
            if cat.key == key:
                return cat
        return None


class _Checker:
    """Reads values out of a YamlDoc that `schema.check` let through (types, required keys and
    allowed values are its job), collecting diagnostics instead of raising."""

    def __init__(self, doc: YamlDoc, path: str, checked: Checked) -> None:
        self.doc = doc
        self.path = path
        self.checked = checked
        self.diags: list[Diagnostic] = list(checked.diagnostics)

    def fail(self, message: str, *where: str | int) -> None:
        self.diags.append(error(self.path, self.doc.line(*where), message))

    def text(self, value: Any, *where: str | int) -> str | None:
        if value is None or not self.checked.ok(*where):
            return None
        text, note = strip_invisible(nfc(scalar_text(value)))
        if note is not None:
            self.diags.append(warning(self.path, self.doc.line(*where), f"`{where[-1]}` {note}"))
        return text.strip()


def load_config(site_dir: Path) -> tuple[SiteConfig | None, list[Diagnostic]]:
    """Read and check `site_config.yaml`; None when it cannot be used at all."""
    site_dir = site_dir.resolve()
    try:
        text = read_text(site_dir, site_dir / CONFIG_NAME)
    except SourceError as exc:
        return None, [error(CONFIG_NAME, exc.line, exc.message)]
    try:
        doc = load_yaml(text)
    except YamlError as exc:
        return None, [error(CONFIG_NAME, exc.line, exc.message)]
    return parse_config(doc, CONFIG_NAME)


def parse_config(doc: YamlDoc, path: str) -> tuple[SiteConfig | None, list[Diagnostic]]:
    raw = doc.data
    if not isinstance(raw, dict):
        return None, [error(path, 1, "tệp cấu hình phải là một bảng khóa: giá trị")]
    categories_raw = raw.get("categories")
    keys = [str(k) for k in categories_raw] if isinstance(categories_raw, dict) else []
    ck = _Checker(doc, path, check(CONFIG, doc, path, choices={"categories": keys}))

    values: dict[str, Any] = {}
    title = ck.text(raw.get("title"), "title")
    for name in ("tagline", "description", "copyright", "cache_dir"):
        value = ck.text(raw.get(name), name)
        if value is not None:
            values[name] = value
    if "cache_dir" in values:
        values["cache_dir_line"] = doc.line("cache_dir")
    base_url = ck.text(raw.get("base_url"), "base_url")
    if base_url is not None:
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", base_url):
            ck.fail(f"`base_url` phải là địa chỉ http(s) đầy đủ, không phải `{base_url}`", "base_url")
        values["base_url"] = base_url.rstrip("/") + "/"
    language = ck.text(raw.get("language"), "language")
    if language is not None:
        values["language"] = language
    timezone = ck.text(raw.get("timezone"), "timezone")
    if timezone is not None:
        try:
            ZoneInfo(timezone)
            values["timezone"] = timezone
        except (ZoneInfoNotFoundError, ValueError):
            ck.fail(f"múi giờ không tồn tại: `{timezone}` (ví dụ `Asia/Ho_Chi_Minh`)", "timezone")
    permalink = ck.text(raw.get("permalink"), "permalink")
    if permalink is not None:
        _check_permalink(ck, permalink)
        values["permalink"] = permalink
    _read_page_size(ck, raw.get("page_size"), values)
    _read_limits(ck, raw.get("limits"), values)
    _read_widths(ck, raw.get("image_widths"), values)
    _read_formats(ck, raw.get("image_formats"), values)
    if raw.get("related") is not None and ck.checked.ok("related"):
        values["related"] = raw["related"]
    categories = _read_categories(ck, raw.get("categories"))
    values["categories"] = categories
    values["menus"] = _read_menus(ck, raw.get("menus"), {c.key for c in categories})
    if title is None or ck.diags and any(d.is_error for d in ck.diags):
        return None, ck.diags
    return SiteConfig(title=title, **values), ck.diags


_PERMALINK_FIELD = re.compile(r"\{([^{}]*)\}")
_PERMALINK_LITERAL = re.compile(r"[A-Za-z0-9._~-]*")  # RFC 3986 unreserved characters


def _check_permalink(ck: _Checker, permalink: str) -> None:
    """The article URL pattern: `/` + path segments of known placeholders and unreserved
    characters + `/`. No `..` or `.` segment (pages outside the output), no `//` (another host),
    no scheme, query or fragment."""
    fields = set(_PERMALINK_FIELD.findall(permalink))
    unknown = fields - PERMALINK_FIELDS
    if unknown:
        ck.fail(f"`permalink` có trường lạ {sorted(unknown)}; dùng được: {sorted(PERMALINK_FIELDS)}", "permalink")
    if "slug" not in fields:
        ck.fail("`permalink` phải có `{slug}`", "permalink")
    if not (permalink.startswith("/") and permalink.endswith("/")):
        ck.fail("`permalink` phải bắt đầu và kết thúc bằng `/`", "permalink")
        return
    segments = permalink[1:-1].split("/")
    if "" in segments:
        ck.fail(f"`permalink` không được có `//` (hai dấu `/` liền nhau): `{permalink}`", "permalink")
    elif any(segment in (".", "..") for segment in segments):
        ck.fail(f"`permalink` không được có đoạn `.` hoặc `..` (trang sẽ nằm ngoài thư mục xuất): `{permalink}`", "permalink")
    else:
        bad = sorted({ch for segment in segments for ch in _PERMALINK_FIELD.sub("", segment) if not _PERMALINK_LITERAL.fullmatch(ch)})
        if bad:
            shown = " ".join(f"`{ch}`" for ch in bad)
            ck.fail(f"`permalink` chỉ gồm các đoạn đường dẫn: chữ không dấu, số, `-`, `_`, `.`, `~` và các trường `{{...}}`; không dùng {shown}", "permalink")


def _read_page_size(ck: _Checker, raw: Any, values: dict[str, Any]) -> None:
    values["page_size"] = {**PAGE_SIZE_DEFAULTS, **_positive_table(ck, raw, "page_size")}


def _read_limits(ck: _Checker, raw: Any, values: dict[str, Any]) -> None:
    if raw is not None:
        values["limits"] = Limits(**_positive_table(ck, raw, "limits"))


def _positive_table(ck: _Checker, raw: Any, name: str) -> dict[str, int]:
    """A table of positive whole numbers (`schema` checked its keys and values): the known keys
    given with valid values."""
    if not isinstance(raw, dict) or not ck.checked.ok(name):
        return {}
    known = PAGE_SIZE_DEFAULTS if name == "page_size" else LIMIT_DEFAULTS
    return {key: value for key, value in raw.items() if key in known and value is not None and ck.checked.ok(name, key)}


def _read_widths(ck: _Checker, raw: Any, values: dict[str, Any]) -> None:
    if raw is None:
        return
    if not ck.checked.ok("image_widths"):
        return
    if not raw:
        ck.fail("`image_widths` phải có ít nhất một độ rộng, ví dụ `[480, 960, 1600]`", "image_widths")
        return
    if all(ck.checked.ok("image_widths", i) for i in range(len(raw))):
        values["image_widths"] = tuple(sorted(set(raw)))


def _read_formats(ck: _Checker, raw: Any, values: dict[str, Any]) -> None:
    if raw is None or not ck.checked.ok("image_formats"):
        return
    items = raw if isinstance(raw, list) else [raw]
    if not all(ck.checked.ok("image_formats", i) for i in range(len(items))):
        return
    formats = [str(f).lower().replace("jpg", "jpeg") for f in items]
    if not formats:
        ck.fail(f"`image_formats` phải có ít nhất một định dạng: {', '.join(IMAGE_FORMATS)}", "image_formats")
        return
    values["image_formats"] = tuple(f for f in IMAGE_FORMATS if f in formats)


def _read_categories(ck: _Checker, raw: Any) -> tuple[Category, ...]:
    if not isinstance(raw, dict) or not ck.checked.ok("categories"):
        return ()
    if not raw:
        ck.fail("`categories` cần ít nhất một chuyên mục, ví dụ `{thoi-su: {name: Thời sự}}`", "categories")
        return ()
    found = []
    for key, body in raw.items():
        key_text = str(key)
        if not ck.checked.ok("categories", key) or not ck.checked.ok("categories", key_text):
            continue
        if not isinstance(body, dict):
            body = {"name": body}
        name = ck.text(body.get("name"), "categories", key, "name")
        description = ck.text(body.get("description"), "categories", key, "description") or ""
        if name:
            found.append(Category(key=key_text, name=name, description=description))
    return tuple(found)


_WEB_URL = re.compile(r"^https?://[^/\\\s?#@]+(?:[/?#]\S*)?$", re.IGNORECASE)
_MAIL_URL = re.compile(r"^mailto:[^\s@/\\]+@[^\s@/\\]+$", re.IGNORECASE)
_TEL_URL = re.compile(r"^tel:\+?[0-9][0-9 .()-]*$", re.IGNORECASE)


def _menu_url_problem(url: str) -> str | None:
    """Why a menu `url` may not be published, or None: only http(s) addresses, paths of this
    site (`/...`, never `//` or `/\\`, which browsers read as another host), `mailto:` and `tel:`."""
    if url.startswith("/"):
        if url.startswith("//") or "\\" in url or any(c.isspace() or ord(c) < 32 for c in url):
            return f"`url` `{url}` không phải đường dẫn trong trang: dùng `/duong-dan/` hoặc `https://...`"
        return None
    if _WEB_URL.match(url) or _MAIL_URL.match(url) or _TEL_URL.match(url):
        return None
    return f"`url` của menu chỉ được là đường dẫn trong trang (`/gioi-thieu/`), địa chỉ `https://...`, `mailto:` hoặc `tel:`, không phải `{url}`"


def _read_menus(ck: _Checker, raw: Any, category_keys: set[str]) -> dict[str, tuple[MenuItem, ...]]:
    menus: dict[str, tuple[MenuItem, ...]] = {"main": (), "footer": ()}
    if not isinstance(raw, dict) or not ck.checked.ok("menus"):
        return menus
    for name, items in raw.items():
        if not isinstance(items, list) or not ck.checked.ok("menus", str(name)):
            continue
        found = []
        for i, item in enumerate(items):
            where = ("menus", str(name), i)
            if not isinstance(item, dict) or not ck.checked.ok(*where):
                continue
            cat = item.get("category")
            url = ck.text(item.get("url"), *where, "url")
            if cat is not None and (str(cat) not in category_keys or not ck.checked.ok(*where, "category")):
                continue
            title = ck.text(item.get("title"), *where, "title")
            if url is None and cat is None:
                ck.fail("mục menu thiếu `url` hoặc `category`", *where)
                continue
            if url is not None and (problem := _menu_url_problem(url)) is not None:
                ck.fail(problem, *where, "url")
                continue
            if title:
                found.append(MenuItem(title=title, url=url, category=None if cat is None else str(cat)))
        menus[str(name)] = tuple(found)
    return menus
