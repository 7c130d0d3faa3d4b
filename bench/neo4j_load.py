"""Time loading a synthetic run into Neo4j and writing a clustering back.

    .venv/bin/python bench/neo4j_load.py [--panels 10000] [--links 200000] [--batch-size 10000] [--wipe]

Builds Panels and Links as plain arrays (random ids and hashes, links mostly
inside planted groups so the clustering is realistic), loads them into the
server from NEO4J_URI / NEO4J_PASSWORD or the local `scripts/neo4j` one, and
prints seconds for: the load (panels + links), reading the SIMILAR subgraph back,
Leiden, and the cluster write-back. Targets: load <= 20 s, write-back <= 5 s.

The database must be empty (the figures are for a first load), unless --wipe
says it may be emptied first. It is emptied again at the end (a graph this size
is more than the test suite's one-transaction clean-up can delete), unless --keep.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from visualdistance import cypher
from visualdistance.analysis import communities
from visualdistance.analysis.data import Links, Panels
from visualdistance.loader import graph
from visualdistance.analysis.presets import COMBINED
from visualdistance.loader.run_folder import MethodInfo, RunInfo, RunOutput
from visualdistance.loader.run_folder.panels import shown_signatures


def synthetic_run(n_panels: int, n_links: int, seed: int = 0, group: int = 25) -> RunOutput:
    """A run folder's contents with random panels and `n_links` links, about 60% inside groups of `group`."""
    rng = np.random.default_rng(seed)
    ids = np.array([f"{1 + i // 3}_{1 + i % 3}.png" for i in range(n_panels)], dtype=object)
    words = lambda: rng.integers(0, 2**63, size=(n_panels, 1), dtype=np.uint64)  # noqa: E731
    panels = Panels(
        ids=ids,
        paths=ids.copy(),
        source=np.arange(n_panels, dtype=np.int32),
        frame=np.zeros(n_panels, np.int32),
        page=(1 + np.arange(n_panels) // 3).astype(np.int32),
        position=(1 + np.arange(n_panels) % 3).astype(np.int32),
        width=np.full(n_panels, 650, np.int32),
        height=np.full(n_panels, 450, np.int32),
        sha256=np.array([f"{v:064x}" for v in rng.integers(0, 2**62, n_panels)], dtype=object),
        signatures={"edge_pixels": rng.integers(40, 3000, (n_panels, 1)).astype(np.int32),
                    **{s.name: words() for s in shown_signatures() if s.shown.kind == "hex"}},
    )
    # Candidate pairs, 60% inside a planted group (reused art), the rest anywhere;
    # then unique with a < b, and n_links of them.
    a0 = rng.integers(0, n_panels, 3 * n_links)
    same_group = (a0 // group) * group + rng.integers(0, group, 3 * n_links)
    b0 = np.minimum(np.where(rng.random(3 * n_links) < 0.6, same_group, rng.integers(0, n_panels, 3 * n_links)),
                    n_panels - 1)
    a, b = np.minimum(a0, b0), np.maximum(a0, b0)
    pairs = np.unique(np.column_stack([a, b])[a != b], axis=0)
    pairs = pairs[np.sort(rng.permutation(len(pairs))[:n_links])]
    n = len(pairs)
    links = Links(
        a=pairs[:, 0].astype(np.int32),
        b=pairs[:, 1].astype(np.int32),
        distances={"edges": rng.integers(0, 1100, n).astype(np.float32),
                   "phash": rng.integers(0, 32, n).astype(np.float32)},
        thresholds={"edges": np.full(n, 1000, np.float32), "phash": np.full(n, 8, np.float32)},
        rules=rng.integers(1, 4, n).astype(np.uint32),
        mirrored=rng.random(n) < 0.2,
        weight=rng.random(n).astype(np.float32),
        rule_names=("edges", "phash"),
    )
    return RunOutput(panels, links, None, RunInfo(method=MethodInfo.of(COMBINED)))


def delete_all(driver, database: str) -> None:
    # CALL ... IN TRANSACTIONS only runs in an auto-commit transaction: session.run.
    with driver.session(database=database) as session:
        session.run(cypher.load("delete_all")).consume()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--panels", type=int, default=10_000)
    ap.add_argument("--links", type=int, default=200_000)
    ap.add_argument("--batch-size", type=int, default=graph.DEFAULT_BATCH_SIZE)
    ap.add_argument("--wipe", action="store_true", help="empty the database first (everything in it is lost)")
    ap.add_argument("--keep", action="store_true", help="leave the synthetic graph in the database")
    args = ap.parse_args()

    settings = graph.env_settings(graph.find_local_server())
    t = time.perf_counter()
    run = synthetic_run(args.panels, args.links)
    print(f"built {len(run.panels):,} panels, {len(run.links):,} links in {time.perf_counter() - t:.1f} s")
    try:
        with graph.connect(settings) as driver:
            db = settings.database
            counts = graph.graph_counts(driver, db)
            if any(counts.values()) and not args.wipe:
                print(f"{settings.uri} is not empty ({counts}); rerun with --wipe to empty it first", file=sys.stderr)
                return 2
            if args.wipe:
                delete_all(driver, db)
            graph.create_schema(driver, db)

            t = time.perf_counter()
            result = graph.load_run(driver, run, None, args.batch_size, database=db)
            load_s = time.perf_counter() - t
            print(f"load: {result.panels:,} panels + {result.links:,} links in {load_s:.1f} s "
                  f"(batch {args.batch_size:,}; target <= 20 s)")

            t = time.perf_counter()
            ids, a, b, w = graph.read_similar(driver, database=db)
            print(f"read SIMILAR back: {len(a):,} links over {len(ids):,} panels in {time.perf_counter() - t:.1f} s")
            t = time.perf_counter()
            clustering = communities.leiden(len(ids), a, b, w)
            print(f"leiden: {clustering.n_clusters:,} clusters in {time.perf_counter() - t:.1f} s")

            t = time.perf_counter()
            graph.write_cluster_run(driver, clustering, ids, args.batch_size, database=db)
            write_s = time.perf_counter() - t
            print(f"cluster write-back: {int((clustering.membership >= 0).sum()):,} panels, "
                  f"{clustering.n_clusters:,} clusters in {write_s:.1f} s (target <= 5 s)")

            t = time.perf_counter()
            graph.load_run(driver, run, None, args.batch_size, database=db)
            print(f"reload (everything already there): {time.perf_counter() - t:.1f} s")
            if not args.keep:
                delete_all(driver, db)
    except graph.GraphError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
