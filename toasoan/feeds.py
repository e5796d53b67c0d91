"""RSS 2.0 feeds: the site's and each category's latest articles; no I/O."""

from __future__ import annotations

import datetime as dt

from .model import Site
from .views import Photos
from .writer import OutputFile


def feed_files(site: Site, photos: Photos, now: dt.datetime) -> list[OutputFile]:
    """`/rss.xml` and `/chuyen-muc/KEY/rss.xml`, newest first."""
    return []
