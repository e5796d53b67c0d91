"""`aliases:` -> one small page at each old address of an article that sends readers (and search
engines, through the canonical link) to where it lives now; no JavaScript, listed nowhere."""

from __future__ import annotations

import html
from dataclasses import dataclass
from posixpath import basename
from urllib.parse import unquote

from . import urls
from .config import SiteConfig
from .model import Site
from .writer import OutputFile


@dataclass(frozen=True, slots=True, kw_only=True)
class Redirect:
    """The page at one old address: its output file, the article it leads to, the alias line."""

    file: OutputFile
    url: str  # the old address as the editor wrote it
    source: str  # the article's file
    line: int


def alias_file(alias: str) -> str:
    """The output file serving an old address: `/a/b/` and `/a/b` -> `a/b/index.html`, `/a/b.html` as it is."""
    path = unquote(alias)
    if not path.endswith("/") and "." not in basename(path):
        path += "/"
    return urls.output_file(path)


def redirect_page(config: SiteConfig, title: str, target: str) -> bytes:
    """A page that is only a pointer: canonical link and an immediate meta refresh to `target`."""
    canonical = html.escape(urls.absolute(config, target))
    here = html.escape(target)
    name = html.escape(title)
    language = html.escape(config.language)
    return (
        "<!doctype html>\n"
        f'<html lang="{language}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>{name}</title>\n"
        f'<link rel="canonical" href="{canonical}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<meta http-equiv="refresh" content="0; url={here}">\n'
        "</head>\n"
        "<body>\n"
        f'<p>Bài viết đã chuyển sang địa chỉ mới: <a href="{here}">{name}</a></p>\n'
        "</body>\n"
        "</html>\n"
    ).encode()


def redirect_files(site: Site) -> list[Redirect]:
    """A redirect page for every alias of every published article, in article order."""
    found = []
    for article in site.articles:
        for alias, line in article.aliases:
            data = redirect_page(site.config, article.title, article.url)
            found.append(Redirect(file=OutputFile(alias_file(alias), data=data), url=alias, source=article.source, line=line))
    return found
