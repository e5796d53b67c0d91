"""Command line: parse arguments, run a stage, print diagnostics and a summary, set the exit code."""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .config import load_config
from .dates import now_from_env
from .errors import BuildFailed, Diagnostic
from .pipeline import BuildOptions, BuildResult, build, check, default_jobs
from .scaffold import ScaffoldError, new_article
from .writer import OutputRefused

COMMANDS = ("build", "check", "new", "serve")
EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: lỗi: {message}\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="build.py", description="Dựng trang tin tĩnh từ bài viết Markdown.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    b = sub.add_parser("build", help="dựng toàn bộ trang vào thư mục xuất")
    b.add_argument("--site", type=Path, default=None, help="thư mục trang (mặc định: thư mục này)")
    b.add_argument("--output", type=Path, default=None, help="thư mục xuất (mặc định: public/ trong trang)")
    b.add_argument("--drafts", action="store_true", help="đăng cả bản nháp và bài hẹn giờ")
    b.add_argument("--jobs", type=_positive, default=None, help="số tiến trình (mặc định: số lõi)")
    c = sub.add_parser("check", help="kiểm tra nội dung và liên kết, không ghi gì")
    c.add_argument("--site", type=Path, default=None)
    c.add_argument("--drafts", action="store_true")
    n = sub.add_parser("new", help="tạo bài viết mới")
    n.add_argument("title", nargs="?", default=None, help="tiêu đề bài viết (thiếu thì hỏi, khi chạy trong cửa sổ lệnh)")
    n.add_argument("--category", default=None, help="khóa chuyên mục (thiếu thì hỏi, khi chạy trong cửa sổ lệnh)")
    n.add_argument("--bundle", action="store_true", help="tạo thư mục bài (`ten-bai/index.md`) để để ảnh cạnh bài")
    n.add_argument("--site", type=Path, default=None)
    s = sub.add_parser("serve", help="xem trước, dựng lại khi lưu")
    s.add_argument("--site", type=Path, default=None)
    s.add_argument("--port", type=_port, default=8000, help="cổng trên 127.0.0.1 (mặc định: 8000)")
    s.add_argument("--drafts", action="store_true", help="không cần: xem trước luôn hiện bản nháp và bài hẹn giờ, có đánh dấu")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"cần một số nguyên dương, không phải `{text}`") from None
    if value < 1:
        raise argparse.ArgumentTypeError("cần một số nguyên dương")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"cần một số cổng, không phải `{text}`") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError("cần một số cổng từ 1 đến 65535")
    return value


def main(argv: Sequence[str] | None = None, default_site: Path | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in (*COMMANDS, "-h", "--help"):
        args_list.insert(0, "build")
    args = _parser().parse_args(args_list)
    site = (args.site or default_site or Path.cwd()).resolve()
    if not (site / "site_config.yaml").is_file():
        print(f"build.py: lỗi: không thấy site_config.yaml trong {site}", file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "new":
            return _new(site, args.title, args.category, args.bundle)
        if args.command == "serve":
            from .serve import serve

            return serve(site, args.port)
        # A build or check is one pass over data without reference cycles worth collecting: the
        # cyclic collector would only rescan the whole growing model again and again.
        gc.disable()
        options = BuildOptions(
            site_dir=site,
            output=getattr(args, "output", None),
            drafts=args.drafts,
            jobs=getattr(args, "jobs", None) or default_jobs(),
            environ=dict(os.environ),
        )
        if args.command == "check":
            result = check(options)
            _print_warnings(result.warnings)
            print(f"Không có lỗi: {result.articles} bài sẽ được đăng, {result.pages} trang.")
            _print_check_summary(result)
            return EXIT_OK
        # A build is one pass over data without reference cycles worth collecting: the cyclic
        # collector would only rescan the whole growing model again and again.
        gc.disable()
        result = build(options, _progress_bar(), _waiting)
    except OutputRefused as exc:
        print(f"build.py: lỗi: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BuildFailed as exc:
        _print_failure(exc.diagnostics)
        return EXIT_CONTENT
    except OSError as exc:
        print(f"build.py: lỗi hệ thống tệp: {exc}; thư mục xuất cũ vẫn giữ nguyên", file=sys.stderr)
        return EXIT_CONTENT
    except KeyboardInterrupt:
        print("build.py: đã dừng; thư mục xuất cũ vẫn giữ nguyên", file=sys.stderr)
        return 130
    _print_warnings(result.warnings)
    _print_summary(result, site)
    return EXIT_OK


def _waiting(message: str) -> None:
    """Another build holds the output folder or the cache: say so, then this one waits its turn."""
    print(f"build.py: {message}", file=sys.stderr, flush=True)


def _new(site: Path, title: str | None, category: str | None, bundle: bool) -> int:
    config, diags = load_config(site)
    if config is None:
        _print_failure(diags)
        return EXIT_CONTENT
    # Asks only for what is missing, and only an editor at a terminal: a script never hangs.
    asking = sys.stdin.isatty()
    try:
        if title is None and asking:
            title = input("Tiêu đề bài viết: ")
        if category is None and asking and len(config.categories) > 1:
            keys = [c.key for c in config.categories]
            print("Chuyên mục: " + ", ".join(f"{c.key} ({c.name})" for c in config.categories))
            category = input(f"Khóa chuyên mục [{keys[0]}]: ").strip() or keys[0]
    except (EOFError, KeyboardInterrupt):
        print("\nbuild.py: đã dừng, chưa tạo bài nào", file=sys.stderr)
        return EXIT_USAGE
    if title is None:
        print('build.py: lỗi: cần tiêu đề bài viết: build.py new "Tiêu đề bài viết" --category KHÓA', file=sys.stderr)
        return EXIT_USAGE
    try:
        path = new_article(site, config, title, category, now_from_env(dict(os.environ), config.tz), bundle=bundle)
    except ScaffoldError as exc:
        print(f"build.py: lỗi: {exc}", file=sys.stderr)
        return EXIT_CONTENT
    print(f"Đã tạo {path.relative_to(site).as_posix()}")
    print("Bài đang là bản nháp (`draft: true`): đổi thành `false` khi sẵn sàng đăng.")
    return EXIT_OK


def _print_warnings(warnings: Sequence[Diagnostic], stream: TextIO | None = None) -> None:
    for diag in warnings:
        print(diag, file=stream or sys.stderr)


def _print_failure(diags: Sequence[Diagnostic]) -> None:
    for diag in diags:
        print(diag, file=sys.stderr)
    errors = sum(d.is_error for d in diags)
    print(f"Không dựng trang: {errors} lỗi, {len(diags) - errors} cảnh báo. Thư mục xuất cũ vẫn giữ nguyên.", file=sys.stderr)


def _print_check_summary(result: BuildResult) -> None:
    """The counts, the articles left out and why, and when the next scheduled one appears."""
    print(f"Tổng cộng: 0 lỗi, {len(result.warnings)} cảnh báo.")
    if result.held:
        print(f"Chưa đăng ({len(result.held)} bài):")
        for source, draft, date in result.held:
            print(f"  {source}: {'bản nháp' if draft else f'hẹn giờ đăng {date:%d/%m/%Y %H:%M}'}")
    if result.next_publication is not None:
        print(f"Bài hẹn giờ tiếp theo lên trang lúc {result.next_publication:%d/%m/%Y %H:%M}.")


def _print_summary(result: BuildResult, site: Path) -> None:
    out = result.output
    shown = out.relative_to(site).as_posix() if out and out.is_relative_to(site) else str(out)
    if result.up_to_date:
        print(f"Không có gì thay đổi từ lần dựng trước: giữ nguyên {result.pages} trang ({result.articles} bài) "
              f"trong {shown}/; kiểm tra mất {result.seconds:.1f} giây")
        return
    print(
        f"Đã dựng {result.pages} trang ({result.articles} bài, {result.unpublished} bài chưa đăng), "
        f"{result.files} tệp ({result.pages - result.pages_cached} trang dựng mới), "
        f"ảnh: {result.photos_decoded} xử lý mới, {result.photos_cached} lấy từ bộ nhớ đệm; "
        f"trong {result.seconds:.1f} giây → {shown}/"
    )
    if os.environ.get("TOASOAN_TIMINGS"):  # where the time went, for bench/ and profiles
        print("timings " + json.dumps([[stage, round(seconds, 3)] for stage, seconds in result.timings]), file=sys.stderr)
    if result.search is not None:
        s = result.search
        if os.environ.get("TOASOAN_SEARCH_STATS"):  # for bench/bench_search.py
            print("search-stats " + json.dumps(dataclasses.asdict(s)), file=sys.stderr)
        print(f"Tìm kiếm: {s.records} bài trong {s.shards} phần ({s.built} dựng mới, {s.cached} lấy từ bộ nhớ đệm), {s.seconds:.1f} giây")


class _Bar:
    """A tqdm bar per build stage, on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._stage = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm import tqdm

        if stage != self._stage:
            if self._bar is not None:
                self._bar.close()
            self._stage = stage
            self._bar = tqdm(total=total, unit="tệp", desc=stage, leave=False, file=sys.stderr, mininterval=0.2)
        self._bar.update(done - self._bar.n)
        if done >= total:
            self._bar.close()
            self._bar = None


def _progress_bar() -> _Bar | None:
    return _Bar() if sys.stderr.isatty() else None
