"""Diagnostics as data: a file position and a message; never prints."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class Severity(Enum):
    ERROR = "lỗi"
    WARNING = "cảnh báo"


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class Diagnostic:
    """One problem found in one file, at one line (1-based; 0 = the whole file, shown as line 1).

    `code` names the kind of finding for machines (`--format json`, CI annotations): a short
    stable kebab-case word such as `unknown-key`; empty when the finding has none yet. `column`
    is 1-based, 0 when unknown.
    """

    path: str
    line: int
    message: str
    severity: Severity = Severity.ERROR
    code: str = ""
    column: int = 0

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.path}:{max(self.line, 1)}"
        prefix = "" if self.is_error else "cảnh báo: "
        return f"{where}: {prefix}{self.message}"


def error(path: str, line: int, message: str, code: str = "", column: int = 0) -> Diagnostic:
    return Diagnostic(path=path, line=line, message=message, code=code, column=column)


def warning(path: str, line: int, message: str, code: str = "", column: int = 0) -> Diagnostic:
    return Diagnostic(path=path, line=line, message=message, severity=Severity.WARNING, code=code, column=column)


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Errors first, then by file and line, without repeats."""
    unique = set(diags)
    return sorted(unique, key=lambda d: (not d.is_error, d.path, d.line, d.message))


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)


class BuildFailed(Exception):
    """Raised once, with every diagnostic of the run, when the content has errors."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(f"{sum(d.is_error for d in diagnostics)} lỗi")
        self.diagnostics = diagnostics
