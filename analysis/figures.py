"""Figures: a drawn figure that region links find in many panels, clustered on its own.

A region link (kind "region", analysis/regions.py) says one figure appears in
two panels, with its box in each. Reuse clusters (analysis/communities.py) are
made of whole-drawing links only: a figure recurring in many scenes would glue
those scenes into one heap through their other content. Here region links make
a clustering of their own, of *occurrences* (a panel and a box in it), so a
panel that shows figure F with another figure G beside it gives two
occurrences in two places, and F's group and G's group stay apart.

    figure_occurrences (region links)  ->  occurrences and each link's two ends
    cluster_figures (the occurrence graph)  ->  Figures
    panel_figure (Figures)  ->  one figure per panel, for scoring against labels

Numpy in, numpy out; igraph finds connected components.
"""

from __future__ import annotations

from dataclasses import dataclass

import igraph as ig
import numpy as np

from visualdistance.analysis.data import BOX, Links

#: Two boxes of one panel are one occurrence when their intersection covers this share of the smaller box.
#: Over the smaller, not the union: links that match part of a figure (a bubble over its legs, fewer edges
#: agreeing in one pair) give boxes inside the figure's whole box, and those are the same occurrence
#: (intersection over union would split a half-figure box from the whole one: 0.5). Measured on
#: sprite_scenes (bench/RESULTS.md): two ends on the labelled figure of one panel overlap by 0.98 at the
#: median, 0.72 at the 5th percentile (98.9% reach 0.6); 0.3 merges figures standing side by side.
MERGE_OVERLAP = 0.6


@dataclass
class Occurrences:
    """Where figures were seen: one row per occurrence, and which occurrence each region link joins.

    panel: (k,) int32 panel row; box: (k, 4) float32 x, y, w, h in that panel's pixels (the union of
    the link boxes merged into it); ends: (m, 2) int64, the occurrence at link i's a end and b end.
    """

    panel: np.ndarray
    box: np.ndarray
    ends: np.ndarray

    def __len__(self) -> int:
        return len(self.panel)


@dataclass
class Figures:
    """A clustering of figure occurrences (see the module's docstring).

    panel, box: as `Occurrences`. figure: (k,) int32 figure id of each occurrence, 0 the figure seen in
    the most panels (ties: the one seen first). mirrored: (k,) bool, the occurrence faces the other way
    from its figure's first occurrence (odd mirrored links on the way to it). strength: (k,) float32,
    the summed weight of the region links that found it (how well linked it is).
    """

    panel: np.ndarray
    box: np.ndarray
    figure: np.ndarray
    mirrored: np.ndarray
    strength: np.ndarray

    def __len__(self) -> int:
        return len(self.panel)

    @property
    def n_figures(self) -> int:
        return int(self.figure.max()) + 1 if len(self.figure) else 0

    def panels_of(self, f: int) -> np.ndarray:
        """The distinct panel rows that show figure f, ascending."""
        return np.unique(self.panel[self.figure == f])

    def sizes(self) -> np.ndarray:
        """Per figure id, how many distinct panels show it."""
        seen = np.unique(np.column_stack([self.figure, self.panel]).astype(np.int64), axis=0)
        return np.bincount(seen[:, 0], minlength=self.n_figures) if len(seen) else np.zeros(0, np.int64)

    def of_panel(self, row: int) -> np.ndarray:
        """The distinct figure ids panel `row` shows, ascending (largest figure first)."""
        return np.unique(self.figure[self.panel == row])

    @staticmethod
    def empty() -> "Figures":
        return Figures(np.empty(0, np.int32), np.empty((0, 4), np.float32), np.empty(0, np.int32),
                       np.empty(0, bool), np.empty(0, np.float32))


def box_overlap(box: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Intersection of boxes i and j ((n, 4) x, y, w, h) over the smaller one's area, per pair."""
    x0 = np.maximum(box[i, 0], box[j, 0])
    y0 = np.maximum(box[i, 1], box[j, 1])
    x1 = np.minimum(box[i, 0] + box[i, 2], box[j, 0] + box[j, 2])
    y1 = np.minimum(box[i, 1] + box[i, 3], box[j, 1] + box[j, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    smaller = np.minimum(box[i, 2] * box[i, 3], box[j, 2] * box[j, 3])
    return inter / np.maximum(smaller, 1e-9)


def _pairs_within(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j), i < j, of rows with the same group value, as two index arrays."""
    order = np.argsort(groups, kind="stable")
    _, start, count = np.unique(groups[order], return_index=True, return_counts=True)
    # for each row in sorted order, the rows after it in its group: count - rank - 1 of them
    rank = np.arange(len(order)) - np.repeat(start, count)
    after = np.repeat(count, count) - rank - 1
    first = np.repeat(np.arange(len(order)), after)
    step = np.arange(after.sum()) - np.repeat(np.cumsum(after) - after, after) + 1
    return order[first], order[first + step]


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Connected component id of each of n nodes joined by edges (i, j)."""
    g = ig.Graph(n=n, edges=np.column_stack([i, j]).astype(np.int64).tolist(), directed=False)
    return np.asarray(g.connected_components().membership, np.int64)


def figure_occurrences(a: np.ndarray, b: np.ndarray, box_a: np.ndarray, box_b: np.ndarray,
                       overlap: float = MERGE_OVERLAP) -> Occurrences:
    """The occurrences of m region links: link i's ends (panel a[i], box_a[i]) and (b[i], box_b[i]), boxes
    (m, 4) x, y, w, h; ends in one panel whose boxes overlap by `overlap` (`box_overlap`) merged, through
    chains too, into one occurrence whose box is their union. Occurrences in `occurrence_order`."""
    panel = np.concatenate([a, b]).astype(np.int64)
    box = np.concatenate([box_a, box_b]).astype(np.float64).reshape(-1, 4)
    i, j = _pairs_within(panel)
    close = box_overlap(box, i, j) >= overlap
    group = _components(len(panel), i[close], j[close])
    k = int(group.max(initial=-1)) + 1
    x0, y0 = np.full(k, np.inf), np.full(k, np.inf)
    x1, y1 = np.full(k, -np.inf), np.full(k, -np.inf)
    np.minimum.at(x0, group, box[:, 0])
    np.minimum.at(y0, group, box[:, 1])
    np.maximum.at(x1, group, box[:, 0] + box[:, 2])
    np.maximum.at(y1, group, box[:, 1] + box[:, 3])
    where = np.zeros(k, np.int64)
    where[group] = panel
    merged = np.column_stack([x0, y0, x1 - x0, y1 - y0])
    # numbered in (panel, x, y, w, h) order: the same links give the same occurrences, and a file read back sorts alike
    order = occurrence_order(where, merged)
    rank = np.empty(k, np.int64)
    rank[order] = np.arange(k)
    occ = rank[group]
    return Occurrences(where[order].astype(np.int32), merged[order].astype(np.float32), occ.reshape(2, -1).T.copy())


def occurrence_order(panel: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The canonical order of occurrences: by panel row, then box x, y, w, h."""
    return np.lexsort((box[:, 3], box[:, 2], box[:, 1], box[:, 0], panel))


def cluster_figures(occurrences: Occurrences, weight: np.ndarray, mirrored: np.ndarray) -> Figures:
    """Figures of the occurrence graph (one edge per region link, `weight` and `mirrored` per link): its
    connected components, ids by the panels each shows (largest first)."""
    occ = occurrences
    k = len(occ)
    if k == 0:
        return Figures.empty()
    raw = _components(k, occ.ends[:, 0], occ.ends[:, 1])
    figure = _by_size(raw, occ.panel)
    strength = np.zeros(k, np.float64)
    np.add.at(strength, occ.ends[:, 0], weight)
    np.add.at(strength, occ.ends[:, 1], weight)
    return Figures(occ.panel.astype(np.int32), occ.box, figure, _orientation(k, occ.ends, mirrored),
                   strength.astype(np.float32))


def _by_size(raw: np.ndarray, panel: np.ndarray) -> np.ndarray:
    """Raw group labels of occurrences -> ids 0.. by the distinct panels of each (most first, ties by first occurrence)."""
    labels, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    seen = np.unique(np.column_stack([inverse, panel]).astype(np.int64), axis=0)
    panels = np.bincount(seen[:, 0], minlength=len(labels))
    order = np.lexsort((first, -panels))
    new_id = np.empty(len(labels), np.int32)
    new_id[order] = np.arange(len(labels), dtype=np.int32)
    return new_id[inverse]


def _orientation(k: int, ends: np.ndarray, mirrored: np.ndarray) -> np.ndarray:
    """Per occurrence, whether it faces the other way from the first occurrence of its component: the parity of
    mirrored links along a breadth-first tree from there (a cycle with an odd count, a symmetric figure,
    keeps the tree's answer)."""
    g = ig.Graph(n=k, edges=ends.astype(np.int64).tolist(), directed=False)
    g.es["mirrored"] = np.asarray(mirrored, bool).tolist()
    flip = np.zeros(k, bool)
    seen = np.zeros(k, bool)
    for root in range(k):
        if seen[root]:
            continue
        order, _, parent = g.bfs(root)
        for v in order[1:]:
            flip[v] = flip[parent[v]] ^ g.es[g.get_eid(parent[v], v)]["mirrored"]
        seen[order] = True
    return flip


def find_figures(a: np.ndarray, b: np.ndarray, box_a: np.ndarray, box_b: np.ndarray, weight: np.ndarray,
                 mirrored: np.ndarray, overlap: float = MERGE_OVERLAP) -> Figures:
    """Figures of m region links (panel rows a, b; boxes (m, 4) in each; weight and mirrored per link)."""
    return cluster_figures(figure_occurrences(a, b, box_a, box_b, overlap), np.asarray(weight, np.float64), mirrored)


def figures_of_links(links: Links) -> Figures:
    """The figures of a run's region links (`Links.regions`; whole-drawing and background links play no part)."""
    region = links.regions()
    box = lambda side: np.column_stack([side[k] for k in BOX]).reshape(-1, 4)  # noqa: E731
    return find_figures(region.a, region.b, box(region.box_a), box(region.box_b), region.weight, region.mirrored)


def panel_figure(figures: Figures, n: int) -> np.ndarray:
    """(n,) int32: each panel's figure, the figure of its best-linked occurrence (the most summed link weight;
    ties: the larger box, then the lower id); -1 for a panel in no figure. What a panel-level score reads."""
    out = np.full(n, -1, np.int32)
    if not len(figures):
        return out
    area = figures.box[:, 2].astype(np.float64) * figures.box[:, 3]
    # best last per panel, so the last write of each panel wins
    order = np.lexsort((-figures.figure, area, figures.strength, figures.panel))
    out[figures.panel[order]] = figures.figure[order]
    return out
