"""Region links in the pipeline: a preset with a region search adds figure and background links to its drawing links."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from tests.analysis.test_linking import describe
from tests.analysis.test_regions import drawn_box, figure, paste, scene
from visualdistance.analysis import communities
from visualdistance.analysis.data import BOX, LINK_KINDS, Links, Panels
from visualdistance.analysis.evaluation import Truth
from visualdistance.analysis.evaluation.methods import score_method
from visualdistance.analysis.figures import figures_of_links
from visualdistance.analysis.linking import find_links, merge_links, pairwise
from visualdistance.analysis.presets import DRAWING, DRAWING_REGIONS, PRESETS, all_signatures, expensive_signatures
from visualdistance.analysis.region_search import RegionSearch
from visualdistance.analysis.signatures.regions import RegionKeypoints

#: how far a box's corner may be from the figure's drawn pixels (panel pixels): the region is measured on an
#: edge map a third of the working size (about 3 panel pixels an edge pixel), less 2% at each side
CORNER_PX = 10


def corners(box) -> np.ndarray:
    x, y, w, h = (float(v) for v in box)
    return np.array([x, y, x + w, y + h])


def box_of(links: Links, side: str, k: int) -> np.ndarray:
    box = getattr(links, f"box_{side}")
    return np.array([box[c][k] for c in BOX])


@pytest.fixture(scope="module")
def scenes():
    """Panels 0 and 1 show one figure at another place and size; 2 another figure in another scene; 3 is a copy of
    0 (the same whole drawing); 4 and 5 share one room with different figures in front. The figure's boxes in 0 and 1."""
    big, small = figure(1, 260), figure(1, 180)
    room = scene(30)
    images = [paste(scene(10), big, (40, 100)), paste(scene(11), small, (420, 30)), paste(scene(12), figure(6, 220), (300, 150))]
    images += [images[0].copy(), paste(room, figure(3, 200), (50, 150)), paste(room, figure(4, 200), (400, 120))]
    return images, (drawn_box(big[1], (40, 100)), drawn_box(small[1], (420, 30)))


@pytest.fixture(scope="module")
def sigs(scenes):
    return describe(scenes[0])


@pytest.fixture(scope="module")
def found(sigs):
    return find_links(sigs, np.arange(6), DRAWING_REGIONS)


def pairs_of(links: Links) -> dict[tuple[int, int], int]:
    return {(int(a), int(b)): k for k, (a, b) in enumerate(zip(links.a, links.b))}


def test_a_figure_pasted_at_another_scale_and_place_links_as_a_region_with_its_boxes(scenes, found):
    _, (box_a, box_b) = scenes
    pairs = pairs_of(found)
    k = pairs[(0, 1)]
    assert LINK_KINDS[found.kind[k]] == "region" and found.rules[k] == 0 and not found.mirrored[k]
    assert np.abs(corners(box_of(found, "a", k)) - corners(box_a)).max() <= CORNER_PX, (box_of(found, "a", k), box_a)
    assert np.abs(corners(box_of(found, "b", k)) - corners(box_b)).max() <= CORNER_PX, (box_of(found, "b", k), box_b)
    assert found.scale[k] == pytest.approx(180 / 260, rel=0.08)
    assert found.share_a[k] == pytest.approx(box_a[2] * box_a[3] / (650 * 450), rel=0.15)
    assert np.isnan(found.distances["drawing"][k]) and 0 <= found.weight[k] <= 1
    # the scene with another figure links to no other
    assert not [p for p in pairs if 2 in p]


def test_panels_sharing_only_their_room_link_as_background_never_as_reuse(found):
    k = pairs_of(found)[(4, 5)]
    assert LINK_KINDS[found.kind[k]] == "background" and not found.reuse()[k]


def test_a_pair_the_drawing_rules_link_keeps_its_whole_drawing_link(sigs, found):
    alone = find_links(sigs, np.arange(6), DRAWING)
    assert set(pairs_of(alone)) <= set(pairs_of(found))
    k, j = pairs_of(found)[(0, 3)], pairs_of(alone)[(0, 3)]
    assert LINK_KINDS[found.kind[k]] == "drawing" and found.rules[k] == alone.rules[j] != 0
    assert found.distances["drawing"][k] == alone.distances["drawing"][j] and found.weight[k] == alone.weight[j]
    assert all(np.isnan(found.box_a[c][k]) for c in BOX) and np.isnan(found.scale[k])
    # whole-drawing links first, region links after: one table sorted by pair
    keys = found.a.astype(np.int64) * 6 + found.b
    assert np.all(np.diff(keys) > 0)


def test_reuse_clusters_are_whole_drawings_and_region_links_make_one_figure(found):
    a, b, w = communities.reuse_edges(found)
    # only the whole drawing (0 and its copy 3): neither the figure's region links nor the shared room
    assert list(zip(a.tolist(), b.tolist())) == [(0, 3)]
    np.testing.assert_array_equal(w, found.weight[found.whole()])
    clustering = communities.cluster_links("leiden", 6, found)
    assert clustering.membership.tolist() == [0, -1, -1, 0, -1, -1]
    # a region or background link alone makes no cluster, however strong
    assert communities.cluster_links("greedy", 6, found.take(np.flatnonzero(~found.whole()))).n_clusters == 0
    # the figure 0, 1 and 3 show is one figure (1's two boxes of it, one per link, are one occurrence); the room none
    figures = figures_of_links(found)
    assert figures.n_figures == 1 and figures.panel.tolist() == [0, 1, 3]


def test_eval_scores_reuse_links_only_and_counts_each_kind(sigs, found):
    ints = np.arange(6, dtype=np.int32)
    ids = np.array([f"{i}.png" for i in range(6)], object)
    panels = Panels(ids, ids.copy(), ints, ints * 0, ints * 0 - 1, ints * 0 - 1, ints * 0 + 650, ints * 0 + 450,
                    ids.copy(), signatures=sigs)
    # 0, 1 and 3 show one figure; every other panel is a drawing of its own (4 and 5 share only their room)
    truth = Truth(group=np.array([0, 0, 1, 0, 2, 3]), mirrored=np.zeros(6, bool), blank=np.zeros(6, bool),
                  mirror_a=np.empty(0, np.int64), mirror_b=np.empty(0, np.int64))
    row, links = score_method(DRAWING_REGIONS, panels, truth, clusters=True)
    assert row["kind_background"] >= 1 and row["kind_region"] >= 1
    assert sum(row[f"kind_{k}"] for k in LINK_KINDS) == len(links)
    assert row["false_links"] == 0 and row["links"] == int(links.reuse().sum())
    # reuse clusters hold the whole drawing only (0 and 3); the figure clustering finds the figure 0, 1 and 3 show
    assert row["recall"] == 1.0 and row["ari_leiden"] < 1.0
    assert row["ari_figures"] == 1.0 and row["figures"] == 1


def test_merging_keeps_every_column(found):
    halves = [found.take(np.arange(len(found)) % 2 == r) for r in (0, 1)]
    merged = merge_links(halves)
    for name in ("a", "b", "kind", "scale", "share_a", "weight", "rules", "mirrored"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(found, name))
    for c in BOX:
        np.testing.assert_array_equal(merged.box_b[c], found.box_b[c])


def test_a_region_search_is_one_change_to_a_preset_and_brings_its_keypoints():
    adopted = replace(DRAWING, regions=RegionSearch())
    assert adopted.signatures == DRAWING.signatures + (RegionKeypoints(),)
    assert expensive_signatures(adopted) == (RegionKeypoints(),) and expensive_signatures(DRAWING) == ()
    assert replace(adopted, name="again").signatures == adopted.signatures  # never added twice
    assert "region_keypoints" not in {s.name for s in all_signatures()}  # the common set every run describes


def test_the_default_preset_has_no_region_search_and_a_region_preset_relinks_everything():
    assert PRESETS["drawing"].regions is None and pairwise(DRAWING)
    assert DRAWING_REGIONS.regions is not None and not pairwise(DRAWING_REGIONS)
    assert all(p.regions is None for name, p in PRESETS.items() if name != "drawing-regions")


def test_the_preset_diagnoses_pairs_as_its_search_links_them_and_a_gated_panel_at_the_gate(sigs, found, scenes):
    active = np.ones(6, bool)
    a, b = np.array([0, 4, 0, 2]), np.array([1, 5, 2, 3])
    boxes = np.full((4, 2, 4), np.nan)
    boxes[0] = scenes[1]
    steps = [d.step for d in DRAWING_REGIONS.regions.diagnose(sigs, active, a, b, boxes)]
    assert steps[:2] == ["linked", "background"] and steps[2] not in ("linked", "background")
    kinds = {(int(x), int(y)): LINK_KINDS[k] for x, y, k in zip(found.a, found.b, found.kind)}
    assert kinds[(0, 1)] == "region" and kinds[(4, 5)] == "background" and (0, 2) not in kinds
    active[3] = False  # panel 3 fails the gates: the region search never sees it
    assert DRAWING_REGIONS.regions.diagnose(sigs, active, a[3:], b[3:])[0].step == "gate"
