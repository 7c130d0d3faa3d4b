"""The region search replayed for one pair: the step that lost it, on generated scenes (the scenes of test_regions)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests import synthetic
from tests.analysis.test_regions import describe, drawn_box, figure, grain, paste, scene
from visualdistance.analysis import regions
from visualdistance.analysis.region_diagnosis import diagnose_pair, diagnose_pairs, panel_points, region_picture


def room(seed: int, size: tuple[int, int], line: int) -> np.ndarray:
    """A room like `scene`'s at another size and line width."""
    return synthetic.render(synthetic.random_drawing(np.random.default_rng(seed), (10, 16)), size, line=line)


def three_times_larger():
    """One figure in a 650 x 450 scene and at three times its size (lines as much thicker) in a 975 x 675 one (under
    the 1,024 px the loader shrinks panels to, so the panel's pixels are the file's)."""
    drawing = synthetic.random_drawing(np.random.default_rng(5), (14, 20))
    return (paste(scene(12), synthetic.render_sprite(drawing, 150), (60, 120)), (60, 120, 150, 150),
            paste(room(13, (975, 675), 6), synthetic.render_sprite(drawing, 450, line=6), (500, 150)), (500, 150, 450, 450))


def pasted_pair():
    """One figure pasted into two scenes at other places and sizes, and its drawn boxes: a region link."""
    big, small = figure(1, 260), figure(1, 180)
    a, b = paste(scene(10), big, (40, 100)), paste(scene(11), small, (420, 30))
    return a, b, drawn_box(big[1], (40, 100)), drawn_box(small[1], (420, 30))


def test_a_plain_pasted_figure_is_diagnosed_linked_with_its_figures():
    a, b, box_a, box_b = pasted_pair()
    d = diagnose_pair(describe(a), describe(b), box_a, box_b)
    assert d.step == "linked", d.reason
    at = d.attempt
    assert not at.mirrored and at.inliers >= regions.MIN_INLIERS and at.verification.match.kind == "region"
    assert min(at.kept) >= regions.MIN_INLIERS and at.alone >= len(at.proposed.src_points) >= regions.MIN_CORRESPONDENCES
    assert at.verification.scale == pytest.approx(180 / 260, rel=0.08) and "a region" in d.reason


def without_keypoints_in(f: regions.RegionFeatures, box, keep: int) -> regions.RegionFeatures:
    """f with only `keep` of its keypoints inside box (x, y, w, h, panel pixels), on the picture and its mirror image."""
    def cut(points, descriptors, mirrored):
        p = panel_points(points, f, mirrored)
        x, y, w, h = box
        inside = np.flatnonzero((p[:, 0] >= x) & (p[:, 0] <= x + w) & (p[:, 1] >= y) & (p[:, 1] <= y + h))
        drop = np.zeros(len(points), bool)
        drop[inside[keep:]] = True
        return points[~drop], descriptors[~drop]

    points, descriptors = cut(f.points, f.descriptors, False)
    points_m, descriptors_m = cut(f.points_mirror, f.descriptors_mirror, True)
    # which of the keypoints left repeat is found again among them (as for features described before it was stored)
    return replace(f, points=points, descriptors=descriptors, points_mirror=points_m, descriptors_mirror=descriptors_m,
                   distinctive=None, distinctive_mirror=None)


def test_a_figure_cut_to_too_few_keypoints_is_lost_at_keypoints():
    a, b, box_a, box_b = pasted_pair()
    fa = without_keypoints_in(describe(a), box_a, regions.MIN_INLIERS - 5)
    d = diagnose_pair(fa, describe(b), box_a, box_b)
    assert d.step == "keypoints", d.reason
    assert d.attempt.keypoints[0] <= regions.MIN_INLIERS - 5 and f"{d.attempt.keypoints[0]} and" in d.reason
    # without the labelled box the whole panel's keypoints count: enough of them, so another step is named
    assert diagnose_pair(fa, describe(b)).step != "keypoints"


def test_a_figure_pasted_at_three_times_its_size_is_lost_at_the_transform_check():
    a, box_a, b, box_b = three_times_larger()
    fa, fb = describe(a), describe(b)
    d = diagnose_pair(fa, fb, box_a, box_b)
    assert d.step == "transform", d.reason
    assert d.attempt.inliers >= regions.MIN_INLIERS and d.attempt.verification.scale == pytest.approx(3, rel=0.1)
    assert len(regions.find_region_links([fa, fb])) == 0  # the search itself does not link them either


def test_two_panels_sharing_one_background_with_different_figures_are_reported_at_the_background_test():
    room = scene(30)
    a, b = paste(room, figure(3, 200), (50, 150)), paste(room, figure(4, 200), (400, 120))
    d = diagnose_pair(describe(a), describe(b))
    assert d.step == "background" and "never reuse" in d.reason, d.reason
    assert d.attempt.verification.match.kind == "background"


def test_a_texture_in_two_scenes_is_reported_at_the_edge_test_as_a_texture():
    patch = grain(5)
    d = diagnose_pair(describe(paste(scene(60), patch, (30, 40))), describe(paste(scene(61), patch, (280, 200))),
                      (30, 40, 320, 220), (280, 200, 320, 220))
    assert d.step == "edge agreement" and "a texture" in d.reason, d.reason
    assert d.attempt.verification.agreement.moved >= regions.TEXTURE_AGREEMENT


def test_a_pair_the_shared_index_crowds_out_is_lost_at_the_index():
    # NEIGHBOURS copies of panel a, and of each panel's mirror image: each descriptor of a (and of either mirror image)
    # finds its NEIGHBOURS nearest among identical copies (distance 0), so b is never among them, in either
    # orientation, though the two alone link.
    a, b, box_a, box_b = pasted_pair()
    fa, fb = describe(a), describe(b)
    assert diagnose_pair(fa, fb, box_a, box_b).step == "linked"
    crowd = [fa, fb] + [fa, describe(a[:, ::-1]), describe(b[:, ::-1])] * regions.NEIGHBOURS
    d = diagnose_pairs(crowd, np.array([[0, 1]]), np.array([[box_a, box_b]], np.float64))[0]
    assert d.step == "index", d.reason
    assert d.attempt.index_lost and f"index of all {len(crowd)} panels (" in d.reason and "which link" in d.reason
    found = regions.find_region_links(crowd)
    assert not ((found.a == 0) & (found.b == 1)).any()  # the search itself loses the pair too


def test_the_diagnosis_agrees_with_the_search_on_every_pair():
    a, b, _, _ = pasted_pair()
    room = scene(30)
    panels = [a, b, paste(room, figure(3, 200), (50, 150)), paste(room, figure(4, 200), (400, 120)),
              paste(scene(40), figure(1, 200, mirrored=True), (300, 100)), paste(scene(41), figure(6, 220), (80, 60))]
    features = [describe(p) for p in panels]
    found = regions.find_region_links(features)
    linked = {(int(x), int(y)): regions.KINDS[k] for x, y, k in zip(found.a, found.b, found.kind)}
    pairs = np.array([(x, y) for x in range(len(panels)) for y in range(x + 1, len(panels))])
    steps = {(int(x), int(y)): d.step for (x, y), d in zip(pairs, diagnose_pairs(features, pairs))}
    expected = {p: {"region": "linked"}.get(linked[p], linked[p]) for p in linked}
    assert {p: s for p, s in steps.items() if s in ("linked", "background")} == expected
    assert expected[(0, 1)] == "linked" and expected[(2, 3)] == "background" and expected[(0, 4)] == "linked"


def test_the_picture_draws_both_panels_and_what_was_counted():
    a, b, box_a, box_b = pasted_pair()
    fa, fb = describe(a), describe(b)
    d = diagnose_pair(fa, fb, box_a, box_b)
    picture = region_picture(a, b, d, (fa, fb), (box_a, box_b))
    assert picture.shape[1] == 2 * 320 + 6 and picture.shape[0] > 320 * 450 / 650
    colours = {tuple(c) for c in picture.reshape(-1, 3).tolist()}
    assert {(40, 170, 40), (220, 0, 0), (200, 0, 200)} <= colours  # the figure boxes, the inliers, the matched region
