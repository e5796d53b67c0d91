"""Routes -> HTML bytes with Jinja2 (autoescape, StrictUndefined); template errors as Diagnostics."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
import jinja2.compiler
import jinja2.ext
import jinja2.meta
from jinja2 import nodes
from jinja2.utils import _PassArg

from . import dates, structured
from .buildcache import generator_stamp
from .errors import Diagnostic, error
from .routes import ArticleContext, Route
from .sources import relative


@dataclass(frozen=True, slots=True)
class Assets:
    """`asset("css/site.css")` in a template: the URL a static file is published at (CSS and JS
    under content-hashed names, `/css/site.3f2a9c1b7d0e.css`). An unknown file is a template
    error naming the line, never a silently broken link."""

    urls: tuple[tuple[str, str], ...]  # (path under static/, URL), sorted

    def __call__(self, path: str) -> str:
        wanted = path.lstrip("/")
        for name, url in self.urls:
            if name == wanted:
                return url
        raise LookupError(f"không có tệp tĩnh `{path}` trong static/")


class TemplateFailed(Exception):
    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(str(diagnostic))
        self.diagnostic = diagnostic


def template_dirs(site_dir: Path, theme_dir: Path) -> list[Path]:
    """The site's own templates first, then the default theme's (file by file override)."""
    dirs: list[Path] = []
    site_templates = site_dir / "templates"
    candidates = [theme_dir / "templates"]
    if site_templates.resolve().is_relative_to(site_dir.resolve()):
        candidates.insert(0, site_templates)
    for candidate in candidates:
        if candidate.is_dir() and candidate.resolve() not in [d.resolve() for d in dirs]:
            dirs.append(candidate)
    return dirs


class _ContainedLoader(jinja2.FileSystemLoader):
    """A file loader that refuses a template whose real path leaves its folder (a symlink out)."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(Path(folder).resolve()) for folder in self.searchpath):
            raise jinja2.TemplateNotFound(template, f"{template} trỏ ra ngoài thư mục mẫu trang")
        return source, filename, uptodate


_PACKAGE = Path(__file__).resolve().parent


@functools.cache  # where the running code lives does not move
def _shipped() -> tuple[Path, Path]:
    """The default theme's templates (found as `shortcut.default_theme_dir` finds the theme: the
    installed package's copy, else the checkout's top level) and the folder beside the package's
    own bytecode where their compiled code is kept, named by the generator stamp (toasoan's code,
    Jinja's version, Python's: everything the compiled code depends on besides the source)."""
    installed = _PACKAGE / "theme" / "templates"
    templates = installed if installed.is_dir() else _PACKAGE.parent / "templates"
    return templates.resolve(), _PACKAGE / "__pycache__" / f"templates-{generator_stamp()}"


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept in this process's memory, so that a long-lived process (`serve`)
    compiles a template again only when its source changed. Jinja names each entry by template
    name and file and checks it against a hash of the source; every environment here is made by
    `make_environment` with the same settings, so the compiled code is what compiling would give.

    The default theme's templates are also kept on disk, in the package's own `__pycache__/`
    (`_shipped`): compiling an article page's three templates cost each build process ~25-40 ms.
    That folder is the package's, as trusted as the `.pyc` files Python runs from it (whoever can
    write there can change toasoan's code); never the build cache, which CI restores from
    elsewhere and which must never supply code. A site's own templates are compiled in each
    process, as before. Written only where Python would write bytecode (`sys.dont_write_bytecode`),
    through a temporary file renamed into place; a file that does not read back whole and for
    this source is compiled again."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}
        self.files: dict[str, Path] = {}  # bucket key -> its file, for the default theme's templates

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None, source: str) -> jinja2.bccache.Bucket:
        key = self.get_cache_key(name, filename)
        if key not in self.files and filename is not None:
            templates, folder = _shipped()
            if Path(filename).resolve().is_relative_to(templates):
                self.files[key] = folder / f"{key}.jinja"
        return super().get_bucket(environment, name, filename, source)

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.entries.get(bucket.key)
        file = self.files.get(bucket.key)
        if data is None and file is not None:
            try:
                data = file.read_bytes()
            except OSError:
                return
        if data is not None:
            try:
                bucket.bytecode_from_string(data)  # resets the bucket when the source's hash differs
            except Exception:  # cut short or not Jinja's: compiled again
                bucket.reset()

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = bucket.bytecode_to_string()
        self.entries[bucket.key] = data
        file = self.files.get(bucket.key)
        if file is not None and not sys.dont_write_bytecode:
            with contextlib.suppress(OSError):  # a read-only installation: compiled in each process
                _write_compiled(file, data)


def _write_compiled(file: Path, data: bytes) -> None:
    folder = file.parent
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        for other in folder.parent.glob("templates-*"):  # another version's: never read again
            if other != folder:
                shutil.rmtree(other, ignore_errors=True)
    temporary = folder / f".{file.name}.{os.getpid()}.tmp"
    try:
        temporary.write_bytes(data)
        temporary.replace(file)
    finally:
        temporary.unlink(missing_ok=True)


COMPILED = _CompiledTemplates()


class _Reads(jinja2.compiler.CodeGenerator):
    """Every name a piece of template reads from its context (globals included: a page's
    variable may shadow one). The code generator run for its symbol tables, writing nothing."""

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment, "<sitewide>", "<sitewide>")
        self.names: set[str] = set()

    def write(self, x: str) -> None:
        """Nothing is written."""

    def enter_frame(self, frame: jinja2.compiler.Frame) -> None:
        super().enter_frame(frame)
        self.names.update(param for action, param in frame.symbols.loads.values() if action == "resolve")


# What a sitewide block may not hold: these render with the whole context (or define blocks).
_CONTEXT_NODES = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends, nodes.Block, nodes.ContextReference)
_SELECTING = frozenset({"select", "reject", "selectattr", "rejectattr", "map"})
SITEWIDE_LIMIT = 256  # outputs kept; past it they are forgotten and made again


class SiteWide(jinja2.ext.Extension):
    """`{% sitewide %}...{% endsitewide %}`: a piece of a template rendered once per process for
    each value of the variables it reads (the menus and footer of `base.html`: the same on
    thousands of pages), its output kept and written again for every other page that gives it
    the same objects. Byte for byte what rendering it each time gives, by construction: the
    block's output is a function of the names it reads (found at compile time, every one of
    them, globals included) and of the environment's filters and tests; the kept output is
    keyed by the identity of each of those values, kept alive with it, and only when all of
    them are hashable (immutable: a list or a dict is rendered every time). A block that reads
    a value made per page (`page`, a namespace) is simply rendered every time. Refused at
    compile time: an include, import, extends or block inside (they see the whole context), and
    a filter or test that is given the context."""

    tags = {"sitewide"}

    def __init__(self, environment: jinja2.Environment) -> None:
        super().__init__(environment)
        self.kept: dict[tuple[int, tuple[int, ...]], tuple[tuple[object, ...], str]] = {}

    def parse(self, parser: jinja2.parser.Parser) -> nodes.Node:
        token = next(parser.stream)
        body = parser.parse_statements(("name:endsitewide",), drop_needle=True)
        block = nodes.Template(body, lineno=token.lineno).set_environment(self.environment)
        for inner in block.find_all(_CONTEXT_NODES):
            raise jinja2.TemplateSyntaxError(
                "khối sitewide không được chứa include, import, extends hay block", inner.lineno, parser.name, parser.filename,
            )
        for used in block.find_all((nodes.Filter, nodes.Test)):
            known = self.environment.filters if isinstance(used, nodes.Filter) else self.environment.tests
            if _takes_context(known.get(used.name)) and not self._through_environment(used):
                raise jinja2.TemplateSyntaxError(
                    f"khối sitewide không dùng được `{used.name}`: nó đọc cả ngữ cảnh trang", used.lineno, parser.name, parser.filename,
                )
        reads = _Reads(self.environment)
        reads.visit(block)
        values = nodes.Tuple([nodes.Name(name, "load") for name in sorted(reads.names)], "load")
        return nodes.CallBlock(self.call_method("_render", [values]), [], [], body).set_lineno(token.lineno)

    def _through_environment(self, used: nodes.Node) -> bool:
        """Whether a filter given the context uses only its environment: Jinja's `select`,
        `reject`, `selectattr`, `rejectattr` and `map` call the tests or filters they name through
        it, and read the context only by giving it to one that takes it (none here then but
        Jinja's `random`, which reads no variable; itself refused in a block)."""
        if not isinstance(used, nodes.Filter) or used.name not in _SELECTING:
            return False
        named = [*self.environment.tests.values(), *(f for n, f in self.environment.filters.items() if n not in _SELECTING | {"random"})]
        return not any(map(_takes_context, named))

    def _render(self, values: tuple[object, ...], caller: Any) -> str:
        # The block is its compiled code (kept alive with the output, as the values are, so that
        # no id in a key is ever another object's); that code given the same objects writes the
        # same bytes.
        code = caller._func.__code__
        key = (id(code), tuple(map(id, values)))
        found = self.kept.get(key)
        if found is not None:
            return found[1]
        output: str = caller()
        try:
            hash(values)
        except TypeError:
            return output  # a mutable value: rendered every time
        if any(map(_takes_context, values)):
            return output  # a function given the whole context
        if len(self.kept) >= SITEWIDE_LIMIT:
            self.kept.clear()
        self.kept[key] = ((code, *values), output)
        return output


def _takes_context(obj: object) -> bool:
    """Whether Jinja gives `obj` (a filter, test or function) the whole render context."""
    return getattr(obj, "jinja_pass_arg", None) is _PassArg.context


def make_environment(dirs: Sequence[Path]) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=_ContainedLoader([str(d) for d in dirs], encoding="utf-8-sig"),
        bytecode_cache=COMPILED,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        auto_reload=False,
        extensions=[SiteWide],
    )
    env.filters.update(
        vi_datetime=dates.vi_datetime,
        vi_date=dates.vi_date,
        short_date=dates.short_date,
        iso=dates.iso,
        month_label=dates.month_label,
        rfc822=dates.rfc822,
    )
    env.filters.update(structured.TEMPLATE_FILTERS)  # json_ld
    env.globals.update(structured.TEMPLATE_GLOBALS)  # article_graph, home_graph, absolute_url, ...
    return env


def check_templates(env: jinja2.Environment, root: Path) -> list[Diagnostic]:
    """Compile every template once so that all syntax errors are reported together."""
    diags = []
    for name in sorted(env.list_templates(extensions=["html", "xml", "txt"])):
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            path = relative(root, Path(exc.filename)) if exc.filename else f"templates/{name}"
            diags.append(error(path, exc.lineno or 0, f"lỗi cú pháp mẫu trang: {exc.message}"))
        except jinja2.TemplateNotFound as exc:
            diags.append(error(f"templates/{name}", 0, exc.message or f"không đọc được mẫu trang `{name}`"))
    return diags


def render_route(env: jinja2.Environment, route: Route, site_globals: dict[str, object], root: Path) -> bytes:
    """Render one route; a failing template raises TemplateFailed naming the template line."""
    context = route.context
    if isinstance(context, ArticleContext) and context.article.body_blob:
        raise ValueError(f"{route.url}: the article's HTML is still in the cache (pipeline.with_body reads it)")
    try:
        template = env.get_template(route.template)
        return template.render(**site_globals, **route.variables()).encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        path = relative(root, Path(exc.filename)) if exc.filename else route.template
        raise TemplateFailed(error(path, exc.lineno or 0, f"lỗi cú pháp mẫu trang: {exc.message}")) from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateFailed(error(f"templates/{route.template}", 0, f"không tìm thấy mẫu trang `{exc.name}`")) from None
    except Exception as exc:  # a template bug must name its file and line, never be a traceback
        path, line = _template_frame(exc, root, route.template)
        message = f"mẫu trang lỗi khi dựng {route.url}: {type(exc).__name__}: {exc}"
        raise TemplateFailed(error(path, line, message)) from None


def _template_frame(exc: BaseException, root: Path, fallback: str) -> tuple[str, int]:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".xml", ".txt"))]
    if not frames:
        return f"templates/{fallback}", 0
    last = frames[-1]
    return relative(root, Path(last.filename)), last.lineno or 0


_REFERENCES: dict[str, frozenset[str] | None] = {}


def _references(env: jinja2.Environment, source: str) -> set[str] | None:
    """The templates `source` names (None: one is named by a variable), kept by a hash of the
    source: what it names depends on nothing else (every environment has the same syntax)."""
    key = hashlib.sha256(source.encode()).hexdigest()
    if key not in _REFERENCES:
        try:
            found = set(jinja2.meta.find_referenced_templates(env.parse(source)))
        except jinja2.TemplateSyntaxError:
            found = set()
        _REFERENCES[key] = None if None in found else frozenset(str(f) for f in found)
    known = _REFERENCES[key]
    return None if known is None else set(known)


def template_fingerprints(env: jinja2.Environment) -> dict[str, str]:
    """For each template, a hash of its source and of every template it extends, includes or
    imports (followed to the end): what a page rendered with it depends on among the templates.
    A template that names another by a variable depends on all of them."""
    names = sorted(env.list_templates(extensions=["html", "xml", "txt"]))
    sources: dict[str, str] = {}
    refs: dict[str, set[str] | None] = {}
    for name in names:
        try:
            source, filename, _ = env.loader.get_source(env, name) if env.loader else ("", None, None)
        except jinja2.TemplateNotFound:
            continue
        sources[name] = f"{filename}\0{source}"
        refs[name] = _references(env, source)
    prints: dict[str, str] = {}
    for name in sources:
        closure: set[str] = set()
        pending = [name]
        while pending:
            current = pending.pop()
            if current in closure:
                continue
            closure.add(current)
            targets = refs.get(current, set())
            pending.extend(sources if targets is None else targets)
        digest = hashlib.sha256()
        for member in sorted(closure):
            digest.update(member.encode() + b"\0" + sources.get(member, "").encode() + b"\0")
        prints[name] = digest.hexdigest()
    return prints
