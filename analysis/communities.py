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

from visualdistance.analysis.data import Clustering

ALGORITHMS = ("leiden", "greedy")
OBJECTIVES = ("modularity", "cpm")


def link_graph(n: int, a: np.ndarray, b: np.ndarray, weight: np.ndarray | None = None) -> ig.Graph:
    """Undirected igraph graph on n vertices with one edge per link (attribute "weight")."""
    g = ig.Graph(n=n, edges=np.column_stack([a, b]).astype(np.int64).tolist(), directed=False)
    g.es["weight"] = (np.ones(len(a)) if weight is None else np.asarray(weight, dtype=float)).tolist()
    # One edge per pair (fast greedy refuses multi-edges): a repeated pair keeps its strongest link.
    g.simplify(multiple=True, loops=True, combine_edges="max")
    return g


def detect(
    n: int,
    a: np.ndarray,
    b: np.ndarray,
    weight: np.ndarray | None = None,
    algorithm: str = "leiden",
    objective: str = "modularity",
    resolution: float = 1.0,
    seed: int = 42,
) -> Clustering:
    """Communities of the link graph.

    algorithm: "greedy" (igraph's fast greedy modularity, cut where modularity
    peaks) or "leiden" (leidenalg; objective "modularity", or "cpm" with
    `resolution` as the density a cluster needs). Deterministic for a seed.
    Weights are shifted to (0, 1] (a link at its threshold still counts a little).
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {ALGORITHMS}")
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {OBJECTIVES}")
    w = np.ones(len(a)) if weight is None else 0.1 + 0.9 * np.clip(np.asarray(weight, float), 0.0, 1.0)
    params = {"algorithm": algorithm, "seed": seed}
    if algorithm == "leiden":
        params.update(objective=objective, resolution=resolution)
    if len(a) == 0:
        return _clustering(np.full(n, -1, np.int32), params, float("nan"))
    g = link_graph(n, a, b, w)
    if algorithm == "greedy":
        raw = _greedy(g)
    else:
        raw = _leiden(g, objective, resolution, seed)
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


def _clustering(membership: np.ndarray, params: dict, modularity: float) -> Clustering:
    run_id = hashlib.sha1(json.dumps(params, sort_keys=True).encode() + membership.tobytes()).hexdigest()[:12]
    return Clustering(run_id=run_id, algorithm=params["algorithm"], params=params, membership=membership, modularity=modularity)
