"""Linking on a Dask cluster: the blocks of analysis/blocks.py go to the workers, the links come back.

Each block's signature rows are sent to the cluster once (scattered); a
task names the one or two blocks it links, so a worker fetches those and
never the whole corpus. When the preset has a candidate index, its vectors
(64 numbers a panel) are drawn on the client, its neighbour graph is built by
one task on a worker (`DaskNeighbours`) and asked in blocks of rows by others,
and the measuring of its candidates goes to the workers round by round.
Communities and writing stay on the client. A worker lost mid-task costs that
task a retry (a lost graph is built again); a lost scheduler raises
cluster.ClusterLost.
"""

from __future__ import annotations

from urllib.parse import urlparse

import numpy as np

from visualdistance.analysis.blocks import BLOCK_ROWS, Block, Task, blocked_links, link_block
from visualdistance.analysis.data import Links
from visualdistance.analysis.linking import Preset, find_links
from visualdistance.analysis.rules import Sigs
from visualdistance.analysis.search import Neighbours
from visualdistance.loader.cluster import ClusterLost, finished, tune_worker_malloc


def _link_task(first: Block, second: Block | None, preset: Preset, pairs):
    from visualdistance.analysis.image_ops import limit_opencv_threads

    limit_opencv_threads()  # one task per worker thread already
    tune_worker_malloc()
    return link_block(first, second, preset, pairs)


def _build_graph(direct: np.ndarray, mirrored: np.ndarray | None) -> Neighbours:
    tune_worker_malloc()
    return Neighbours(direct, mirrored)


def _nearest(graph: Neighbours, rows: np.ndarray, k: int) -> np.ndarray:
    import faiss

    faiss.omp_set_num_threads(1)  # one task per worker thread already; each query is answered alike on any count
    return graph.nearest(rows, k)


class DaskNeighbours(Neighbours):
    """`search.Neighbours` with its graph built by a task on a worker and asked there in blocks of QUERY_ROWS rows:
    the same graph (built on one thread, as here) and so the same candidates. The graph is a task's result, not
    scattered data: a worker lost with it costs a rebuild, not the run."""

    QUERY_ROWS = 20_000  # a task answers this many rows' queries: about a second of one core at k = 32

    def __init__(self, client, direct: np.ndarray, mirrored: np.ndarray | None) -> None:
        self.client, self.rows = client, len(direct)
        self.graph = client.submit(_build_graph, direct, mirrored, pure=False, retries=2)

    def __len__(self) -> int:
        return self.rows

    def nearest(self, rows: np.ndarray, k: int) -> np.ndarray:
        parts = [rows[i:i + self.QUERY_ROWS] for i in range(0, len(rows), self.QUERY_ROWS)]
        futures = [self.client.submit(_nearest, self.graph, part, k, pure=False, retries=2) for part in parts]
        done = dict(finished(self.client, futures))
        return np.concatenate([done[f] for f in futures])


class DaskRun:
    """`blocks.Run` on the cluster behind `client`: blocks scattered at the first call, tasks submitted, results
    as they finish (their order does not matter: the links are merged and sorted).

    Scattered data lives on one worker and cannot be computed again: a worker that dies takes its blocks
    with it, and the tasks that needed them fail. The client still holds every block, so it scatters them
    again and runs the tasks not yet done, up to RESCATTERS times; only a lost scheduler ends the run.
    """

    RESCATTERS = 2

    def __init__(self, client, preset: Preset) -> None:
        self.client, self.preset = client, preset
        self.blocks: list | None = None  # the scattered blocks' futures
        self._preset = None

    def scatter(self, blocks: list[Block]) -> None:
        """Send the blocks (each to one worker) and the preset (to every worker) to the cluster."""
        # new keys each time (hash=False): a lost block's old key may still be in the scheduler's books
        self.blocks = self.client.scatter(blocks, hash=False)
        self._preset = self.client.scatter(self.preset, broadcast=True, hash=False)

    def __call__(self, blocks: list[Block], tasks: list[Task]) -> list[tuple[Links, np.ndarray, np.ndarray]]:
        done: dict[int, tuple] = {}
        for attempt in range(self.RESCATTERS + 1):
            if self.blocks is None:
                self.scatter(blocks)
            futures = {self._submit(tasks[k]): k for k in range(len(tasks)) if k not in done}
            try:
                for future, result in finished(self.client, list(futures)):
                    done[futures[future]] = result
                return [done[k] for k in range(len(tasks))]
            except ClusterLost:
                if attempt == self.RESCATTERS or self.client.status != "running":
                    raise  # the scheduler itself is gone, or workers keep dying
                self.blocks = None

    def graph(self, direct: np.ndarray, mirrored: np.ndarray | None) -> DaskNeighbours:
        """An index's neighbour graph over these vectors, built and asked on the cluster (search.Graph)."""
        return DaskNeighbours(self.client, direct, mirrored)

    def _submit(self, task: Task):
        second = None if task.first == task.second else self.blocks[task.second]
        return self.client.submit(_link_task, self.blocks[task.first], second, self._preset, task.pairs,
                                  pure=False, retries=2)


def block_rows(n: int, threads: int, indexed: bool = False) -> int:
    """Rows per block for n panels on `threads` worker threads: at most BLOCK_ROWS (a task's memory), and few
    enough that every thread gets a few pairs of blocks (two blocks per thread make 2t^2 + t tasks).

    indexed: the pairs are an index's candidates, so a task costs its panels' own work (dilated edge maps,
    tile counts: about 0.2 ms a panel) more than its pairs (a few microseconds each), and every block a panel
    meets does that work again. One block per thread then (t(t+1)/2 tasks, about even: a block with itself
    holds half the pairs of two blocks): at 12,296 panels on 2 threads, 3 tasks linked in 5.4 s of one core
    against 9-12 s for 10 (bench/RESULTS.md)."""
    per_thread = 1 if indexed else 2
    return max(1, min(BLOCK_ROWS, -(-n // (per_thread * max(1, threads)))))


#: fewer panels than this are linked here, whole: one block's every pair takes a core a second or two, less than
#: the cluster's fixed cost of linking (its workers load the compiled kernels: 2-6 s measured, bench/RESULTS.md)
LINK_HERE_BELOW = BLOCK_ROWS


#: worker hosts that are this machine (a LocalCluster binds 127.0.0.1)
THIS_MACHINE = frozenset({"127.0.0.1", "localhost", "::1"})


def on_this_machine(client) -> bool:
    """Whether every worker of the cluster behind `client` runs on this machine. Such a cluster has no core the
    client lacks: linking here, with numba's threads on the same cores, is faster than sending it blocks and
    having each worker load the compiled kernels (10,000 files on 2 cores: link 4.0-4.6 s here against
    10.6-12.1 s on a 2-worker LocalCluster, bench/RESULTS.md)."""
    workers = client.scheduler_info()["workers"]
    return bool(workers) and all(urlparse(address).hostname in THIS_MACHINE for address in workers)


def link_on_dask(client, sigs: Sigs, source: np.ndarray, preset: Preset, size: int | None = None) -> Links:
    """find_links(sigs, source, preset) in blocks of `size` rows (default: `block_rows` for the cluster's
    threads) on the cluster: the same links, field for field. A preset that is not pairwise needs every panel
    at once, and without a `size` fewer than LINK_HERE_BELOW panels, or a cluster `on_this_machine`, gain
    nothing from the cluster: those are linked here, whole."""
    if size is None and (len(source) < LINK_HERE_BELOW or on_this_machine(client)):
        return find_links(sigs, source, preset)
    if size is None:
        threads = sum(w["nthreads"] for w in client.scheduler_info()["workers"].values())
        size = block_rows(len(source), threads, preset.index is not None and preset.index.used_for(len(source)))
    found = blocked_links(sigs, source, preset, DaskRun(client, preset), size)
    return find_links(sigs, source, preset) if found is None else found
