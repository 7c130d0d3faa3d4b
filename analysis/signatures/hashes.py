"""Perceptual hashes: 64-bit average, DCT (pHash), difference, average hash of the edge map; the 256-bit layout hash."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from visualdistance.analysis import image_ops
from visualdistance.analysis.signatures.base import PanelView, Shown, Signature
from visualdistance.analysis.signatures.edges import edge_map


def median(values: np.ndarray) -> np.ndarray:
    """np.median of a float array (any shape), the same value and dtype, from one partial sort.

    np.median's general path costs 11 us a call on these 64-256 values, a sixth of it here; the hashes call
    it three times a picture.
    """
    flat = values.ravel()
    if not np.issubdtype(flat.dtype, np.floating) or not len(flat):
        return np.median(flat)  # an integer array's float64 mean, an empty one's NaN and its warning
    middle = len(flat) // 2
    if len(flat) % 2:
        return np.partition(flat, middle)[middle]
    part = np.partition(flat, [middle - 1, middle])
    return (part[middle - 1] + part[middle]) / flat.dtype.type(2)  # np.median's mean of the two, in their dtype


@dataclass(frozen=True)
class AverageHash(Signature):
    """8x8 average hash: 1 where the area-averaged cell is brighter than the mean."""

    name: str = "ahash"
    version = 2  # 2: a large panel's grey base shrunk in whole blocks first (image_ops.shrink)
    size: int = 8
    mirrorable = True
    shown = Shown("hex", 1)

    def describe(self, view: PanelView) -> np.ndarray:
        small = view.grey_resized(self.size).astype(np.float32)
        return image_ops.pack_bits(small > small.mean())


@dataclass(frozen=True)
class DctHash(Signature):
    """64-bit DCT perceptual hash: low 8x8 frequencies of a 32x32 image against their median.

    skip: lowest rows and columns left out (1 leaves out the constant row and column, as PDQ does).
    """

    name: str = "phash"
    version = 2  # 2: a large panel's grey base shrunk in whole blocks first (image_ops.shrink)
    size: int = 32
    keep: int = 8
    skip: int = 0
    mirrorable = True
    shown = Shown("hex", 2)

    def describe(self, view: PanelView) -> np.ndarray:
        small = view.grey_resized(self.size).astype(np.float32)
        band = slice(self.skip, self.skip + self.keep)
        low = cv2.dct(small)[band, band]
        return image_ops.pack_bits(low > median(low))


@dataclass(frozen=True)
class DifferenceHash(Signature):
    """64-bit difference hash: 1 where a pixel is brighter than its right neighbour (9x8 image)."""

    name: str = "dhash"
    version = 2  # 2: a large panel's grey base shrunk in whole blocks first (image_ops.shrink)
    size: int = 8
    mirrorable = True
    shown = Shown("hex", 3)

    def describe(self, view: PanelView) -> np.ndarray:
        small = view.grey_resized((self.size + 1, self.size)).astype(np.int16)
        return image_ops.pack_bits(small[:, :-1] > small[:, 1:])


@dataclass(frozen=True)
class EdgeHash(Signature):
    """Average hash of the Canny edge map: where the edges are dense, coarsely.

    Tolerates small moves and line-weight changes that break an exact edge
    comparison, at the price of detail.
    """

    name: str = "edge_ahash"
    version = 2  # 2: a large panel's grey base shrunk in whole blocks first (image_ops.shrink)
    size: int = 8
    edge_size: int = 100
    low: float = 100.0
    high: float = 200.0
    mirrorable = True
    shown = Shown("hex", 4)

    def describe(self, view: PanelView) -> np.ndarray:
        edges = edge_map(view, self.edge_size, self.low, self.high).astype(np.float32)
        small = image_ops.resize(edges, self.size)
        return image_ops.pack_bits(small > small.mean())


@dataclass(frozen=True)
class LayoutHash(DctHash):
    """256-bit DCT hash of the whole panel's composition, built the way PDQ builds one.

    The 16x16 lowest frequencies (less the constant row and column) of a
    64x64 luminance image, each against their median. Fine enough to tell
    two panels of one room apart by where the figures stand, coarse enough
    that recolouring an outfit or adding a logo moves few bits. It sees the
    panel where it is: a moved drawing is the edge metric's job.
    """

    name: str = "layout"
    size: int = 64
    keep: int = 16
    skip: int = 1
    mirrorable = False
    shown = None  # 256 bits: too long to read as a column
