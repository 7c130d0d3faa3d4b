"""Signatures of the drawing itself, with frame and flat backgrounds stripped (see analysis.content)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualdistance.analysis import image_ops
from visualdistance.analysis.content import Drawing, find_drawing
from visualdistance.analysis.signatures.base import PanelView, Signature


def drawing(view: PanelView, size: int) -> Drawing:
    """The panel's drawing on a size x size canvas, computed once per panel."""
    return view.cached(("drawing", size), lambda: find_drawing(view.rgb, size, view.alpha))


@dataclass(frozen=True)
class DrawingEdges(Signature):
    """Packed bits of the drawing's colour edges on a canvas centred on the drawing.

    The mirrored row is the flipped canvas: centring makes flipping the
    drawing in place the same as flipping the canvas.
    """

    name: str = "drawing_edges"
    size: int = 128
    mirrorable = True
    version = 6  # 3: thin (Canny) colour edges; small images masked at their own size; 4: working side 1.25x the canvas; 5: transparency is the mask; 6: a frame with a page margin is cut off

    def describe(self, view: PanelView) -> np.ndarray:
        return image_ops.pack_bits(drawing(view, self.size).edges)

    def describe_mirrored(self, view: PanelView) -> np.ndarray:
        return image_ops.pack_bits(drawing(view, self.size).edges[:, ::-1])


@dataclass(frozen=True)
class DrawingStats(Signature):
    """[edge pixels, area in 1/10000 of the panel, background colours found, size in the file's pixels] of the drawing (int32).

    The size is the side of a square as large as the drawing, in the file's own
    pixels, before any resizing: how much detail the drawing can carry.
    """

    name: str = "drawing_stats"
    size: int = 128
    columns = ("edge_pixels", "area", "background_colours", "size")
    version = 8  # 5: as DrawingEdges; 6: size in the file's pixels; 7: as DrawingEdges; 8: of a panel the loader shrank too

    def describe(self, view: PanelView) -> np.ndarray:
        d = drawing(view, self.size)
        w, h = view.file_size
        native = int(round(np.sqrt(d.area * h * w)))
        return np.array([int(d.edges.sum()), int(round(d.area * 10000)), d.background_colours, native], np.int32)


@dataclass(frozen=True)
class DrawingColours(Signature):
    """The drawing's colours: share of its interior pixels in each of 64 RGB cells (float32, see content.colour_histogram).

    Unchanged by mirroring or moving the drawing, so it needs no mirrored row.
    """

    name: str = "drawing_colours"
    size: int = 128
    version = 3  # 2: transparency is the mask; 3: as DrawingEdges

    def describe(self, view: PanelView) -> np.ndarray:
        return drawing(view, self.size).palette
