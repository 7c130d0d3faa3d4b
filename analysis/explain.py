"""Why a pair of panels did (or did not) link under a drawing method (the default), step by step.

`diagnose` takes what the method measured for one pair and names the first
step that lost it: the quality gate (the drawing found is too small or
edgeless), a required check (the lines agree but the match is not evidence:
it holds as well with the drawings moved apart, or a thin drawing changed its
colours), the mask (background stripping kept very different amounts of the
two panels), the alignment (the drawings line up only when moved further than
the metric looks), the edges (the lines mostly differ), the threshold (close,
but not close enough, and the layout does not agree either) or the mirrored
colour check. `visualdistance eval --explain` shows it next to the two images
and their maps.

Every threshold, metric and gate comes from the preset itself (`DrawingRules.of`),
so a preset changed, or another preset of the same shape, is explained as it links.

Pure: signature arrays and numbers in, `PairMeasures` and a `Diagnosis` out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from visualdistance.analysis.content import Drawing
from visualdistance.analysis.data import Links
from visualdistance.analysis.evaluation.scores import Truth, file_pairs, neutral_pairs
from visualdistance.analysis.linking import Preset, distances_on_rows
from visualdistance.analysis.rules import (
    AlignmentContrast, ColourShift, EdgeChamfer, Fixed, Gate, Rule, Sigs, ThinColourShift,
)
from visualdistance.analysis.signatures.base import Signature

STEPS = ("linked", "required check", "gate", "mask", "alignment", "edges", "threshold", "mirrored check")

#: a pair whose drawing areas differ by more than this factor was cut out differently
MASK_RATIO = 2.0
#: an alignment that gains this much at a wider reach was lost by the 1 px alignment
ALIGNMENT_GAIN = 0.5
#: ... the wider reach, in pixels: enough for a drawing cropped a few pixels differently
WIDE_REACH = 4


@dataclass(frozen=True)
class Check:
    """One check a match must also pass (a rule's `requires`), as measured for a pair in the orientation
    that matched: its rule's name, its metric's class name, the value (NaN: not measured) and the threshold."""

    name: str
    kind: str
    value: float
    threshold: float

    @property
    def fails(self) -> bool:
        return bool(self.value >= self.threshold)  # NaN (not measured) never fails

    def reason(self) -> str:
        if self.kind == AlignmentContrast.__name__:
            return (f"the lines agree about as well with the drawings moved a few pixels apart (aligned over moved "
                    f"{self.value:.2f}, a match needs under {self.threshold:g}): a texture, a pattern or a row of "
                    "look-alike frames matches anywhere, a drawing only in place")
        if self.kind == ThinColourShift.__name__:
            return (f"a drawing this thin on the canvas (a banner, a row of frames) must keep its colours, and they "
                    f"moved {self.value:.2f} (at most {self.threshold:g})")
        return f"{self.name}: {self.value:.3f} (a match needs under {self.threshold:g})"


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
    same_checks: tuple[Check, ...] = ()  # what a same-drawing match must also pass
    redrawn_checks: tuple[Check, ...] = ()  # what a partly redrawn match must also pass, besides its edge distance


@dataclass(frozen=True)
class Thresholds:
    same_drawing: float
    same_layout: float
    redrawn_drawing: float
    colours: float
    redrawn_min_size: float = 0.0


@dataclass(frozen=True)
class DrawingRules:
    """The parts of a drawing preset that explain reads, found by what they measure, not by name.

    same: the first rule on an edge chamfer (the same drawing, moved, recoloured
    or flipped); redrawn: a rule requiring a rule on that chamfer (a drawing
    partly redrawn, when another view agrees); colours: the mirrored check on a
    colour shift, if any (none: a mirrored match links whatever its colours); stats: the signature whose
    row has the drawing's "area" (in 1/10,000 of the panel), which the mask step compares.
    """

    same: Rule
    redrawn: Rule
    colours: Rule | None
    gates: tuple[Gate, ...]
    stats: Signature

    @property
    def same_checks(self) -> tuple[Rule, ...]:
        """The rules a same-drawing match must also pass."""
        return self.same.requires

    @property
    def redrawn_checks(self) -> tuple[Rule, ...]:
        """The rules a partly redrawn match must also pass, besides its edge distance (which diagnose names itself)."""
        on_chamfer = _on_chamfer(self.redrawn, self.same)
        return tuple(r for r in self.redrawn.requires if r is not on_chamfer)

    @classmethod
    def of(cls, preset: Preset) -> "DrawingRules":
        """The preset's rules as explain reads them; ValueError for a preset of another shape."""
        same = next((r for r in preset.rules if isinstance(r.metric, EdgeChamfer)), None)
        redrawn = next((r for r in preset.rules if same is not None and r is not same and _on_chamfer(r, same)), None)
        if redrawn is None:
            raise ValueError(f"explain reads a drawing method (a rule on the edge chamfer, and one that requires it); "
                             f"{preset.name} is not one")
        colours = next((r for r in preset.mirrored_checks if isinstance(r.metric, ColourShift)), None)
        stats = next((s for s in preset.signatures if "area" in s.columns), None)
        if stats is None:
            raise ValueError(f"explain reads the drawing's area; {preset.name} describes none")
        return cls(same, redrawn, colours, preset.gates, stats)

    @property
    def chamfer(self) -> EdgeChamfer:
        return self.same.metric

    @property
    def size_gate(self) -> Gate | None:
        """The redrawn rule's gate: the least size of a drawing it may link."""
        return self.redrawn.gates[0] if self.redrawn.gates else None

    def thresholds(self) -> Thresholds:
        return Thresholds(
            same_drawing=_fixed(self.same),
            same_layout=_fixed(self.redrawn),
            redrawn_drawing=_fixed(_on_chamfer(self.redrawn, self.same)),
            colours=_fixed(self.colours) if self.colours else float("inf"),
            redrawn_min_size=self.size_gate.minimum if self.size_gate else 0.0,
        )

    def measure(self, sigs: Sigs, a: np.ndarray, b: np.ndarray) -> list[PairMeasures]:
        """What the method measures for panel pairs (a, b), each metric in one pass over the pairs."""
        direct, mirrored = distances_on_rows(self.chamfer, sigs, a, b)
        wide = np.minimum(*distances_on_rows(replace(self.chamfer, reach=WIDE_REACH), sigs, a, b))
        layout = distances_on_rows(self.redrawn.metric, sigs, a, b)[0]
        colours = distances_on_rows(self.colours.metric, sigs, a, b)[0] if self.colours else np.zeros(len(a))
        gates = [(g.describe(), g.passes(sigs)) for g in self.gates]
        area = self.stats.values(sigs, "area") / 10000
        size = self.size_gate.values(sigs) if self.size_gate else np.full(len(area), np.inf)
        flipped = mirrored < direct  # the orientation a match would use
        same_checks = _checks(self.same_checks, sigs, a, b, flipped)
        redrawn_checks = _checks(self.redrawn_checks, sigs, a, b, np.zeros(len(a), bool))  # redrawn: direct only
        return [
            PairMeasures(
                direct[k], mirrored[k], wide[k], layout[k], colours[k],
                tuple(what for r in (a[k], b[k]) for what, ok in gates if not ok[r]),
                (area[a[k]], area[b[k]]),
                (size[a[k]], size[b[k]]),
                tuple(c[k] for c in same_checks),
                tuple(c[k] for c in redrawn_checks),
            )
            for k in range(len(a))
        ]


def _checks(rules: tuple[Rule, ...], sigs: Sigs, a: np.ndarray, b: np.ndarray, flipped: np.ndarray) -> list[list[Check]]:
    """Per rule, a Check per pair, each measured in the pair's orientation (mirrored where `flipped`)."""
    out = []
    for rule in rules:
        direct, mirrored = distances_on_rows(rule.metric, sigs, a, b)
        value = np.where(flipped, mirrored, direct)
        out.append([Check(rule.name, type(rule.metric).__name__, float(v), _fixed(rule)) for v in value])
    return out


def _on_chamfer(rule: Rule, same: Rule) -> Rule | None:
    """The rule `rule` requires on the same chamfer as `same`, if any."""
    return next((r for r in rule.requires if r.metric == same.metric), None)


def _fixed(rule: Rule) -> float:
    """The one threshold a diagnosis can name; a per-panel one has none."""
    if not isinstance(rule.threshold, Fixed):
        raise ValueError(f"explain names one threshold per rule; rule {rule.name} has one per panel")
    return rule.threshold.value


@dataclass(frozen=True)
class Diagnosis:
    step: str  # one of STEPS
    reason: str


def diagnose(m: PairMeasures, t: Thresholds) -> Diagnosis:
    """The step that lost the pair (or "linked"), with a sentence a person can check against the pictures."""
    best = min(m.drawing, m.drawing_mirrored)
    failed = next((c for c in m.same_checks if c.fails), None)
    if m.drawing < t.same_drawing and failed is None:
        return Diagnosis("linked", f"same drawing: edge distance {m.drawing:.3f} (under {t.same_drawing:g})")
    redrawn = m.layout < t.same_layout and m.drawing < t.redrawn_drawing
    redrawn_failed = next((c for c in m.redrawn_checks if c.fails), None)
    if redrawn and min(m.size) >= t.redrawn_min_size and redrawn_failed is None:
        return Diagnosis(
            "linked",
            f"partly redrawn: layout {m.layout:.0f} bits (under {t.same_layout:g}) and edge distance {m.drawing:.3f} "
            f"(under {t.redrawn_drawing:g})",
        )
    if best < t.same_drawing and failed is not None:
        return Diagnosis("required check", f"edge distance {best:.3f} (under {t.same_drawing:g}), but " + failed.reason())
    if redrawn and redrawn_failed is not None:
        return Diagnosis("required check", f"edge distance {m.drawing:.3f} and layout {m.layout:.0f} bits would pass as "
                                           "partly redrawn, but " + redrawn_failed.reason())
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



def pairs_to_explain(links: Links, truth: Truth) -> list[tuple[int, int, str]]:
    """File pairs (x, y, kind) a method got wrong: each positive pair it did not link ("missed"), then each
    link between files of other groups ("false link"); neutral pairs are neither."""
    la, lb = file_pairs(links.a, links.b, truth)
    n = max(truth.files, 1)
    linked = set((la * n + lb).tolist())
    fa, fb = np.triu_indices(truth.files, 1)
    same = truth.group[fa] == truth.group[fb]
    positive = same & ~neutral_pairs(fa, fb, truth)
    missed = [(int(x), int(y), "missed") for x, y in zip(fa[positive], fb[positive]) if x * n + y not in linked]
    wrong = ~(truth.group[la] == truth.group[lb]) & ~neutral_pairs(la, lb, truth)
    return missed + [(int(x), int(y), "false link") for x, y in zip(la[wrong], lb[wrong])]


def closest_frames(chamfer: EdgeChamfer, sigs: Sigs, truth: Truth,
                   pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """For each file pair, the panel rows (one frame of each file) whose drawings are closest under `chamfer`."""
    rows_of = [np.flatnonzero(truth.file_of == f) for f in range(truth.files)]
    a, b, which = [], [], []
    for k, (fx, fy) in enumerate(pairs):
        ra, rb = rows_of[fx], rows_of[fy]
        a.append(np.repeat(ra, len(rb)))
        b.append(np.tile(rb, len(ra)))
        which.append(np.full(len(ra) * len(rb), k))
    a, b, which = np.concatenate(a), np.concatenate(b), np.concatenate(which)
    d = np.minimum(*distances_on_rows(chamfer, sigs, a, b))
    order = np.lexsort((d, which))
    first = order[np.r_[True, which[order][1:] != which[order][:-1]]]
    return a[first], b[first]
