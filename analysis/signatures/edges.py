"""Edge-map signatures: Canny computed after resizing, and its edge-pixel count."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualdistance.analysis import image_ops
from visualdistance.analysis.signatures.base import PanelView, Shown, Signature


def edge_map(view: PanelView, size: int, low: float, high: float) -> np.ndarray:
    """Canny edges (bool, size x size) of the panel resized to size x size.

    Resizing first (as the original write-up did) keeps the map's size fixed
    and makes thin-line noise average away before edges are found.
    """
    return view.cached(("canny", size, low, high), lambda: image_ops.canny(view.grey_resized(size), low, high))


@dataclass(frozen=True)
class EdgeMap(Signature):
    """Packed bits of the Canny edge map at size x size."""

    name: str = "edges"
    version = 2  # 2: a large panel's grey base shrunk in whole blocks first (image_ops.shrink)
    size: int = 100
    low: float = 100.0
    high: float = 200.0
    mirrorable = True

    def describe(self, view: PanelView) -> np.ndarray:
        return image_ops.pack_bits(edge_map(view, self.size, self.low, self.high))


@dataclass(frozen=True)
class EdgeCount(Signature):
    """Number of edge pixels in the Canny edge map (a one-element int32 row)."""

    name: str = "edge_pixels"
    version = 2  # 2: a large panel's grey base shrunk in whole blocks first (image_ops.shrink)
    size: int = 100
    low: float = 100.0
    high: float = 200.0
    shown = Shown("count", 0)

    def describe(self, view: PanelView) -> np.ndarray:
        return np.array([edge_map(view, self.size, self.low, self.high).sum()], dtype=np.int32)
