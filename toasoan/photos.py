"""The site's photos: which article lines use which file, their variants (through `images`),
problems reported at every line that uses a bad photo, and the files to publish."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from .config import CONFIG_NAME, SiteConfig
from .errors import Diagnostic, error, warning
from .images import (
    ImageSettings,
    PhotoJob,
    PhotoProblem,
    PhotoReport,
    Processed,
    cache_root,
    claim_cache,
    is_old_cache,
    photo_key,
    process_photos,
    prune_cache,
    remove_entries,
)
from .model import Article, Asset, Site
from .sharecard import Card, make_cards
from .urls import card_url, photo_url
from .writer import CACHE_LOCK, CACHE_MARKER, OutputFile


@dataclass(frozen=True, slots=True, kw_only=True)
class SitePhotos:
    processed: dict[str, Processed]  # by site-relative source path
    report: PhotoReport
    settings: ImageSettings
    cache_dir: Path
    # Share cards (og crop only): an article's without any photo by its source, the paper's own as "".
    cards: dict[str, Processed] = field(default_factory=dict)
    cards_drawn: int = 0
    cards_repaired: bool = False  # damaged card entries were found (and drawn again)


def image_settings(config: SiteConfig) -> ImageSettings:
    settings = ImageSettings(widths=config.image_widths)
    if config.image_formats is not None:
        from PIL import features  # here: Pillow is loaded only by builds that need it

        writable = tuple(f for f in config.image_formats if f != "avif" or features.check("avif"))
        settings = replace(settings, formats=writable or ("jpeg",))
    return settings


def cache_dir(root: Path, config: SiteConfig) -> Path:
    return (root / config.cache_dir).resolve()


def check_cache_dir(root: Path, config: SiteConfig, output: Path) -> list[Diagnostic]:
    """Refuse a cache folder where pruning could delete what is not the cache's, or where the
    cache's files would be published: the site or a parent of it, `content/`, `templates/`,
    `static/`, `.git`, the output, or a folder holding files the cache did not make."""
    site = root.resolve()
    folder = cache_dir(site, config)
    reason = None
    protected = [p for p in ("content", "templates", "static", ".git") if folder.is_relative_to(site / p)]
    if site.is_relative_to(folder):
        reason = "nó chứa cả trang nguồn"
    elif protected:
        reason = f"nó nằm trong `{protected[0]}/`, nơi để tệp của trang"
    elif folder.is_relative_to(output.resolve()):
        reason = "nó nằm trong thư mục xuất, nơi bị thay mới mỗi lần dựng"
    elif folder.exists() and not folder.is_dir():
        reason = "đã có một tệp cùng tên, không phải thư mục"
    elif folder.is_dir() and not (folder / CACHE_MARKER).is_file() and _holds_others(folder) and not is_old_cache(folder):
        reason = "thư mục đã có tệp không do toasoan tạo ra (bộ nhớ đệm cần một thư mục riêng, nó xóa những gì nó không dùng nữa)"
    if reason is None:
        return []
    return [error(CONFIG_NAME, config.cache_dir_line, f"`cache_dir: {config.cache_dir}` không dùng được: {reason}")]


def _holds_others(folder: Path) -> bool:
    """Files in `folder` besides the build lock (taken before the cache is first marked)."""
    return any(entry.name != CACHE_LOCK for entry in folder.iterdir())


def _usages(site: Site) -> tuple[dict[str, list[tuple[str, Asset]]], set[str]]:
    """Every photo by source, with (document, asset) for each use; and the ones that need an og crop."""
    used: dict[str, list[tuple[str, Asset]]] = defaultdict(list)
    og: set[str] = set()
    for article in site.articles:
        photos = ([article.cover] if article.cover else []) + [*article.gallery, *article.body_images]
        for asset in photos:
            used[asset.source].append((article.source, asset))
        if photos:
            og.add(photos[0].source)
    for page in site.pages:
        for asset in page.body_images:
            used[asset.source].append((page.source, asset))
    return used, og


def plan_photos(
    root: Path, site: Site, jobs: int, *, write: bool, output: Path, progress: Callable[[int, int], None] | None = None
) -> tuple[SitePhotos, list[Diagnostic]]:
    """Process (or take from the cache) every photo the site uses; errors name each using line.

    A cache folder that cannot be used is an error, and then no photo is looked at."""
    settings = image_settings(site.config)
    folder = cache_dir(root, site.config)
    refused = check_cache_dir(root, site.config, output)
    if refused:
        return SitePhotos(processed={}, report=PhotoReport(), settings=settings, cache_dir=folder), refused
    used, og = _usages(site)
    diags: list[Diagnostic] = []
    key_of: dict[str, str] = {}
    for source in sorted(used):
        try:
            key_of[source] = photo_key(root / source)
        except OSError as exc:
            diags += _at_uses(used[source], f"không đọc được ảnh: {exc.strerror}")
    by_key: dict[str, PhotoJob] = {}
    for source, key in key_of.items():
        wants_og = source in og or (key in by_key and by_key[key].og)
        by_key[key] = PhotoJob(source=root / source, key=key, og=wants_og)
    if write:  # the cache holds more than photos (pages, search): mark it on every build
        claim_cache(folder)
    results, report = process_photos(list(by_key.values()), settings, folder, jobs, write=write, progress=progress)
    for key, problem in sorted(report.broken.items()):
        source = min(s for s, k in key_of.items() if k == key)
        message = f"bộ nhớ đệm ảnh hỏng ({problem}): làm lại các biến thể của `{source}`"
        diags.append(warning(CONFIG_NAME, site.config.cache_dir_line, message))
    processed: dict[str, Processed] = {}
    smallest = min(settings.widths)
    for source, key in key_of.items():
        outcome = results[key]
        if isinstance(outcome, PhotoProblem):
            diags += _at_uses(used[source], outcome.message)
            continue
        # An entry may hold an og crop made when the photo was a first photo: only this build's
        # need decides whether it is published (a warm build must equal a clean one).
        processed[source] = outcome if by_key[key].og else replace(outcome, og=None)
        if outcome.small:
            message = f"ảnh chỉ rộng {outcome.width} px, nhỏ hơn {smallest} px: dùng nguyên kích thước"
            diags += _at_uses(used[source], message, as_warning=True)
    cards, drawn, card_diags = _share_cards(site, settings, folder, jobs, write)
    photos = SitePhotos(
        processed=processed, report=report, settings=settings, cache_dir=folder, cards=cards, cards_drawn=drawn,
        cards_repaired=any(not d.is_error for d in card_diags),
    )
    return photos, diags + card_diags


SITE_CARD = ""  # the paper's own card in `SitePhotos.cards`


def share_card(site: Site, article: Article | None) -> Card:
    """What the card of `article` (None: the paper's own card) shows."""
    config = site.config
    host = urlsplit(config.base_url).netloc
    if article is None:
        return Card(headline=config.description or config.title, kicker=config.tagline, paper=config.title, host=host)
    category = config.category(article.category)
    return Card(headline=article.title, kicker=category.name if category else "", paper=config.title, host=host)


def needs_card(article: Article) -> bool:
    """An article shared without any photo of its own gets a card."""
    return not (article.cover or article.gallery or article.body_images)


def _share_cards(
    site: Site, settings: ImageSettings, folder: Path, jobs: int, write: bool
) -> tuple[dict[str, Processed], int, list[Diagnostic]]:
    wanted = {a.source: share_card(site, a) for a in site.articles if needs_card(a)}
    wanted[SITE_CARD] = share_card(site, None)
    made, report = make_cards(list(wanted.values()), cache_root(folder, settings), jobs, write=write)
    diags: list[Diagnostic] = []
    for problem in sorted(set(report.broken.values())):
        diags.append(warning(CONFIG_NAME, site.config.cache_dir_line, f"bộ nhớ đệm ảnh hỏng ({problem}): vẽ lại một ảnh chia sẻ"))
    cards: dict[str, Processed] = {}
    for source, card in wanted.items():
        outcome = made[card.key()]
        if isinstance(outcome, Processed):
            cards[source] = outcome
        else:
            diags.append(error(CONFIG_NAME, site.config.cache_dir_line, f"không ghi được ảnh chia sẻ vào bộ nhớ đệm: {outcome.message}"))
            break
    return cards, report.drawn, diags


def redraw_card(site: Site, article: Article, folder: Path) -> tuple[Processed | None, int]:
    """The share card of `article` from the cache under `folder` (`cache_dir`), drawn when missing
    (a patch build whose edit changed a headline); None when it could not be made or the cache
    held a damaged entry (a full build reports that). Also how many cards were drawn."""
    made, report = make_cards([share_card(site, article)], cache_root(folder, image_settings(site.config)), 1, write=True)
    (outcome,) = made.values()
    if not isinstance(outcome, Processed) or outcome.og is None or report.broken:
        return None, report.drawn
    return outcome, report.drawn


def _at_uses(uses: list[tuple[str, Asset]], message: str, *, as_warning: bool = False) -> list[Diagnostic]:
    make = warning if as_warning else error
    return [make(document, asset.line, f"ảnh `{asset.src}`: {message}") for document, asset in uses]


def photo_files(photos: SitePhotos) -> list[OutputFile]:
    """Every variant of every photo in use, once, linked from the cache into the output."""
    files: dict[str, OutputFile] = {}
    for processed in photos.processed.values():
        for variant in [*processed.variants, *([processed.og] if processed.og else [])]:
            path = photo_url(processed.key, variant.file).lstrip("/")
            files[path] = OutputFile(path, copy_from=Path(processed.folder) / variant.file, link=True)
    for card in photos.cards.values():
        if card.og is not None:
            path = card_url(card.key).lstrip("/")
            files[path] = OutputFile(path, copy_from=Path(card.folder) / card.og.file, link=True)
    return [files[k] for k in sorted(files)]


def prune_photos(photos: SitePhotos) -> int:
    keep = {p.key for p in [*photos.processed.values(), *photos.cards.values()]}
    return prune_cache(photos.cache_dir, photos.settings, keep)


def prune_replaced(config: SiteConfig, processed: dict[str, Processed], cards: Iterable[str], replaced: Iterable[str], folder: Path) -> int:
    """What `prune_photos` removes of the share cards a patch build replaced (at the URLs
    `replaced`), for a build that kept the photo plan: those that are neither a photo in
    `processed` nor a card at the URLs `cards`. The last build left the cache pruned, so no other
    entry is looked at (~10,000 at 10k articles)."""
    keep = {p.key for p in processed.values()} | {_card_key(url) for url in cards}
    return remove_entries(folder, image_settings(config), {_card_key(url) for url in replaced} - keep)


def _card_key(url: str) -> str:
    return url.rsplit("/", 1)[-1].removesuffix(".png")


def card_urls(photos: SitePhotos) -> dict[str, str]:
    """Each share card's URL, by article source (the paper's own under `SITE_CARD`)."""
    return {source: card_url(p.key) for source, p in photos.cards.items() if p.og is not None}
