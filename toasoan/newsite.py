"""`init`: start a newsroom's own site folder: config, an example article, the officials
registry, a .gitignore and the CI files (GitHub Actions, GitLab CI). The site has no templates/
or static/ of its own: it uses the default theme until it adds files there (file by file)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .text import nfc

SITEFILES = Path(__file__).resolve().parent / "sitefiles"
EXAMPLE_SLUG = "chao-mung-ban-doc"


class NewSiteError(Exception):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class NewSite:
    name: str
    base_url: str = "https://bao.example.vn/"
    tagline: str = ""
    description: str = ""
    toasoan: str = f"toasoan=={__version__}"  # what the CI files pip install


def check_answers(site: NewSite) -> str | None:
    """What is wrong with the answers, in Vietnamese; None when they can be used."""
    for label, value in (("tên báo", site.name), ("khẩu hiệu", site.tagline), ("mô tả", site.description)):
        if "\n" in value or "\r" in value:
            return f"{label} phải nằm trên một dòng"
    if not site.name.strip():
        return "cần tên báo (--name)"
    if not site.base_url.startswith(("https://", "http://")) or not site.base_url.endswith("/"):
        return f"địa chỉ trang phải bắt đầu bằng https:// và kết thúc bằng /, không phải `{site.base_url}`"
    if any(c in site.toasoan for c in "\n\r\""):
        return "gói toasoan (--toasoan) không được có dấu ngoặc kép hay xuống dòng"
    return None


def planned_files(site: NewSite, now: dt.datetime) -> dict[str, str]:
    """Every file `init` writes, by its path in the new site."""
    name = nfc(site.name).strip()
    tagline = nfc(site.tagline).strip() or f"Tin tức của {name}"
    description = nfc(site.description).strip() or f"Tin tức thời sự, kinh tế, văn hóa, xã hội do {name} đưa tin."

    def quoted(text: str) -> str:
        return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted one

    def read(name: str) -> str:
        return (SITEFILES / name).read_text(encoding="utf-8")

    config = (
        read("site_config.yaml").replace("@TITLE@", quoted(name)).replace("@TAGLINE@", quoted(tagline))
        .replace("@DESCRIPTION@", quoted(description)).replace("@BASE_URL@", quoted(site.base_url))
    )
    article = read("article.md").replace("@TITLE@", quoted(name)[1:-1]).replace("@DATE@", f"{now:%Y-%m-%d %H:%M}")
    ci = {name: read(name).replace("@TOASOAN@", site.toasoan) for name in ("github-workflow.yml", "gitlab-ci.yml")}
    return {
        "site_config.yaml": config,
        "content/officials.yaml": read("officials.yaml"),
        f"content/articles/{now:%Y}/{now:%m}/{EXAMPLE_SLUG}.md": article,
        "content/pages/.gitkeep": "",
        "content/media/.gitkeep": "",
        ".gitignore": read("gitignore"),
        ".github/workflows/toasoan.yml": ci["github-workflow.yml"],
        ".gitlab-ci.yml": ci["gitlab-ci.yml"],
    }


def create_site(target: Path, site: NewSite, now: dt.datetime) -> list[str]:
    """Write the new site's files into `target` (made if missing; an existing folder, such as a
    fresh clone, is fine). Refuses, writing nothing, when any of those files already exists."""
    problem = check_answers(site)
    if problem:
        raise NewSiteError(problem)
    files = planned_files(site, now)
    if target.exists() and not target.is_dir():
        raise NewSiteError(f"`{target}` đã có và không phải thư mục")
    taken = sorted(rel for rel in files if (target / rel).exists() or (target / rel).is_symlink())
    if taken:
        raise NewSiteError(f"`{target}` đã có {', '.join(taken)}: không ghi đè")
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return list(files)
