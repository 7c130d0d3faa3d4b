"""How far two drawings' edges lie from each other once aligned (`EdgeChamfer`), and how specific a match is
to that alignment (`AlignmentContrast`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualdistance.analysis import kernels
from visualdistance.analysis.image_ops import dilate_bits
from visualdistance.analysis.rules.metric import Metric, Sigs
from visualdistance.analysis.signatures.base import mirror_name


@dataclass(frozen=True)
class EdgeChamfer(Metric):
    """How far one drawing's edges lie from the other's, once the two are aligned, in [0, 1].

    b is moved by up to `reach` whole pixels to where the most edge pixels
    coincide (centring on a drawing can be a pixel off); then each edge pixel
    (of either drawing) costs its distance to the nearest edge of the other,
    less `slack`, capped at tau - slack, and the mean cost over tau - slack is
    the distance (a truncated chamfer distance). Exact copies score 0; a line
    that moved by up to `slack` pixels costs nothing (a drawing shrunk to the
    working size lands on different pixels as it moves by a fraction of
    one); a line that isn't there at all costs the most. Recolours move no
    line, so they score low whatever the colours.

    All pairs: the kernel finds candidates by the same average taken without
    moving b but with the edges dilated by `reach` more: that can only
    underestimate this distance, so nothing is missed; each candidate is then
    measured exactly.
    """

    signature: str = "drawing_edges"
    reach: int = 1
    tau: int = 3
    mirror: bool = True
    shape: tuple[int, int] = (128, 128)
    slack: int = 0

    def __post_init__(self) -> None:
        if not (self.reach >= 1 and 0 <= self.slack < self.tau):
            raise ValueError(f"EdgeChamfer needs reach >= 1 and 0 <= slack < tau, got {self}")

    def needs(self) -> tuple[str, ...]:
        return (self.signature, mirror_name(self.signature)) if self.mirror else (self.signature,)

    def drawable(self):
        return self.signature, self.shape

    def _dilations(self, edges: np.ndarray, radii: range) -> np.ndarray:
        """(len(radii), n, w) of edges' words: the rows dilated by each radius, written in place (a stack of
        copies of 26 MB arrays at 13,000 drawings cost more than the dilating)."""
        out = np.empty((len(radii),) + edges.shape, edges.dtype)
        for k, r in enumerate(radii):
            dilate_bits(edges, self.shape, r, out=out[k])
        return out

    @property
    def _radii(self) -> range:
        """Dilation radii the exact measure averages over (radius 0 is counted without one)."""
        return range(max(1, self.slack), self.tau)

    def all_pairs(self, sigs, thresholds, source):
        return self.search(sigs, thresholds, source)[:2]

    def search(self, sigs, thresholds, source, pairs=None):
        if pairs is None:
            return self._search(sigs, thresholds, source)
        # Only the rows the candidate pairs name are dilated: an index asks again for the few drawings
        # reused most, and dilating every row for those cost more than measuring them.
        a, b = (np.asarray(x, np.int64) for x in pairs)
        source = np.asarray(source)
        named = np.zeros(len(source), bool)
        named[a] = named[b] = True
        rows = np.flatnonzero(named)
        if len(rows) == len(source):
            return self._search(sigs, thresholds, source, (a, b))
        sub = {name: np.asarray(sigs[name])[rows] for name in self.needs()}
        t = np.broadcast_to(np.asarray(thresholds, np.float64), source.shape)[rows]
        ra, rb, direct, mirrored = self._search(sub, t, source[rows], (np.searchsorted(rows, a), np.searchsorted(rows, b)))
        return rows[ra].astype(np.int32), rows[rb].astype(np.int32), direct, mirrored

    def _search(self, sigs, thresholds, source, pairs=None):
        # One stack of dilations (radii 1 .. reach + tau - 1) serves both the
        # candidate bound (each measured radius plus reach) and the exact measure.
        stack_radii = range(1, self.reach + self.tau)
        edges = sigs[self.signature]
        stack = self._dilations(edges, stack_radii)
        m_edges = sigs[mirror_name(self.signature)] if self.mirror else None
        m_stack = self._dilations(m_edges, stack_radii) if self.mirror else None
        # stack[k] is radius k + 1
        wide = slice(self.reach + self.slack - 1, None)
        a, b, _ = kernels.chamfer_links(
            edges, stack[wide], thresholds, self.shape, m_edges, m_stack[wide] if self.mirror else None, source, pairs
        )
        near = slice(self._radii.start - 1, self._radii.stop - 1)
        direct, mirrored = self._measure(edges, stack[near], m_edges, m_stack[near] if self.mirror else None, a, b)
        t = np.maximum(np.asarray(thresholds, float)[a], np.asarray(thresholds, float)[b])
        keep = np.minimum(direct, mirrored) < t
        return a[keep], b[keep], direct[keep], mirrored[keep]

    def distances(self, sigs, a, b):
        return self._measure(*self.maps(sigs), a, b)

    def maps(self, sigs: Sigs) -> tuple:
        """(edges, their dilations over `_radii`, mirrored edges, theirs) of every row: what the measures read
        (the mirrored pair None without `mirror`). Dilating is the costly part; a caller measuring twice keeps them."""
        edges = sigs[self.signature]
        m_edges = sigs[mirror_name(self.signature)] if self.mirror else None
        return (edges, self._dilations(edges, self._radii),
                m_edges, self._dilations(m_edges, self._radii) if self.mirror else None)

    def off_alignment(self, maps: tuple, a: np.ndarray, b: np.ndarray, offsets: np.ndarray, mirrored: bool = False) -> np.ndarray:
        """The smallest distance with b (its mirror image when `mirrored`) moved by each of `offsets` instead
        of aligned. maps: `self.maps(sigs)`."""
        edges, dilated, m_edges, m_dilated = maps
        other, other_dilated = (m_edges, m_dilated) if mirrored else (edges, dilated)
        return kernels.offset_chamfer(edges, dilated, a, b, self.shape, offsets, other, other_dilated, exact=self.slack == 0)

    def _measure(self, edges, dilated, m_edges, m_dilated, a, b):
        """(direct, mirrored) aligned distances given the edges and their dilations over `_radii`."""
        exact = self.slack == 0
        direct = kernels.aligned_chamfer(edges, dilated, a, b, self.shape, self.reach, exact=exact)
        if not self.mirror:
            return direct, np.full(len(a), np.inf)
        return direct, kernels.aligned_chamfer(
            edges, dilated, a, b, self.shape, self.reach, m_edges, m_dilated, exact=exact
        )


def ring_offsets(distances: tuple[int, ...]) -> np.ndarray:
    """(8 x len(distances), 2) moves (dx, dy): each distance straight and diagonally in the eight directions."""
    dirs = np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)], np.int64)
    return np.concatenate([dirs * d for d in distances]) if distances else np.empty((0, 2), np.int64)


@dataclass(frozen=True)
class AlignmentContrast(Metric):
    """How specific a chamfer match is to its alignment: the aligned distance over the best one off it, in [0, 1].

    A drawing matches a copy of itself only in one place: moved a few pixels
    its lines miss. A texture (foliage, water, brick), a grid of photos or a
    row of look-alike frames is close to *anything* as dense, wherever it
    sits, because every pixel is near some edge. So the chamfer distance with
    the drawings aligned is divided by the smallest chamfer distance with b
    moved `offsets` pixels away (3 and 8 px, straight and diagonally; further than the
    chamfer's reach, so a moved line costs the most). 0: the match holds
    only in place (real shared structure); near 1: it holds anywhere (chance).
    Also 1 when both are 0 (nothing to tell apart). Measured only on pairs a
    rule already found.
    """

    chamfer: EdgeChamfer = EdgeChamfer("drawing")
    offsets: tuple[int, ...] = (3, 8)
    #: only a match is contrasted: an orientation whose aligned distance is this or more is not
    #: measured (NaN), which keeps the cost to the few pairs that match
    matches_under: float = float("inf")

    def needs(self) -> tuple[str, ...]:
        return self.chamfer.needs()

    def all_pairs(self, sigs, thresholds, source):
        # A contrast says nothing without a match to contrast: it only ever checks pairs a rule found.
        raise NotImplementedError("AlignmentContrast checks pairs another rule found; use it in Rule.requires")

    def distances(self, sigs, a, b):
        a, b = np.asarray(a), np.asarray(b)
        maps = self.chamfer.maps(sigs)  # dilated once for the aligned and the moved measures
        out = []
        for k, d in enumerate(self.chamfer._measure(*maps, a, b)):  # direct, then mirrored (+inf without mirror)
            ratio = np.full(len(a), np.nan)
            live = np.flatnonzero(d < self.matches_under)
            if len(live):
                off = self.chamfer.off_alignment(maps, a[live], b[live], ring_offsets(self.offsets), mirrored=k == 1)
                ratio[live] = _contrast(d[live], off)
            out.append(ratio)
        return out[0], out[1]


def _contrast(aligned: np.ndarray, off: np.ndarray) -> np.ndarray:
    """aligned / off, clipped to [0, 1]; 1 where both are 0; +inf stays +inf (no mirrored comparison)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(off > 0, aligned / np.where(off > 0, off, 1.0), np.where(aligned > 0, np.inf, 1.0))
    return np.where(np.isinf(aligned), np.inf, np.minimum(ratio, 1.0))
