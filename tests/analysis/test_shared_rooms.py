"""A rule's link between two panels that show different figures in one room is a background link, not reuse."""

from __future__ import annotations

import numpy as np
import pytest

from tests import synthetic
from tests.analysis.test_linking import describe
from tests.analysis.test_regions import figure, paste, scene
from visualdistance.analysis import shared_rooms
from visualdistance.analysis.data import LINK_KINDS, Links
from visualdistance.analysis.linking import find_links
from visualdistance.analysis.presets import DRAWING, DRAWING_REGIONS

FIGURE_AT = (60, 220)


@pytest.fixture(scope="module")
def panels():
    """0 and 1: one room, a small figure in front of each (3 and 4); 2 and 3 show figures 3 and 4 in other rooms;
    4: panel 0 with a small object added beside its figure (the drawing partly redrawn)."""
    room = scene(70)
    first = paste(room, figure(3, 130), FIGURE_AT)
    images = [first, paste(room, figure(4, 130), (430, 200)),
              paste(scene(71), figure(3, 200), (300, 80)), paste(scene(72), figure(4, 200), (80, 120)),
              paste(first, figure(9, 60), (250, 330))]
    return describe(images)


@pytest.fixture(scope="module")
def found(panels) -> Links:
    return find_links(panels, np.arange(5), DRAWING_REGIONS)


def kind_of(links: Links, a: int, b: int) -> str | None:
    rows = np.flatnonzero((links.a == a) & (links.b == b))
    return LINK_KINDS[links.kind[rows[0]]] if len(rows) else None


def test_the_rules_alone_link_two_panels_that_share_only_their_room(panels):
    # what the region search corrects: the whole-panel rules see one room, the figures are a small part of it
    assert kind_of(find_links(panels, np.arange(5), DRAWING), 0, 1) in ("drawing", "redrawn")


def test_with_the_figures_known_elsewhere_the_shared_room_is_a_background_link(found):
    assert kind_of(found, 0, 2) == "region" and kind_of(found, 1, 3) == "region"
    k = np.flatnonzero((found.a == 0) & (found.b == 1))[0]
    assert LINK_KINDS[found.kind[k]] == "background" and not found.reuse()[k]
    # the rules' evidence stays on the link: it says why the panels matched as wholes
    assert found.rules[k] != 0 and np.isfinite(found.distances["drawing"][k])


def test_a_drawing_partly_redrawn_keeps_its_whole_drawing_link(found):
    # panel 4 is panel 0 with an object added: panel 0's figure is still there, at its place
    assert kind_of(found, 0, 4) in ("drawing", "redrawn")


def test_a_figure_kept_at_its_place_or_lacking(panels, found):
    features = dict(zip(range(5), DRAWING_REGIONS.regions.features(panels, np.arange(5))))
    k = np.flatnonzero((found.a == 0) & (found.b == 2))[0]
    box, third_box = np.array([found.box_a[c][k] for c in "xywh"]), np.array([found.box_b[c][k] for c in "xywh"])
    kept = {other: shared_rooms.figure_kept(features[0], box, features[2], third_box, bool(found.mirrored[k]),
                                            features[other]) for other in (1, 4)}
    assert kept[4] > 0.9 > shared_rooms.FIGURE_KEPT > kept[1], kept


def framed_on_white(sprite) -> np.ndarray:
    """The sprite at FIGURE_AT on a white page inside a 3 px black frame."""
    page = np.full_like(scene(70), 255)
    page[:3], page[-3:], page[:, :3], page[:, -3:] = 0, 0, 0, 0
    return paste(page, sprite, FIGURE_AT)


def test_panels_on_a_flat_background_share_no_room_whatever_their_figures():
    # two figures at one place of two white pages in one frame: one lacks the other's figure, but nothing around
    # the figures agrees (a frame is no room), so the figure test has no room to judge (an emoji recoloured on a
    # flat background loses half its edges: its own whole-drawing link stays reuse)
    sigs = describe([framed_on_white(figure(3, 160)), framed_on_white(figure(4, 160)),
                     paste(scene(71), figure(3, 200), (300, 80))])
    found = find_links(sigs, np.arange(3), DRAWING_REGIONS)
    k = np.flatnonzero((found.a == 0) & (found.b == 2))[0]
    assert LINK_KINDS[found.kind[k]] == "region"
    features = DRAWING_REGIONS.regions.features(sigs, np.arange(3))
    box, third_box = np.array([found.box_a[c][k] for c in "xywh"]), np.array([found.box_b[c][k] for c in "xywh"])
    assert np.isnan(shared_rooms.figure_kept(features[0], box, features[2], third_box, bool(found.mirrored[k]),
                                             features[1]))


def test_room_edges_count_the_edges_around_the_figure_that_the_other_panel_has_there():
    mine = np.zeros((150, 216), bool)
    mine[50, 2:214] = True  # a line of the room, 212 px, 4 of them at each end in the frame band (6 px)
    mine[60:100, 100] = True  # the figure's, 40 px
    figure_cells = (slice(55, 105), slice(90, 110))
    theirs = np.roll(mine, (4, -6), axis=(0, 1)).astype(np.float32)  # the other panel shows it 6 px left, 4 down
    assert shared_rooms.room_edges(mine, figure_cells, theirs, -6, 4) == 212 - 2 * 4
    assert shared_rooms.room_edges(mine, figure_cells, theirs, 0, 0) == 0  # not aligned: nothing agrees


def test_without_region_links_no_rule_link_changes(panels):
    whole = find_links(panels, np.arange(5), DRAWING)
    none = DRAWING_REGIONS.regions.find(panels, np.arange(5), np.zeros(5, bool))
    rooms = shared_rooms.shared_rooms(whole, none, lambda rows: DRAWING_REGIONS.regions.features(panels, rows),
                                      np.arange(5))
    assert len(whole) and not rooms.any()


def test_a_drawing_moved_in_its_panel_keeps_its_link_with_its_figures_known_elsewhere(monkeypatch):
    # one drawing (a room with a figure) on white at two places; the figure also pasted into another scene
    inner = paste(synthetic.render(synthetic.random_drawing(np.random.default_rng(80), (10, 16)), (480, 330)),
                  figure(3, 130), (60, 150))

    def on_white(x: int, y: int) -> np.ndarray:
        out = np.full((450, 650, 3), 255, np.uint8)
        out[y:y + 330, x:x + 480] = inner
        return out

    sigs = describe([on_white(20, 20), on_white(150, 100), paste(scene(71), figure(3, 200), (300, 80))])
    assert kind_of(find_links(sigs, np.arange(3), DRAWING_REGIONS), 0, 1) == "drawing"
    assert kind_of(find_links(sigs, np.arange(3), DRAWING_REGIONS), 0, 2) == "region"
    # what the alignment does: compared in place (the room test off: in place the rooms disagree too), the moved
    # figure would be missing
    monkeypatch.setattr(shared_rooms, "offset", lambda mine, theirs: (0, 0))
    monkeypatch.setattr(shared_rooms, "ROOM_EDGES", 0)
    assert kind_of(find_links(sigs, np.arange(3), DRAWING_REGIONS), 0, 1) == "background"


def test_the_offset_is_where_the_other_map_shows_the_same_content():
    mine = np.zeros((150, 216), np.float32)
    mine[40:60, 50:90] = mine[100:110, 150:160] = 1
    assert shared_rooms.offset(mine, np.roll(mine, (-5, 7), axis=(0, 1))) == (7, -5)
