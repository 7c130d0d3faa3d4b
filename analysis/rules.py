"""Link rules: a metric (a distance between two panels' signatures) plus a threshold.

A metric finds every pair under per-panel thresholds in one all-pairs pass
(`all_pairs`) and gives exact distances for listed pairs (`distances`).
A threshold turns the signature arrays into one threshold per panel; a pair is
under the rule when its distance is below the larger of its two panels'
thresholds, as in the original write-up's per-panel scaled threshold.

Signature arrays come in as a dict ``name -> (n, ...) array`` (see `Panels`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from visualdistance.analysis import kernels
from visualdistance.analysis.image_ops import dilate_bits
from visualdistance.analysis.signatures.base import mirror_name

Sigs = dict[str, np.ndarray]


# --------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class Metric(ABC):
    """A distance between panels computed from their signature rows.

    pairwise: whether a pair's distance depends on the two panels alone. Incremental runs keep
    earlier links only for presets whose metrics all are; one scaled by the corpus (as `Mixed`)
    must say False, or adding panels would leave stale links.
    """

    pairwise: ClassVar[bool] = True
    name: str

    @abstractmethod
    def needs(self) -> tuple[str, ...]:
        """Names of the signature arrays this metric reads."""

    @abstractmethod
    def all_pairs(self, sigs: Sigs, thresholds: np.ndarray, source: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (a, b), a < b, whose direct or mirrored distance is under max(t_a, t_b)."""

    @abstractmethod
    def distances(self, sigs: Sigs, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact (direct, mirrored) distances for the pairs; mirrored is +inf when not supported."""

    def drawable(self) -> tuple[str, tuple[int, int]] | None:
        """(signature, (h, w)) when this metric compares packed bits that are an image a report can draw; else None."""
        return None

    def search(
        self, sigs: Sigs, thresholds: np.ndarray, source: np.ndarray, pairs: tuple[np.ndarray, np.ndarray] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """all_pairs with the pairs' (direct, mirrored) distances: (a, b, direct, mirrored).

        pairs: candidate pairs (a, b), a < b, from an index: only these are
        tested. Metrics that measure their pairs exactly while searching
        override this, so the distances are not measured twice.
        """
        if pairs is None:
            a, b = self.all_pairs(sigs, thresholds, source)
            return (a, b) + tuple(self.distances(sigs, a, b))
        a, b = (np.asarray(x, np.int64) for x in pairs)
        apart = np.asarray(source)[a] != np.asarray(source)[b]
        a, b = a[apart], b[apart]
        direct, mirrored = self.distances(sigs, a, b)
        t = np.asarray(thresholds, np.float64)
        keep = np.minimum(direct, mirrored) < np.maximum(t[a], t[b])
        return a[keep].astype(np.int32), b[keep].astype(np.int32), direct[keep], mirrored[keep]


@dataclass(frozen=True)
class Hamming(Metric):
    """Hamming distance between packed bit signatures (edge maps, binary images, hashes).

    mirror: also compare each panel with the other's mirrored signature
    (``<signature>_mirror``). shape: (h, w) when the bits are an image, which
    enables the kernel's tile bounds.
    """

    signature: str = ""
    mirror: bool = True
    shape: tuple[int, int] | None = None

    def needs(self) -> tuple[str, ...]:
        return (self.signature, mirror_name(self.signature)) if self.mirror else (self.signature,)

    def drawable(self):
        return (self.signature, self.shape) if self.shape else None

    def all_pairs(self, sigs, thresholds, source):
        mirror_bits = sigs[mirror_name(self.signature)] if self.mirror else None
        a, b, _ = kernels.hamming_links(sigs[self.signature], thresholds, mirror_bits, source, shape=self.shape)
        return a, b

    def distances(self, sigs, a, b):
        bits = sigs[self.signature]
        direct = kernels.pair_distances(bits, a, b)
        if not self.mirror:
            return direct, np.full(len(a), np.inf)
        return direct, kernels.pair_distances(bits, a, b, sigs[mirror_name(self.signature)])


def mean_pair_hamming(bits: np.ndarray) -> float:
    """Mean Hamming distance over all pairs of rows, from per-bit frequencies (no pairs built).

    For one bit set in a fraction p of rows, p(1-p) n^2 / (n(n-1)/2) / 2 of the
    pairs differ there; summed over bits that is the mean distance.
    """
    n = len(bits)
    if n < 2:
        return 0.0
    ones = np.zeros(bits.shape[1] * 64, np.int64)
    for s in range(0, n, 1024):
        ones += np.unpackbits(np.ascontiguousarray(bits[s : s + 1024]).view(np.uint8), axis=1, bitorder="little").sum(
            axis=0, dtype=np.int64
        )
    return float((ones * (n - ones)).sum() / (n * (n - 1) / 2))


@dataclass(frozen=True)
class Mixed(Metric):
    """The original write-up's mixed metric: hash and edge distances, each over its corpus mean, averaged.

    Expressed in hash-distance units, (d_hash + d_edges * mean_hash / mean_edges) / 2,
    so its threshold reads like a hash threshold (16 in the write-up).
    """

    pairwise: ClassVar[bool] = False  # the corpus means move as panels are added
    hash_signature: str = "ahash"
    edge_signature: str = "edges"
    mirror: bool = False
    shape: tuple[int, int] | None = None

    def needs(self) -> tuple[str, ...]:
        names = (self.edge_signature, self.hash_signature)
        return names + tuple(mirror_name(n) for n in names) if self.mirror else names

    def drawable(self):
        return (self.edge_signature, self.shape) if self.shape else None

    def _weights(self, sigs: Sigs) -> np.ndarray:
        """Segment weights from the corpus means (of the direct signatures, so both orientations share one scale)."""
        mean_e = mean_pair_hamming(sigs[self.edge_signature]) or 1.0
        mean_h = mean_pair_hamming(sigs[self.hash_signature]) or 1.0
        return np.array([0.5 * mean_h / mean_e, 0.5])

    def _bits(self, sigs: Sigs, mirrored: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(edges and hash side by side, segment boundaries), of the mirrored panels when asked."""
        name = mirror_name if mirrored else str
        edges, hashes = sigs[name(self.edge_signature)], sigs[name(self.hash_signature)]
        return np.hstack([edges, hashes]), np.array([0, edges.shape[1], edges.shape[1] + hashes.shape[1]])

    def all_pairs(self, sigs, thresholds, source):
        bits, seg = self._bits(sigs)
        mirror_bits = self._bits(sigs, mirrored=True)[0] if self.mirror else None
        a, b, _ = kernels.hamming_links(bits, thresholds, mirror_bits, source, seg, self._weights(sigs), shape=self.shape)
        return a, b

    def distances(self, sigs, a, b):
        bits, seg = self._bits(sigs)
        w = self._weights(sigs)
        direct = kernels.pair_distances(bits, a, b, None, seg, w)
        if not self.mirror:
            return direct, np.full(len(a), np.inf)
        return direct, kernels.pair_distances(bits, a, b, self._bits(sigs, mirrored=True)[0], seg, w)


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
        return np.stack([dilate_bits(edges, self.shape, r) for r in radii]) if len(radii) else np.empty(
            (0,) + edges.shape, edges.dtype
        )

    @property
    def _radii(self) -> range:
        """Dilation radii the exact measure averages over (radius 0 is counted without one)."""
        return range(max(1, self.slack), self.tau)

    def all_pairs(self, sigs, thresholds, source):
        return self.search(sigs, thresholds, source)[:2]

    def search(self, sigs, thresholds, source, pairs=None):
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


@dataclass(frozen=True)
class ColourShift(Metric):
    """How much of a drawing's colour moved to other colours: total variation of two colour histograms, in [0, 1].

    0 for the same palette in the same proportions (wherever the drawing
    sits, mirrored or not), 1 for no colour in common. Mirroring leaves a
    histogram unchanged, so the mirrored distance is the direct one.
    """

    signature: str = "drawing_colours"

    def needs(self) -> tuple[str, ...]:
        return (self.signature,)

    def all_pairs(self, sigs, thresholds, source):
        hist = np.asarray(sigs[self.signature], np.float32)
        thr = np.asarray(thresholds, np.float64)
        src = np.asarray(source)
        found_a, found_b = [], []
        step = max(1, (1 << 22) // max(hist.size, 1))  # rows per block: about 16 MB of differences
        for s in range(0, len(hist), step):
            rows = np.arange(s, min(s + step, len(hist)))
            d = 0.5 * np.abs(hist[rows, None, :] - hist[None, :, :]).sum(axis=2)
            ok = (d < np.maximum(thr[rows, None], thr[None, :])) & (src[rows, None] != src[None, :])
            ok &= rows[:, None] < np.arange(len(hist))[None, :]
            i, j = np.nonzero(ok)
            found_a.append(rows[i])
            found_b.append(j)
        a = np.concatenate(found_a) if found_a else np.empty(0, np.int64)
        b = np.concatenate(found_b) if found_b else np.empty(0, np.int64)
        return a.astype(np.int32), b.astype(np.int32)

    def distances(self, sigs, a, b):
        hist = np.asarray(sigs[self.signature], np.float32)
        d = 0.5 * np.abs(hist[a] - hist[b]).sum(axis=1).astype(np.float64)
        return d, d


def edge_extents(bits: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """(n, 2) height and width in pixels of the bounding box of each packed edge map's set bits (0 when empty)."""
    h, w = shape
    out = np.zeros((len(bits), 2), np.int32)
    step = 4096
    for s in range(0, len(bits), step):
        maps = np.unpackbits(np.ascontiguousarray(bits[s : s + step]).view(np.uint8), axis=1, bitorder="little", count=h * w)
        maps = maps.reshape(-1, h, w).astype(bool)
        for axis, col in ((2, 0), (1, 1)):  # rows that hold a bit give the height; columns the width
            used = maps.any(axis=axis)
            first, last = used.argmax(axis=1), used.shape[1] - used[:, ::-1].argmax(axis=1)
            out[s : s + step, col] = np.where(used.any(axis=1), last - first, 0)
    return out


@dataclass(frozen=True)
class ThinColourShift(Metric):
    """The colour shift (as ColourShift) of pairs where either drawing is too thin for its canvas; 0 for the others.

    A strip (a banner, a row of walk-cycle frames) keeps its aspect ratio on
    the square canvas, so a 12:1 sheet of frames is 128 x 11 pixels there:
    every frame a blob, and two characters drawn on one body template have
    the same lines. Such a drawing's lines alone are too little evidence; it
    must keep its colours too, as a recoloured copy of it would not.
    """

    colours: ColourShift = ColourShift("colours")
    edges: str = "drawing_edges"
    shape: tuple[int, int] = (128, 128)
    min_side: int = 24  # canvas pixels across the drawing's shorter side

    def needs(self) -> tuple[str, ...]:
        return self.colours.needs() + (self.edges,)

    def all_pairs(self, sigs, thresholds, source):
        raise NotImplementedError("ThinColourShift checks pairs another rule found; use it in Rule.requires")

    def distances(self, sigs, a, b):
        shift = self.colours.distances(sigs, a, b)[0]
        thin = edge_extents(sigs[self.edges], self.shape).min(axis=1) < self.min_side
        d = np.where(thin[a] | thin[b], shift, 0.0)
        return d, d


# ------------------------------------------------------------------ thresholds


@dataclass(frozen=True)
class Threshold(ABC):
    @abstractmethod
    def per_panel(self, sigs: Sigs) -> np.ndarray:
        """One threshold per panel (float64)."""

    @abstractmethod
    def describe(self) -> str:
        """Short human-readable form, e.g. 'min(0.95 x edge_pixels, 1100)'."""


@dataclass(frozen=True)
class Fixed(Threshold):
    """The same threshold for every panel."""

    value: float

    def per_panel(self, sigs):
        n = len(next(iter(sigs.values())))
        return np.full(n, float(self.value))

    def describe(self):
        return f"{self.value:g}"


@dataclass(frozen=True)
class Scaled(Threshold):
    """t_i = min(alpha * count_i, cap): the original per-panel threshold scaled by edge pixels.

    A near-blank panel gets a threshold near 0, so it cannot match everything.
    """

    alpha: float = 0.95
    cap: float = 1100.0
    count: str = "edge_pixels"

    def per_panel(self, sigs):
        counts = np.asarray(sigs[self.count], dtype=np.float64).reshape(-1)
        return np.minimum(self.alpha * counts, self.cap)

    def describe(self):
        return f"min({self.alpha:g} x {self.count}, {self.cap:g})"


# ----------------------------------------------------------------------- rules


@dataclass(frozen=True)
class Gate:
    """Quality gate: panels whose signature[column] is under `minimum` are never linked (by a preset), or never by one rule."""

    signature: str
    column: int
    minimum: float
    what: str = ""

    def describe(self) -> str:
        return f"{self.what or f'{self.signature}[{self.column}]'} >= {self.minimum:g}"

    def values(self, sigs: Sigs) -> np.ndarray:
        """Each panel's gated value, signature[column]."""
        values = np.asarray(sigs[self.signature])
        if len(values) == 0:  # no panel passed the gates before this one
            return np.zeros(0, values.dtype)
        return values.reshape(len(values), -1)[:, self.column]

    def passes(self, sigs: Sigs) -> np.ndarray:
        return self.values(sigs) >= self.minimum


@dataclass(frozen=True)
class Rule:
    """Panels a and b match under this rule when metric(a, b) < max(t_a, t_b).

    requires: rules the pair must also pass, in the same orientation (direct
    or mirrored), for this rule to match: two views of the pair that must
    agree. The rule's own metric finds the candidates; each required metric
    is measured only on those. gates: both panels must pass each, or this
    rule never matches them (other rules still may).
    """

    name: str
    metric: Metric
    threshold: Threshold
    requires: tuple["Rule", ...] = ()
    gates: tuple[Gate, ...] = ()

    def __post_init__(self) -> None:
        if any(r.requires for r in self.requires):
            raise ValueError(f"rule {self.name}: a required rule cannot require others; list them all here")

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """This rule's metric and those of the rules it requires."""
        return (self.metric,) + tuple(r.metric for r in self.requires)

    def describe(self) -> str:
        """e.g. 'layout < 80 and drawing < 0.25'."""
        own = f"{self.metric.name} < {self.threshold.describe()}"
        return " and ".join([own] + [r.describe() for r in self.requires] + [g.describe() for g in self.gates])
