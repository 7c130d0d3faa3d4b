"""Candidate search: which pairs of panels a preset's rules measure at all.

Exhaustive search (no index) lets each rule's kernel walk every pair behind its
lower bounds: exact, and fast to about 20,000 drawings, but it grows as n^1.5-1.6.
`NeighbourIndex` instead looks each drawing's nearest neighbours up in an HNSW
graph (faiss) over a small vector drawn from its edge map, and the rules then
measure only those pairs, exactly as before. Building and querying the graph
grow as about n log n, and measuring as n times the neighbours asked for.

The vector is the edge map's ink per cell of a coarse grid, lightly blurred and
scaled to unit length: two copies of one drawing, recoloured, moved a pixel or
partly redrawn, have nearly the same ink in nearly the same cells, so each is
among the other's nearest few; a mirrored copy is found by querying with the
mirrored map's vector. A drawing reused more often than the neighbours asked
for is asked again with twice as many, for as long as half of what came back
linked, so large groups of reuse are not cut off at k.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol, runtime_checkable

import cv2
import numpy as np

from visualdistance.analysis import kernels
from visualdistance.analysis.kernels import in_sorted, unique_sorted
from visualdistance.analysis.signatures.base import mirror_name

Sigs = dict[str, np.ndarray]
#: linked(a, b): of candidate pairs (rows of the searched signatures), the rows (a, b) of those that link
Linked = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
#: graph(direct, mirrored): what answers `pairs(rows, k, source)` over those vectors (`Neighbours`, or the same
#: built and asked on a cluster: loader/dask_link.DaskNeighbours)
Graph = Callable[[np.ndarray, "np.ndarray | None"], "Neighbours"]


@runtime_checkable
class CandidateSearch(Protocol):
    """How a preset finds the pairs its rules measure, instead of measuring every pair (a preset's `index`).

    `find_links` asks `used_for(n)` for the n panels that pass the gates; when
    True it calls `candidates` with their signature rows (at least `needs()`),
    their sources and `linked`, which measures proposed pairs with the
    preset's rules. The rules decide every link; a search only chooses which
    pairs are measured, so a pair it never proposes is a link lost.
    """

    def describe(self) -> str:
        """One line saying how pairs are found (the run record, `presets`, the report)."""

    def needs(self) -> tuple[str, ...]:
        """The signature arrays it reads."""

    def used_for(self, n: int) -> bool:
        """Whether n panels are searched this way (else every pair is measured)."""

    def candidates(self, sigs: Sigs, source: np.ndarray, linked: Linked, graph: Graph | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The linked pairs (a, b), rows of `sigs`, a < b, among those it proposes; rows of one source never pair.
        graph: where its neighbour graph is built and asked (default: here)."""


@dataclass(frozen=True)
class NeighbourIndex:
    """Nearest-neighbour candidate search over drawings' edge maps.

    signature: packed bit maps of `shape` (and their mirrored rows, which are
    also queried); grid: cells per side of the vector; blur: Gaussian sigma in
    cells; k: neighbours asked for per drawing and orientation at first;
    widen_at: share of those that must link for a drawing to be asked again
    with twice as many; from_drawings: below this many drawings every pair
    is measured instead.
    """

    signature: str = "drawing_edges"
    shape: tuple[int, int] = (128, 128)
    grid: int = 8
    blur: float = 0.5
    k: int = 32
    widen_at: float = 0.5
    #: fewer drawings than this are all compared with each other: exact, and as fast (the index
    #: catches up with every pair at about 10,000 drawings on 2 cores, bench/RESULTS.md)
    from_drawings: int = 10_000

    def describe(self) -> str:
        return (
            f"from {self.from_drawings:,} drawings on, the nearest {self.k} (and their mirror images' nearest) "
            f"by {self.grid}x{self.grid} edge density, asked again with twice as many while half of them link"
        )

    def used_for(self, n: int) -> bool:
        """Whether n drawings are searched through the index (else every pair is measured)."""
        return n >= self.from_drawings

    def needs(self) -> tuple[str, ...]:
        return self.signature, mirror_name(self.signature)

    def candidates(self, sigs: Sigs, source: np.ndarray, linked: Linked, graph: Graph | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Linked pairs among each drawing's `k` nearest neighbours, asking again with twice as many
        neighbours for the drawings that linked to at least `widen_at` of them (a drawing reused often).
        graph: builds the neighbour graph from the vectors (default `Neighbours`, here)."""
        neighbours = (graph or Neighbours)(*self.vectors(sigs))
        m = len(neighbours)
        rows, k = np.arange(m), self.k
        tried = np.empty(0, np.int64)
        found = np.empty(0, np.int64)
        while len(rows):
            a, b = neighbours.pairs(rows, k, source)
            key = a * m + b
            fresh = ~in_sorted(key, tried)
            tried = unique_sorted(np.concatenate([tried, key]))
            la, lb = linked(a[fresh], b[fresh])
            found = unique_sorted(np.concatenate([found, np.asarray(la, np.int64) * m + lb]))
            if k + 1 >= m:
                break
            degree = np.bincount(np.concatenate([found // m, found % m]), minlength=m)
            rows = rows[degree[rows] >= self.widen_at * k]
            k *= 2
        return found // m, found % m

    def build(self, sigs: Sigs) -> "Neighbours":
        """The index over every row of `sigs` (the panels that may link)."""
        return Neighbours(*self.vectors(sigs))

    def vectors(self, sigs: Sigs) -> tuple[np.ndarray, np.ndarray | None]:
        """(direct, mirrored) vectors of every row of `sigs` (`edge_density_vectors`; mirrored None without the
        mirrored maps): what the graph is built over and asked with."""
        direct = edge_density_vectors(sigs[self.signature], self.shape, self.grid, self.blur)
        name = mirror_name(self.signature)
        mirrored = edge_density_vectors(sigs[name], self.shape, self.grid, self.blur) if name in sigs else None
        return direct, mirrored


def edge_density_vectors(bits: np.ndarray, shape: tuple[int, int], grid: int, blur: float) -> np.ndarray:
    """(n, grid * grid) float32 unit vectors: set bits per cell of packed (h, w) maps, blurred.

    A map with no set bit gives a zero vector (it is nobody's near neighbour).
    """
    h, w = shape
    if h % grid or w % grid or h // grid != w // grid:
        raise ValueError(f"a {h}x{w} map does not split into a {grid}x{grid} grid of square cells")
    cells = kernels.tile_counts(bits, shape, h // grid)[:, : grid * grid].astype(np.float32)
    if blur > 0:
        cells = np.stack([cv2.GaussianBlur(c, (0, 0), blur) for c in cells.reshape(-1, grid, grid)])
    out = cells.reshape(len(bits), grid * grid)
    out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return out


class Neighbours:
    """An HNSW graph over drawing vectors, asked for each row's nearest others."""

    M = 16  # graph degree and build effort: more bought no recall on the shared sets or the scale corpus
    EF_CONSTRUCTION = 40

    def __init__(self, direct: np.ndarray, mirrored: np.ndarray | None) -> None:
        import faiss  # a 0.3 s import, needed only when an index is used

        self.direct = np.ascontiguousarray(direct, np.float32)
        self.mirrored = None if mirrored is None else np.ascontiguousarray(mirrored, np.float32)
        self.index = faiss.IndexHNSWFlat(self.direct.shape[1], self.M, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = self.EF_CONSTRUCTION
        # One thread while building: the graph (and so every candidate) is then the
        # same on every run, which incremental runs and tests rely on.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            self.index.add(self.direct)
        finally:
            faiss.omp_set_num_threads(threads)

    def __len__(self) -> int:
        return len(self.direct)

    def pairs(self, rows: np.ndarray, k: int, source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs (a, b), a < b, unique: each listed row with its k nearest rows, direct and mirrored.

        Rows of one source (frames of one file) are never paired.
        """
        rows = np.asarray(rows, np.int64)
        k = min(k + 1, len(self))  # the row itself comes back first
        if len(rows) == 0 or k < 2:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return pairs_of_nearest(rows, self.nearest(rows, k), source, len(self))

    def nearest(self, rows: np.ndarray, k: int) -> np.ndarray:
        """(len(rows), k or 2k) int64: each row's k nearest rows (the row itself among them), then its mirror
        image's k nearest when there are mirrored vectors; -1 where the graph found fewer."""
        self.index.hnsw.efSearch = max(64, 2 * k)
        found = [self.index.search(self.direct[rows], k)[1]]
        if self.mirrored is not None:
            found.append(self.index.search(self.mirrored[rows], k)[1])
        return np.concatenate(found, axis=1).astype(np.int64)


def pairs_of_nearest(rows: np.ndarray, near: np.ndarray, source: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (a, b), a < b, unique, of `rows` and their `near` rows ((len(rows), m), -1 for none), rows of
    a table of n; a row is not its own pair, and rows of one `source` never pair."""
    q = np.repeat(rows, near.shape[1])
    c = near.reshape(-1).astype(np.int64)
    source = np.asarray(source)
    ok = (c >= 0) & (c != q)
    ok[ok] &= source[q[ok]] != source[c[ok]]
    q, c = q[ok], c[ok]
    keys = unique_sorted(np.minimum(q, c) * n + np.maximum(q, c))
    return keys // n, keys % n
