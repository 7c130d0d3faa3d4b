"""Small known graphs for the Neo4j tests, built as the arrays a run folder holds.

The known graph (rule bits: 1 = edges, 2 = phash, so 3 = both):

    panel       page  links
    1_1.png     1     5_1.png (edges: recolor-like)
    2_1.png     2     100_1.png (edges: recolor-like, 98 pages apart)
    3_1.png     3     none
    5_1.png     5     1_1.png, 40_1.png (edges+phash)
    40_1.png    40    5_1.png, 41_1.png (phash only, mirrored: redraw-like)
    41_1.png    41    40_1.png
    100_1.png   100   2_1.png
    cover.png   none  none

Callback chains (pages rising, ends not linked): 1_1 -> 5_1 -> 40_1 and 5_1 -> 40_1 -> 41_1.
"""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from visualdistance.analysis.data import BOX, LINK_KINDS, Clustering, Links, Panels
from visualdistance.loader.graph import DEFAULT_CORPUS, GraphError
from visualdistance.loader.run_folder import MethodInfo, RunInfo, RunOutput

A, F, G, B, C, D, E, H = "1_1.png", "2_1.png", "3_1.png", "5_1.png", "40_1.png", "41_1.png", "100_1.png", "cover.png"
KNOWN_IDS = [A, F, G, B, C, D, E, H]
KNOWN_PAGES = [1, 2, 3, 5, 40, 41, 100, -1]
EDGES, PHASH, BOTH = 1, 2, 3
# (a, b, rule bits, dist edges, dist phash, mirrored, weight)
KNOWN_LINKS = [
    (A, B, EDGES, 100, 20, False, 0.9),
    (B, C, BOTH, 200, 4, False, 0.8),
    (C, D, PHASH, 900, 6, True, 0.5),
    (F, E, EDGES, 300, 30, False, 0.7),
]


def make_panels(ids: list[str], pages: list[int]) -> Panels:
    """Panels with the given ids and pages; position 1 where the page is known, made-up hashes."""
    n = len(ids)
    idx = np.arange(n)
    pages_arr = np.array(pages, np.int32)
    return Panels(
        ids=np.array(ids, dtype=object),
        paths=np.array([f"panels/{i}" for i in ids], dtype=object),
        source=idx.astype(np.int32),
        frame=np.zeros(n, np.int32),
        page=pages_arr,
        position=np.where(pages_arr >= 0, 1, -1).astype(np.int32),
        width=np.full(n, 400, np.int32),
        height=np.full(n, 300, np.int32),
        sha256=np.array([f"{k:064x}" for k in range(n)], dtype=object),
        signatures={
            "edge_pixels": (500 + idx).reshape(-1, 1).astype(np.int32),
            "phash": (idx + 0xABC).reshape(-1, 1).astype(np.uint64),
        },
    )


def make_links(ids: list[str], links: list[tuple]) -> Links:
    """Links between panel ids (any order within a pair) as row indices with a < b."""
    row = {p: i for i, p in enumerate(ids)}
    pairs = [tuple(sorted((row[x], row[y]))) for x, y, *_ in links]
    return Links(
        a=np.array([p[0] for p in pairs], np.int32),
        b=np.array([p[1] for p in pairs], np.int32),
        distances={
            "edges": np.array([link[3] for link in links], np.float32),
            "phash": np.array([np.nan if link[4] is None else link[4] for link in links], np.float32),
        },
        thresholds={"edges": np.full(len(links), 500, np.float32), "phash": np.full(len(links), 8, np.float32)},
        rules=np.array([link[2] for link in links], np.uint32),
        mirrored=np.array([link[5] for link in links], bool),
        weight=np.array([link[6] for link in links], np.float32),
        rule_names=("edges", "phash"),
        rule_metrics=("edges", "phash"),
    )


def make_run(ids, pages, links, clustering: Clustering | None = None, preset: str = "combined",
             corpus: str = "default") -> RunOutput:
    return RunOutput(make_panels(list(ids), list(pages)), make_links(list(ids), links), clustering,
                     RunInfo(method=MethodInfo(preset), corpus=corpus))


def known_run() -> RunOutput:
    return make_run(KNOWN_IDS, KNOWN_PAGES, KNOWN_LINKS)


# A figure pasted into scenes (region links), two scenes sharing a room (a background link) and one whole
# drawing reused: pages 10 -> 20 -> 30 -> 50 carry one figure, 10 and 40 share only their room, 20 and 40
# are one drawing.
R10, R20, R30, R40, R50 = "10_1.png", "20_1.png", "30_1.png", "40_1.png", "50_1.png"
REGION_IDS = [R10, R20, R30, R40, R50]
# (a, b, kind, box in a, box in b, scale)
REGION_LINKS = [
    (R10, R20, "region", (40, 100, 260, 258), (420, 30, 180, 179), 0.6923),
    (R20, R30, "region", (420, 30, 180, 179), (10, 20, 250, 248), 1.389),
    (R30, R50, "region", (10, 20, 250, 248), (300, 60, 120, 119), 0.48),
    (R10, R40, "background", (0, 0, 650, 450), (0, 0, 650, 450), 1.0),
    (R20, R40, "drawing", None, None, None),
]


def region_run(corpus: str = "regions") -> RunOutput:
    """The region graph above as a run of `corpus` (panels 650 x 450)."""
    run = make_run(REGION_IDS, [10, 20, 30, 40, 50],
                   [(a, b, 0 if kind != "drawing" else EDGES, 100, None, False, 0.5) for a, b, kind, *_ in REGION_LINKS],
                   corpus=corpus)
    nan4 = (np.nan,) * 4
    box = lambda at: {k: np.array([(r[at] or nan4)[j] for r in REGION_LINKS], np.float32) for j, k in enumerate(BOX)}  # noqa: E731
    share = lambda at: np.array([np.nan if r[at] is None else r[at][2] * r[at][3] / (650 * 450) for r in REGION_LINKS], np.float32)  # noqa: E731
    links = replace(run.links, kind=np.array([LINK_KINDS.index(r[2]) for r in REGION_LINKS], np.int8),
                    box_a=box(3), box_b=box(4), scale=np.array([np.nan if r[5] is None else r[5] for r in REGION_LINKS], np.float32),
                    share_a=share(3), share_b=share(4))
    return replace(run, links=links)


def known_pages() -> dict[int, dict]:
    """Scraped records for the known graph's pages, plus page 7 which has no panel."""
    return {
        p: {"page": p, "status": "ok", "url": f"https://example.org/story/{p}", "title": f"Page {p}",
            "text": f"narration of page {p}", "chat": None, "images": [f"{p}_1.png"]}
        for p in (1, 2, 3, 5, 7, 40, 41, 100)
    }


def clustering(run_id: str, groups: list[list[str]], ids: list[str] = KNOWN_IDS, algorithm: str = "leiden") -> Clustering:
    """A clustering of `ids` with cluster k = groups[k] (largest first), everything else in no cluster."""
    membership = np.full(len(ids), -1, np.int32)
    for k, members in enumerate(groups):
        membership[[ids.index(p) for p in members]] = k
    return Clustering(run_id, algorithm, {"algorithm": algorithm, "seed": 1}, membership, 0.5)


def chain_run(n: int, extra: int = 0) -> RunOutput:
    """Panels p0000..p{n-1} on pages 1..n, each linked to the next; `extra` more panels x0000.. each
    linked to the panel of its page. The extra panels come first, so row indices shift."""
    base = [f"p{i:04d}.png" for i in range(n)]
    more = [f"x{i:04d}.png" for i in range(extra)]
    ids = more + base
    pages = [1 + i for i in range(extra)] + [1 + i for i in range(n)]
    links = [(base[i], base[i + 1], EDGES, 10 + i, 3, False, 0.5) for i in range(n - 1)]
    links += [(more[i], base[i], PHASH, 700, 2, True, 0.25) for i in range(extra)]
    return make_run(ids, pages, links)


# ------------------------------------------------- reading cluster runs back

READ_CLUSTER_RUN_INFO = """
MATCH (r:ClusterRun {corpus: $corpus, id: $run})
RETURN r.id AS id, r.algorithm AS algorithm, r.params AS params, r.modularity AS modularity,
       toString(r.created) AS created, r.clusters AS clusters, r.panels AS panels
"""
READ_CLUSTER_RUN = """
MATCH (p:Panel)-[:IN_CLUSTER]->(c:Cluster {corpus: $corpus, run: $run})
RETURN p.id AS panel, c.id AS cluster
"""


def cluster_run_info(driver, run_id: str, corpus: str = DEFAULT_CORPUS) -> dict | None:
    """A cluster run's properties (params decoded from JSON), or None."""
    records = driver.execute_query(READ_CLUSTER_RUN_INFO, run=run_id, corpus=corpus).records
    if not records:
        return None
    info = records[0].data()
    info["params"] = json.loads(info["params"]) if info["params"] else {}
    return info


def read_cluster_run(driver, run_id: str, corpus: str = DEFAULT_CORPUS) -> dict[str, int]:
    """Membership of a cluster run: {panel id: cluster id}; GraphError if there is no such run."""
    if cluster_run_info(driver, run_id, corpus) is None:
        raise GraphError(f"no cluster run {run_id!r} of corpus {corpus!r} in the graph")
    records = driver.execute_query(READ_CLUSTER_RUN, run=run_id, corpus=corpus).records
    return {r["panel"]: r["cluster"] for r in records}


def whole_graph(driver) -> list:
    """Every node and relationship with its properties (creation dates aside), sorted: a graph to compare.
    A relationship's ends are named by id (panels, clusters) or number (pages), and labels."""
    nodes = driver.execute_query("MATCH (n) RETURN labels(n) AS l, properties(n) AS p").records
    rels = driver.execute_query(
        "MATCH (a)-[r]->(b) RETURN labels(a) AS la, coalesce(a.id, a.number) AS a, type(r) AS t, "
        "properties(r) AS p, labels(b) AS lb, coalesce(b.id, b.number) AS b").records
    # with each value's type: an int 1 and a float 1.0 are equal in Python, not in the graph
    plain = lambda props: sorted((k, v, type(v).__name__) for k, v in props.items() if k != "created")  # noqa: E731
    return sorted([("node", sorted(r["l"]), plain(r["p"])) for r in nodes]
                  + [("rel", sorted(r["la"]), r["a"], r["t"], plain(r["p"]), sorted(r["lb"]), r["b"]) for r in rels],
                  key=repr)
