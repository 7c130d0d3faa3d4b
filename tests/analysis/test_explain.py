"""Which step lost a pair: each step named when its evidence is what decides."""

import pytest

from visualdistance.analysis.explain import PairMeasures, Thresholds, diagnose

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


def test_a_partly_redrawn_pair_whose_layout_moved_is_lost_at_the_threshold_with_both_figures():
    d = diagnose(measures(drawing=0.12, drawing_mirrored=0.3, drawing_wide=0.11, layout=95), T)
    assert d.step == "threshold" and "0.120" in d.reason and "95 bits" in d.reason


def test_an_icon_partly_redrawn_is_lost_at_the_threshold_naming_its_size():
    d = diagnose(measures(drawing=0.15, layout=40, size=(60, 300)), T)
    assert d.step == "threshold" and "60 px" in d.reason
