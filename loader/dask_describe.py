"""Describing on a Dask cluster: batches of files go to `dask.distributed` workers.

The client keeps what a local run keeps: it writes the feature store (one
writer, so no shard is ever written twice at once), counts progress and
flushes on Ctrl-C. Workers read each file from a path they see too (a shared
file system), hash it, and decode it once when any signature set's store lacks
it, to describe it with those sets, exactly as a local worker process does
(extract._work), so the rows are the same bytes. A worker lost mid-batch costs
that batch a retry on another worker (Dask reschedules it); what the client had
is kept. A lost scheduler ends the run with cluster.ClusterLost once what
arrived is in the store.
"""

from __future__ import annotations

from typing import Iterator

from visualdistance.loader.cluster import finished, tune_worker_malloc

#: files per task at least: the scheduler handles a few hundred tasks a second, so a batch of this many
#: keeps its overhead small against describing (about 5-20 ms a file), yet spreads a few
#: thousand files over every worker.
BATCH = 16


def batch_size(files: int, threads: int) -> int:
    """Files per task for `files` files on `threads` worker threads.

    The scheduler's share of a run is threads / (batch x tasks/s x seconds a file); measured on 2 shared
    cores (bench/RESULTS.md) at 460 tasks/s and 10 ms a file, that is under 10% from a batch of twice the
    threads on. Larger batches than a quarter of each thread's files would leave threads idle at the end."""
    return max(BATCH, min(2 * threads, files // max(1, 4 * threads)))


def _describe_batch(jobs: list[tuple[int, str]], sets, all_frames: bool, known: tuple[frozenset[str], ...]) -> list:
    from visualdistance.loader import extract

    tune_worker_malloc()
    # A worker process keeps its settings between batches; set them when they differ.
    if extract._worker_sets != sets or extract._worker_all_frames != all_frames or extract._worker_known is not known:
        extract._init_worker(sets, all_frames, known)
    return [extract._work(job) for job in jobs]


def describe_on_dask(client, jobs: list[tuple[int, str]], sets, all_frames: bool, known: tuple[frozenset[str], ...],
                     batch: int | None = None) -> Iterator:
    """The outcome (extract._Done) of every job, in the order they finish, from the cluster behind `client`,
    `batch` jobs per task (default: `batch_size` for the cluster's threads). sets: the signature sets; known:
    per set, the content hashes its store serves. A lost scheduler raises cluster.ClusterLost after the
    outcomes received before it."""
    if batch is None:
        threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
        batch = batch_size(len(jobs), threads)
    # one copy per worker, not one per task (a list: scatter would spread a bare collection item by item);
    # a key of its own (hash=False): an earlier run's equal set, being released, would take this one with it
    shared_known = client.scatter([known], broadcast=True, hash=False)[0]
    batches = [jobs[i:i + batch] for i in range(0, len(jobs), batch)]
    futures = client.map(_describe_batch, batches, sets=sets, all_frames=all_frames,
                         known=shared_known, pure=False, retries=2)
    for _, outcomes in finished(client, futures):
        yield from outcomes
