"""The package's dependency graph points one way (see docs/ARCHITECTURE.md); an edge not listed fails."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "toasoan"

ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "text": set(),
    "dates": set(),
    "yamldoc": set(),
    "workers": set(),
    "writer": set(),
    "checked": set(),
    "installed": set(),
    "buildcache": {"checked", "installed", "writer"},
    "uptodate": {"checked", "sources", "writer"},
    "xmlout": set(),
    "schema": {"errors", "text", "yamldoc"},
    "filetypes": set(),
    "sources": {"text"},
    "markup": {"text"},
    "config": {"errors", "schema", "sources", "text", "yamldoc"},
    "model": {"config"},
    "registry": {"dates", "errors", "model", "schema", "sources", "text", "yamldoc"},
    "proofread": {"errors", "model", "text", "yamldoc"},
    "scanner": set(),
    "front": {"config", "dates", "errors", "model", "proofread", "schema", "sources", "text", "yamldoc"},
    "assets": {"errors", "filetypes", "front", "model", "scanner", "sources", "text"},
    "content": {"assets", "buildcache", "config", "errors", "front", "model", "proofread", "registry", "scanner", "schema", "sources", "text", "workers"},
    "urls": {"config", "model", "text"},
    "views": {"config", "images", "model", "text", "urls"},
    "images": {"filetypes", "workers", "writer"},
    "feeds": {"config", "dates", "images", "model", "text", "urls", "views", "writer", "xmlout"},
    "sitemaps": {"config", "dates", "model", "routes", "urls", "writer", "xmlout"},
    "search": {"dates", "errors", "installed", "model"},
    "deploy": {"buildcache", "workers"},
    "photos": {"config", "errors", "images", "model", "sharecard", "urls", "writer"},
    "sharecard": {"images", "workers"},
    "related": {"model", "urls", "workers"},
    "redirects": {"config", "model", "urls", "writer"},
    "routes": {"dates", "errors", "markup", "model", "related", "text", "urls", "views"},
    "structured": {"dates", "views", "urls"},
    "templates": {"buildcache", "dates", "errors", "routes", "sources", "structured"},
    "pipeline": {
        "assets", "buildcache", "config", "content", "dates", "deploy", "errors", "feeds", "filetypes", "images", "markup", "model", "photos", "proofread", "redirects", "related", "routes", "scanner",
        "search", "shortcut", "sitemaps", "snapshot", "sources", "templates", "uptodate", "urls", "views", "workers", "writer",
        "patch",  # imported by `build` when it runs: that module builds on this one's stages
    },
    "patch": {
        "buildcache", "content", "dates", "deploy", "errors", "feeds", "model", "photos", "pipeline", "proofread", "redirects", "related",
        "routes", "search", "shortcut", "sitemaps", "snapshot", "sources", "templates", "uptodate", "urls", "views", "workers", "writer",
    },
    "snapshot": {"buildcache", "checked", "errors", "images", "model", "search", "templates"},
    "shortcut": {"buildcache", "config", "errors", "uptodate", "writer"},
    "preview": {"patch", "pipeline", "routes", "sources", "templates"},
    "scaffold": {"config", "content", "text"},
    "serve": {"errors", "pipeline", "preview", "writer"},
    "newsite": {"__version__", "text"},
    "cli": {"__version__", "config", "dates", "errors", "newsite", "pipeline", "scaffold", "serve", "shortcut", "writer"},
    "__main__": {"cli"},
    "__init__": set(),
}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("toasoan."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("toasoan."))
    return found


def test_every_module_is_in_the_layer_table() -> None:
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert modules == set(ALLOWED)


def test_imports_follow_the_layers() -> None:
    wrong = {}
    for path in sorted(PACKAGE.glob("*.py")):
        extra = _imports(path) - ALLOWED[path.stem]
        if extra:
            wrong[path.stem] = sorted(extra)
    assert wrong == {}


def test_library_modules_never_print() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem in {"cli", "serve"}:
            continue
        calls = [
            n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in {"print", "exit"}
        ]
        assert not calls, f"{path.name} prints or exits"
