"""The default method on generated panels: reuse that moved, got a border or a new background, or was mirrored."""

import numpy as np
import pytest

from tests import synthetic
from visualdistance.analysis.content import (
    background_mask,
    colour_edges,
    content_mask,
    find_drawing,
    work_image,
    working_side,
)
from visualdistance.analysis.content.drawing import _working_mask
from visualdistance.analysis.presets import DRAWING
from tests.analysis.test_linking import links_of

FLAT = ("flat", (225, 232, 240))
WARM = ("flat", (250, 214, 160))
SPLIT = ("split", (240, 200, 120), (90, 160, 90), 30)


@pytest.fixture
def sprite(drawing):
    return synthetic.render_sprite(drawing, 150)


def test_drawing_moved_10px_on_a_new_background_links(sprite):
    a = synthetic.place(sprite, at=(200, 150), background=FLAT)
    b = synthetic.place(sprite, at=(210, 140), background=SPLIT)
    pairs, links = links_of([a, b], DRAWING)
    assert (0, 1) in pairs
    assert not links.mirrored[pairs[(0, 1)]]


def test_recoloured_drawing_with_and_without_border_links(rng, drawing):
    a = synthetic.place(synthetic.render_sprite(drawing, 150), at=(190, 150), background=FLAT)
    b = synthetic.place(synthetic.render_sprite(synthetic.recolor(drawing, rng), 150), at=(200, 155), background=WARM, border=2)
    assert (0, 1) in links_of([a, b], DRAWING)[0]


def test_mirrored_copy_links_and_is_flagged(drawing):
    a = synthetic.place(synthetic.render_sprite(drawing, 150), at=(200, 150), background=FLAT)
    b = synthetic.place(synthetic.render_sprite(drawing, 150, mirrored=True), at=(195, 150), background=WARM, border=1)
    pairs, links = links_of([a, b], DRAWING)
    assert (0, 1) in pairs
    assert links.mirrored[pairs[(0, 1)]]


def test_unrelated_drawings_on_identical_backgrounds_and_borders_do_not_link(rng):
    panels = [
        synthetic.place(synthetic.render_sprite(synthetic.random_drawing(rng), 150), at=(200, 150), background=SPLIT, border=2)
        for _ in range(6)
    ]
    assert links_of(panels, DRAWING)[0] == {}


def test_blank_and_near_blank_panels_link_to_nothing(rng, sprite):
    busy = synthetic.place(sprite, at=(200, 150), background=FLAT)
    flat = synthetic.place((np.zeros((1, 1, 3), np.uint8), np.zeros((1, 1), bool)), background=FLAT)
    mark = synthetic.blank_panel(rng, mark=True)
    empty_split = synthetic.place((np.zeros((1, 1, 3), np.uint8), np.zeros((1, 1), bool)), background=SPLIT, border=2)
    bordered = synthetic.place((np.zeros((1, 1, 3), np.uint8), np.zeros((1, 1), bool)), background=FLAT, border=2)
    pairs, _ = links_of([busy, flat, mark, empty_split, bordered, flat.copy()], DRAWING)
    assert pairs == {}


def test_two_tone_background_is_found_and_the_drawing_kept(sprite):
    img = work_image(synthetic.place(sprite, at=(200, 150), background=SPLIT, border=2), 128)
    bg = background_mask(img)
    assert bg.colours == 2
    drawing = find_drawing(synthetic.place(sprite, at=(200, 150), background=SPLIT, border=2))
    alone = find_drawing(synthetic.place(sprite, at=(200, 150), background=FLAT))
    # the split line and the border are gone: both edge maps are the drawing's
    inter = (drawing.edges & alone.edges).sum()
    assert inter / max(alone.edges.sum(), 1) > 0.8


def test_a_drawing_touching_the_edge_is_not_taken_for_background():
    img = np.full((64, 64, 3), 255, np.uint8)
    img[30:, 20:44] = (200, 150, 110)  # a "hand" coming in from the bottom edge
    img[40:, 30:33] = (120, 80, 60)  # a finger line
    bg = background_mask(work_image(img, 128))
    assert bg.colours == 1
    assert find_drawing(img).area > 0.15


def test_dark_on_dark_lines_are_edges():
    img = np.full((96, 128, 3), 30, np.uint8)
    img[20:70, 30:90] = (55, 45, 40)  # a dark shape on a darker fill
    mask = np.zeros((96, 128), bool)
    mask[10:80, 20:100] = True
    edges = colour_edges(img, mask)
    assert edges[20, 40] or edges[19, 40]  # the shape's top edge
    assert not edges[45, 60]  # its flat inside


@pytest.mark.parametrize("phase", [0, 1, 2, 3])
def test_a_boundary_gives_a_one_pixel_line_wherever_it_falls_between_pixels(phase):
    # a colour step drawn 4x larger and shrunk: the boundary lands a quarter pixel further each phase
    big = np.full((4 * 48, 4 * 64, 3), (240, 230, 220), np.uint8)
    big[:, 4 * 30 + phase :] = (60, 90, 160)
    img = work_image(big, 64)
    mask = np.ones(img.shape[:2], bool)
    edges = colour_edges(img, mask)
    rows = edges[6:-6, 20:44]  # away from the image's own outline
    assert (rows.sum(axis=1) == 1).all()
    assert set(np.nonzero(rows)[1] + 20) <= {29, 30, 31}


def test_the_working_image_is_a_little_larger_than_the_canvas_and_never_enlarged_past_2x():
    assert working_side((300, 400, 3), 128) == 160
    assert working_side((1200, 900, 3), 128) == 160
    assert working_side((64, 64, 3), 128) == 128  # enlarged 2x, not 2.5x
    assert working_side((40, 30, 3), 128) == 80


def test_a_small_image_is_masked_at_its_own_size_as_if_enlarged(drawing):
    small = synthetic.place(synthetic.render_sprite(drawing, 60), at=(60, 45), background=WARM, size=(120, 90))
    img = work_image(small, working_side(small.shape, 128))
    assert img.shape[:2] == (120, 160)
    mask, colours, _, _ = _working_mask(small, img)
    enlarged_mask, enlarged_colours = content_mask(img)
    assert colours == enlarged_colours == 1
    assert (mask != enlarged_mask).mean() < 0.002


def test_a_mirror_image_links_only_when_it_keeps_the_drawings_colours(rng, drawing):
    original = synthetic.place(synthetic.render_sprite(drawing, 150), at=(200, 150), background=FLAT)
    other_colours = synthetic.recolor(drawing, rng)
    flipped_recoloured = synthetic.place(synthetic.render_sprite(other_colours, 150, mirrored=True), at=(205, 150), background=WARM)
    recoloured = synthetic.place(synthetic.render_sprite(other_colours, 150), at=(195, 150), background=WARM)
    pairs, links = links_of([original, flipped_recoloured, recoloured], DRAWING)
    assert (0, 2) in pairs  # a recolour, matched directly
    assert (0, 1) not in pairs  # a recolour matched only in the mirror image: too weak
    assert (1, 2) in pairs and links.mirrored[pairs[(1, 2)]]  # flipped, same colours
    assert links.distances["colours"][pairs[(0, 2)]] > 0.2 > links.distances["colours"][pairs[(1, 2)]]


def _framed_with_margin(panel: np.ndarray, margin: int = 2, line: int = 2, page=(255, 255, 255)) -> np.ndarray:
    """The panel inside a black frame line that sits `margin` px in from the edge of the page."""
    out = panel.copy()
    out[:margin], out[-margin:], out[:, :margin], out[:, -margin:] = page, page, page, page
    m, n = margin, margin + line
    out[m:n, m:-m], out[-n:-m, m:-m], out[m:-m, m:n], out[m:-m, -n:-m] = 0, 0, 0, 0
    return out


@pytest.mark.parametrize("margin", [2, 4])
def test_a_drawing_moved_inside_a_frame_with_a_margin_links(sprite, margin):
    """A frame drawn a little in from the page's edge is part of the page, not the drawing (hostile round, H12)."""
    a = _framed_with_margin(synthetic.place(sprite, at=(200, 150), background=FLAT), margin)
    b = _framed_with_margin(synthetic.place(sprite, at=(212, 158), background=FLAT), margin)
    pairs, links = links_of([a, b], DRAWING)
    assert (0, 1) in pairs
    assert links.distances["drawing"][pairs[(0, 1)]] < 0.02
    # the frame is not in the drawing: its mask stops well inside the frame line
    mask = find_drawing(a).mask
    assert not mask[:, :3].any() and not mask[:3].any()

