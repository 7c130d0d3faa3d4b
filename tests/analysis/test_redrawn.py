"""The default method on drawings reused with a part changed: an outfit recoloured and a logo added,
lettering replaced, a transparent sprite with white fills; and on unrelated figures in one shared room."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from visualdistance.analysis import synthetic
from visualdistance.analysis.content import find_drawing
from visualdistance.analysis.presets import DRAWING, DRAWING_CHAMFER, REDRAWN_MIN_SIZE, SAME_DRAWING
from tests.analysis.test_linking import describe, links_of

FLAT = ("flat", (225, 232, 240))


def _edge_distance(images, alphas=None) -> float:
    sigs = describe(images, alphas)
    return float(np.min(DRAWING_CHAMFER.distances(sigs, np.array([0]), np.array([1]))))


def _with_logo_and_new_part(drawing: synthetic.Drawing, rng) -> synthetic.Drawing:
    """Recoloured, one shape (a sleeve, a hem) redrawn smaller, and a small logo added."""
    shapes = list(synthetic.recolor(drawing, rng).shapes)
    last = shapes[-1]
    if last.kind == "ellipse":
        pts = last.points.copy()
        pts[1] *= 0.6
    else:
        pts = last.points.mean(axis=0) + 0.6 * (last.points - last.points.mean(axis=0))
    shapes[-1] = synthetic.Shape(last.kind, pts, last.fill)
    centre = shapes[0].points[0] if shapes[0].kind == "ellipse" else shapes[0].points.mean(axis=0)
    logo = synthetic.Shape("ellipse", np.array([centre, [0.07, 0.07], [0, 0]]), (250, 250, 40))
    return synthetic.Drawing(tuple(shapes) + (logo,), drawing.background)


@pytest.mark.parametrize("seed", [1237, 1238, 1239, 1241])
def test_recoloured_outfit_with_a_logo_added_links(seed):
    rng = np.random.default_rng(seed)
    character = synthetic.random_drawing(rng, (7, 8))
    a = synthetic.place(synthetic.render_sprite(character, 200), at=(200, 150), background=FLAT)
    b = synthetic.place(synthetic.render_sprite(_with_logo_and_new_part(character, rng), 200), at=(200, 150), background=FLAT)
    # too changed for the same-drawing threshold alone: the layout has to agree as well
    assert _edge_distance([a, b]) > SAME_DRAWING
    pairs, links = links_of([a, b], DRAWING)
    assert (0, 1) in pairs
    assert links.rules[pairs[(0, 1)]] & 0b10  # matched by the "redrawn" rule


@pytest.mark.parametrize("seed", [1237, 1239, 1241])
def test_an_icon_partly_redrawn_does_not_link_where_the_same_drawing_larger_does(seed):
    """Icons of one set share templates (one figure in many roles): in a drawing this small,
    a part redrawn is not evidence of reuse, so only the same-drawing rule may link it."""
    rng = np.random.default_rng(seed)
    character = synthetic.random_drawing(rng, (7, 8))
    changed = _with_logo_and_new_part(character, rng)
    pairs = {}
    for side in (200, 72):
        a, b = (synthetic.place(synthetic.render_sprite(d, side), at=(side, side), background=FLAT, size=(2 * side, 2 * side)) for d in (character, changed))
        assert _edge_distance([a, b]) > SAME_DRAWING
        pairs[side] = links_of([a, b], DRAWING)[0]
        last = (a, b)
    assert (0, 1) in pairs[200]
    assert pairs[72] == {}
    # the size gate is what stops it: without it the small pair links as partly redrawn
    ungated = replace(DRAWING, rules=(DRAWING.rules[0], replace(DRAWING.rules[1], gates=())))
    assert (0, 1) in links_of(list(last), ungated)[0]
    assert describe(list(last))["drawing_stats"][:, 3].max() < REDRAWN_MIN_SIZE


def _speech(panel: np.ndarray, text: str) -> np.ndarray:
    out = panel.copy()
    cv2.ellipse(out, (200, 50), (150, 38), 0, 0, 360, (255, 255, 255), -1, cv2.LINE_AA)
    cv2.ellipse(out, (200, 50), (150, 38), 0, 0, 360, (0, 0, 0), 2, cv2.LINE_AA)
    cv2.putText(out, text, (82, 60), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2, cv2.LINE_AA)
    return out


def test_a_relettered_speech_balloon_links(rng, drawing):
    scene = synthetic.place(synthetic.render_sprite(drawing, 170), at=(200, 190), background=("flat", (250, 214, 160)))
    a = _speech(scene, "WHAT IS THIS?")
    b = _speech(scene, "QU'EST-CE QUE?")
    assert (0, 1) in links_of([a, b], DRAWING)[0]


def _in_room(room: np.ndarray, figure: tuple[np.ndarray, np.ndarray], at: tuple[int, int]) -> np.ndarray:
    rgb, mask = figure
    out = room.copy()
    y0, x0 = at[1] - mask.shape[0] // 2, at[0] - mask.shape[1] // 2
    region = out[y0 : y0 + mask.shape[0], x0 : x0 + mask.shape[1]]
    region[mask] = rgb[mask]
    return out


def test_unrelated_figures_in_one_shared_room_do_not_link(rng):
    """The hard negatives of real comics: the same room, the characters in front drawn anew."""
    room = synthetic.render(synthetic.random_drawing(rng, (9, 10)))
    scenes = [
        _in_room(room, synthetic.render_sprite(synthetic.random_drawing(rng, (7, 8)), 240), at=(200, 150))
        for _ in range(5)
    ]
    assert links_of(scenes, DRAWING)[0] == {}


@pytest.mark.parametrize("fill", [(250, 120, 200), (90, 170, 240)])
def test_transparent_sprite_with_white_fills_keeps_its_outline(rng, fill):
    """A sprite's opacity is its mask: a white body that touches the transparent background is still drawing."""
    character = synthetic.random_drawing(rng, (7, 8))
    white = synthetic.Drawing(tuple(synthetic.Shape(s.kind, s.points, (255, 255, 255)) for s in character.shapes), character.background)
    other = synthetic.Drawing(tuple(synthetic.Shape(s.kind, s.points, fill) for s in character.shapes), character.background)
    images, alphas = [], []
    for d in (white, other):
        rgb, mask = synthetic.render_sprite(d, 160)
        images.append(np.where(mask[..., None], rgb, 255).astype(np.uint8))  # composited on white
        alphas.append(np.where(mask, 255, 0).astype(np.uint8))
    assert (0, 1) in links_of(images, DRAWING, alphas=alphas)[0]
    # with its opacity the white sprite is as much drawing as the coloured one; on white alone it melts away
    white_area = find_drawing(images[0], 128, alphas[0]).area
    assert white_area == pytest.approx(find_drawing(images[1], 128, alphas[1]).area, rel=0.05)
    assert find_drawing(images[0], 128).area < 0.6 * white_area
