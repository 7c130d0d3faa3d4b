"""Figures: region links clustered on their own, as occurrences (a panel and a box), apart from reuse clusters."""

from __future__ import annotations

import numpy as np
import pytest

from visualdistance.analysis import communities
from visualdistance.analysis.data import BOX, LINK_KINDS, Links
from visualdistance.analysis.figures import (
    Figures, box_overlap, figure_occurrences, figures_of_links, find_figures, panel_figure,
)

F_BOX = (40.0, 100.0, 200.0, 260.0)  # figure F, where a panel shows it
G_BOX = (400.0, 80.0, 180.0, 240.0)  # figure G beside it, in another place


def links_of(rows: list[tuple[int, int, str, tuple | None, tuple | None]], weight: float = 0.5) -> Links:
    """Links (a, b, kind, box in a, box in b); boxes None for whole-drawing links."""
    n = len(rows)
    nan4 = (np.nan,) * 4
    box = lambda at: {k: np.array([(r[at] or nan4)[j] for r in rows], np.float32) for j, k in enumerate(BOX)}  # noqa: E731
    return Links(np.array([r[0] for r in rows], np.int32), np.array([r[1] for r in rows], np.int32), {}, {},
                 np.zeros(n, np.uint32), np.zeros(n, bool), np.full(n, weight, np.float32),
                 kind=np.array([LINK_KINDS.index(r[2]) for r in rows], np.int8), box_a=box(3), box_b=box(4))


def shifted(box: tuple, dx: float = 0.0, dy: float = 0.0, grow: float = 1.0) -> tuple:
    x, y, w, h = box
    return (x + dx, y + dy, w * grow, h * grow)


def test_box_overlap_is_the_intersection_over_the_smaller_box():
    box = np.array([[0, 0, 10, 10], [5, 0, 10, 10], [2, 2, 4, 4], [20, 20, 5, 5]], np.float64)
    i, j = np.array([0, 0, 0]), np.array([1, 2, 3])
    np.testing.assert_allclose(box_overlap(box, i, j), [0.5, 1.0, 0.0])


def test_two_figures_in_one_panel_stay_two_figures_and_do_not_glue_their_groups():
    # panel 0 shows F and, beside it, G; F is also in 1 and 2, G in 3 and 4: two figures, 0 in both
    links = links_of([(0, 1, "region", F_BOX, shifted(F_BOX, 200)), (0, 2, "region", shifted(F_BOX, 3, 2), F_BOX),
                      (0, 3, "region", G_BOX, shifted(G_BOX, -300)), (0, 4, "region", shifted(G_BOX, 2, -3), G_BOX)])
    figures = figures_of_links(links)
    assert figures.n_figures == 2 and len(figures) == 6  # panel 0: two occurrences, one per figure
    f_of = {(int(p), float(b[0])): int(f) for p, b, f in zip(figures.panel, figures.box, figures.figure)}
    assert f_of[(0, 40.0)] != f_of[(0, 400.0)]
    assert {int(figures.figure[figures.panel == p][0]) for p in (1, 2)} == {f_of[(0, 40.0)]}
    assert {int(figures.figure[figures.panel == p][0]) for p in (3, 4)} == {f_of[(0, 400.0)]}
    assert figures.of_panel(0).tolist() == [0, 1] and figures.sizes().tolist() == [3, 3]
    # every end of a link in panel 0 merged with the other box of its figure: the union of the two
    f_box = figures.box[(figures.panel == 0) & (figures.box[:, 0] < 100)][0]
    np.testing.assert_allclose(f_box, (40, 100, 203, 262))


def test_occurrences_overlapping_in_one_panel_merge_and_separate_ones_do_not():
    # three links find F in panel 0: the whole figure, its upper part (a bubble over the legs), and a box shifted
    # a little; all one occurrence. A fourth finds something at the panel's other side: another occurrence.
    upper = (40.0, 100.0, 200.0, 120.0)
    a = np.array([0, 0, 0, 0])
    b = np.array([1, 2, 3, 4])
    box_a = np.array([F_BOX, upper, shifted(F_BOX, 10, 10), G_BOX])
    occ = figure_occurrences(a, b, box_a, np.array([F_BOX] * 4))
    in_zero = np.flatnonzero(occ.panel == 0)
    assert len(in_zero) == 2 and len(occ) == 6
    assert len(set(occ.ends[:3, 0].tolist())) == 1 and occ.ends[3, 0] != occ.ends[0, 0]
    np.testing.assert_allclose(occ.box[occ.ends[0, 0]], (40, 100, 210, 270))
    # a stricter overlap than the upper part has (120/260 of the figure is inside it wholly: 1.0; so only a
    # threshold over 1 keeps every box apart)
    assert len(figure_occurrences(a, b, box_a, np.array([F_BOX] * 4), overlap=1.01)) == 8


def test_a_figure_in_many_scenes_is_one_figure_and_leaves_the_scenes_reuse_clusters_apart():
    # five scenes, each a drawing reused once (panels 2s and 2s+1: a whole-drawing link); the first panel of every
    # scene also shows figure F (region links along the scenes), at another place each time
    whole = [(2 * s, 2 * s + 1, "drawing", None, None) for s in range(5)]
    region = [(2 * s, 2 * s + 2, "region", shifted(F_BOX, 30 * s), shifted(F_BOX, 30 * s + 30)) for s in range(4)]
    links = links_of(whole + region, weight=0.9)
    clustering = communities.cluster_links("leiden", 10, links)
    assert clustering.n_clusters == 5
    assert all(clustering.membership[2 * s] == clustering.membership[2 * s + 1] for s in range(5))
    # the same with greedy: a figure never joins two scenes
    assert communities.cluster_links("greedy", 10, links).n_clusters == 5
    figures = figures_of_links(links)
    assert figures.n_figures == 1 and figures.panel.tolist() == [0, 2, 4, 6, 8]
    assert panel_figure(figures, 10).tolist() == [0, -1, 0, -1, 0, -1, 0, -1, 0, -1]


def test_figure_ids_go_by_panels_shown_and_orientation_follows_mirrored_links():
    # G (panels 5, 6) first in the links, F (panels 0-3) larger: F is figure 0. 1 shows F mirrored, 2 copies 1
    # directly (so it faces the other way too), 3 copies 2 mirrored (back the first way).
    a, b = np.array([5, 0, 1, 2]), np.array([6, 1, 2, 3])
    boxes = np.array([G_BOX, F_BOX, F_BOX, F_BOX])
    figures = find_figures(a, b, boxes, boxes, np.ones(4), np.array([False, True, False, True]))
    assert figures.figure.tolist() == [0, 0, 0, 0, 1, 1]
    assert figures.mirrored.tolist() == [False, True, True, False, False, False]
    np.testing.assert_allclose(figures.strength, [1, 2, 2, 1, 1, 1])


def test_a_panel_takes_the_figure_of_its_best_linked_occurrence():
    # panel 0 shows F (linked to 1, 2, 3) and G (linked to 4 only): F, its best-linked figure
    a, b = np.array([0, 0, 0, 0]), np.array([1, 2, 3, 4])
    box_a = np.array([F_BOX, F_BOX, F_BOX, G_BOX])
    figures = find_figures(a, b, box_a, box_a, np.full(4, 0.5), np.zeros(4, bool))
    f = int(figures.figure[(figures.panel == 1)][0])
    assert panel_figure(figures, 6)[0] == f and panel_figure(figures, 6)[5] == -1
    assert panel_figure(Figures.empty(), 3).tolist() == [-1, -1, -1]


def test_no_region_links_make_no_figures_and_other_kinds_play_no_part():
    links = links_of([(0, 1, "drawing", None, None), (1, 2, "background", F_BOX, F_BOX)])
    figures = figures_of_links(links)
    assert figures.n_figures == 0 and len(figures) == 0 and figures.sizes().tolist() == []


@pytest.mark.parametrize("seed", [0, 1])
def test_figures_do_not_depend_on_the_order_of_the_links(seed):
    rows = [(0, 1, "region", F_BOX, shifted(F_BOX, 200)), (0, 2, "region", shifted(F_BOX, 3, 2), F_BOX),
            (0, 3, "region", G_BOX, shifted(G_BOX, -300)), (3, 4, "region", shifted(G_BOX, -300), G_BOX)]
    order = np.random.default_rng(seed).permutation(len(rows))
    one, other = figures_of_links(links_of(rows)), figures_of_links(links_of([rows[k] for k in order]))
    for name in ("panel", "box", "figure", "mirrored", "strength"):
        np.testing.assert_array_equal(getattr(one, name), getattr(other, name))
