"""Local features for partial reuse: ORB keypoints of the panel and its mirror image, and a coarse edge map.

A row per panel of its own length (many keypoints): see analysis/regions for
what is in it and how region links are found from it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualdistance.analysis import regions
from visualdistance.analysis.signatures.base import PanelView, Signature


@dataclass(frozen=True)
class RegionKeypoints(Signature):
    """`regions.features_to_row(regions.describe_regions(grey))`: a uint8 row whose length varies by panel."""

    name: str = "region_keypoints"
    keypoints: int = regions.KEYPOINTS
    work_side: int = regions.WORK_SIDE
    edge_side: int = regions.EDGE_SIDE
    ragged = True  # its mirror image is inside the row (points in mirrored coordinates)
    expensive = True  # ~80 KB a panel and ORB's time: only runs whose preset links regions describe it

    #: 2: the scale is in the file's pixels, not in those of the picture the loader shrank a large panel to;
    #: 3: which keypoints repeat in the picture is stored with them; 4: the mirror image's keypoints are the
    #: picture's own, flipped, not searched for again; 5: the mirror side keeps the picture's own distinctive
    #: keypoints, not a test of its own
    version = 5

    def describe(self, view: PanelView) -> np.ndarray:
        return features_to_row(regions.describe_regions(view.grey, self.keypoints, self.work_side, self.edge_side,
                                                        view.file_size[0]))


# ------------------------------------------------------------ one stored row per panel

_HEADER = 6  # int32 values: keypoints, mirror keypoints, working width and height, edge map height and width


def features_to_row(f: regions.RegionFeatures) -> np.ndarray:
    """A panel's features as one uint8 row of its own length (the feature store's variable-length rows)."""
    edges = f.edge_map()
    header = np.array([len(f.points), len(f.points_mirror), *f.work_size, *edges.shape], np.int32)
    if f.distinctive is None or f.distinctive_mirror is None:
        raise ValueError("features_to_row needs the features as describe_regions gives them (which keypoints repeat)")
    parts = [header, np.array([f.scale], np.float32), f.points.astype(np.float32), f.descriptors,
             f.points_mirror.astype(np.float32), f.descriptors_mirror,
             np.packbits(f.distinctive), np.packbits(f.distinctive_mirror), np.packbits(edges)]
    return np.concatenate([np.ascontiguousarray(p).view(np.uint8).ravel() for p in parts])


def features_from_row(row: np.ndarray) -> regions.RegionFeatures:
    """The inverse of `features_to_row`."""
    row = np.ascontiguousarray(row, np.uint8)
    n, nm, w, h, eh, ew = row[:4 * _HEADER].view(np.int32).tolist()
    at = 4 * _HEADER
    scale = float(row[at:at + 4].view(np.float32)[0])
    at += 4

    def take(count: int, dtype, shape) -> np.ndarray:
        nonlocal at
        size = count * np.dtype(dtype).itemsize
        out = row[at:at + size].view(dtype).reshape(shape)
        at += size
        return out

    points = take(2 * n, np.float32, (n, 2))
    descriptors = take(32 * n, np.uint8, (n, 32))
    points_m = take(2 * nm, np.float32, (nm, 2))
    descriptors_m = take(32 * nm, np.uint8, (nm, 32))
    keep = np.unpackbits(take((n + 7) // 8, np.uint8, -1), count=n).astype(bool)
    keep_m = np.unpackbits(take((nm + 7) // 8, np.uint8, -1), count=nm).astype(bool)
    edges = row[at:at + (eh * ew + 7) // 8]  # packed: RegionFeatures.edge_map unpacks it for a pair that needs it
    return regions.RegionFeatures(points, descriptors, points_m, descriptors_m, scale, (w, h), edges, keep, keep_m, (eh, ew))
