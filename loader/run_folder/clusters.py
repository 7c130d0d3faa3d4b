"""clusters.csv and clusters.json: each clustered panel by cluster, and each cluster's size and coherence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.loader.files import write_atomic
from visualdistance.loader.link_table import row_of
from visualdistance.loader.run_folder.errors import reading
from visualdistance.loader.run_folder.layout import CLUSTERS_CSV, CLUSTERS_JSON
from visualdistance.loader.run_folder.tables import csv_text

CLUSTER_COLUMNS = ("cluster", "panel", "page", "path", "frame")


def modularity_value(q: float) -> float | None:
    """A clustering's modularity as written everywhere (clusters.json, the graph's ClusterRun): 6 decimals,
    None where it is undefined (NaN: a clustering of no links)."""
    return None if not np.isfinite(q) else round(float(q), 6)


def cluster_records(clustering: Clustering, panels: Panels) -> list[dict]:
    """One dict per clustered panel, by cluster then page order: cluster, panel, page, path, frame."""
    m = clustering.membership
    rows = np.flatnonzero(m >= 0)
    rows = rows[np.lexsort((rows, m[rows]))]
    return [
        {
            "cluster": int(m[i]),
            "panel": panels.ids[i],
            "page": int(panels.page[i]),
            "path": panels.paths[i],
            "frame": int(panels.frame[i]),
        }
        for i in rows
    ]


def _coherence(clustering: Clustering, links: Links, sizes: np.ndarray) -> list[dict]:
    """Per cluster: its weakest necessary link, the share of its pairs linked, and whether that makes it loose."""
    from visualdistance.analysis import communities  # igraph: only for a run that has clusters to write

    weakest, density = communities.reuse_coherence(clustering.membership, links)
    loose = communities.is_loose(weakest, density, sizes)
    return [{"weakest_link": round(float(weakest[c]), 4), "linked_pairs": round(float(density[c]), 4),
             "loose": bool(loose[c])} for c in range(clustering.n_clusters)]


def write_clusters(folder: Path, clustering: Clustering, panels: Panels, links: Links | None = None) -> None:
    """clusters.csv and clusters.json; with the links, each cluster in the JSON says how coherent it is."""
    recs = cluster_records(clustering, panels)
    write_atomic(folder / CLUSTERS_CSV, csv_text(list(CLUSTER_COLUMNS), ([r[c] for c in CLUSTER_COLUMNS] for r in recs)))
    sizes = clustering.sizes()
    clusters = [{"id": int(c), "size": int(sizes[c]), "panels": []} for c in range(clustering.n_clusters)]
    if links is not None and clustering.n_clusters:
        for entry, coherence in zip(clusters, _coherence(clustering, links, sizes)):
            entry.update(coherence)
    for r in recs:
        clusters[r["cluster"]]["panels"].append(r["panel"])
    doc = {
        "run_id": clustering.run_id,
        "algorithm": clustering.algorithm,
        "params": clustering.params,
        "modularity": modularity_value(clustering.modularity),
        "clusters": clusters,
    }
    write_atomic(folder / CLUSTERS_JSON, json.dumps(doc, indent=1))


def read_clusters(folder: Path, panel_index: dict[str, int]) -> Clustering:
    """The clustering in clusters.json, as a membership over the panels of `panel_index`."""
    with reading(folder / CLUSTERS_JSON):
        with open(folder / CLUSTERS_JSON, encoding="utf-8") as fh:
            doc = json.load(fh)
        membership = np.full(len(panel_index), -1, np.int32)
        for c in doc["clusters"]:
            membership[[row_of(panel_index, p) for p in c["panels"]]] = c["id"]
        q = doc.get("modularity")
        return Clustering(doc["run_id"], doc["algorithm"], doc["params"], membership, float("nan") if q is None else q)
