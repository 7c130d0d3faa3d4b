"""The original write-up's baseline: the panel as a 100x100 black-and-white image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualdistance.analysis import image_ops
from visualdistance.analysis.signatures.base import PanelView, Signature


@dataclass(frozen=True)
class BinaryImage(Signature):
    """Packed bits of the grey panel resized to size x size, 1 where darker than `threshold`."""

    name: str = "binary"
    version = 2  # 2: a large panel's grey base shrunk in whole blocks first (image_ops.shrink)
    size: int = 100
    threshold: int = 128
    mirrorable = True

    def describe(self, view: PanelView) -> np.ndarray:
        return image_ops.pack_bits(view.grey_resized(self.size) < self.threshold)
