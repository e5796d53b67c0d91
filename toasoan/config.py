"""site_config.yaml -> a frozen SiteConfig, every problem with its line; reads one file only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Diagnostic, error, warning
from .sources import SourceError, read_text
from .text import did_you_mean, nfc, strip_invisible
from .yamldoc import YamlDoc, YamlError, load_yaml

CONFIG_NAME = "site_config.yaml"

PAGE_SIZE_DEFAULTS = {
    "home_lead": 5,
    "home_section": 4,
    "category": 20,
    "tag": 20,
    "official": 20,
    "archive": 20,
    "feed": 50,
}
# How much one file may hold: far above any real article, low enough that a pasted or hostile
# file is refused at its line instead of making a build run for minutes or fill the disk.
LIMIT_DEFAULTS = {
    "tags": 30,
    "officials": 50,
    "gallery": 200,
    "title_length": 300,
    "body_kb": 500,
    "line_length": 20_000,
    "markdown_seconds": 20,
}
PERMALINK_FIELDS = {"year", "month", "day", "slug", "category"}
_KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_TOP_KEYS = {
    "title", "tagline", "description", "base_url", "language", "timezone", "permalink",
    "page_size", "image_widths", "image_formats", "related", "categories", "menus", "cache_dir", "copyright",
    "limits",
}


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
    """Reads typed values out of a YamlDoc, collecting diagnostics instead of raising."""

    def __init__(self, doc: YamlDoc, path: str) -> None:
        self.doc = doc
        self.path = path
        self.diags: list[Diagnostic] = []

    def fail(self, message: str, *where: str | int) -> None:
        self.diags.append(error(self.path, self.doc.line(*where), message))

    def text(self, value: Any, *where: str | int, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.fail(f"thiếu `{where[-1]}`", *where)
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.fail(f"`{where[-1]}` phải là một chuỗi chữ", *where)
            return None
        text, note = strip_invisible(nfc(str(value)))
        if note is not None:
            self.diags.append(warning(self.path, self.doc.line(*where), f"`{where[-1]}` {note}"))
        return text.strip()

    def positive_int(self, value: Any, *where: str | int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(f"`{where[-1]}` phải là số nguyên dương, không phải `{value}`", *where)
            return None
        return value


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
    ck = _Checker(doc, path)
    raw = doc.data
    if not isinstance(raw, dict):
        return None, [error(path, 1, "tệp cấu hình phải là một bảng khóa: giá trị")]
    for key in raw:
        if str(key) not in _TOP_KEYS:
            ck.diags.append(warning(path, doc.line(key), f"khóa không dùng đến `{key}`{did_you_mean(str(key), _TOP_KEYS)}"))
    for key, line in doc.duplicate_keys():
        ck.diags.append(error(path, line, f"khóa `{key}` được viết hai lần"))

    values: dict[str, Any] = {}
    title = ck.text(raw.get("title"), "title", required=True)
    for name in ("tagline", "description", "copyright", "cache_dir"):
        value = ck.text(raw.get(name), name)
        if value is not None:
            values[name] = value
    if "cache_dir" in values:
        values["cache_dir_line"] = doc.line("cache_dir")
    base_url = ck.text(raw.get("base_url"), "base_url", required=True)
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
    if "related" in raw:
        related = raw["related"]
        if isinstance(related, bool) or not isinstance(related, int) or related < 0:
            ck.fail("`related` phải là số nguyên không âm", "related")
        else:
            values["related"] = related
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
    values["page_size"] = {**PAGE_SIZE_DEFAULTS, **_positive_table(ck, raw, "page_size", PAGE_SIZE_DEFAULTS, "{category: 20}")}


def _read_limits(ck: _Checker, raw: Any, values: dict[str, Any]) -> None:
    if raw is not None:
        values["limits"] = Limits(**_positive_table(ck, raw, "limits", LIMIT_DEFAULTS, "{tags: 30, body_kb: 500}"))


def _positive_table(ck: _Checker, raw: Any, name: str, known: Mapping[str, int], example: str) -> dict[str, int]:
    """A table of positive whole numbers under known keys (an unknown key is a warning with a
    suggestion, a bad value an error at its line): the keys given with valid values."""
    found: dict[str, int] = {}
    if raw is None:
        return found
    if not isinstance(raw, dict):
        ck.fail(f"`{name}` phải là một bảng, ví dụ `{example}`", name)
        return found
    for key, value in raw.items():
        if key not in known:
            hint = did_you_mean(str(key), known)
            ck.diags.append(warning(ck.path, ck.doc.line(name, key), f"khóa không dùng đến `{name}.{key}`{hint}"))
            continue
        number = ck.positive_int(value, name, key)
        if number is not None:
            found[key] = number
    return found


def _read_widths(ck: _Checker, raw: Any, values: dict[str, Any]) -> None:
    if raw is None:
        return
    if not isinstance(raw, list) or not raw:
        ck.fail("`image_widths` phải là danh sách số, ví dụ `[480, 960, 1600]`", "image_widths")
        return
    widths = [ck.positive_int(w, "image_widths", i) for i, w in enumerate(raw)]
    if all(w is not None for w in widths):
        values["image_widths"] = tuple(sorted({w for w in widths if w is not None}))


IMAGE_FORMATS = ("avif", "webp", "jpeg")


def _read_formats(ck: _Checker, raw: Any, values: dict[str, Any]) -> None:
    if raw is None:
        return
    items = raw if isinstance(raw, list) else [raw]
    formats = [str(f).lower().replace("jpg", "jpeg") for f in items]
    unknown = [f for f in formats if f not in IMAGE_FORMATS]
    if unknown or not formats:
        ck.fail(f"`image_formats` chỉ gồm {', '.join(IMAGE_FORMATS)} (không phải {unknown or 'rỗng'})", "image_formats")
        return
    values["image_formats"] = tuple(f for f in IMAGE_FORMATS if f in formats)


def _read_categories(ck: _Checker, raw: Any) -> tuple[Category, ...]:
    if raw is None:
        ck.fail("thiếu `categories`: cần ít nhất một chuyên mục", "categories")
        return ()
    if not isinstance(raw, dict) or not raw:
        ck.fail("`categories` phải là bảng `khóa: {name: ..., description: ...}`", "categories")
        return ()
    found = []
    for key, body in raw.items():
        key_text = str(key)
        if not _KEY.match(key_text):
            ck.fail(f"khóa chuyên mục `{key_text}` chỉ được dùng chữ thường không dấu, số và `-`", "categories", key)
            continue
        if isinstance(body, str):
            body = {"name": body}
        if not isinstance(body, dict):
            ck.fail(f"chuyên mục `{key_text}` phải có `name`", "categories", key)
            continue
        name = ck.text(body.get("name"), "categories", key, "name", required=True)
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
    if raw is None:
        return menus
    if not isinstance(raw, dict):
        ck.fail("`menus` phải là bảng `main: [...]`, `footer: [...]`", "menus")
        return menus
    for name, items in raw.items():
        if not isinstance(items, list):
            ck.fail(f"`menus.{name}` phải là một danh sách", "menus", name)
            continue
        found = []
        for i, item in enumerate(items):
            where = ("menus", name, i)
            if not isinstance(item, dict):
                ck.fail("mỗi mục menu cần `title` và `url` (hoặc `category`)", *where)
                continue
            cat = item.get("category")
            url = ck.text(item.get("url"), *where, "url")
            if cat is not None and str(cat) not in category_keys:
                ck.fail(f"chuyên mục không có trong `categories`: `{cat}`{did_you_mean(str(cat), category_keys)}", *where)
                continue
            title = ck.text(item.get("title"), *where, "title", required=True)
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
