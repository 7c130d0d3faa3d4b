"""How much of a drawing's colour moved (`ColourShift`), and the same only for drawings too thin for their
canvas (`ThinColourShift`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualdistance.analysis.rules.metric import Metric


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
