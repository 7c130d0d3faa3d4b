"""Which pixels of a panel are drawing: not the page margin and frame, not a flat or two-tone background
(read from a ring just inside the frame), not transparent; specks dropped. Steps 2 and 3 of `content`."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

#: colours within this many levels (per channel) count as the same flat colour
COLOUR_TOLERANCE = 24
#: pixels of the working image skipped all round: panel borders live there
FRAME_MARGIN = 2


@functools.lru_cache(maxsize=64)
def _ring(h: int, w: int, depth: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the rectangle `depth` pixels in from the edge, in circular order."""
    top = np.arange(depth, w - depth)
    right = np.arange(depth, h - depth)
    ys = np.r_[np.full(len(top), depth), right, np.full(len(top), h - 1 - depth), right[::-1]]
    xs = np.r_[top, np.full(len(right), w - 1 - depth), top[::-1], np.full(len(right), depth)]
    ys.flags.writeable = xs.flags.writeable = False  # cached: shared by every caller
    return ys, xs


def _channel_max(a: np.ndarray) -> np.ndarray:
    """max over the channels of an (h, w, 3) array (numpy's reduce is slow on an axis of 3)."""
    r, g, b = cv2.split(np.ascontiguousarray(a))
    return cv2.max(cv2.max(r, g), b)


def _distance_to(img: np.ndarray, colour: np.ndarray) -> np.ndarray:
    """Largest per-channel difference of every pixel from one colour (uint8)."""
    return _channel_max(cv2.absdiff(np.ascontiguousarray(img), tuple(float(c) for c in colour) + (0.0,)))


def _within(img: np.ndarray, colour: np.ndarray, tol: int) -> np.ndarray:
    """Pixels whose every channel is within tol of colour (the same as _distance_to(...) <= tol, faster)."""
    c = colour.astype(np.int16)
    lower = np.clip(c - tol, 0, 255).astype(np.uint8)
    upper = np.clip(c + tol, 0, 255).astype(np.uint8)
    return cv2.inRange(np.ascontiguousarray(img), lower, upper).astype(bool)


def _median_colour(pixels: np.ndarray) -> np.ndarray:
    """Per-channel median of (k, 3) uint8 pixels, as np.median(...).astype(uint8) gives it."""
    s = np.sort(pixels, axis=0)
    k = len(s)
    if k % 2:
        return s[k // 2]
    return ((s[k // 2 - 1].astype(np.float64) + s[k // 2]) / 2).astype(np.uint8)


def _nearest_colour(pixels: np.ndarray, colours: list[np.ndarray], tol: int) -> np.ndarray:
    """0 where no colour is within tol (max over channels), else 1 + index of the nearest."""
    if pixels.ndim == 2:  # a list of pixels (a ring): numpy beats OpenCV's per-call overhead
        d = [np.abs(pixels.astype(np.int16) - c.astype(np.int16)).max(axis=1) for c in colours]
    else:
        d = [_distance_to(pixels, c) for c in colours]
    if len(d) == 1:
        return (d[0] <= tol).astype(np.int8)
    label = np.where(d[1] < d[0], 2, 1).astype(np.int8)
    label[np.minimum(d[0], d[1]) > tol] = 0
    return label


def _split_points(ring_label: np.ndarray, ys: np.ndarray, xs: np.ndarray):
    """The two places where a ring switches between two colours, or None if it doesn't exactly twice."""
    idx = np.flatnonzero(ring_label > 0)
    if len(idx) < 4:
        return None
    seq = ring_label[idx]
    change = np.flatnonzero(seq != np.roll(seq, 1))
    if len(change) != 2:
        return None
    return [((xs[idx[c - 1]] + xs[idx[c]]) / 2.0, (ys[idx[c - 1]] + ys[idx[c]]) / 2.0) for c in change]


@dataclass(frozen=True)
class Background:
    """The background found in a working image: its mask and how many flat colours it has (0 = none found)."""

    mask: np.ndarray
    colours: int


def background_mask(img: np.ndarray, margin: int = FRAME_MARGIN, tol: int = COLOUR_TOLERANCE) -> Background:
    """The flat or two-tone background of a working image.

    The colours come from a ring `margin` pixels inside the edge: one colour
    covering at least 40% of it is a flat background. A second colour counts
    only when the ring changes colour exactly twice and a straight line
    through those two points splits the image into the two colours (a drawing
    touching the edge never passes that test). Pixels of a background colour
    on the other colour's side of the split are drawing, not background; so
    are blends of the two colours away from the split line.
    """
    h, w = img.shape[:2]
    none = Background(np.zeros((h, w), bool), 0)
    if min(h, w) <= 2 * margin + 4:
        return none
    ys, xs = _ring(h, w, margin)
    ring = img[ys, xs]
    q = ring.astype(np.int32) >> 4
    keys = (q[:, 0] << 8) | (q[:, 1] << 4) | q[:, 2]
    counts = np.bincount(keys, minlength=4096)
    # the two most common 16-level bins (ties: the lower bin first)
    order = np.argsort(-counts, kind="stable")[:2]
    if counts[order[0]] < 0.4 * len(keys):
        return none
    c1 = _median_colour(ring[keys == order[0]])
    if counts[order[1]] >= 0.03 * len(keys):
        c2 = _median_colour(ring[keys == order[1]])
        if np.abs(c1.astype(int) - c2.astype(int)).max() > tol:
            two = _two_tone(img, ring, ys, xs, c1, c2, tol)
            if two is not None:
                return Background(two, 2)
    return Background(_within(img, c1, tol), 1)


def _two_tone(pixels, ring, ys, xs, c1, c2, tol) -> np.ndarray | None:
    points = _split_points(_nearest_colour(ring, [c1, c2], tol), ys, xs)
    if points is None:
        return None
    label = _nearest_colour(pixels, [c1, c2], tol)
    (x0, y0), (x1, y1) = points
    h, w = label.shape
    gy, gx = np.mgrid[0:h, 0:w]
    cross = (x1 - x0) * (gy - y0) - (y1 - y0) * (gx - x0)
    side = cross > 0
    in1, in2 = label == 1, label == 2
    if not in2.any():
        return None
    side2 = side[in2].mean() > 0.5
    wrong = (in1 & (side == side2)).sum() + (in2 & (side != side2)).sum()
    if wrong > 0.05 * (in1.sum() + in2.sum()):
        return None
    # anti-aliased pixels along the split (within 2 px of it) are blends of the two colours
    band = np.abs(cross) <= 2 * max(np.hypot(x1 - x0, y1 - y0), 1e-6)
    a, b = c1.astype(np.float32), c2.astype(np.float32)
    v = b - a
    x = pixels[band].astype(np.float32)
    t = np.clip((x - a) @ v / max(float(v @ v), 1.0), 0.0, 1.0)
    blend = np.zeros_like(band)
    blend[band] = np.abs(x - (a + t[:, None] * v)).max(axis=1) <= tol
    return (in1 & (side != side2)) | (in2 & (side == side2)) | blend


def content_mask(img: np.ndarray, margin: int = FRAME_MARGIN, tol: int = COLOUR_TOLERANCE) -> tuple[np.ndarray, int]:
    """(mask of the drawing, number of background colours found) for a working image."""
    h, w = img.shape[:2]
    inner = np.zeros((h, w), bool)
    inner[margin : h - margin, margin : w - margin] = True
    bg = background_mask(img, margin, tol)
    return _without_specks(inner & ~bg.mask), bg.colours


def _without_specks(mask: np.ndarray) -> np.ndarray:
    """The mask less its specks (noise, a lone anti-aliased pixel): they are not drawing.

    A speck is a group of one or two pixels touching no other (8-connected). Told from each pixel's count
    of set neighbours rather than by labelling every group: a lone pixel has none, a pair's pixels one
    each, the other. The same pixels as dropping groups under 3 pixels, a quarter of the time.
    """
    m = np.ascontiguousarray(mask).view(np.uint8)
    neighbours = _neighbour_count(m)
    alone = neighbours == 0
    single = (neighbours == 1) & mask  # set pixels with exactly one set neighbour
    paired = single & (_neighbour_count(single.view(np.uint8)) == 1)  # ... which has only them
    return mask & ~alone & ~paired


def _neighbour_count(m: np.ndarray) -> np.ndarray:
    """Per pixel, how many of its 8 neighbours are 1 in the 0/1 uint8 image m (outside counts as 0)."""
    return cv2.boxFilter(m, -1, (3, 3), normalize=False, borderType=cv2.BORDER_CONSTANT) - m


def opacity_mask(alpha: np.ndarray, shape: tuple[int, ...], margin: int = FRAME_MARGIN) -> np.ndarray | None:
    """The drawing's mask from its opacity, at the working image's `shape`; None when the edge is not transparent.

    A sprite on a transparent background carries its own outline: white
    fills that touch the background (a white shirt, a white cloak) are still
    drawing, which a background found by colour on the white it was
    composited on would cut away. Only used when most of the ring inside the
    frame is transparent, as a background is.
    """
    h, w = shape[:2]
    if min(h, w) <= 2 * margin + 4:
        return None
    interp = cv2.INTER_AREA if h <= alpha.shape[0] else cv2.INTER_NEAREST
    a = cv2.resize(np.ascontiguousarray(alpha), (w, h), interpolation=interp)
    ys, xs = _ring(h, w, margin)
    if (a[ys, xs] < 128).mean() < 0.4:
        return None
    mask = np.zeros((h, w), bool)
    mask[margin : h - margin, margin : w - margin] = a[margin : h - margin, margin : w - margin] >= 128
    return _without_specks(mask)


#: a page margin and the frame line drawn inside it, each at most this share of the panel's side
FRAME_DEPTH = 0.04


def _uniform_runs(lines: np.ndarray, tol: int) -> list[tuple[int, np.ndarray]]:
    """(length, colour) of the runs of flat lines from the edge inwards, up to the first line that is not flat.

    lines: (depth, k, 3), line 0 at the edge. A line is flat when all its pixels are within tol of its median.
    """
    # per line and channel, reduced along a contiguous axis (numpy's reduce is slow over a middle one)
    by_channel = np.ascontiguousarray(lines.transpose(0, 2, 1))
    low, high = by_channel.min(axis=2), by_channel.max(axis=2)
    span = (high - low).max(axis=1)
    runs: list[tuple[int, np.ndarray]] = []
    for line, one, wide, colour in zip(lines, span == 0, span > 2 * tol, low):
        # A line of one colour is flat and that colour is its median; one spanning over 2 tol is not flat
        # whatever its median. Only the lines between need their median (a median per line cost 1 ms a panel).
        if wide:
            break
        if not one:
            colour = np.median(line, axis=0)
            if np.abs(line.astype(np.int16) - colour.astype(np.int16)).max() > tol:
                break
        if runs and np.abs(runs[-1][1].astype(np.int16) - colour.astype(np.int16)).max() <= tol:
            runs[-1] = (runs[-1][0] + 1, runs[-1][1])
        else:
            runs.append((1, colour))
    return runs


def frame_inset(rgb: np.ndarray, tol: int = COLOUR_TOLERANCE) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) pixels of a page margin and a frame line drawn inside it; zeros if there is none.

    A panel framed a few pixels in from the page's edge (a margin of one colour,
    then a thin line of another all round) has its frame where the working
    image's ring reads the background, so a drawing moved inside it looked
    like another drawing. Both bands are page, not drawing: they are cut off
    when all four sides show them. A frame at the very edge needs no cutting
    (the working image's ring skips it), and a flat background running to the
    edge is one run, never cut.
    """
    h, w = rgb.shape[:2]
    depth = max(3, int(round(FRAME_DEPTH * min(h, w))))
    if min(h, w) <= 6 * depth:
        return 0, 0, 0, 0
    c = 2 * depth  # the frame's corners meet the margin: judge each line on its middle
    sides = (
        rgb[:depth, c : w - c],
        rgb[h - depth :, c : w - c][::-1],
        rgb[c : h - c, :depth].transpose(1, 0, 2),
        rgb[c : h - c, w - depth :].transpose(1, 0, 2)[::-1],
    )
    insets = []
    for lines in sides:
        runs = _uniform_runs(lines, tol)
        # margin, then a frame line of another colour, then something that is not that line
        if len(runs) < 2 or runs[0][0] + runs[1][0] >= depth:
            return 0, 0, 0, 0
        insets.append(runs[0][0] + runs[1][0])
    return tuple(insets)
