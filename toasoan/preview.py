"""A save previewed at once, made in memory from the last good build that `serve` keeps while the
full build that follows catches up: the page of an article whose body alone changed, and every
page again with templates just saved.

Each page is what that full build writes at the same address, byte for byte: the same loader,
Markdown, view and template, over the same plan (`patch.quick_article`, which a build that
patches the last output uses too; `templates.render_route` over the plan's routes, with an
environment made as a build makes it). Whenever the change could reach beyond what is made
again, or anything is found wrong with it, there is no quick page and only the full build answers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from .patch import QuickInputs, quick_article
from .pipeline import _Plan, page_globals, with_body
from .routes import Route
from .sources import relative
from .templates import TemplateFailed, check_templates, make_environment, render_route, template_dirs, template_fingerprints

# The template whose `picture` macro draws the photos inside bodies: the plan keeps the bodies'
# HTML made with it (`pipeline._markup_chunk`), so pages are made again only while it is unchanged.
BODY_MACROS = "macros.html"


def preview_article(plan: _Plan, path: Path, drafts: bool, env: jinja2.Environment | None = None) -> tuple[str, bytes] | None:
    """(URL, page) for the article file at `path` as it is now on disk, or None when only a full
    build can tell. `plan` is a good build's, made with `drafts`; `env` renders the page and the
    body's photos (default: the plan's; `Templates.env` after a template save)."""
    source = relative(plan.root, path)
    old = next((a for a in plan.site.articles if a.source == source), None)
    route = next((r for r in plan.routes if r.source == source and r.template == "article.html"), None)
    if old is None or route is None:
        return None
    made = quick_article(QuickInputs(
        root=plan.root, site=plan.site, old=old, route=route, photos=plan.photos.processed, env=env or plan.env,
        globals=page_globals(plan), markdown_salt=plan.markup.salt, now=plan.now, drafts=drafts, targets=None,
    ))
    return None if made is None else (route.url, made[2])


@dataclass(frozen=True, slots=True)
class Templates:
    """The site's and the theme's templates as they were read after a save, every one compiled."""

    env: jinja2.Environment
    body_macros: str  # the fingerprint of BODY_MACROS with what it imports


def load_templates(root: Path, theme_dir: Path) -> Templates | None:
    """The templates as they are on disk now, made into an environment as a build makes it, or
    None when one does not compile (the full build reports it). Every template is loaded here
    (`check_templates`) and the environment never reads a file again (`auto_reload=False`), so
    its pages are those of the files as they were at this moment."""
    root = root.resolve()
    env = make_environment(template_dirs(root, theme_dir))
    if check_templates(env, root):
        return None
    return Templates(env=env, body_macros=template_fingerprints(env).get(BODY_MACROS, ""))


class PlanPages:
    """A kept plan's pages by address, made again on demand with other templates."""

    def __init__(self, plan: _Plan) -> None:
        self.plan = plan
        self.routes: dict[str, Route] = {r.url: r for r in plan.routes}
        self.globals: dict[str, Any] = page_globals(plan)

    def renders_with(self, templates: Templates) -> bool:
        """Whether the plan's pages can be made with `templates`: the bodies' HTML the plan keeps
        was drawn with the plan's own BODY_MACROS, so a change there needs the full build."""
        return self.plan.template_prints.get(BODY_MACROS, "") == templates.body_macros

    def render(self, url: str, templates: Templates) -> bytes | None:
        """The page at `url` as the full build over this plan with `templates` writes it, or None
        (no such page, or the template fails: the full build reports it)."""
        route = self.routes.get(url)
        if route is None or not self.renders_with(templates):
            return None
        try:
            # An article's HTML is read back from the build cache, which a full build ending
            # meanwhile may have pruned (its plan then replaces this one): no page from here.
            return render_route(templates.env, with_body(route, self.plan.cache.folder), self.globals, self.plan.root)
        except (TemplateFailed, OSError):
            return None
