"""The fields of the three files editors write (site_config.yaml, an article's or page's front
matter, content/officials.yaml), described once: type, required, default, allowed values, help.

`check` holds a YAML mapping to a `Schema` and reports, with one wording everywhere and at the
key's own line: an unknown key (with a suggestion), a wrong type, a missing required field, a
value outside its allowed set, a key written twice. The modules that read these files parse the
values the check let through (dates, slugs, assets, permalinks...). `python3 -m toasoan.schema`
prints docs/FIELDS.md from the same descriptions."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .errors import Diagnostic, error, warning
from .text import did_you_mean
from .yamldoc import YamlDoc


class Kind(Enum):
    """A field's type, named as editors read it."""

    TEXT = "chữ"
    BOOL = "`true` hoặc `false`"
    POSITIVE = "số nguyên dương"
    COUNT = "số nguyên không âm"
    DATE = "ngày giờ"
    LIST = "danh sách"
    TABLE = "bảng `khóa: giá trị`"


_PHRASE = {
    Kind.TEXT: "một dòng chữ",
    Kind.BOOL: "`true` hoặc `false`",
    Kind.POSITIVE: "số nguyên dương",
    Kind.COUNT: "số nguyên không âm",
    Kind.DATE: "một ngày (giờ)",
    Kind.LIST: "một danh sách",
    Kind.TABLE: "một bảng `khóa: giá trị`",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """Allowed values: a fixed set (`choices`), values of the same file or another one
    (`choices_from`, given to `check` under that name) or a shape (`pattern`), with how to say it."""

    choices: tuple[str, ...] = ()
    choices_from: str = ""
    pattern: str = ""
    says: str = ""  # the allowed values in words (for a pattern or `choices_from`)


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    """One key of a mapping. A LIST's items are `items`; a TABLE's keys are `fields` (known keys)
    or any key whose value is `entries` (`key_rule` for the key). `or_text`: a single scalar is
    accepted in place of the list or table (a comma list of tags, a photo's file name alone)."""

    name: str
    kind: Kind
    help: str
    required: bool = False
    default: str = ""  # as written in the file, for the documentation; "" = none
    example: str = ""
    rule: Rule | None = None
    or_text: bool = False
    items: Field | None = None
    fields: Schema | None = None
    entries: Field | None = None
    key_rule: Rule | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Schema:
    """The known keys of one mapping, in the order the documentation lists them."""

    name: str
    fields: tuple[Field, ...]
    help: str = ""

    def get(self, key: str) -> Field | None:
        for item in self.fields:
            if item.name == key:
                return item
        return None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(item.name for item in self.fields)


Where = tuple[str | int, ...]


def _dotted(where: Where) -> str:
    """`page_size.tag`, `positions.title`: the keys of a path without list positions."""
    return ".".join(str(step) for step in where if isinstance(step, str))


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "một danh sách"
    if isinstance(value, dict):
        return "một bảng"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    text = str(value)
    return f"`{text if len(text) <= 40 else text[:39] + '…'}`"


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


class _Check:
    def __init__(self, doc: YamlDoc, path: str, choices: Mapping[str, Sequence[str]]) -> None:
        self.doc = doc
        self.path = path
        self.choices = choices
        self.diags: list[Diagnostic] = []
        self.bad: set[Where] = set()

    def fail(self, where: Where, message: str, code: str) -> None:
        self.diags.append(error(self.path, self.doc.line(*where), message, code=code))
        self.bad.add(where)

    def mapping(self, schema: Schema, data: Mapping[Any, Any], at: Where) -> None:
        for key in data:
            if schema.get(str(key)) is None:
                name = _dotted((*at, str(key)))
                line = self.doc.line(*at, key)
                if data[key] is None and "caption" in schema.keys and "caption" in data:
                    # `{src: a.jpg, caption: Toàn cảnh, huyện Ba Bể.}`: YAML ends the caption at
                    # the comma and reads the rest as a key with no value.
                    message = (
                        f"chú thích bị cắt ở dấu phẩy: phần “{key}” bị đọc thành một khóa và không được đăng; "
                        'đặt cả chú thích trong dấu ngoặc kép: `caption: "..."`'
                    )
                    self.diags.append(warning(self.path, line, message, code="caption-comma"))
                    continue
                message = f"khóa không dùng đến `{name}`{did_you_mean(str(key), schema.keys)}"
                self.diags.append(warning(self.path, line, message, code="unknown-key"))
        for item in schema.fields:
            value = data.get(item.name)
            where = (*at, item.name)
            if value is None or (isinstance(value, str) and not value.strip() and item.kind is Kind.TEXT):
                if item.required:
                    self.missing(item, where, present=item.name in data)
                continue
            self.value(item, value, where)

    def missing(self, item: Field, where: Where, *, present: bool) -> None:
        name = _dotted(where)
        example = f" (ví dụ `{item.name}: {item.example}`)" if item.example else ""
        message = f"`{name}` để trống{example}" if present else f"thiếu `{name}`{example}"
        line_at = where if present else where[:-1]
        self.diags.append(error(self.path, self.doc.line(*line_at), message, code="missing-field"))
        self.bad.add(where)

    def value(self, item: Field, value: Any, where: Where) -> None:
        if item.or_text and _is_scalar(value) and item.kind in (Kind.LIST, Kind.TABLE):
            if item.kind is Kind.LIST and item.items is not None:
                self.value(item.items, value, where)
            return
        if not _fits(item.kind, value):
            example = f" (ví dụ `{item.name}: {item.example}`)" if item.example else ""
            self.fail(where, f"`{_dotted(where)}` phải là {_PHRASE[item.kind]}, không phải {_shown(value)}{example}", "wrong-type")
            return
        if item.kind is Kind.LIST and item.items is not None:
            for i, element in enumerate(value):
                if element is None:
                    self.fail((*where, i), f"`{_dotted(where)}` có một mục để trống", "missing-field")
                else:
                    self.value(item.items, element, (*where, i))
        elif item.kind is Kind.TABLE:
            if item.fields is not None:
                self.mapping(item.fields, value, where)
            elif item.entries is not None:
                for key, element in value.items():
                    what = f"khóa `{key}` trong `{_dotted(where)}`"
                    if item.key_rule is not None and not self.allowed(item.key_rule, str(key), (*where, key), what, shown=False):
                        continue
                    if element is None and item.entries.required:
                        self.fail((*where, key), f"`{_dotted(where)}.{key}` để trống", "missing-field")
                    elif element is not None:
                        self.value(item.entries, element, (*where, str(key)))
        elif item.rule is not None:
            self.allowed(item.rule, scalar_text(value).strip(), where, f"`{_dotted(where)}`")

    def allowed(self, rule: Rule, text: str, where: Where, what: str, *, shown: bool = True) -> bool:
        choices = rule.choices or tuple(self.choices.get(rule.choices_from, ()))
        if rule.pattern:
            if re.fullmatch(rule.pattern, text):
                return True
            self.fail(where, f"{what} phải là {rule.says}" + (f", không phải `{text}`" if shown else ""), "not-allowed")
            return False
        if rule.choices and text.lower() in rule.choices:  # a fixed set is read without case: `JPG`
            return True
        if (rule.choices or rule.choices_from in self.choices) and text not in choices:
            listed = ", ".join(f"`{c}`" for c in choices) or "(chưa có)"
            says = f"{rule.says}: " if rule.says else ""
            message = f"{what} không nhận `{text}`{did_you_mean(text, choices)}; dùng được {says}{listed}"
            self.fail(where, message, "not-allowed")
            return False
        return True


def _fits(kind: Kind, value: Any) -> bool:
    if kind is Kind.TEXT or kind is Kind.DATE:
        return _is_scalar(value)
    if kind is Kind.BOOL:
        return isinstance(value, bool)
    if kind is Kind.POSITIVE:
        return isinstance(value, int) and not isinstance(value, bool) and value > 0
    if kind is Kind.COUNT:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if kind is Kind.LIST:
        return isinstance(value, list)
    return isinstance(value, dict)


@dataclass(frozen=True, slots=True)
class Checked:
    """What `check` found: its diagnostics, and the places (key paths) whose value must not be
    parsed further (wrong type, not allowed, missing)."""

    diagnostics: list[Diagnostic]
    bad: frozenset[Where]

    def ok(self, *where: str | int) -> bool:
        """Whether nothing was found wrong at `where` itself."""
        return tuple(where) not in self.bad


def check(
    schema: Schema, doc: YamlDoc, path: str, data: Mapping[Any, Any] | None = None, at: Where = (),
    choices: Mapping[str, Sequence[str]] | None = None, repeats: bool = True,
) -> Checked:
    """Hold the mapping `data` (the document's own when None) found at `at` in `doc` to
    `schema`; with `repeats`, keys written twice anywhere in the document are errors too."""
    run = _Check(doc, path, choices or {})
    if repeats:
        for key, line in doc.duplicate_keys():
            run.diags.append(error(path, line, f"khóa `{key}` được viết hai lần", code="duplicate-key"))
    run.mapping(schema, doc.data if data is None else data, at)
    return Checked(run.diags, frozenset(run.bad))


def scalar_text(value: Any) -> str:
    """A scalar a text field holds, as text (YAML reads `có`-like words as booleans)."""
    if isinstance(value, bool):
        return "có" if value else "không"
    return str(value)


# ---------------------------------------------------------------- the three files' fields

SLUG_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
_SLUG_RULE = Rule(pattern=SLUG_PATTERN, says="chữ thường không dấu, số và `-` (ví dụ `thoi-su`)")

PAGE_SIZE_DEFAULTS = {"home_lead": 5, "home_section": 4, "category": 20, "tag": 20, "official": 20, "archive": 20, "feed": 50}
_PAGE_SIZE_HELP = {
    "home_lead": "số bài nổi bật đầu trang chủ", "home_section": "số bài mỗi chuyên mục trên trang chủ",
    "category": "số bài mỗi trang chuyên mục", "tag": "số bài mỗi trang từ khóa", "official": "số bài mỗi trang nhân vật",
    "archive": "số bài mỗi trang lưu trữ", "feed": "số bài trong nguồn tin RSS/Atom",
}
LIMIT_DEFAULTS = {"tags": 30, "officials": 50, "gallery": 200, "title_length": 300, "body_kb": 500, "line_length": 20_000, "markdown_seconds": 20}
_LIMIT_HELP = {
    "tags": "số từ khóa tối đa mỗi bài", "officials": "số nhân vật tối đa mỗi bài", "gallery": "số ảnh tối đa trong `gallery` mỗi bài",
    "title_length": "số ký tự tối đa của tiêu đề", "body_kb": "dung lượng tối đa của nội dung một bài (KB)",
    "line_length": "số ký tự tối đa của một dòng", "markdown_seconds": "số giây tối đa để dựng nội dung một bài",
}
IMAGE_FORMATS = ("avif", "webp", "jpeg")


def _numbers(name: str, defaults: Mapping[str, int], helps: Mapping[str, str]) -> Schema:
    return Schema(name=name, fields=tuple(
        Field(name=key, kind=Kind.POSITIVE, default=str(value), help=helps[key]) for key, value in defaults.items()
    ))


CATEGORY = Schema(name="một chuyên mục", fields=(
    Field(name="name", kind=Kind.TEXT, required=True, example="Thời sự", help="tên chuyên mục độc giả thấy"),
    Field(name="description", kind=Kind.TEXT, help="mô tả ngắn ở đầu trang chuyên mục"),
))
MENU_ITEM = Schema(name="một mục menu", help="cần `url` hoặc `category`", fields=(
    Field(name="title", kind=Kind.TEXT, required=True, example="Giới thiệu", help="chữ hiện trên menu"),
    Field(name="url", kind=Kind.TEXT, example="/gioi-thieu/", help="đường dẫn trong trang (`/...`), `https://...`, `mailto:` hoặc `tel:`"),
    Field(name="category", kind=Kind.TEXT, example="thoi-su", rule=Rule(choices_from="categories", says="một khóa trong `categories`"),
          help="khóa chuyên mục mà mục menu dẫn tới (thay cho `url`)"),
))

CONFIG = Schema(name="site_config.yaml", help="cấu hình của cả trang báo", fields=(
    Field(name="title", kind=Kind.TEXT, required=True, example="Báo Thử", help="tên tờ báo"),
    Field(name="tagline", kind=Kind.TEXT, help="khẩu hiệu dưới tên báo"),
    Field(name="description", kind=Kind.TEXT, help="mô tả trang báo (thẻ chia sẻ, công cụ tìm kiếm)"),
    Field(name="base_url", kind=Kind.TEXT, required=True, example="https://baothu.vn/", help="địa chỉ http(s) đầy đủ nơi trang được đăng"),
    Field(name="language", kind=Kind.TEXT, default="vi", help="mã ngôn ngữ của trang"),
    Field(name="timezone", kind=Kind.TEXT, default="Asia/Ho_Chi_Minh", help="múi giờ để đọc ngày giờ của bài"),
    Field(name="permalink", kind=Kind.TEXT, default="/{year}/{month}/{slug}/",
          help="mẫu địa chỉ bài viết; các trường `{year}`, `{month}`, `{day}`, `{slug}`, `{category}`, phải có `{slug}`"),
    Field(name="page_size", kind=Kind.TABLE, fields=_numbers("page_size", PAGE_SIZE_DEFAULTS, _PAGE_SIZE_HELP), example="{category: 20}",
          help="số bài mỗi trang danh sách"),
    Field(name="image_widths", kind=Kind.LIST, items=Field(name="image_widths", kind=Kind.POSITIVE, help="độ rộng (px)"),
          default="[480, 960, 1600]", example="[480, 960, 1600]", help="các độ rộng ảnh được tạo"),
    Field(name="image_formats", kind=Kind.LIST, or_text=True, default="[avif, webp, jpeg]", example="[webp, jpeg]",
          items=Field(name="image_formats", kind=Kind.TEXT, rule=Rule(choices=(*IMAGE_FORMATS, "jpg")), help="định dạng"),
          help="các định dạng ảnh được tạo (AVIF chỉ khi Pillow ghi được)"),
    Field(name="related", kind=Kind.COUNT, default="5", help="số bài \"Xem thêm\" dưới mỗi bài"),
    Field(name="categories", kind=Kind.TABLE, required=True, example="{thoi-su: {name: Thời sự}}", key_rule=_SLUG_RULE,
          entries=Field(name="categories", kind=Kind.TABLE, or_text=True, required=True, fields=CATEGORY, help="chuyên mục"),
          help="các chuyên mục: `khóa: {name: ..., description: ...}` (hoặc `khóa: Tên`)"),
    Field(name="menus", kind=Kind.TABLE, example="{main: [{title: Thời sự, category: thoi-su}]}",
          entries=Field(name="menus", kind=Kind.LIST, items=Field(name="menus", kind=Kind.TABLE, fields=MENU_ITEM, help="mục menu"), help="menu"),
          help="các menu (`main`, `footer`): danh sách `{title, url}` hoặc `{title, category}`"),
    Field(name="cache_dir", kind=Kind.TEXT, default=".cache", help="thư mục bộ nhớ đệm (ảnh, bản dựng)"),
    Field(name="copyright", kind=Kind.TEXT, help="dòng bản quyền ở chân trang"),
    Field(name="limits", kind=Kind.TABLE, fields=_numbers("limits", LIMIT_DEFAULTS, _LIMIT_HELP), example="{tags: 30, body_kb: 500}",
          help="giới hạn cho mỗi bài, chặn tệp dán nhầm hoặc độc hại"),
))

PHOTO = Schema(name="một ảnh", help="tên tệp, hoặc `{src, caption}`", fields=(
    Field(name="src", kind=Kind.TEXT, required=True, example="anh-hoi-nghi.jpg", help="tệp bên cạnh bài, hoặc `/media/...`"),
    Field(name="caption", kind=Kind.TEXT, help="chú thích ảnh"),
))
AUDIO = Schema(name="tệp âm thanh", fields=(
    Field(name="src", kind=Kind.TEXT, required=True, example="doc-bai.mp3", help="tệp bên cạnh bài, hoặc `/media/...`"),
    Field(name="caption", kind=Kind.TEXT, help="chú thích"),
))
OFFICIAL_REF = Schema(name="một nhân vật trong bài", help="mã trong officials.yaml, một tên, hoặc `{id | name, position}`", fields=(
    Field(name="id", kind=Kind.TEXT, example="pham-duy-hung", help="mã nhân vật trong content/officials.yaml"),
    Field(name="name", kind=Kind.TEXT, help="tên (khi không có mã)"),
    Field(name="position", kind=Kind.TEXT, help="chức vụ nêu trong bài"),
))
_DRAFT = Field(name="draft", kind=Kind.BOOL, default="false", help="bản nháp: không đăng (trừ khi dựng với `--drafts`)")
_SLUG_HELP = "phần cuối địa chỉ; mặc định là tên tệp (hoặc tên thư mục của bài dạng thư mục)"
_ARTICLE_SLUG = Field(name="slug", kind=Kind.TEXT, rule=Rule(pattern=SLUG_PATTERN, says="chữ thường không dấu, số và `-` (ví dụ `ten-bai`)"),
                      example="ten-bai", help=_SLUG_HELP)

ARTICLE = Schema(name="phần khai báo đầu bài viết", help="giữa hai dòng `---` ở đầu mỗi tệp trong content/articles/", fields=(
    Field(name="title", kind=Kind.TEXT, required=True, example="Khai mạc kỳ họp thứ 20", help="tiêu đề bài"),
    Field(name="date", kind=Kind.DATE, required=True, example="2023-06-07 15:30",
          help="ngày giờ đăng (ngày trước tháng: `07/06/2023 15:30` cũng được); sau hôm nay là hẹn giờ"),
    Field(name="updated", kind=Kind.DATE, example="2023-06-08 09:00", help="ngày giờ cập nhật"),
    Field(name="category", kind=Kind.TEXT, required=True, example="thoi-su",
          rule=Rule(choices_from="categories", says="các khóa trong `categories` của site_config.yaml"), help="khóa chuyên mục"),
    Field(name="tags", kind=Kind.LIST, or_text=True, example="[chuyển đổi số, viễn thông]",
          items=Field(name="tags", kind=Kind.TEXT, help="từ khóa"), help="từ khóa (danh sách, hoặc một dòng cách nhau bằng dấu phẩy)"),
    Field(name="author", kind=Kind.TEXT, help="tác giả"),
    Field(name="summary", kind=Kind.TEXT, help="sa-pô: đoạn tóm tắt dưới tiêu đề; mặc định là đoạn đầu bài"),
    Field(name="officials", kind=Kind.LIST, or_text=True, example="[pham-duy-hung]",
          items=Field(name="officials", kind=Kind.TABLE, or_text=True, fields=OFFICIAL_REF, help="nhân vật"),
          help="nhân vật được nhắc đến: mã trong officials.yaml, một tên, hoặc `{name, position}`"),
    Field(name="cover", kind=Kind.TABLE, or_text=True, fields=PHOTO, example="{src: anh.jpg, caption: ...}", help="ảnh đại diện"),
    Field(name="gallery", kind=Kind.LIST, example="[{src: anh-1.jpg, caption: ...}]",
          items=Field(name="gallery", kind=Kind.TABLE, or_text=True, fields=PHOTO, help="ảnh"), help="các ảnh cuối bài, mỗi ảnh `{src, caption}`"),
    Field(name="audio", kind=Kind.TABLE, or_text=True, fields=AUDIO, example="doc-bai.mp3", help="bản đọc của bài (MP3, M4A, Ogg, WAV, FLAC, WebM)"),
    _ARTICLE_SLUG,
    Field(name="aliases", kind=Kind.LIST, or_text=True, example="[/2023/06/ten-bai-cu/]",
          items=Field(name="aliases", kind=Kind.TEXT, help="địa chỉ cũ"), help="các địa chỉ cũ của bài: mỗi địa chỉ chuyển người đọc tới bài"),
    _DRAFT,
))

PAGE = Schema(name="phần khai báo đầu trang tĩnh", help="giữa hai dòng `---` ở đầu mỗi tệp trong content/pages/", fields=(
    Field(name="title", kind=Kind.TEXT, required=True, example="Giới thiệu", help="tiêu đề trang"),
    Field(name="slug", kind=Kind.TEXT, rule=_ARTICLE_SLUG.rule, example="gioi-thieu", help="địa chỉ trang; mặc định là tên tệp"),
    Field(name="description", kind=Kind.TEXT, help="mô tả trang (thẻ chia sẻ, công cụ tìm kiếm)"),
    Field(name="date", kind=Kind.DATE, example="2023-06-07", help="ngày đăng; sau hôm nay là hẹn giờ"),
    Field(name="updated", kind=Kind.DATE, example="2023-06-08", help="ngày cập nhật"),
    _DRAFT,
))

POSITION = Schema(name="một chức vụ", fields=(
    Field(name="title", kind=Kind.TEXT, required=True, example="Chủ tịch UBND tỉnh", help="tên chức vụ"),
    Field(name="from", kind=Kind.DATE, required=True, example="2020-10-20", help="ngày bắt đầu"),
    Field(name="to", kind=Kind.DATE, example="2024-10-14", help="ngày kết thúc; không có là chức vụ hiện tại"),
))
OFFICIAL = Schema(name="content/officials.yaml", help="danh sách nhân vật `- id: ...`, mỗi mục:", fields=(
    Field(name="id", kind=Kind.TEXT, required=True, example="pham-duy-hung",
          rule=Rule(pattern=SLUG_PATTERN, says="chữ thường không dấu nối bằng `-` (ví dụ `pham-duy-hung`)"),
          help="mã nhân vật, dùng trong `officials:` của bài"),
    Field(name="name", kind=Kind.TEXT, required=True, example="Phạm Duy Hưng", help="họ tên"),
    Field(name="positions", kind=Kind.LIST, example="[{title: ..., from: 2020-10-20}]",
          items=Field(name="positions", kind=Kind.TABLE, fields=POSITION, help="chức vụ"), help="các chức vụ theo thời gian"),
))


# ---------------------------------------------------------------- documentation

def _describe_kind(item: Field) -> str:
    kind = item.kind.value
    if item.kind is Kind.LIST and item.items is not None and item.items.fields is None:
        kind = f"danh sách {item.items.kind.value}"
    if item.or_text:
        kind += " hoặc một dòng chữ"
    return kind


def _allowed(item: Field) -> str:
    rule = item.rule or (item.items.rule if item.items is not None else None) or item.key_rule
    if rule is None:
        return ""
    if rule.choices:
        return ", ".join(f"`{c}`" for c in rule.choices)
    return rule.says


def _rows(schema: Schema, prefix: str) -> Iterator[str]:
    for item in schema.fields:
        name = f"{prefix}{item.name}"
        cells = (f"`{name}`", _describe_kind(item), "có" if item.required else "", f"`{item.default}`" if item.default else "",
                 _allowed(item), item.help.replace("|", "\\|"))
        yield "| " + " | ".join(cells) + " |"
        nested = item.fields
        inner = f"{name}."
        if item.entries is not None:
            inner = f"{name}.<khóa>." if item.entries.items is None else f"{name}.<khóa>[]."
            nested = item.entries.fields or (item.entries.items.fields if item.entries.items is not None else None)
        elif item.items is not None:
            inner = f"{name}[]."
            nested = item.items.fields
        if nested is not None:
            yield from _rows(nested, inner)


DOCUMENTED = (CONFIG, ARTICLE, PAGE, OFFICIAL)


def markdown() -> str:
    """docs/FIELDS.md: every field of the files editors write, from the descriptions above."""
    out = [
        "# Các trường trong tệp cấu hình, bài viết và danh sách nhân vật",
        "",
        "<!-- Tạo từ toasoan/schema.py: `python3 -m toasoan.schema > docs/FIELDS.md`; đừng sửa tay. -->",
        "",
        "Mỗi trường được kiểm tra theo cùng một cách: khóa lạ là cảnh báo (kèm gợi ý khóa gần đúng), "
        "sai kiểu, thiếu trường bắt buộc hay giá trị không được phép là lỗi, ở đúng dòng của khóa.",
    ]
    for schema in DOCUMENTED:
        out += ["", f"## {schema.name}", ""]
        if schema.help:
            out += [schema.help[0].upper() + schema.help[1:] + ".", ""]
        out += ["| trường | kiểu | bắt buộc | mặc định | giá trị được phép | ý nghĩa |", "| --- | --- | --- | --- | --- | --- |"]
        out += list(_rows(schema, ""))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(markdown())
