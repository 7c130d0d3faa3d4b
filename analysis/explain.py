"""Why a pair of panels did (or did not) link under the default method, step by step.

`diagnose` takes what the `drawing` preset measured for one pair and names the
first step that lost it: the quality gate (the drawing found is too small or
edgeless), the mask (background stripping kept very different amounts of the
two panels), the alignment (the drawings line up only when moved further than
the metric looks), the edges (the lines mostly differ), the threshold (close,
but not close enough, and the layout does not agree either) or the mirrored
colour check. `visualdistance eval --explain` shows it next to the two images
and their maps.

Pure: numbers in, a `Diagnosis` out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualdistance.analysis.content import Drawing

STEPS = ("linked", "gate", "mask", "alignment", "edges", "threshold", "mirrored check")

#: a pair whose drawing areas differ by more than this factor was cut out differently
MASK_RATIO = 2.0
#: an alignment that gains this much at a wider reach was lost by the 1 px alignment
ALIGNMENT_GAIN = 0.5


@dataclass(frozen=True)
class PairMeasures:
    """What the default method measured for one pair (distances as the rules see them)."""

    drawing: float  # edge distance, direct
    drawing_mirrored: float
    drawing_wide: float  # the same after an alignment search of several pixels
    layout: float  # layout hash bits that differ (direct)
    colours: float  # colour histogram shift
    gate_failures: tuple[str, ...]  # gates either panel fails, as described by the preset
    area: tuple[float, float]  # share of each working image the drawing covers
    size: tuple[float, float] = (float("inf"), float("inf"))  # each drawing's size in its file's pixels


@dataclass(frozen=True)
class Thresholds:
    same_drawing: float
    same_layout: float
    redrawn_drawing: float
    colours: float
    redrawn_min_size: float = 0.0


@dataclass(frozen=True)
class Diagnosis:
    step: str  # one of STEPS
    reason: str


def diagnose(m: PairMeasures, t: Thresholds) -> Diagnosis:
    """The step that lost the pair (or "linked"), with a sentence a person can check against the pictures."""
    best = min(m.drawing, m.drawing_mirrored)
    if m.drawing < t.same_drawing:
        return Diagnosis("linked", f"same drawing: edge distance {m.drawing:.3f} (under {t.same_drawing:g})")
    redrawn = m.layout < t.same_layout and m.drawing < t.redrawn_drawing
    if redrawn and min(m.size) >= t.redrawn_min_size:
        return Diagnosis(
            "linked",
            f"partly redrawn: layout {m.layout:.0f} bits (under {t.same_layout:g}) and edge distance {m.drawing:.3f} "
            f"(under {t.redrawn_drawing:g})",
        )
    if m.drawing_mirrored < t.same_drawing:
        if m.colours < t.colours:
            return Diagnosis("linked", f"mirrored: edge distance {m.drawing_mirrored:.3f}")
        return Diagnosis(
            "mirrored check",
            f"matches only mirrored (edge distance {m.drawing_mirrored:.3f}) and its colours moved "
            f"{m.colours:.2f} (at most {t.colours:g}): a flipped copy is expected to keep its palette",
        )
    if m.gate_failures:
        return Diagnosis("gate", "too little drawing to compare: " + "; ".join(m.gate_failures))
    small, large = sorted(m.area)
    if small <= 0 or large / small > MASK_RATIO:
        return Diagnosis(
            "mask",
            f"background stripping kept {100 * m.area[0]:.0f}% of one panel and {100 * m.area[1]:.0f}% of the "
            "other: the drawings were cut out differently, so they are centred differently",
        )
    if m.drawing_wide < ALIGNMENT_GAIN * best and m.drawing_wide < t.redrawn_drawing:
        return Diagnosis(
            "alignment",
            f"edge distance {best:.3f} at the 1 px alignment, {m.drawing_wide:.3f} when moved further: "
            "the drawings are offset inside their crop",
        )
    if redrawn:
        return Diagnosis(
            "threshold",
            f"edge distance {m.drawing:.3f} and layout {m.layout:.0f} bits would pass as partly redrawn, but a drawing "
            f"is {min(m.size):.0f} px across in its file (partly redrawn needs {t.redrawn_min_size:g}): an icon",
        )
    if best >= t.redrawn_drawing:
        return Diagnosis("edges", f"the lines mostly differ: edge distance {best:.3f} (partly redrawn allows under {t.redrawn_drawing:g})")
    return Diagnosis(
        "threshold",
        f"edge distance {best:.3f} is over {t.same_drawing:g} and the layout differs by {m.layout:.0f} bits "
        f"(partly redrawn needs under {t.same_layout:g})",
    )


def drawing_picture(d: Drawing) -> np.ndarray:
    """RGB picture of what the method compares: the mask in pale green, the edges in black."""
    out = np.full(d.mask.shape + (3,), 255, np.uint8)
    out[d.mask] = (200, 235, 200)
    out[d.edges] = (20, 20, 20)
    return out

