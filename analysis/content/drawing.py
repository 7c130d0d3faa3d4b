"""From a panel to its `Drawing`: the working image, the drawing's colour edges and colours, centred on a
canvas (steps 1, 4 and 5 of `content`; the mask comes from `mask`)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from visualdistance.analysis.content.mask import FRAME_MARGIN, content_mask, frame_inset, opacity_mask

#: the working image's longer side over the canvas side (see working_side)
WORK_SCALE = 1.25
#: enlarge small images at most this much (a pixel of slack is then half an original pixel)
MAX_ENLARGE = 2


def work_image(rgb: np.ndarray, side: int) -> np.ndarray:
    """The panel resized so its longer side is `side` pixels.

    Shrinking averages pixels (thin lines fade, they don't alias); enlarging a
    small image repeats pixels, which keeps flat colours flat and their
    boundaries sharp.
    """
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size == (w, h):
        return np.ascontiguousarray(rgb)
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_NEAREST
    return cv2.resize(np.ascontiguousarray(rgb), size, interpolation=interp)


def colour_edges(img: np.ndarray, mask: np.ndarray, relative: float = 0.1, floor: float = 20.0,
                 inside: np.ndarray | None = None) -> np.ndarray:
    """Edges of the drawing: one-pixel-thin colour edges inside it, and its outline.

    Canny on the colour image (per pixel, the channel that changes most), so
    a boundary gives one line, one pixel wide, wherever the boundary falls
    between pixels; a thick band of "jump" pixels would change width as the
    drawing moves by a fraction of a pixel. The upper Canny threshold is
    max(floor, relative x the drawing's 90th percentile gradient), so dark
    lines on dark fills are found as well as black outlines on white. The
    outline is where the mask itself changes, so it does not depend on the
    background's colour. inside: `interior(mask)`, when the caller has it.
    """
    img = np.ascontiguousarray(img)
    inside = interior(mask) if inside is None else inside
    # one pair of derivatives serves both the threshold and Canny itself
    dx = cv2.Sobel(img, cv2.CV_16S, 1, 0, ksize=3)
    dy = cv2.Sobel(img, cv2.CV_16S, 0, 1, ksize=3)
    high = max(floor, relative * _percentile_strength(dx, dy, inside, 90))
    edges = cv2.Canny(dx, dy, high / 2, high, L2gradient=True).astype(bool)
    outline = np.zeros(mask.shape, bool)
    outline[:, :-1] |= mask[:, 1:] ^ mask[:, :-1]
    outline[:-1] |= mask[1:] ^ mask[:-1]
    return (inside & edges) | outline


def _percentile_strength(dx: np.ndarray, dy: np.ndarray, where: np.ndarray, q: float) -> float:
    """q-th percentile of the gradient magnitude (largest over the channels) at `where`, 0 if it is all flat there.

    Read from every other row and column: a quarter of the work for the same statistic.
    """
    # float32 holds these integer squares (at most 2 x 1020^2) exactly
    fx, fy = dx[::2, ::2].astype(np.float32), dy[::2, ::2].astype(np.float32)
    squared = fx * fx + fy * fy
    squared = np.maximum(np.maximum(squared[..., 0], squared[..., 1]), squared[..., 2])[where[::2, ::2]]
    squared = squared[squared > 0]
    if len(squared) == 0:
        return 0.0
    # np.percentile's linear interpolation, from a partial sort (np.percentile itself is slow on small arrays)
    pos = q / 100 * (len(squared) - 1)
    lo, hi = int(pos), min(int(pos) + 1, len(squared) - 1)
    part = np.partition(squared, [lo, hi])
    return float(np.sqrt(part[lo] + (part[hi] - part[lo]) * (pos - lo)))


def interior(mask: np.ndarray) -> np.ndarray:
    """The mask less a pixel all round."""
    return cv2.erode(mask.astype(np.uint8), np.ones((3, 3), np.uint8)).view(bool)


def colour_histogram(img: np.ndarray, mask: np.ndarray, inside: np.ndarray | None = None) -> np.ndarray:
    """Share of the drawing's pixels in each of 64 RGB cells (4 levels a channel; float32, sums to 1; zeros if empty).

    Only the drawing's interior counts (the mask less a pixel all round):
    its rim is blended with whatever background it was pasted on. The same
    for a drawing and its mirror image, wherever either sits. inside: `interior(mask)`, when the caller has it.
    """
    q = np.ascontiguousarray(img) >> 6  # uint8 levels 0..3, so cell numbers fit in uint8
    cells = (q[..., 0] << 4) | (q[..., 1] << 2) | q[..., 2]
    counts = np.bincount(cells[interior(mask) if inside is None else inside], minlength=64).astype(np.float32)
    return counts / max(float(counts.sum()), 1.0)


def centre_on_content(maps: list[np.ndarray], mask: np.ndarray, size: int) -> list[np.ndarray]:
    """Each map pasted into a size x size canvas so the mask's bounding box is centred (clipped if larger)."""
    ys, xs = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if len(ys) == 0:
        return [np.zeros((size, size), bool) for _ in maps]
    cy = (ys[0] + ys[-1] + 1) / 2
    cx = (xs[0] + xs[-1] + 1) / 2
    oy, ox = int(round(size / 2 - cy)), int(round(size / 2 - cx))
    h, w = mask.shape
    y0, x0 = max(0, oy), max(0, ox)
    y1, x1 = min(size, h + oy), min(size, w + ox)
    out = []
    for m in maps:
        canvas = np.zeros((size, size), bool)
        if y1 > y0 and x1 > x0:
            canvas[y0:y1, x0:x1] = m[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
        out.append(canvas)
    return out


@dataclass(frozen=True)
class Drawing:
    """What a panel's drawing looks like, on a canvas centred on it."""

    edges: np.ndarray  # (size, size) bool
    mask: np.ndarray  # (size, size) bool
    area: float  # share of the working image the drawing covers, 0..1
    background_colours: int
    palette: np.ndarray  # (64,) float32: colour_histogram of the drawing


def _working_mask(rgb: np.ndarray, img: np.ndarray) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """(content_mask of the working image `img` made from `rgb`, background colours, the image and mask it was found on).

    An image smaller than the working size is enlarged by repeating pixels,
    which adds nothing to find a background in: its mask is found at its own
    size (a quarter of the work at 2x) and enlarged the same way. Edges are
    still found on the enlarged image, where a pixel of slack is half an
    original pixel.
    """
    h, w = img.shape[:2]
    scale = max(h, w) / max(rgb.shape[:2])
    if scale <= 1:
        mask, colours = content_mask(img)
        return mask, colours, img, mask
    small, colours = content_mask(rgb, margin=max(1, round(FRAME_MARGIN / scale)))
    mask = cv2.resize(small.view(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST).view(bool)
    return mask, colours, rgb, small


def working_side(shape: tuple[int, ...], size: int) -> int:
    """Longer side of the working image for a panel of `shape` and a size x size canvas.

    WORK_SCALE x the canvas, so a drawing up to 1 / WORK_SCALE of the panel
    fits the canvas whole (a larger one is compared on its central part)
    while a small drawing keeps as many pixels as it can; at most
    MAX_ENLARGE x the image, since enlarging only repeats pixels.
    """
    return min(round(WORK_SCALE * size), MAX_ENLARGE * max(shape[:2]))


def find_drawing(rgb: np.ndarray, size: int = 128, alpha: np.ndarray | None = None) -> Drawing:
    """Isolate a panel's drawing and describe it on a size x size canvas centred on it.

    alpha: the panel's opacity (HxW uint8) when it has transparent pixels; a
    transparent background then gives the mask directly.
    """
    top, bottom, left, right = frame_inset(rgb)
    if top:
        h, w = rgb.shape[:2]
        rgb = rgb[top : h - bottom, left : w - right]
        alpha = None if alpha is None else alpha[top : h - bottom, left : w - right]
    img = work_image(rgb, working_side(rgb.shape, size))
    mask = None if alpha is None else opacity_mask(alpha, img.shape)
    if mask is not None:
        colours, found_on, found_mask = 1, img, mask
    else:
        mask, colours, found_on, found_mask = _working_mask(rgb, img)
    inside = interior(mask)
    edges = colour_edges(img, mask, inside=inside)
    canvas_edges, canvas_mask = centre_on_content([edges, mask], mask, size)
    palette = colour_histogram(found_on, found_mask, inside if found_mask is mask else None)
    return Drawing(canvas_edges, canvas_mask, np.count_nonzero(mask) / mask.size, colours, palette)
