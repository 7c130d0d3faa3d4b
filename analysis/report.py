"""What a cluster report shows, computed from plain arrays: member order, the
original, which members face the other way, which links explain the cluster,
and the edge-map images of the "why matched" view.

Nothing here reads or writes files; `visualdistance.loader.report` turns these
plans and arrays into HTML and images.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from visualdistance.analysis.communities import is_loose, reuse_coherence
from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.analysis.figures import Figures
from visualdistance.analysis.image_ops import unpack_bits
from visualdistance.analysis.rules import Metric
from visualdistance.analysis.signatures.base import mirror_name

#: colours of the difference image: pixels in both maps, only in a, only in b, in neither
BOTH = (20, 20, 20)
ONLY_A = (220, 40, 40)
ONLY_B = (40, 90, 230)
NEITHER = (255, 255, 255)


# ------------------------------------------------------------ bit-map images


@dataclass(frozen=True)
class BitImage:
    """A signature whose packed bits are an image (e.g. the 100x100 edge map)."""

    metric: str  # the metric's name, as in Links.distances
    signature: str  # the signature array in Panels.signatures
    shape: tuple[int, int]
    used: bool = True  # False: shown for context, the method did not decide with it


def drawable_images(metrics: tuple[Metric, ...] | list[Metric]) -> list[BitImage]:
    """The image-shaped signatures the `metrics` compare (Metric.drawable), each once, in order."""
    found: dict[str, BitImage] = {}
    for m in metrics:
        d = m.drawable()
        if d is not None and d[0] not in found:
            found[d[0]] = BitImage(m.name, d[0], tuple(d[1]))
    return list(found.values())


def present(images, signatures: dict[str, np.ndarray]) -> list[BitImage]:
    """The `images` whose signature arrays are there and hold packed bits of their shape (what can be drawn)."""
    out = []
    for image in images:
        bits = signatures.get(image.signature)
        if bits is not None and bits.ndim == 2 and bits.shape[1] * 64 >= image.shape[0] * image.shape[1]:
            out.append(image)
    return out


def bit_map(signatures: dict[str, np.ndarray], image: BitImage, row: int, mirrored: bool = False) -> np.ndarray:
    """The panel's bit map as a bool (h, w) array; the mirrored panel's when asked and stored."""
    name = mirror_name(image.signature) if mirrored and mirror_name(image.signature) in signatures else image.signature
    return unpack_bits(signatures[name][row], image.shape)


def map_rgb(bits: np.ndarray) -> np.ndarray:
    """A bit map as an RGB image: set bits black on white (how edge maps read best)."""
    out = np.full(bits.shape + (3,), 255, np.uint8)
    out[bits] = BOTH
    return out


def xor_rgb(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The difference of two bit maps as RGB: only in a red, only in b blue, in both black, else white.

    The red and blue pixels together are exactly the bits the Hamming distance counts.
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    if a.shape != b.shape:
        raise ValueError(f"bit maps differ in shape: {a.shape} vs {b.shape}")
    out = np.empty(a.shape + (3,), np.uint8)
    out[:] = NEITHER
    out[a & b] = BOTH
    out[a & ~b] = ONLY_A
    out[~a & b] = ONLY_B
    return out


# -------------------------------------------------------------- cluster plans


@dataclass
class ClusterPlan:
    """One cluster as the report shows it.

    rows: member panel rows in page order; rows[0] is the original (earliest
    page, then position). mirrored[k]: member k faces the other way from the
    original (an odd number of mirrored links on its strongest path to it).
    via[k]: the link (row in Links) that ties member k into the cluster along
    that path, -1 for the original and for members no link inside the cluster
    reaches. shown: links to explain in the "why matched" view, strongest
    first. neighbours: other cluster id -> number of links to it.
    """

    cluster: int
    rows: np.ndarray
    mirrored: np.ndarray
    via: np.ndarray
    shown: np.ndarray
    internal_links: int
    mirrored_links: int
    neighbours: dict[int, int] = field(default_factory=dict)
    #: the figures (analysis/figures.py) its members show, largest first, and for each the panels outside the
    #: cluster that show it too, in page order
    figures: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    figure_elsewhere: list[np.ndarray] = field(default_factory=list)
    weakest: float = 0.0  # the weakest link the cluster cannot do without (see communities.coherence)
    density: float = 0.0  # the share of its members' pairs linked directly
    loose: bool = False  # held by a chain or a weak tie rather than one drawing: flagged in the report

    @property
    def size(self) -> int:
        return len(self.rows)

    @property
    def original(self) -> int:
        return int(self.rows[0])


def page_order(panels: Panels, rows: np.ndarray) -> np.ndarray:
    """`rows` sorted as a reader meets them: page, position, frame; panels without a page last, by folder order."""
    rows = np.asarray(rows, np.int64)
    page = panels.page[rows]
    return rows[np.lexsort((rows, panels.frame[rows], panels.position[rows], page, page < 0))]


def plan_clusters(panels: Panels, links: Links, clustering: Clustering, max_links: int = 20,
                  figures: Figures | None = None) -> list[ClusterPlan]:
    """A plan per cluster, largest first (ties by cluster id).

    The links shown per cluster are a maximum spanning forest of its links
    (so every member is explained by its strongest ties) plus up to
    `max_links` further strongest links. Clusters are made of whole-drawing
    links (`communities.reuse_edges`); with `figures`, each plan names the
    figures its members show and where else they appear.
    """
    m = np.asarray(clustering.membership)
    if len(m) != len(panels):
        raise ValueError(f"clustering has {len(m)} memberships for {len(panels)} panels")
    ca, cb = m[links.a], m[links.b]
    reuse = links.whole()  # only whole drawings make clusters: a room or a figure ties none and explains no member
    internal = (ca == cb) & (ca >= 0) & reuse
    by_cluster: dict[int, list[int]] = {}
    # Strongest first (ties by link row), so Kruskal below builds a maximum spanning forest.
    for k in np.lexsort((np.arange(len(links)), -links.weight.astype(np.float64))).tolist():
        if internal[k]:
            by_cluster.setdefault(int(ca[k]), []).append(k)
    neighbours: dict[int, dict[int, int]] = {}
    for x, y in zip(ca[~internal & reuse].tolist(), cb[~internal & reuse].tolist()):
        if x >= 0 and y >= 0:
            for here, there in ((x, y), (y, x)):
                near = neighbours.setdefault(here, {})
                near[there] = near.get(there, 0) + 1

    ids, counts = np.unique(m[m >= 0], return_counts=True)
    figures = Figures.empty() if figures is None else figures
    weakest, density = reuse_coherence(m, links)
    loose = is_loose(weakest, density, np.bincount(m[m >= 0], minlength=len(weakest)))
    plans = []
    for c in ids[np.lexsort((ids, -counts))].tolist():
        rows = page_order(panels, np.flatnonzero(m == c))
        plan = _plan(c, rows, links, by_cluster.get(c, []), max_links, neighbours.get(c, {}))
        shown, elsewhere = _figures_of(panels, m, c, rows, figures)
        plans.append(replace(plan, weakest=float(weakest[c]), density=float(density[c]), loose=bool(loose[c]),
                             figures=shown, figure_elsewhere=elsewhere))
    return plans


def _figures_of(panels: Panels, m: np.ndarray, c: int, rows: np.ndarray, figures: Figures) -> tuple[np.ndarray, list[np.ndarray]]:
    """The figures cluster c's members (`rows`) show, largest first, and for each the panels outside the cluster
    that show it, in page order."""
    shown = np.unique(figures.figure[np.isin(figures.panel, rows)])
    elsewhere = []
    for f in shown.tolist():
        seen = figures.panels_of(f)
        elsewhere.append(page_order(panels, seen[m[seen] != c]))
    return shown.astype(np.int32), elsewhere


def _plan(c: int, rows: np.ndarray, links: Links, strongest: list[int], max_links: int, near: dict[int, int]) -> ClusterPlan:
    pos = {int(r): k for k, r in enumerate(rows.tolist())}
    parent = list(range(len(rows)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    tree: list[int] = []
    adjacency: list[list[tuple[int, int]]] = [[] for _ in rows]
    for k in strongest:
        i, j = pos[int(links.a[k])], pos[int(links.b[k])]
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[ri] = rj
            tree.append(k)
            adjacency[i].append((j, k))
            adjacency[j].append((i, k))

    # Walk the forest from the earliest member of each piece (rows are in page
    # order, so the original roots the piece that holds it).
    mirrored = np.zeros(len(rows), bool)
    via = np.full(len(rows), -1, np.int64)
    seen = np.zeros(len(rows), bool)
    for root in range(len(rows)):
        if seen[root]:
            continue
        seen[root] = True
        stack = [root]
        while stack:
            x = stack.pop()
            for y, k in adjacency[x]:
                if not seen[y]:
                    seen[y] = True
                    via[y] = k
                    mirrored[y] = mirrored[x] ^ bool(links.mirrored[k])
                    stack.append(y)

    in_tree = set(tree)
    extra = [k for k in strongest if k not in in_tree][:max_links]
    shown = np.array(sorted(tree + extra, key=lambda k: (-float(links.weight[k]), k)), np.int64)
    n_mirrored = int(links.mirrored[strongest].sum()) if strongest else 0
    return ClusterPlan(c, rows, mirrored, via, shown, len(strongest), n_mirrored, dict(sorted(near.items())))
