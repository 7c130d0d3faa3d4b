"""Hamming distances of packed bits (edge maps, binary images, hashes), and the write-up's mixed metric."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from visualdistance.analysis import kernels
from visualdistance.analysis.rules.metric import Metric, Sigs
from visualdistance.analysis.signatures.base import mirror_name


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
