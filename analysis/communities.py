"""Community detection on the link graph: igraph greedy modularity and Leiden.

Input is plain arrays (number of panels, link endpoints, weights); output is a
`Clustering` with one cluster id per panel, largest cluster first, -1 for
panels in no cluster. Singletons are not clusters.
"""

from __future__ import annotations

import hashlib
import json

import igraph as ig
import leidenalg
import numpy as np

from visualdistance.analysis.data import Clustering, Links

#: The defaults, in one place: the CLI's options read them too.
ALGORITHM = "leiden"
OBJECTIVE = "modularity"
#: CPM's resolution: the link density (of weights in (0, 1]) a cluster needs
RESOLUTION = 0.05
SEED = 42
OBJECTIVES = ("modularity", "cpm")


def reuse_edges(links: Links) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, weight) of the links that make reuse clusters: whole-drawing links only (`Links.whole`). A shared
    room is never reuse; a region link (one figure of a panel) clusters figures instead (analysis/figures.py),
    so a figure seen in many scenes never glues them into one cluster."""
    keep = links.whole()
    return links.a[keep], links.b[keep], links.weight[keep]


def cluster_links(algorithm: str, n: int, links: Links, **params) -> Clustering:
    """Communities of n panels under `algorithm` (a name of ALGORITHMS, its keywords in `params`) of their
    reuse links (`reuse_edges`)."""
    return ALGORITHMS[algorithm](n, *reuse_edges(links), **params)


def link_graph(n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray | None = None) -> ig.Graph:
    """Undirected igraph graph on n vertices with one edge per link (attribute "weight")."""
    g = ig.Graph(n=n, edges=np.column_stack([a, b]).astype(np.int64).tolist(), directed=False)
    g.es["weight"] = (np.ones(len(a)) if weight is None else np.asarray(weight, dtype=float)).tolist()
    # One edge per pair (fast greedy refuses multi-edges): a repeated pair keeps its strongest link.
    g.simplify(multiple=True, loops=True, combine_edges="max")
    return g


def leiden(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    weight: np.ndarray | None = None,
    objective: str = OBJECTIVE,
    resolution: float = RESOLUTION,
    seed: int = SEED,
) -> Clustering:
    """Leiden communities (leidenalg) of the graph of n panels with links (a, b) and their weights in [0, 1].

    objective: "modularity", or "cpm" with `resolution` the density a cluster
    needs. The same seed gives the same clusters.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {OBJECTIVES}")
    params = {"algorithm": "leiden", "seed": seed, "objective": objective, "resolution": resolution}
    return _communities(n, a, b, weight, params, lambda g: _leiden(g, objective, resolution, seed))


def greedy_modularity(n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray | None = None, **_leiden: object) -> Clustering:
    """igraph's fast greedy modularity communities, cut where modularity peaks.

    It has no objective, resolution or seed (it is deterministic): it takes
    Leiden's keywords only so every algorithm is called the same way, and ignores them.
    """
    return _communities(n, a, b, weight, {"algorithm": "greedy"}, _greedy)


#: every community function by the name the CLI, eval and the run record use. Each is called
#: f(n, a, b, weight, objective=, resolution=, seed=) and returns a Clustering (see `leiden`);
#: one that has no use for a parameter takes it and ignores it.
ALGORITHMS = {"leiden": leiden, "greedy": greedy_modularity}


def _communities(n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray | None, params: dict, find) -> Clustering:
    """Relabelled communities from find(graph) -> raw labels; weights shifted to (0, 1] (a link at its threshold still counts a little)."""
    if len(a) == 0:
        return _clustering(np.full(n, -1, np.int32), params, float("nan"))
    w = np.ones(len(a)) if weight is None else 0.1 + 0.9 * np.clip(np.asarray(weight, float), 0.0, 1.0)
    g = link_graph(n, a, b, w)
    raw = find(g)
    q = g.modularity(raw.tolist(), weights="weight")
    return _clustering(relabel(raw), params, float(q))


def _greedy(g: ig.Graph) -> np.ndarray:
    dendrogram = g.community_fastgreedy(weights="weight")
    return np.asarray(dendrogram.as_clustering().membership)


def _leiden(g: ig.Graph, objective: str, resolution: float, seed: int) -> np.ndarray:
    if objective == "cpm":
        part = leidenalg.find_partition(
            g, leidenalg.CPMVertexPartition, weights="weight", resolution_parameter=resolution, seed=seed
        )
    else:
        part = leidenalg.find_partition(g, leidenalg.ModularityVertexPartition, weights="weight", seed=seed)
    return np.asarray(part.membership)


def relabel(raw: np.ndarray) -> np.ndarray:
    """Raw community labels -> ids 0..k-1 by size (largest first, ties by first member); singletons -1."""
    raw = np.asarray(raw)
    if len(raw) == 0:
        return raw.astype(np.int32)
    labels, first, inverse, counts = np.unique(raw, return_index=True, return_inverse=True, return_counts=True)
    keep = counts >= 2
    order = np.lexsort((first[keep], -counts[keep]))
    new_id = np.full(len(labels), -1, np.int32)
    new_id[np.flatnonzero(keep)[order]] = np.arange(keep.sum(), dtype=np.int32)
    return new_id[inverse]


def cluster_run_id(params: dict, membership: np.ndarray, ids: np.ndarray | None = None) -> str:
    """A run id that changes with the parameters, the panels (when their ids are given) and the result:
    the same clustering written twice is one run, anything different is a new one."""
    h = hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode())
    if ids is not None:
        h.update("\0".join(map(str, ids)).encode())
    h.update(np.asarray(membership, np.int32).tobytes())
    return h.hexdigest()[:12]


def _clustering(membership: np.ndarray, params: dict, modularity: float) -> Clustering:
    return Clustering(cluster_run_id(params, membership), params["algorithm"], params, membership, modularity)


#: a cluster whose weakest tie is under this weight, or whose members are linked in under this share
#: of their pairs, is held together by a chain rather than by one drawing: the report flags it
LOOSE_WEIGHT = 0.2
LOOSE_DENSITY = 0.2


def coherence(membership: np.ndarray, a: np.ndarray, b: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(weakest, density) per cluster id 0..k-1: how much one cluster is one drawing.

    weakest: the weight of the weakest link the cluster cannot do without
    (the smallest link of a maximum spanning tree of its links; 0 when its
    links do not join all its members). density: the share of its members'
    pairs that are linked directly (1 for a drawing reused in every member, low
    for a chain of callbacks or a heap glued by a few links).
    """
    m = np.asarray(membership)
    k = int(m.max()) + 1 if len(m) and m.max() >= 0 else 0
    a, b, w = np.asarray(a, np.int64), np.asarray(b, np.int64), np.asarray(weight, np.float64)
    inside = (m[a] == m[b]) & (m[a] >= 0)
    a, b, w = a[inside], b[inside], w[inside]
    sizes = np.bincount(m[m >= 0], minlength=k)
    pairs = sizes * (sizes - 1) / 2
    density = np.bincount(m[a], minlength=k) / np.maximum(pairs, 1)
    weakest = np.zeros(k)
    if len(a):
        g = ig.Graph(n=len(m), edges=np.column_stack([a, b]).tolist(), directed=False)
        tree = np.asarray(g.spanning_tree(weights=(-w).tolist(), return_tree=False), np.int64)
        in_tree = np.bincount(m[a[tree]], minlength=k)
        weakest = np.full(k, np.inf)
        np.minimum.at(weakest, m[a[tree]], w[tree])
        weakest = np.where(in_tree == sizes - 1, weakest, 0.0)  # a tree short of an edge: not one piece
    return weakest, density


def reuse_coherence(membership: np.ndarray, links: Links) -> tuple[np.ndarray, np.ndarray]:
    """`coherence` of the clusters through the links they are made of (`reuse_edges`: whole drawings, weights as
    linked)."""
    return coherence(membership, *reuse_edges(links))


def is_loose(weakest: np.ndarray, density: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Clusters to flag: a weak tie holds them, or (from four members) few of their pairs are linked."""
    return (weakest < LOOSE_WEIGHT) | ((np.asarray(sizes) >= 4) & (density < LOOSE_DENSITY))
