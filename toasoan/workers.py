"""Spread a pure function over chunks of items on N processes; the result never depends on N."""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from multiprocessing.context import BaseContext

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 100
# Set in a worker process only (before any work), from the parent's memory through fork.
_worker_job: tuple[Callable[[Sequence[Any], Any], list[Any]], Sequence[Any], Any] | None = None


def parallel_map(
    fn: Callable[[Sequence[T], Any], list[R]],
    items: Sequence[T],
    jobs: int,
    state: Any,
    progress: Callable[[int, int], None] | None,
) -> list[R]:
    """`fn(chunk, state)` over consecutive chunks of `items`, results in the items' order."""
    return [result for part in parallel_chunks(fn, items, jobs, state, progress) for result in part]


def parallel_chunks(
    fn: Callable[[Sequence[T], Any], list[R]],
    items: Sequence[T],
    jobs: int,
    state: Any,
    progress: Callable[[int, int], None] | None,
) -> Iterator[list[R]]:
    """The results of `fn(chunk, state)` chunk by chunk, in the items' order, as they are ready.

    With jobs > 1 on a system that can fork, workers inherit `items` and `state` by fork
    (nothing is pickled on the way in); only the results travel back."""
    total = len(items)
    size = max(1, min(CHUNK, -(-total // (4 * max(jobs, 1)))))
    bounds = [(i, min(i + size, total)) for i in range(0, total, size)]
    context = _fork_context() if jobs > 1 and len(bounds) > 1 else None
    if context is None:
        for start, end in bounds:
            yield fn(items[start:end], state)
            if progress:
                progress(end, total)
        return
    from concurrent.futures import ProcessPoolExecutor

    # Objects alive now are shared with the workers copy-on-write; frozen, the workers' garbage
    # collector leaves them alone instead of touching (and so copying) every page of them.
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_install, initargs=((fn, items, state),)) as pool:
            done = 0
            for part in pool.map(_run, bounds):
                done += len(part)
                yield part
                if progress:
                    progress(done, total)
    finally:
        gc.unfreeze()


def _fork_context() -> BaseContext | None:
    """Fork's process context, where the system has it. multiprocessing and the process pool are
    imported only for a pool: a patch makes its few pages here (~5 ms of imports)."""
    import multiprocessing

    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


class TimeLimitExceeded(Exception):
    """Raised inside a `time_limit` block that ran out of time."""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block with TimeLimitExceeded after `seconds` of wall time.

    Works in a process's main thread (a worker's, or the main process with one job, as `build`
    and `serve` run); elsewhere, or without SIGALRM, the block simply runs to its end."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeLimitExceeded

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _install(job: tuple[Callable[[Sequence[Any], Any], list[Any]], Sequence[Any], Any]) -> None:
    global _worker_job  # noqa: PLW0603 - one job per worker process, set once at its start
    _worker_job = job


def _run(bounds: tuple[int, int]) -> list[Any]:
    assert _worker_job is not None
    fn, items, state = _worker_job
    start, end = bounds
    return fn(items[start:end], state)
