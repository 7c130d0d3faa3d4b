"""Clusterings in the graph: reading the SIMILAR links to cluster, writing a clustering back as a
cluster run, and running the saved Browser queries (``cypher/queries/``)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
from neo4j import Driver, RoutingControl

from visualdistance import cypher
from visualdistance.analysis.data import WHOLE_KINDS, Clustering
from visualdistance.loader import link_table
from visualdistance.loader.graph.connection import DEFAULT_DATABASE
from visualdistance.loader.graph.load import DEFAULT_BATCH_SIZE, DEFAULT_CORPUS, Progress, row_batches, write_batches
from visualdistance.loader.run_folder.clusters import modularity_value


# ------------------------------------------------------ clustering


@dataclass(frozen=True)
class SimilarFilter:
    """Which SIMILAR links to cluster: a metric that must be measured (and at most
    `max_distance`), and a rule that must have matched. None: no condition."""

    metric: str | None = None
    rule: str | None = None
    max_distance: float | None = None

    def __post_init__(self) -> None:
        if self.max_distance is not None and self.metric is None:
            raise ValueError("max_distance needs a metric (which distance to compare)")

    def params(self) -> dict:
        return {"metric": self.metric, "rule": self.rule, "max_distance": self.max_distance}

    def distance_column(self) -> str | None:
        """The SIMILAR property holding the metric's distance (dist_<metric>), None without a metric."""
        return link_table.field_column("distances", self.metric) if self.metric else None


def read_similar(
    driver: Driver, filters: SimilarFilter = SimilarFilter(), database: str = DEFAULT_DATABASE,
    corpus: str = DEFAULT_CORPUS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The filtered SIMILAR subgraph of one corpus to cluster, as arrays: (ids, a, b, weight).

    The links reuse clusters are made of, as a run's communities take them (`communities.reuse_edges`):
    whole-drawing links only (a background link is never reuse; a region link, one figure of a panel, makes
    figures, not clusters). ids: sorted panel ids of every linked panel; a, b: int32 row indices into ids,
    one per link; weight: float32 (NaN where a link has none).
    """
    record = driver.execute_query(
        cypher.load("read_similar"), {**filters.params(), "corpus": corpus, "distance": filters.distance_column(),
                                      "kinds": list(WHOLE_KINDS)},
        database_=database,
        routing_=RoutingControl.READ
    ).records[0]
    return similar_arrays(record["a"], record["b"], record["weight"])


def similar_arrays(a_ids: list, b_ids: list, weights: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Link endpoints given as ids -> (sorted ids, a rows, b rows, float32 weights)."""
    n = len(a_ids)
    if n == 0:
        return np.empty(0, object), np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.float32)
    ids, inverse = np.unique(np.array(list(a_ids) + list(b_ids), dtype=object), return_inverse=True)
    return ids, inverse[:n].astype(np.int32), inverse[n:].astype(np.int32), np.asarray(weights, np.float32)


def write_cluster_run(
    driver: Driver,
    clustering: Clustering,
    ids: np.ndarray,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress = None,
    database: str = DEFAULT_DATABASE,
    corpus: str = DEFAULT_CORPUS,
) -> str:
    """Write a clustering over panels `ids` of `corpus` as (:ClusterRun)-[:HAS_CLUSTER]->(:Cluster)<-[:IN_CLUSTER]-(:Panel).

    Keyed by (corpus, clustering.run_id): earlier runs stay, writing the same run again
    changes nothing. Panels in no cluster (-1) get no relationship. The ClusterRun node
    comes last: until every cluster and membership is written the run does not exist, so
    an interrupted write never becomes the latest run (writing it again completes it).
    Returns the run id.
    """
    m = np.asarray(clustering.membership)
    if len(m) != len(ids):
        raise ValueError(f"membership has {len(m)} rows for {len(ids)} panel ids")
    sizes = clustering.sizes()
    run = clustering.run_id
    cluster_rows = [{"id": c, "size": s} for c, s in enumerate(sizes.tolist())]
    write_batches(driver, cypher.load("write_clusters"), row_batches(cluster_rows, batch_size), None, database, run=run,
                  corpus=corpus)
    rows = np.flatnonzero(m >= 0)
    member_rows = [{"panel": str(ids[i]), "cluster": int(m[i])} for i in rows]
    write_batches(
        driver, cypher.load("write_membership"), row_batches(member_rows, batch_size), on_progress, database, run=run,
        corpus=corpus,
    )
    driver.execute_query(
        cypher.load("write_cluster_run"),
        id=run,
        algorithm=clustering.algorithm,
        params=json.dumps(clustering.params, sort_keys=True, default=str),
        modularity=modularity_value(clustering.modularity),
        clusters=int(len(sizes)),
        panels=int(sizes.sum()),
        corpus=corpus,
        database_=database,
    )
    return run


# ------------------------------------------------------ saved queries


def run_saved_query(
    driver: Driver, name: str, params: dict | None = None, database: str = DEFAULT_DATABASE
) -> list[dict]:
    """Run the saved Browser query `name` (cypher/queries/NAME.cypher) with its ``:param``
    defaults overridden by `params`; returns one dict per row. Unknown parameters: ValueError."""
    defaults = cypher.query_params(name)
    unknown = set(params or {}) - set(defaults)
    if unknown:
        raise ValueError(f"query {name!r} takes {sorted(defaults)}, not {sorted(unknown)}")
    records = driver.execute_query(
        cypher.query(name), {**defaults, **(params or {})}, database_=database, routing_=RoutingControl.READ
    ).records
    return [r.data() for r in records]
