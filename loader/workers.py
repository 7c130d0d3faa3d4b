"""Worker processes that outlive a crash: map a function over jobs, unordered, and name the job that killed one.

`multiprocessing.Pool` waits forever for a task whose worker died (a decoder's segfault on a hostile file,
the kernel's OOM killer), so one such file hung a whole run. `concurrent.futures.ProcessPoolExecutor` notices
the death instead and stops (BrokenProcessPool), without saying which job did it. `map_surviving` builds on
it: the jobs that were running when a worker died are run again one at a time in a single worker, so the
ones that kill it again are found, yielded as `Died`, and every other job still gives its result.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_for_ready
from typing import Any, Callable, Iterable, Iterator, Sequence

#: chunks in flight per worker: enough that none waits between chunks, few enough that a crash re-runs little
IN_FLIGHT_PER_WORKER = 2


@dataclass(frozen=True)
class Died:
    """A job whose worker process died while running it, twice (the second time alone)."""

    job: Any
    reason: str = "its worker process died while reading it (a crash in a decoder, or out of memory)"


def worker_context() -> mp.context.BaseContext:
    """A fork server where there is one, else spawn.

    Never plain fork: the parent may already run threads (numba, OpenCV, BLAS), and a forked copy of a
    held lock deadlocks the worker. A fork server is a clean single-threaded parent.
    """
    if "forkserver" in mp.get_all_start_methods():
        return mp.get_context("forkserver")
    return mp.get_context("spawn")


def map_surviving(fn: Callable[[Any], Any], jobs: Sequence[Any], workers: int, chunk: int = 8,
                  initializer: Callable | None = None, initargs: tuple = (),
                  context: mp.context.BaseContext | None = None) -> Iterator[tuple[Any, Any]]:
    """Yield (job, fn(job)) for every job, in the order they finish, run in `workers` processes, `chunk`
    jobs per task; a job that kills its worker twice is yielded as (job, Died(job)) instead.

    fn, the jobs and the results travel between processes (picklable, fn importable by name). Each
    worker runs initializer(*initargs) first. An exception fn raises is not a crash: it stops the map.
    Closing the iterator early (an exception in the consumer, Ctrl-C) cancels what has not started.
    """
    context = context or worker_context()
    pending = deque(_chunks(list(jobs), chunk))
    suspects: list[Any] = []
    while pending:
        with _Executor(workers, context, initializer, initargs) as executor:
            suspects += yield from _run_until_broken(executor, fn, pending, workers * IN_FLIGHT_PER_WORKER)
    with _Executor(1, context, initializer, initargs) as executor:
        for job in suspects:
            if executor.broken:
                executor.restart()
            try:
                yield job, executor.submit(_run_chunk, fn, [job]).result()[0]
            except BrokenProcessPool:
                executor.broken = True
                yield job, Died(job)


def _run_until_broken(executor: "_Executor", fn: Callable[[Any], Any], pending: deque, most: int) -> Iterator[tuple[Any, Any]]:
    """Run chunks from `pending` until it is empty or a worker dies; returns the jobs whose outcome the
    death left unknown (and puts nothing back: those jobs are the caller's to run again)."""
    running: dict[Future, list] = {}
    try:
        while pending or running:
            while pending and len(running) < most:
                chunk = pending.popleft()
                running[executor.submit(_run_chunk, fn, chunk)] = chunk
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk = running.pop(future)
                try:
                    results = future.result()
                except BrokenProcessPool:
                    running[future] = chunk
                    raise
                yield from zip(chunk, results)
    except BrokenProcessPool:
        # Every chunk still running is a suspect, and so are chunks queued behind them: the executor
        # broke them all. Those not yet submitted stay in `pending` for a fresh executor.
        return [job for chunk in running.values() for job in chunk]
    return []


class _Executor:
    """A ProcessPoolExecutor that can be started again after a worker died, and that shuts down without
    waiting for running work when left by an exception (Ctrl-C must not wait for a worker that may never
    finish)."""

    def __init__(self, workers, context, initializer, initargs):
        self._args = dict(max_workers=workers, mp_context=context, initializer=_start_worker,
                          initargs=(initializer, initargs))
        self.broken = False
        self._pool = ProcessPoolExecutor(**self._args)

    def submit(self, *args) -> Future:
        return self._pool.submit(*args)

    def restart(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(**self._args)
        self.broken = False

    def __enter__(self) -> "_Executor":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self._pool.shutdown(wait=kind is None, cancel_futures=True)


def _start_worker(initializer: Callable | None, initargs: tuple) -> None:
    """Runs first in each worker: it ends with its parent, then runs the caller's initializer.

    A worker of a parent killed outright (kill -9, the OOM killer) would otherwise wait for work forever,
    holding memory and the parent's stdout and stderr open, so whoever waits for the parent's output hangs.
    """
    parent = mp.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_when_gone, args=(parent.sentinel,), daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _exit_when_gone(sentinel: int) -> None:
    wait_for_ready([sentinel])
    os._exit(1)


def _run_chunk(fn: Callable[[Any], Any], chunk: list) -> list:
    return [fn(job) for job in chunk]


def _chunks(jobs: list, size: int) -> Iterable[list]:
    return (jobs[k:k + size] for k in range(0, len(jobs), max(1, size)))
