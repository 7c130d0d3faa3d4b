"""What describing and linking on a Dask cluster share: results as they finish, and one error for a lost cluster.

A scheduler that goes away mid-run (a crash, a reboot, a network cut) or a
batch whose workers kept dying surfaces from `distributed` as one of several
exceptions, depending on what the client was doing at that moment; each
becomes `ClusterLost`, which the CLI says in one line (exit 1). What the
client received before that is the caller's to keep (the feature store
flushes it), so the next run resumes.
"""

from __future__ import annotations

from concurrent.futures import CancelledError
from typing import Iterator


class ClusterLost(Exception):
    """The Dask cluster stopped answering mid-run: the scheduler is gone, or a batch's workers kept dying."""


def _lost() -> tuple[type[BaseException], ...]:
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker

    # a connection closed under a request, or a future the client gave up on after failing to reconnect
    # (cancelled); an OSError a task itself raised is the task's, and stays what it is
    return CommClosedError, CancelledError, KilledWorker


def finished(client, futures: list) -> Iterator:
    """(future, its result) as each finishes; ClusterLost (naming why) when the cluster is lost on the way.
    The futures are cancelled at the end, finished or not, so nothing runs on for a client that stopped."""
    from distributed import as_completed

    lost = _lost()
    pending = as_completed(futures)
    try:
        while True:
            try:
                future = next(pending)
                result = future.result()
            except StopIteration:
                return
            except lost as exc:
                raise ClusterLost(_reason(exc)) from exc
            yield future, result  # outside the try: what the caller does with it is not the cluster's doing
    finally:
        try:
            client.cancel(futures)
        except lost:
            pass  # nobody left to tell


def _reason(exc: BaseException) -> str:
    """Why, in a few words: distributed's own texts name futures and connection objects."""
    name = type(exc).__name__
    if name == "KilledWorker":
        return "the workers running one batch kept dying"
    if getattr(exc, "reason", None):  # a future cancelled by the client, e.g. 'scheduler-connection-lost'
        return str(exc.reason).replace("-", " ")
    text = str(exc).splitlines()[0].rsplit(">: ", 1)[-1] if str(exc) else ""  # CommClosedError: 'in <TCP ...>: why'
    return text or name


def local_cluster(workers: int):
    """A `distributed.LocalCluster` of `workers` single-threaded worker processes on 127.0.0.1, quiet: no
    dashboard, its HTTP routes on a free port (8787 may be another cluster's), its logs off the terminal."""
    import logging

    import distributed

    return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=":0", scheduler_kwargs={"dashboard": False},
                                    silence_logs=logging.CRITICAL)


_malloc_tuned = False


def tune_worker_malloc() -> None:
    """Undo what Dask's nanny does to a worker's memory allocator, once per process (glibc only; else nothing).

    The nanny starts workers with MALLOC_TRIM_THRESHOLD_=65536, which also fixes glibc's mmap threshold at
    128 KiB: every image-sized array is then mmapped fresh and its pages faulted in again, and describing
    costs 1.8x the CPU it costs in a plain process (measured: 150 files, 3.05 s against 1.67 s). Setting the
    thresholds where glibc's own adjustment would take them (32 MiB mmap, 64 MiB trim) gives it back,
    however the worker was started."""
    global _malloc_tuned
    if _malloc_tuned:
        return
    _malloc_tuned = True
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return  # not glibc: nothing was fixed, nothing to undo
    m_trim_threshold, m_mmap_threshold = -1, -3  # malloc.h
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 64 << 20)
