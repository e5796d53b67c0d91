"""Command line: parse arguments, run a stage, print diagnostics and a summary, set the exit code."""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import gc
import json
import os
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO
from zoneinfo import ZoneInfo

from . import __version__, shortcut
from .config import load_config
from .errors import BuildFailed, Diagnostic, error
from .newsite import NewSite, NewSiteError, create_site
from .writer import OutputRefused

if TYPE_CHECKING:
    from .pipeline import BuildResult

# `pipeline`, `scaffold` and `dates` are imported where they are needed: a build whose output
# still stands (`shortcut`) must not pay for Jinja2, Markdown, Pillow or Babel.

COMMANDS = ("build", "check", "new", "serve", "init")
FORMATS = ("text", "json", "github")
EXIT_OK, EXIT_CONTENT, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: lỗi: {message}\n")


def make_parser(prog: str = "build.py") -> argparse.ArgumentParser:
    """The whole command line (also what the CI files' commands are checked against)."""
    parser = _Parser(prog=prog, description="Dựng trang tin tĩnh từ bài viết Markdown.")
    parser.add_argument("--version", action="version", version=f"toasoan {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    b = sub.add_parser("build", help="dựng toàn bộ trang vào thư mục xuất")
    b.add_argument("--site", type=Path, default=None, help="thư mục trang (mặc định: thư mục này)")
    b.add_argument("--output", type=Path, default=None, help="thư mục xuất (mặc định: public/ trong trang)")
    b.add_argument("--drafts", action="store_true", help="đăng cả bản nháp và bài hẹn giờ")
    b.add_argument("--jobs", type=_positive, default=None, help="số tiến trình (mặc định: số lõi)")
    _add_reporting(b)
    b.add_argument(
        "--outputs", type=Path, default=None, metavar="FILE",
        help="ghi thêm vào FILE các dòng changed=true|false, up_to_date=..., pages=N, articles=N "
             "($GITHUB_OUTPUT, hay tệp dotenv của GitLab)",
    )
    c = sub.add_parser("check", help="kiểm tra nội dung và liên kết, không ghi gì")
    c.add_argument("--site", type=Path, default=None)
    c.add_argument("--drafts", action="store_true")
    _add_reporting(c)
    n = sub.add_parser("new", help="tạo bài viết mới")
    n.add_argument("title", nargs="?", default=None, help="tiêu đề bài viết (thiếu thì hỏi, khi chạy trong cửa sổ lệnh)")
    n.add_argument("--category", default=None, help="khóa chuyên mục (thiếu thì hỏi, khi chạy trong cửa sổ lệnh)")
    n.add_argument("--bundle", action="store_true", help="tạo thư mục bài (`ten-bai/index.md`) để để ảnh cạnh bài")
    n.add_argument("--site", type=Path, default=None)
    s = sub.add_parser("serve", help="xem trước, dựng lại khi lưu")
    s.add_argument("--site", type=Path, default=None)
    s.add_argument("--port", type=_port, default=8000, help="cổng trên 127.0.0.1 (mặc định: 8000)")
    s.add_argument("--drafts", action="store_true", help="không cần: xem trước luôn hiện bản nháp và bài hẹn giờ, có đánh dấu")
    i = sub.add_parser("init", help="tạo thư mục trang mới cho một tòa soạn")
    i.add_argument("dir", type=Path, help="thư mục trang mới (có thể là một kho git vừa tạo)")
    i.add_argument("--name", default=None, help="tên báo (hỏi nếu không cho và đang ở terminal)")
    i.add_argument("--url", default=None, help="địa chỉ trang, ví dụ https://baobackan.vn/")
    i.add_argument("--tagline", default=None, help="khẩu hiệu dưới tên báo")
    i.add_argument("--description", default=None, help="mô tả trang (cho máy tìm kiếm)")
    i.add_argument("--toasoan", default=None, metavar="PIP_SPEC", help=f"gói mà CI cài (mặc định: toasoan=={__version__})")
    return parser


def _add_reporting(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--format", choices=FORMATS, default="text",
        help="text: `tệp:dòng: lời nhắn`; json: một tài liệu JSON trên stdout; github: chú thích cho GitHub Actions",
    )
    sub.add_argument("--strict", action="store_true", help="coi cảnh báo là lỗi (mã thoát 1)")


_parser = make_parser


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


def console() -> None:
    """The `toasoan` command: like `python3 build.py`, with the current folder as the site."""
    leave(main(prog="toasoan"))


def leave(code: int) -> NoReturn:
    """End the process with exit code `code` once its exit hooks (`atexit`) have run and what it
    printed is out, without the interpreter's teardown: after a patch build at 10,000 articles
    that teardown (the collector's last pass, then freeing the model and snapshot object by object)
    cost ~40 ms of CPU that nothing needs, as every file the build wrote is closed by then. A
    normal exit instead while a thread that is not a daemon still runs (Python waits for it), or
    when a stream cannot be flushed (the normal exit reports that as it always did)."""
    threading = sys.modules.get("threading")  # never started a thread if never imported
    if threading is None or all(t.daemon or t is threading.main_thread() for t in threading.enumerate()):
        atexit._run_exitfuncs()  # they run once: the list is cleared, a normal exit runs none again
        try:
            for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
                if stream is not None:
                    stream.flush()
        except (OSError, ValueError):
            pass
        else:
            os._exit(code)
    sys.exit(code)


def main(argv: Sequence[str] | None = None, default_site: Path | None = None, prog: str = "build.py") -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] not in (*COMMANDS, "-h", "--help", "--version"):
        args_list.insert(0, "build")
    args = make_parser(prog).parse_args(args_list)
    if args.command == "init":
        return _init(args, prog)
    site = (args.site or default_site or Path.cwd()).resolve()
    if not (site / "site_config.yaml").is_file():
        print(f"{prog}: lỗi: không thấy site_config.yaml trong {site}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "new":
        return _new(site, args.title, args.category, args.bundle, prog)
    if args.command == "serve":
        from .serve import serve

        return serve(site, args.port)
    return _build_or_check(args, site, prog)


def _build_or_check(args: argparse.Namespace, site: Path, prog: str) -> int:
    report = _Report(args.command, args.format, site, prog)
    # A build or check is one pass over data without reference cycles worth collecting: the
    # cyclic collector would only rescan the whole growing model again and again.
    gc.disable()
    started = time.perf_counter()
    output, environ = getattr(args, "output", None), dict(os.environ)
    try:
        with ExitStack() as held:
            checked: shortcut.Checked | None = None
            result: BuildResult | shortcut.Replay | None = None
            if args.command == "build":
                checked = shortcut.check(
                    site, output, theme_dir=shortcut.THEME_DIR, drafts=args.drafts, environ=environ, held=held, waiting=_waiting,
                )
                result = shortcut.replay(checked, started)
            if result is None:
                from .pipeline import BuildOptions, build, check, default_jobs

                options = BuildOptions(
                    site_dir=site, output=output, drafts=args.drafts, jobs=getattr(args, "jobs", None) or default_jobs(),
                    environ=environ, strict=args.strict,
                )
                bar = _progress_bar() if args.format == "text" else None
                result = check(options) if args.command == "check" else build(options, bar, _waiting, checked=checked)
    except OutputRefused as exc:
        return report.usage(str(exc), "output-refused")
    except BuildFailed as exc:
        return report.failure(exc.diagnostics, strict=args.strict)
    except OSError as exc:
        return report.fatal(f"lỗi hệ thống tệp: {exc}; thư mục xuất cũ vẫn giữ nguyên", "file-system")
    except KeyboardInterrupt:
        print(f"{prog}: đã dừng; thư mục xuất cũ vẫn giữ nguyên", file=sys.stderr)
        return 130
    if args.strict and result.warnings:  # an up-to-date build replays the last one's warnings
        return report.failure(result.warnings, strict=True)
    if args.command == "build" and args.outputs is not None:
        _write_outputs(args.outputs, result)
    return report.success(result)


def _write_outputs(path: Path, result: BuildResult | shortcut.Replay) -> None:
    """`key=value` lines for the CI: GitHub's step outputs and GitLab's dotenv reports share it."""
    lines = [
        f"changed={'false' if result.up_to_date else 'true'}",
        f"up_to_date={'true' if result.up_to_date else 'false'}",
        f"pages={result.pages}",
        f"articles={result.articles}",
    ]
    with path.open("a", encoding="utf-8") as stream:
        stream.write("".join(line + "\n" for line in lines))


def _finding(diag: Diagnostic) -> dict[str, Any]:
    return {
        "file": diag.path,
        "line": diag.line or None,
        "column": diag.column or None,
        "level": "error" if diag.is_error else "warning",
        "message": diag.message,
        "code": diag.code or None,
    }


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(diag: Diagnostic, site: Path, cwd: Path) -> str:
    """A workflow command line: `::error file=content/x.md,line=3,col=5,title=toasoan (code)::message`.
    The file is given relative to the working folder (the repository's root in a CI job) when it
    is a file of the site; other findings (the environment, the cache) carry no file."""
    props = []
    target = site / diag.path
    if diag.path and target.exists():
        props.append(f"file={_escape_property(os.path.relpath(target, cwd))}")
        props.append(f"line={max(diag.line, 1)}")
        if diag.column:
            props.append(f"col={diag.column}")
    title = f"toasoan ({diag.code})" if diag.code else "toasoan"
    props.append(f"title={_escape_property(title)}")
    message = diag.message if target.exists() or not diag.path else f"{diag.path}: {diag.message}"
    level = "error" if diag.is_error else "warning"
    return f"::{level} {','.join(props)}::{_escape_data(message)}"


class _Report:
    """Prints one run's findings and outcome in the chosen format and returns the exit code."""

    def __init__(self, command: str, fmt: str, site: Path, prog: str) -> None:
        self.command, self.format, self.site, self.prog = command, fmt, site, prog

    def _json(self, code: int, findings: Sequence[Diagnostic], summary: dict[str, Any] | None) -> None:
        document = {
            "command": self.command,
            "ok": code == EXIT_OK,
            "exit_code": code,
            "findings": [_finding(d) for d in findings],
            "summary": summary,
        }
        print(json.dumps(document, ensure_ascii=False, indent=1))

    def _findings(self, diags: Sequence[Diagnostic]) -> None:
        if self.format == "github":
            cwd = Path.cwd()
            for diag in diags:
                print(github_annotation(diag, self.site, cwd))
        elif self.format == "text":
            _print_warnings(diags)

    def usage(self, message: str, code: str) -> int:
        if self.format == "json":
            self._json(EXIT_USAGE, [error("", 0, message, code=code)], None)
        print(f"{self.prog}: lỗi: {message}", file=sys.stderr)
        return EXIT_USAGE

    def fatal(self, message: str, code: str) -> int:
        if self.format == "json":
            self._json(EXIT_CONTENT, [error("", 0, message, code=code)], None)
        print(f"{self.prog}: {message}", file=sys.stderr)
        return EXIT_CONTENT

    def failure(self, diags: Sequence[Diagnostic], *, strict: bool) -> int:
        if self.format == "json":
            self._json(EXIT_CONTENT, diags, None)
        else:
            self._findings(diags)
        errors = sum(d.is_error for d in diags)
        warned = len(diags) - errors
        counted = f"{errors} lỗi, {warned} cảnh báo" + (" (--strict)" if strict and warned else "")
        print(f"Không dựng trang: {counted}. Thư mục xuất cũ vẫn giữ nguyên.", file=sys.stderr)
        return EXIT_CONTENT

    def success(self, result: BuildResult | shortcut.Replay) -> int:
        if self.format == "json":
            self._json(EXIT_OK, result.warnings, _summary(self.command, result))
            return EXIT_OK
        self._findings(result.warnings)
        if self.command == "check" and not isinstance(result, shortcut.Replay):
            print(f"Không có lỗi: {result.articles} bài sẽ được đăng, {result.pages} trang.")
            _print_check_summary(result)
        else:
            _print_summary(result, self.site)
        return EXIT_OK


def _summary(command: str, result: BuildResult | shortcut.Replay) -> dict[str, Any]:
    summary: dict[str, Any] = {"articles": result.articles, "pages": result.pages, "unpublished": result.unpublished}
    if command == "build":
        summary.update(
            up_to_date=result.up_to_date, changed=not result.up_to_date, files=result.files,
            output=str(result.output) if result.output else None,
            valid_until=result.valid_until.isoformat() if result.valid_until else None,
        )
    return summary


def _init(args: argparse.Namespace, prog: str) -> int:
    asking = sys.stdin.isatty()

    def answer(given: str | None, question: str, default: str) -> str:
        if given is not None:
            return given
        if not asking:
            return default
        reply = input(f"{question}{f' [{default}]' if default else ''}: ").strip()
        return reply or default

    name = args.name
    if name is None and not asking:
        print(f"{prog}: lỗi: cần tên báo: `{prog} init {args.dir} --name \"Báo ...\"`", file=sys.stderr)
        return EXIT_USAGE
    try:
        answers = NewSite(
            name=answer(name, "Tên báo", ""),
            base_url=answer(args.url, "Địa chỉ trang", "https://bao.example.vn/"),
            tagline=answer(args.tagline, "Khẩu hiệu", ""),
            description=args.description or "",
            toasoan=args.toasoan or f"toasoan=={__version__}",
        )
    except EOFError:
        print(f"{prog}: lỗi: cần tên báo (--name)", file=sys.stderr)
        return EXIT_USAGE
    from .dates import now_from_env

    target = args.dir.resolve()
    try:
        config_now = now_from_env(dict(os.environ), ZoneInfo("Asia/Ho_Chi_Minh"))
        written = create_site(target, answers, config_now)
    except NewSiteError as exc:
        print(f"{prog}: lỗi: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"{prog}: lỗi hệ thống tệp: {exc}", file=sys.stderr)
        return EXIT_CONTENT
    for rel in written:
        print(f"Đã tạo {rel}")
    command = "toasoan" if prog == "toasoan" else f"python3 {prog}"
    print(f"Trang mới ở {target}. Tiếp theo: `cd {args.dir}` rồi `{command} check` và `{command} build`.")
    return EXIT_OK


def _waiting(message: str) -> None:
    """Another build holds the output folder or the cache: say so, then this one waits its turn."""
    print(f"build.py: {message}", file=sys.stderr, flush=True)


def _new(site: Path, title: str | None, category: str | None, bundle: bool, prog: str) -> int:
    from .dates import now_from_env
    from .scaffold import ScaffoldError, new_article

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
        print(f"{prog}: lỗi: {exc}", file=sys.stderr)
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


def _print_summary(result: BuildResult | shortcut.Replay, site: Path) -> None:
    out = result.output
    shown = out.relative_to(site).as_posix() if out and out.is_relative_to(site) else str(out)
    if isinstance(result, shortcut.Replay) or result.up_to_date:
        print(f"Không có gì thay đổi từ lần dựng trước: giữ nguyên {result.pages} trang ({result.articles} bài) "
              f"trong {shown}/; kiểm tra mất {result.seconds:.1f} giây")
        _print_timings(result.timings)
        return
    print(
        f"Đã dựng {result.pages} trang ({result.articles} bài, {result.unpublished} bài chưa đăng), "
        f"{result.files} tệp ({result.pages - result.pages_cached} trang dựng mới), "
        f"ảnh: {result.photos_decoded} xử lý mới, {result.photos_cached} lấy từ bộ nhớ đệm; "
        f"trong {result.seconds:.1f} giây → {shown}/"
    )
    _print_timings(result.timings)
    if result.search is not None:
        s = result.search
        if os.environ.get("TOASOAN_SEARCH_STATS"):  # for bench/bench_search.py
            print("search-stats " + json.dumps(dataclasses.asdict(s)), file=sys.stderr)
        print(f"Tìm kiếm: {s.records} bài trong {s.shards} phần ({s.built} dựng mới, {s.cached} lấy từ bộ nhớ đệm), {s.seconds:.1f} giây")


def _print_timings(timings: Sequence[tuple[str, float]]) -> None:
    if os.environ.get("TOASOAN_TIMINGS"):  # where the time went, for bench/ and profiles
        print("timings " + json.dumps([[stage, round(seconds, 3)] for stage, seconds in timings]), file=sys.stderr)


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
