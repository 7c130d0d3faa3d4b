"""Linking in blocks: `find_links`'s work cut into tasks that each read a few thousand panels' rows.

The panels are cut into blocks of rows; a task links the pairs inside one
block or between two (`link_block`), reading only those blocks' signature
rows. Without an index every pair of blocks is a task (pairs inside a block
with one file's frames, or only earlier panels in a relink, are skipped);
with one, the index proposes candidate pairs as `find_links` has it ask,
and each round's pairs go to the task of the two blocks they fall in.

A pair's link depends only on its two panels' rows when the preset is
`pairwise` (thresholds and gates are per panel), so the links of the tasks,
put together, are `find_links`'s links, field for field. Presets scaled by
corpus means are linked whole (`blocked_links` says so by returning None).
`run` runs the tasks: in order here, or on a Dask cluster (loader/dask_link).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from visualdistance.analysis.data import Links, concat_rows
from visualdistance.analysis.linking import Preset, _passes, links_among, measure_links, merge_links, pairwise
from visualdistance.analysis.rules import Sigs

#: rows per block: two blocks of the default preset's rows are about 90 MB in a task, and 100,000 panels make
#: about 1,300 pairs of blocks, each a few seconds of one core
BLOCK_ROWS = 4000


@dataclass(frozen=True)
class Block:
    """Some panels' rows: where they are in the whole table (ascending), their files, their signature rows."""

    rows: np.ndarray
    source: np.ndarray
    sigs: Sigs


@dataclass(frozen=True)
class Task:
    """Link the pairs between blocks `first` and `second` (equal: inside one block): every pair, or `pairs`
    (a, b), rows of the whole table."""

    first: int
    second: int
    pairs: tuple[np.ndarray, np.ndarray] | None = None


#: run(blocks, tasks): link_block's result for each task, in the tasks' order. A run may also have a `graph`
#: (search.Graph): where an index's neighbour graph is built and asked; without one, here.
Run = Callable[[list[Block], list[Task]], list[tuple[Links, np.ndarray, np.ndarray]]]


def split(sigs: Sigs, source: np.ndarray, preset: Preset, size: int = BLOCK_ROWS) -> list[Block]:
    """The panels cut into blocks of `size` rows, holding the signatures the preset describes and those its
    metrics read (a report metric's distance is recorded wherever its signature was described).

    Rows are taken in order of their source, so a file's frames (and, in a relink, every earlier panel,
    source -1) sit together and pair with nothing inside their block."""
    wanted = {n for s in preset.signatures for n in s.describe_all_names()} | {n for m in preset.metrics for n in m.needs()}
    names = [n for n in sigs if n in wanted]
    order = np.argsort(np.asarray(source), kind="stable")
    cuts = [np.sort(order[i:i + size]) for i in range(0, len(order), max(1, size))]
    return [Block(rows, np.asarray(source)[rows], {n: sigs[n][rows] for n in names}) for rows in cuts]


def link_block(first: Block, second: Block | None, preset: Preset, pairs=None) -> tuple[Links, np.ndarray, np.ndarray]:
    """The links between two blocks' panels (second None: inside one block), among every such pair or among
    `pairs` (a, b), rows of the whole table. Returns them as `find_links` would (rows of the whole table, a < b,
    sorted) and the pairs (a, b) some rule linked, links or not (what an index's widening counts)."""
    rows, source, sigs, side = _joined(first, second)
    if pairs is not None:
        rows, source, sigs = _named_only(rows, source, sigs, pairs)
    if pairs is None:
        # Across two blocks, pairs inside either are the other tasks': one label per block keeps the kernels
        # off them, and pairs of one file split by the cut are dropped below.
        links, keep = links_among(sigs, source if second is None else side, preset)
    else:
        a, b = (np.searchsorted(rows, np.asarray(x, np.int64)) for x in pairs)
        links, keep = links_among(sigs, source, preset, (a, b))
    apart = source[links.a] != source[links.b]
    linked = links.take(apart)
    kept = links.take(keep & apart)
    kept.a, kept.b = rows[kept.a].astype(np.int32), rows[kept.b].astype(np.int32)
    return kept, rows[linked.a], rows[linked.b]


def _joined(first: Block, second: Block | None) -> tuple[np.ndarray, np.ndarray, Sigs, np.ndarray]:
    """One block, or two as one in the whole table's order (so a < b stays a < b): rows, sources, signature
    rows, and which block each row came from."""
    if second is None:
        return first.rows, first.source, first.sigs, np.zeros(len(first.rows), np.int64)
    rows = np.concatenate([first.rows, second.rows])
    order = np.argsort(rows, kind="stable")
    side = np.repeat([0, 1], [len(first.rows), len(second.rows)])[order]
    sigs = {n: concat_rows([first.sigs[n], second.sigs[n]])[order] for n in first.sigs}
    return rows[order], np.concatenate([first.source, second.source])[order], sigs, side


def _named_only(rows: np.ndarray, source: np.ndarray, sigs: Sigs, pairs) -> tuple[np.ndarray, np.ndarray, Sigs]:
    """The rows (ascending), sources and signature rows of the panels some pair (a, b) of `pairs` names.

    A task's per-panel work (dilating edge maps, counting their tiles) is then paid for the panels its
    candidates hold, not for both blocks whole: an index's candidates of one panel fall in few blocks."""
    keep = np.unique(np.searchsorted(rows, np.concatenate([np.asarray(x, np.int64) for x in pairs])))
    if len(keep) == len(rows):
        return rows, source, sigs
    return rows[keep], source[keep], {n: v[keep] for n, v in sigs.items()}


def every_pair_tasks(blocks: list[Block]) -> list[Task]:
    """A task per pair of blocks (a block with itself included), but none where every panel of both is of
    one source: such panels never pair."""
    only = [b.source[0] if len(b.source) and (b.source == b.source[0]).all() else None for b in blocks]
    return [Task(i, j) for i in range(len(blocks)) for j in range(i, len(blocks))
            if only[i] is None or only[i] != only[j]]


def pair_tasks(blocks: list[Block], a: np.ndarray, b: np.ndarray, n: int) -> list[Task]:
    """Candidate pairs (a, b), rows of a table of n, as one task per pair of blocks they fall in."""
    block_of = np.empty(n, np.int64)
    for k, block in enumerate(blocks):
        block_of[block.rows] = k
    i, j = np.minimum(block_of[a], block_of[b]), np.maximum(block_of[a], block_of[b])
    order = np.lexsort((j, i))
    a, b, i, j = a[order], b[order], i[order], j[order]
    starts = np.flatnonzero(np.r_[True, (i[1:] != i[:-1]) | (j[1:] != j[:-1])]) if len(a) else np.empty(0, np.int64)
    ends = np.r_[starts[1:], len(a)]
    return [Task(int(i[s]), int(j[s]), (a[s:e], b[s:e])) for s, e in zip(starts, ends)]


def run_here(blocks: list[Block], tasks: list[Task], preset: Preset) -> list[tuple[Links, np.ndarray, np.ndarray]]:
    """Each task's link_block, one after another in this process."""
    return [link_block(blocks[t.first], None if t.first == t.second else blocks[t.second], preset, t.pairs)
            for t in tasks]


def blocked_links(sigs: Sigs, source: np.ndarray, preset: Preset, run: Run, size: int = BLOCK_ROWS) -> Links | None:
    """`find_links(sigs, source, preset)` with its pairs linked in blocks of `size` rows by `run`; the same
    links, field for field. None when the preset is not `pairwise` (its links need every panel at once)."""
    if not pairwise(preset):
        return None
    source = np.asarray(source)
    n = len(source)
    blocks = split(sigs, source, preset, size)
    idx = np.flatnonzero(_passes(preset.gates, sigs, n))
    if preset.index is None or not preset.index.used_for(len(idx)):
        parts = [links for links, _, _ in run(blocks, every_pair_tasks(blocks))]
    else:
        parts = []

        def linked_rows(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            done = run(blocks, pair_tasks(blocks, idx[a], idx[b], n))
            parts.extend(links for links, _, _ in done)
            la = np.concatenate([x for _, x, _ in done] + [np.empty(0, np.int64)])
            lb = np.concatenate([y for _, _, y in done] + [np.empty(0, np.int64)])
            return np.searchsorted(idx, la), np.searchsorted(idx, lb)

        # the index's vectors are small (64 numbers a panel) and drawn here; its graph is built and asked where
        # `run` says (a cluster's run has a `graph`), and the measuring goes to the tasks
        preset.index.candidates({k: sigs[k][idx] for k in preset.index.needs() if k in sigs}, source[idx], linked_rows,
                                getattr(run, "graph", None))
    # nothing linked: the empty table find_links measures, with the preset's fields
    return merge_links(parts or [measure_links(sigs, np.empty(0, np.int32), np.empty(0, np.int32), preset)])
