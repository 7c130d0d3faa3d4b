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

    def describe(self, view: PanelView) -> np.ndarray:
        return regions.features_to_row(regions.describe_regions(view.grey, self.keypoints, self.work_side, self.edge_side))
