"""Which step lost a pair: each step named when its evidence is what decides."""

from dataclasses import replace

import numpy as np
import pytest

from tests import synthetic
from tests.analysis.test_linking import describe, links_of
from visualdistance.analysis.explain import Check, DrawingRules, PairMeasures, Thresholds, diagnose
from visualdistance.analysis.linking import Preset
from visualdistance.analysis.presets import DRAWING, ORIGINAL_EDGES, SAME_DRAWING
from visualdistance.analysis.rules import Fixed

FLAT = ("flat", (225, 232, 240))
WARM = ("flat", (250, 214, 160))
T = Thresholds(same_drawing=0.05, same_layout=80, redrawn_drawing=0.2, colours=0.2, redrawn_min_size=64)


def measures(**changed) -> PairMeasures:
    base = dict(drawing=0.5, drawing_mirrored=0.5, drawing_wide=0.5, layout=120, colours=0.0, gate_failures=(), area=(0.3, 0.3))
    return PairMeasures(**{**base, **changed})


@pytest.mark.parametrize(
    "changed, step",
    [
        (dict(drawing=0.01), "linked"),
        (dict(drawing=0.15, layout=40), "linked"),
        (dict(drawing_mirrored=0.01), "linked"),
        (dict(drawing_mirrored=0.01, colours=0.6), "mirrored check"),
        (dict(gate_failures=("drawing edge pixels >= 30",)), "gate"),
        (dict(area=(0.45, 0.11)), "mask"),
        (dict(drawing=0.3, drawing_wide=0.04), "alignment"),
        (dict(drawing=0.3), "edges"),
        (dict(drawing=0.1, layout=120), "threshold"),
        (dict(drawing=0.15, layout=40, size=(60, 300)), "threshold"),
    ],
)
def test_each_step_is_named_when_it_decides(changed, step):
    assert diagnose(measures(**changed), T).step == step


SPECIFIC_FAILS = (Check("specific", "AlignmentContrast", 0.9, 0.5),)
THIN_FAILS = (Check("thin keeps colours", "ThinColourShift", 0.6, 0.2),)


@pytest.mark.parametrize(
    "changed, step, words",
    [
        (dict(drawing=0.01, same_checks=SPECIFIC_FAILS), "required check", "moved a few pixels apart"),
        (dict(drawing_mirrored=0.01, same_checks=SPECIFIC_FAILS), "required check", "0.90"),
        (dict(drawing=0.01, same_checks=(Check("specific", "AlignmentContrast", float("nan"), 0.5),)), "linked", ""),
        (dict(drawing=0.15, layout=40, redrawn_checks=THIN_FAILS), "required check", "must keep its colours"),
        (dict(drawing=0.01, same_checks=(Check("specific", "AlignmentContrast", 0.2, 0.5),)), "linked", ""),
    ],
)
def test_a_match_that_fails_a_required_check_is_explained_by_that_check(changed, step, words):
    d = diagnose(measures(**changed), T)
    assert d.step == step and words in d.reason, d


def test_two_patches_of_one_texture_are_explained_as_failing_the_specific_check():
    from tests.analysis.test_evidence import TEXTURES

    sheet = TEXTURES["foliage"](np.random.default_rng(7), 900)
    a, b = sheet[40:340, 50:450], sheet[500:800, 430:830]
    assert (0, 1) not in links_of([a, b], DRAWING)[0]
    rules = DrawingRules.of(DRAWING)
    d = diagnose(rules.measure(describe([a, b]), np.array([0]), np.array([1]))[0], rules.thresholds())
    assert d.step == "required check" and "texture" in d.reason, d


def test_a_partly_redrawn_pair_whose_layout_moved_is_lost_at_the_threshold_with_both_figures():
    d = diagnose(measures(drawing=0.12, drawing_mirrored=0.3, drawing_wide=0.11, layout=95), T)
    assert d.step == "threshold" and "0.120" in d.reason and "95 bits" in d.reason


def test_an_icon_partly_redrawn_is_lost_at_the_threshold_naming_its_size():
    d = diagnose(measures(drawing=0.15, layout=40, size=(60, 300)), T)
    assert d.step == "threshold" and "60 px" in d.reason


def _with_same_drawing(preset: Preset, threshold: float) -> Preset:
    """The preset with its same-drawing rule's threshold changed, everything else as it was."""
    same = next(r for r in preset.rules if r.name == "drawing")
    return replace(preset, rules=tuple(replace(r, threshold=Fixed(threshold)) if r is same else r for r in preset.rules))


def test_every_threshold_explain_names_is_the_presets_own():
    same, redrawn = DRAWING.rules
    on_chamfer = next(r for r in redrawn.requires if r.metric == same.metric)
    changed = replace(
        DRAWING,
        rules=(
            replace(same, threshold=Fixed(0.07)),
            replace(redrawn, threshold=Fixed(90), gates=(replace(redrawn.gates[0], minimum=50),),
                    requires=tuple(replace(r, threshold=Fixed(0.25)) if r is on_chamfer else r for r in redrawn.requires)),
        ),
        mirrored_checks=(replace(DRAWING.mirrored_checks[0], threshold=Fixed(0.3)),),
    )
    assert DrawingRules.of(DRAWING).thresholds() != DrawingRules.of(changed).thresholds()
    assert DrawingRules.of(changed).thresholds() == Thresholds(0.07, 90, 0.25, 0.3, 50)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_explain_follows_a_changed_threshold_as_linking_does(seed):
    """A redrawn pair just inside a same-drawing threshold links and is explained as linked; with the threshold
    moved just past its distance it neither links nor is explained as linked, and the reason names the new figure."""
    rng = np.random.default_rng(seed)
    drawing = synthetic.random_drawing(rng, (7, 8))
    a = synthetic.place(synthetic.render_sprite(drawing, 160), at=(120, 100), background=FLAT)
    b = synthetic.place(synthetic.render_sprite(synthetic.redraw(drawing, rng), 160), at=(280, 200), background=WARM)
    sigs, one, two = describe([a, b]), np.array([0]), np.array([1])
    distance = DrawingRules.of(DRAWING).measure(sigs, one, two)[0].drawing
    assert 0 < distance < SAME_DRAWING  # a same drawing the default links: the thresholds below are a change of it
    for threshold, links in ((1.1 * distance, True), (0.9 * distance, False)):
        preset = _with_same_drawing(DRAWING, threshold)
        rules = DrawingRules.of(preset)
        diagnosis = diagnose(rules.measure(sigs, one, two)[0], rules.thresholds())
        assert ((0, 1) in links_of([a, b], preset)[0]) == links
        assert (diagnosis.step == "linked") == links, diagnosis
        assert f"{threshold:g}" in diagnosis.reason


def test_a_preset_of_another_shape_is_refused():
    with pytest.raises(ValueError, match="original-edges"):
        DrawingRules.of(ORIGINAL_EDGES)
