"""The contract every distance implements (`Metric`), and the signature arrays it reads (`Sigs`)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

Sigs = dict[str, np.ndarray]


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
