"""Generated line-art panels with planted reuse, for tests and benchmarks.

A drawing is a list of outlined, flat-filled shapes (what webcomic art looks
like at panel scale). From one drawing the generator plants the kinds of reuse
the product looks for:

- recolor: same geometry, new fill colours and background;
- redraw: the shapes' points jittered by a few pixels, line weight changed;
- mirror: the drawing flipped left-right (a mirrored redraw).

Everything here is pure: images come back as numpy arrays with their labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

KINDS = ("original", "recolor", "redraw", "mirror")


@dataclass(frozen=True)
class Shape:
    kind: str  # "ellipse" | "poly" | "line"
    points: np.ndarray  # float (k, 2) in [0, 1] x [0, 1] panel coordinates
    fill: tuple[int, int, int]


@dataclass(frozen=True)
class Drawing:
    shapes: tuple[Shape, ...]
    background: tuple[int, int, int]


@dataclass(frozen=True)
class PlantedPanel:
    """One generated panel: its pixels and where it came from."""

    image: np.ndarray  # HxWx3 uint8 RGB
    group: int  # panels of one group reuse one drawing; singletons have their own
    kind: str  # one of KINDS, or "blank"


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(30, 256, 3))


def random_drawing(rng: np.random.Generator, n_shapes: tuple[int, int] = (4, 9)) -> Drawing:
    """A random composition of ellipses, polygons and strokes."""
    shapes = []
    for _ in range(int(rng.integers(*n_shapes))):
        kind = rng.choice(["ellipse", "poly", "poly", "line"])
        centre = rng.uniform(0.15, 0.85, 2)
        if kind == "ellipse":
            pts = np.array([centre, rng.uniform(0.05, 0.25, 2), [rng.uniform(0, 180), 0]])
        elif kind == "poly":
            k = int(rng.integers(3, 7))
            ang = np.sort(rng.uniform(0, 2 * np.pi, k))
            rad = rng.uniform(0.06, 0.25, k)
            pts = centre + np.c_[np.cos(ang) * rad, np.sin(ang) * rad]
        else:
            pts = centre + rng.uniform(-0.3, 0.3, (int(rng.integers(2, 5)), 2))
        shapes.append(Shape(str(kind), np.clip(pts, 0.0, 1.0) if kind != "ellipse" else pts, _colour(rng)))
    return Drawing(tuple(shapes), _colour(rng))


def recolor(drawing: Drawing, rng: np.random.Generator) -> Drawing:
    """Same geometry, new colours."""
    return Drawing(tuple(Shape(s.kind, s.points, _colour(rng)) for s in drawing.shapes), _colour(rng))


def redraw(drawing: Drawing, rng: np.random.Generator, jitter: float = 0.006) -> Drawing:
    """Same composition drawn again: every point moved a little."""
    shapes = []
    for s in drawing.shapes:
        pts = s.points.copy()
        if s.kind == "ellipse":
            pts[0] += rng.normal(0, jitter, 2)
            pts[1] *= 1 + rng.normal(0, 2 * jitter, 2)
        else:
            pts = pts + rng.normal(0, jitter, pts.shape)
        shapes.append(Shape(s.kind, pts, s.fill))
    return Drawing(tuple(shapes), drawing.background)


def render(drawing: Drawing, size: tuple[int, int] = (400, 300), line: int = 2, mirrored: bool = False) -> np.ndarray:
    """Draw to an RGB array of size (width, height): flat fills with black outlines."""
    w, h = size
    img = np.empty((h, w, 3), np.uint8)
    img[:] = drawing.background
    scale = np.array([w, h], dtype=float)
    for s in drawing.shapes:
        if s.kind == "ellipse":
            c = tuple(int(v) for v in s.points[0] * scale)
            axes = tuple(max(2, int(v)) for v in s.points[1] * scale)
            angle = float(s.points[2][0])
            cv2.ellipse(img, c, axes, angle, 0, 360, s.fill, -1, cv2.LINE_AA)
            cv2.ellipse(img, c, axes, angle, 0, 360, (0, 0, 0), line, cv2.LINE_AA)
        elif s.kind == "poly":
            pts = (s.points * scale).astype(np.int32)
            cv2.fillPoly(img, [pts], s.fill, cv2.LINE_AA)
            cv2.polylines(img, [pts], True, (0, 0, 0), line, cv2.LINE_AA)
        else:
            pts = (s.points * scale).astype(np.int32)
            cv2.polylines(img, [pts], False, (0, 0, 0), line + 1, cv2.LINE_AA)
    return img[:, ::-1].copy() if mirrored else img


def blank_panel(rng: np.random.Generator, size: tuple[int, int] = (400, 300), mark: bool = False) -> np.ndarray:
    """A flat panel, optionally with one tiny mark (the near-blank panels webcomics are full of)."""
    w, h = size
    img = np.empty((h, w, 3), np.uint8)
    img[:] = _colour(rng)
    if mark:
        x, y = int(rng.integers(10, w - 10)), int(rng.integers(10, h - 10))
        cv2.circle(img, (x, y), 2, (0, 0, 0), -1)
    return img


def planted_corpus(
    n_panels: int,
    seed: int = 0,
    group_share: float = 0.3,
    group_size: tuple[int, int] = (2, 5),
    blank_share: float = 0.01,
    size: tuple[int, int] = (400, 300),
):
    """Yield `n_panels` PlantedPanel: about `group_share` of them in groups of reused art.

    Each group is one original plus recolors, redraws and mirrors of it; the
    rest are unrelated drawings (each its own group) and a few near-blank
    panels (kind "blank", each its own group). Deterministic for a seed.
    """
    rng = np.random.default_rng(seed)
    made = 0
    group = 0
    while made < n_panels:
        roll = rng.random()
        if roll < blank_share:
            yield PlantedPanel(blank_panel(rng, size, mark=bool(rng.random() < 0.5)), group, "blank")
            made += 1
        elif roll < blank_share + group_share / group_size[1] * 2:
            base = random_drawing(rng)
            yield PlantedPanel(render(base, size), group, "original")
            made += 1
            for _ in range(int(rng.integers(group_size[0], group_size[1] + 1)) - 1):
                if made >= n_panels:
                    break
                kind = str(rng.choice(["recolor", "redraw", "mirror"]))
                if kind == "recolor":
                    img = render(recolor(base, rng), size)
                elif kind == "redraw":
                    img = render(redraw(base, rng), size, line=int(rng.integers(2, 4)))
                else:
                    img = render(recolor(base, rng) if rng.random() < 0.5 else base, size, mirrored=True)
                yield PlantedPanel(img, group, kind)
                made += 1
        else:
            yield PlantedPanel(render(random_drawing(rng), size), group, "original")
            made += 1
        group += 1


def render_sprite(drawing: Drawing, side: int = 160, line: int = 2, mirrored: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The drawing alone (no background) on a side x side canvas: (RGB, bool mask of drawn pixels)."""
    on_black = render(Drawing(drawing.shapes, (0, 0, 0)), (side, side), line)
    on_white = render(Drawing(drawing.shapes, (255, 255, 255)), (side, side), line)
    # drawn pixels look the same whatever the background behind them
    mask = (on_black == on_white).all(axis=2)
    rgb = on_black
    if mirrored:
        rgb, mask = rgb[:, ::-1].copy(), mask[:, ::-1].copy()
    return rgb, mask


def place(
    sprite: tuple[np.ndarray, np.ndarray],
    size: tuple[int, int] = (400, 300),
    at: tuple[int, int] = (200, 150),
    background: tuple = ("flat", (230, 230, 230)),
    border: int = 0,
) -> np.ndarray:
    """A panel: the sprite centred at `at` on a background, with an optional black border.

    background: ("flat", colour) or ("split", colour_a, colour_b, angle_degrees)
    for two flat colours either side of a straight line through the centre.
    """
    w, h = size
    panel = np.empty((h, w, 3), np.uint8)
    if background[0] == "flat":
        panel[:] = background[1]
    else:
        _, a, b, angle = background
        yy, xx = np.mgrid[0:h, 0:w]
        t = np.deg2rad(angle)
        side = (xx - w / 2) * np.sin(t) - (yy - h / 2) * np.cos(t) > 0
        panel[:] = a
        panel[side] = b
    rgb, mask = sprite
    sh, sw = mask.shape
    x0, y0 = at[0] - sw // 2, at[1] - sh // 2
    ys, xs = slice(max(0, y0), min(h, y0 + sh)), slice(max(0, x0), min(w, x0 + sw))
    sub = mask[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
    panel[ys, xs][sub] = rgb[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0][sub]
    if border:
        panel[:border], panel[-border:], panel[:, :border], panel[:, -border:] = 0, 0, 0, 0
    return panel
