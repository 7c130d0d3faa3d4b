"""Whole-drawing links that are only a shared room: each panel shows its own figure in front of one background.

The drawing rules compare whole panels, so two panels drawn on one reused room, with a different
figure pasted into each, can agree well enough to link (kind `drawing` or `redrawn`). With a
region search the figures are known: a panel's region links to third panels say where it shows
a figure that recurs (a region link to a panel the rules do not link it to). A whole-drawing
link of A and B is a shared room when A shows such a figure and B, at the same place once the
two panels are aligned, lacks most of that figure's edges (or the other way round): the two
panels share the room and not what is in front of it. Such a link becomes a `background` link.

A partly redrawn panel keeps its link: an outfit changed, a pose moved or an object added leaves
most of the figure's edges where they were (0.71 of them or more on the homestuck set's
outfit variants, bench/RESULTS.md); a different figure over the same room keeps 0.16-0.65
(sprite_scenes), 0.76 for one. A drawing moved in its panel keeps its figure once aligned.

A room needs evidence too: two panels whose edges agree around the figure only along a frame or a
two-tone background's one line share no room, whatever their figures. A figure on a flat background
recoloured (an emoji in another skin tone) loses half its edges and would otherwise make its own
whole-drawing link a "background" one.

    figure_kept (one panel's figure, the other panel)  ->  the share of the figure's edges it keeps
    room_edges (one panel's edges around its figure, the other panel aligned)  ->  how much room they share
    least_kept (pairs, whole-drawing links, region links)  ->  the least share of a figure kept per pair
    shared_rooms (whole-drawing links, region links)  ->  which links are a shared room only

Arrays in, arrays out; the edge maps are the region search's (RegionFeatures.edge_map).
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from visualdistance.analysis import regions
from visualdistance.analysis.data import Links

#: a panel keeps a figure when it has at least this share of the figure's edges at the same place
FIGURE_KEPT = 0.6
#: a figure needs at least this many edge pixels (edge-map pixels) to count: fewer is no evidence
FIGURE_EDGES = 100
#: the strongest region links of a panel whose figures are checked (a figure seen in 200 scenes is one figure)
FIGURES_CHECKED = 8
#: how far (edge-map pixels) a figure may sit from its place once the panels are aligned
SLACK_PX = 2
#: two panels share a room when at least this many of one's edges outside the figure (edge-map pixels, the map's
#: long side EDGE_SIDE) agree with the other's once aligned. sprite_scenes' shared rooms: 1,561 or more;
#: twemoji_panels' emoji on flat or two-tone backgrounds: 387 at most, most under 100 (bench/RESULTS.md).
ROOM_EDGES = 800
#: ... leaving out a band this share of the long side along the panel's sides, where a frame runs (a frame is no room)
FRAME_BAND = 0.03


def figure_edges(me: regions.RegionFeatures, box: np.ndarray, third: regions.RegionFeatures,
                 third_box: np.ndarray, mirrored: bool) -> tuple[tuple[slice, slice], np.ndarray]:
    """The figure's own edges in `me`: me's edges in `box` that the third panel's edges in `third_box`
    (scaled to it, mirrored if the region link was) agree with. Returns the box's cells and that mask."""
    edges = me.edge_map()
    cells = regions.box_cells(me, box, edges.shape)
    own = edges[cells]
    theirs = third.edge_map()
    crop = theirs[regions.box_cells(third, third_box, theirs.shape)].astype(np.uint8)
    if own.size == 0 or crop.size == 0:
        return cells, np.zeros(own.shape, bool)
    if mirrored:
        crop = crop[:, ::-1]
    moved = cv2.resize(crop, (own.shape[1], own.shape[0]), interpolation=cv2.INTER_NEAREST)
    return cells, own & (cv2.dilate(moved, regions.NEAR) > 0)


def figure_kept(me: regions.RegionFeatures, box: np.ndarray, third: regions.RegionFeatures, third_box: np.ndarray,
                mirrored: bool, other: regions.RegionFeatures) -> float:
    """The share of me's figure (`figure_edges`) whose edges `other` has at the same place of its own panel, once
    the two panels are aligned (`offset`), give or take SLACK_PX; NaN when the figure has under FIGURE_EDGES edges
    or the two panels share no room around it (`room_edges` under ROOM_EDGES): then there is no room to share."""
    cells, figure = figure_edges(me, box, third, third_box, mirrored)
    if figure.sum() < FIGURE_EDGES:
        return float("nan")
    mine = me.edge_map()
    theirs = other.edge_map()
    if theirs.shape != mine.shape:  # the same place: the same share of each panel's width and height
        theirs = cv2.resize(theirs.astype(np.uint8), (mine.shape[1], mine.shape[0]), interpolation=cv2.INTER_NEAREST)
    near = cv2.dilate(theirs.astype(np.uint8), regions.NEAR).astype(np.float32)
    dx, dy = offset(cv2.dilate(mine.astype(np.uint8), regions.NEAR).astype(np.float32), near)
    if room_edges(mine, cells, near, dx, dy) < ROOM_EDGES:
        return float("nan")
    pad = SLACK_PX + max(abs(dx), abs(dy))
    near = np.pad(near, pad)
    y0, x0 = cells[0].start + dy + pad - SLACK_PX, cells[1].start + dx + pad - SLACK_PX
    window = near[y0:y0 + figure.shape[0] + 2 * SLACK_PX, x0:x0 + figure.shape[1] + 2 * SLACK_PX]
    best = cv2.matchTemplate(window, figure.astype(np.float32), cv2.TM_CCORR).max()
    return float(best / figure.sum())


def room_edges(mine: np.ndarray, cells: tuple[slice, slice], near: np.ndarray, dx: int, dy: int) -> int:
    """How many of `mine`'s edges (an (h, w) bool edge map) outside the figure's `cells` and the FRAME_BAND along
    the panel's sides the other panel has within a pixel (`near`: its dilated edge map, mine's shape), with the
    other panel moved by the alignment (dx, dy) (`offset`)."""
    h, w = mine.shape
    aligned = cv2.warpAffine(near, np.float32([[1, 0, dx], [0, 1, dy]]), (w, h),
                             flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP, borderValue=0)
    around = mine.copy()
    around[cells] = False
    band = max(1, round(FRAME_BAND * max(h, w)))
    around[:band] = around[-band:] = False
    around[:, :band] = around[:, -band:] = False
    return int(np.count_nonzero(around & (aligned > 0)))


def offset(mine: np.ndarray, theirs: np.ndarray) -> tuple[int, int]:
    """(dx, dy) in pixels: where the other panel shows what `mine` shows, two maps of one shape (float32), by
    phase correlation. A drawing the rules link may sit elsewhere in the other panel (moved); a shared room
    sits in place, and so gives no offset."""
    (dx, dy), _ = cv2.phaseCorrelate(mine, theirs)
    return int(round(dx)), int(round(dy))


def shared_rooms(whole: Links, found: regions.RegionLinks, features: Callable[[np.ndarray], list[regions.RegionFeatures]],
                 source: np.ndarray) -> np.ndarray:
    """(len(whole),) bool: the whole-drawing links that are a shared room only (see the module's docstring).

    whole: whole-drawing links (panel rows a < b); found: the region search's links (panel rows);
    features: panel rows -> their RegionFeatures; source: (n,) file number per panel.
    """
    return least_kept(whole.a, whole.b, whole, found, features, source) < FIGURE_KEPT


def least_kept(a: np.ndarray, b: np.ndarray, whole: Links, found: regions.RegionLinks,
               features: Callable[[np.ndarray], list[regions.RegionFeatures]], source: np.ndarray) -> np.ndarray:
    """(len(a),) float: for each pair of panel rows a < b, the least share the other panel keeps of a figure one
    of them shows (`figure_kept`), NaN when neither shows a known figure or the region search links the pair
    by a figure of its own. A figure is known from a region link (in `found`) to a third panel of another
    file that the rules (`whole`) do not link to the panel."""
    kept = np.full(len(a), np.nan)
    figure = found.kind == regions.KINDS.index("region")
    shares_figure = set(zip(found.a[figure].tolist(), found.b[figure].tolist()))
    # a figure seen in another scene: a region link between panels the rules do not link (between two
    # panels of one drawing, a region match is a part of that drawing: a face kept while the outfit changed)
    figure &= ~np.isin(_keys(found.a, found.b), _keys(whole.a, whole.b))
    if not len(a) or not figure.any():
        return kept
    source = np.asarray(source)
    ends = _figure_ends(found, np.flatnonzero(figure))
    pairs = list(zip(np.asarray(a).tolist(), np.asarray(b).tolist()))
    todo = [i for i, (x, y) in enumerate(pairs) if (x, y) not in shares_figure and (x in ends or y in ends)]
    panels = {p for i in todo for p in pairs[i]}
    thirds = {int(t) for p in panels if p in ends for t in ends[p][:, 1]}
    rows = np.array(sorted(panels | thirds), np.int64)
    feats = dict(zip(rows.tolist(), features(rows)))
    for i in todo:
        x, y = pairs[i]
        kept[i] = min(_kept_figures(x, y, ends, feats, source) + _kept_figures(y, x, ends, feats, source),
                      default=np.nan)
    return kept


def _keys(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a.astype(np.int64) << 32 | b.astype(np.int64)


def _figure_ends(found: regions.RegionLinks, figure: np.ndarray) -> dict[int, np.ndarray]:
    """panel row -> (k, 11) int64 rows, one per region link of the panel (its FIGURES_CHECKED strongest,
    strongest first): the link, the third panel, mirrored, the panel's own box (4), the third panel's box (4)."""
    rows = [np.column_stack([figure, me[figure], third[figure], found.mirrored[figure], mine[figure], theirs[figure]])
            for me, third, mine, theirs in ((found.a, found.b, found.box_a, found.box_b),
                                           (found.b, found.a, found.box_b, found.box_a))]
    table = np.concatenate(rows).astype(np.int64)
    table = table[np.lexsort((table[:, 0], -found.inliers[table[:, 0]], table[:, 1]))]  # by panel, strongest first
    starts = np.flatnonzero(np.r_[True, table[1:, 1] != table[:-1, 1]])
    return {int(table[s, 1]): np.delete(table[s:e][:FIGURES_CHECKED], 1, axis=1)
            for s, e in zip(starts, np.r_[starts[1:], len(table)])}


def _kept_figures(me: int, other: int, ends: dict[int, np.ndarray], feats: dict, source: np.ndarray) -> list[float]:
    """How much of each figure `me` shares with a third panel `other` keeps (figures with too few edges left out)."""
    kept = []
    for _, third, mirrored, *boxes in ends.get(me, ()):
        if source[third] in (source[me], source[other]):
            continue
        kept.append(figure_kept(feats[me], np.array(boxes[:4]), feats[int(third)], np.array(boxes[4:]), bool(mirrored),
                                feats[other]))
    return [k for k in kept if k == k]  # NaN: a figure too small to count
