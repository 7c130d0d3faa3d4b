"""The Neo4j store against a real server: schema, load, idempotency, interruption,
cluster write-back, every saved query with its expected answer, bad connections."""

from __future__ import annotations

import re
import socket
import time
from dataclasses import replace

import numpy as np
import pytest

from tests.graph_data import (
    KNOWN_IDS,
    A,
    B,
    C,
    D,
    E,
    F,
    G,
    H,
    chain_run,
    cluster_run_info,
    clustering,
    known_pages,
    known_run,
    R10,
    R20,
    R30,
    R40,
    R50,
    region_run,
    read_cluster_run,
    whole_graph,
)
from visualdistance import cypher
from visualdistance.analysis.figures import Figures
from visualdistance.loader import graph
from visualdistance.loader.graph import GraphError, Settings, SimilarFilter
from visualdistance.loader.run_folder import RunFolder


def scalar(driver, query: str, **params):
    """The single value a test query returns (test-only Cypher, to look at the graph from outside)."""
    return driver.execute_query(query, params).records[0][0]


def counts(driver) -> dict:
    """Every label and relationship type, counted."""
    return {
        "Panel": scalar(driver, "MATCH (n:Panel) RETURN count(n)"),
        "Page": scalar(driver, "MATCH (n:Page) RETURN count(n)"),
        "HAS_PANEL": scalar(driver, "MATCH ()-[r:HAS_PANEL]->() RETURN count(r)"),
        "SIMILAR": scalar(driver, "MATCH ()-[r:SIMILAR]->() RETURN count(r)"),
        "ClusterRun": scalar(driver, "MATCH (n:ClusterRun) RETURN count(n)"),
        "Cluster": scalar(driver, "MATCH (n:Cluster) RETURN count(n)"),
        "HAS_CLUSTER": scalar(driver, "MATCH ()-[r:HAS_CLUSTER]->() RETURN count(r)"),
        "IN_CLUSTER": scalar(driver, "MATCH ()-[r:IN_CLUSTER]->() RETURN count(r)"),
    }


def similar_props(driver) -> dict:
    rows = driver.execute_query("MATCH (a)-[s:SIMILAR]->(b) RETURN a.id AS a, b.id AS b, properties(s) AS p").records
    return {(r["a"], r["b"]): r["p"] for r in rows}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ------------------------------------------------------------ no server


def test_saved_queries_have_a_header_and_declare_every_parameter():
    assert cypher.query_names(), "no saved queries packaged"
    for name in cypher.query_names():
        text = cypher.query(name)
        assert text.startswith(f"// {name}: "), f"{name}: the first line should say what it answers"
        body = "\n".join(line for line in text.splitlines() if not line.startswith("//"))
        used = set(re.findall(r"\$(\w+)", body))
        assert used == set(cypher.query_params(name)), f"{name}: :param lines {cypher.query_params(name)} vs {used}"


def test_parse_literal_reads_browser_param_values():
    assert [cypher.parse_literal(x) for x in ("null", "true", "10", "2.5", "'edges'", '"a b"', "[1, 'x']")] == [
        None, True, 10, 2.5, "edges", "a b", [1, "x"],
    ]


def test_schema_file_splits_into_statements():
    statements = cypher.statements("schema")
    assert len(statements) == 13
    drops = [s for s in statements if s.startswith("DROP CONSTRAINT ")]
    assert len(drops) == 4 and all(s.endswith(" IF EXISTS") for s in drops)
    creates = statements[len(drops):]
    assert all(s.startswith("CREATE ") and "IF NOT EXISTS" in s and ";" not in s for s in creates)


def test_link_rows_orient_pairs_by_id_and_drop_nan():
    run = known_run()
    run.links.distances["phash"][0] = np.nan
    rows = graph.link_rows(run.links, run.panels.ids)
    pairs = list(zip(rows["a"], rows["b"]))
    # Text order, not page or row order: 40_1.png < 5_1.png and 100_1.png < 2_1.png.
    assert pairs == [(A, B), (C, B), (C, D), (E, F)]
    cols = rows["columns"]
    assert cols["rule"] == ["edges", "edges+phash", "phash", "edges"]
    assert cols["weight"] == [0.9, 0.8, 0.5, 0.7] and all(isinstance(w, float) for w in cols["weight"])
    assert cols["dist_edges"] == [100, 200, 900, 300]
    assert cols["threshold_phash"] == [8, 8, 8, 8]
    assert cols["dist_phash"] == [None, 4, 6, 30]
    assert graph.slice_columns(rows, 1, 3)["columns"]["dist_phash"] == [4, 6]


def test_settings_come_from_the_local_server_folder(tmp_path):
    home = tmp_path / ".neo4j"
    (home / "conf").mkdir(parents=True)
    (home / "password").write_text("s3cret-pass\n")
    (home / "conf" / "neo4j.conf").write_text(
        "server.bolt.listen_address=127.0.0.1:17001\nserver.http.listen_address=127.0.0.1:17002\n"
    )
    local = graph.find_local_server([tmp_path / "nothing-here", tmp_path])
    assert (local.uri, local.password, local.browser_url) == (
        "bolt://127.0.0.1:17001", "s3cret-pass", "http://127.0.0.1:17002/browser/",
    )
    assert graph.resolve_settings(local=local).password == "s3cret-pass"
    # The local password is never sent to another server.
    other = graph.resolve_settings("bolt://db.example.org:7687", local=local)
    assert (other.uri, other.password) == ("bolt://db.example.org:7687", None)
    assert graph.resolve_settings(local=None).uri == graph.DEFAULT_URI


def test_unreachable_server_is_one_clear_error():
    settings = Settings(uri=f"bolt://127.0.0.1:{closed_port()}", password="whatever")
    started = time.monotonic()
    with pytest.raises(GraphError, match=r"^cannot reach Neo4j at bolt://127\.0\.0\.1:\d+: is it running\?"):
        with graph.connect(settings):
            pass
    assert time.monotonic() - started < 10


# ------------------------------------------------------------ schema and load

@pytest.mark.neo4j
def test_schema_has_the_constraints_and_indexes_and_can_run_twice(neo4j_clean):
    graph.create_schema(neo4j_clean)
    graph.create_schema(neo4j_clean)
    constraints = {
        r["name"]: (r["labelsOrTypes"], r["properties"], r["type"])
        for r in neo4j_clean.execute_query("SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties, type").records
    }
    assert constraints == {
        "corpus_name": (["Corpus"], ["name"], "UNIQUENESS"),
        "panel_key": (["Panel"], ["corpus", "id"], "UNIQUENESS"),
        "page_key": (["Page"], ["corpus", "number"], "UNIQUENESS"),
        "cluster_run_key": (["ClusterRun"], ["corpus", "id"], "UNIQUENESS"),
        "cluster_key": (["Cluster"], ["corpus", "run", "id"], "UNIQUENESS"),
    }
    indexes = {r["name"] for r in neo4j_clean.execute_query("SHOW INDEXES YIELD name, state WHERE state = 'ONLINE'").records}
    assert {"panel_page", "panel_sha256", "cluster_run", "cluster_run_created"} <= indexes


@pytest.mark.neo4j
def test_load_writes_panels_pages_and_links(neo4j_clean):
    result = graph.load_run(neo4j_clean, known_run(), known_pages(), batch_size=3)

    assert result == graph.LoadResult(pages=8, panels=8, links=4, corpus="default")
    assert counts(neo4j_clean) == {"Panel": 8, "Page": 8, "HAS_PANEL": 7, "SIMILAR": 4,
                                   "ClusterRun": 0, "Cluster": 0, "HAS_CLUSTER": 0, "IN_CLUSTER": 0}
    panel = neo4j_clean.execute_query("MATCH (p:Panel {id: $id}) RETURN properties(p) AS p", id=B).records[0]["p"]
    assert panel == {
        "corpus": "default", "id": B, "path": f"panels/{B}", "frame": 0, "last_frame": 0, "page": 5, "position": 1, "width": 400, "height": 300,
        "sha256": f"{3:064x}", "edge_pixels": 503, "phash": f"{0xABC + 3:016x}",
    }
    # No page in the file name: no page property, no HAS_PANEL.
    cover = neo4j_clean.execute_query(
        "MATCH (p:Panel {id: $id}) RETURN p.page AS page, COUNT { (p)<-[:HAS_PANEL]-() } AS pages", id=H
    ).records[0]
    assert (cover["page"], cover["pages"]) == (None, 0)
    page = neo4j_clean.execute_query(
        "MATCH (g:Page {number: 40})-[:HAS_PANEL]->(p) RETURN g.title AS title, g.text AS text, collect(p.id) AS panels"
    ).records[0]
    assert page.data() == {"title": "Page 40", "text": "narration of page 40", "panels": [C]}
    assert similar_props(neo4j_clean) == {
        (A, B): {"dist_edges": 100, "dist_phash": 20, "threshold_edges": 500, "threshold_phash": 8,
                 "rule": "edges", "mirrored": False, "weight": pytest.approx(0.9), "preset": "combined", "kind": "drawing"},
        (C, B): {"dist_edges": 200, "dist_phash": 4, "threshold_edges": 500, "threshold_phash": 8,
                 "rule": "edges+phash", "mirrored": False, "weight": pytest.approx(0.8), "preset": "combined", "kind": "drawing"},
        (C, D): {"dist_edges": 900, "dist_phash": 6, "threshold_edges": 500, "threshold_phash": 8,
                 "rule": "phash", "mirrored": True, "weight": pytest.approx(0.5), "preset": "combined", "kind": "drawing"},
        (E, F): {"dist_edges": 300, "dist_phash": 30, "threshold_edges": 500, "threshold_phash": 8,
                 "rule": "edges", "mirrored": False, "weight": pytest.approx(0.7), "preset": "combined", "kind": "drawing"},
    }


@pytest.mark.neo4j
def test_a_run_in_memory_and_its_folder_read_back_load_the_same_graph(neo4j_clean, tmp_path):
    # `run` loads what it holds, `load` what the folder holds: numbers the files round must not tell them apart
    run = known_run()
    run.links.distances["edges"][0] = 0.99997  # written 1
    run.links.weight[1] = 0.123456
    clusters = replace(clustering("memory", [[A, B, C, D], [F, E]]), modularity=0.123456789)
    # figures too: figures.csv read back gives every Panel the same `figures` as the run held
    shown = Figures(np.array([0, 1, 1, 4], np.int32), np.array([[1, 2, 30, 40], [5, 5, 20, 20], [60, 5, 20, 20],
                                                                [0, 0, 9, 9]], np.float32),
                    np.array([0, 0, 1, 1], np.int32), np.zeros(4, bool), np.array([0.3333333, 1, 1, 1], np.float32))
    run = replace(run, clustering=clusters, info=replace(run.info, input=str(tmp_path / "comic")), figures=shown)
    folder = RunFolder(tmp_path / "out")
    folder.path.mkdir()
    folder.write_info(run.info)
    folder.write_panels(run.panels)
    folder.write_bad_files([])
    folder.write_links(run.links, run.panels.ids)
    folder.write_clusters(run.clustering, run.panels, run.links, run.figures)
    folder.finish(("extract", "link", "communities"))

    def loaded(r) -> list:
        neo4j_clean.execute_query("MATCH (n) DETACH DELETE n")
        graph.load_run(neo4j_clean, r, known_pages(), batch_size=3)
        graph.write_cluster_run(neo4j_clean, r.clustering, r.panels.ids, corpus=r.info.corpus)
        return whole_graph(neo4j_clean)

    assert loaded(run) == loaded(folder.read(through="communities"))
    assert panel_figures(neo4j_clean)[run.panels.ids[1]] == [0, 1]


def test_loading_twice_gives_the_same_graph(neo4j_clean):
    graph.load_run(neo4j_clean, known_run(), known_pages(), batch_size=3)
    first = (counts(neo4j_clean), similar_props(neo4j_clean))

    graph.load_run(neo4j_clean, known_run(), known_pages(), batch_size=5)

    assert (counts(neo4j_clean), similar_props(neo4j_clean)) == first


@pytest.mark.neo4j
def test_reloading_with_ten_new_panels_adds_only_those_and_their_links(neo4j_clean):
    graph.load_run(neo4j_clean, chain_run(20), batch_size=7)
    before = {r["id"]: r["node"] for r in neo4j_clean.execute_query(
        "MATCH (p:Panel) RETURN p.id AS id, elementId(p) AS node").records}
    assert (len(before), counts(neo4j_clean)["SIMILAR"]) == (20, 19)

    # The new panels come first in the folder, so every old panel's row index moves.
    graph.load_run(neo4j_clean, chain_run(20, extra=10), batch_size=7)

    after = {r["id"]: r["node"] for r in neo4j_clean.execute_query(
        "MATCH (p:Panel) RETURN p.id AS id, elementId(p) AS node").records}
    assert {k: after[k] for k in before} == before, "the old panels are the same nodes"
    assert sorted(set(after) - set(before)) == [f"x{i:04d}.png" for i in range(10)]
    assert counts(neo4j_clean)["SIMILAR"] == 19 + 10
    pairs = neo4j_clean.execute_query(
        "MATCH (a)-[s:SIMILAR]->(b) WHERE a.id < b.id RETURN count(s) AS n, count(DISTINCT [a.id, b.id]) AS pairs"
    ).records[0]
    assert (pairs["n"], pairs["pairs"]) == (29, 29)


@pytest.mark.neo4j
def test_an_interrupted_load_completes_when_run_again(neo4j_clean):
    run, pages = known_run(), known_pages()
    done = []

    def stop_after_the_first_link_batch(n):
        done.append(n)
        if sum(done) >= len(pages) + len(run.panels) + 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        graph.load_run(neo4j_clean, run, pages, batch_size=2, on_progress=stop_after_the_first_link_batch)
    # Whole batches only: every page and panel, and the first batch of two links.
    assert counts(neo4j_clean)["SIMILAR"] == 2

    graph.load_run(neo4j_clean, run, pages, batch_size=2)

    clean = counts(neo4j_clean)
    assert (clean["Panel"], clean["Page"], clean["HAS_PANEL"], clean["SIMILAR"]) == (8, 8, 7, 4)


@pytest.mark.neo4j
def test_a_failed_batch_writes_nothing_of_itself(neo4j_clean):
    run = known_run()
    # A map is not a valid property value: the server rejects the batch holding row 5.
    run.panels.sha256[5] = {"not": "a string"}
    with pytest.raises(Exception):
        graph.load_run(neo4j_clean, run, None, batch_size=4)
    loaded = [r["id"] for r in neo4j_clean.execute_query("MATCH (p:Panel) RETURN p.id AS id ORDER BY id").records]
    assert sorted(loaded) == sorted(KNOWN_IDS[:4]), "rows 4 and 5 were in the failed batch and are not there"


# ------------------------------------------------------------ clustering


@pytest.mark.neo4j
def test_read_similar_filters_by_metric_distance_and_rule(neo4j_clean):
    graph.load_run(neo4j_clean, known_run())

    ids, a, b, w = graph.read_similar(neo4j_clean)
    assert list(ids) == sorted([A, B, C, D, E, F])
    assert sorted(zip(ids[a], ids[b], [round(x, 3) for x in w.tolist()])) == sorted(
        [(A, B, 0.9), (C, B, 0.8), (C, D, 0.5), (E, F, 0.7)]
    )
    assert a.dtype == np.int32 and w.dtype == np.float32

    def pairs(**f):
        ids, a, b, _ = graph.read_similar(neo4j_clean, SimilarFilter(**f))
        return sorted(zip(ids[a], ids[b]))

    assert pairs(metric="phash", max_distance=6) == sorted([(C, B), (C, D)])
    assert pairs(metric="edges", max_distance=250) == sorted([(A, B), (C, B)])
    assert pairs(rule="phash") == sorted([(C, B), (C, D)])
    assert pairs(rule="edges", metric="phash", max_distance=10) == [(C, B)]
    assert pairs(metric="ahash") == []
    with pytest.raises(ValueError):
        SimilarFilter(max_distance=3)


@pytest.mark.neo4j
def test_cluster_runs_coexist_and_read_back(neo4j_clean):
    graph.load_run(neo4j_clean, known_run())
    ids = np.array(KNOWN_IDS, dtype=object)

    graph.write_cluster_run(neo4j_clean, clustering("run-a", [[A, B, C, D], [F, E]]), ids, batch_size=3)
    graph.write_cluster_run(neo4j_clean, clustering("run-b", [[A, B], [C, D]], algorithm="greedy"), ids)
    graph.write_cluster_run(neo4j_clean, clustering("run-a", [[A, B, C, D], [F, E]]), ids)  # again: no change

    c = counts(neo4j_clean)
    assert (c["ClusterRun"], c["Cluster"], c["HAS_CLUSTER"], c["IN_CLUSTER"]) == (2, 4, 4, 6 + 4)
    assert read_cluster_run(neo4j_clean, "run-a") == {A: 0, B: 0, C: 0, D: 0, F: 1, E: 1}
    assert read_cluster_run(neo4j_clean, "run-b") == {A: 0, B: 0, C: 1, D: 1}
    info = cluster_run_info(neo4j_clean, "run-b")
    assert (info["algorithm"], info["params"], info["modularity"], info["clusters"], info["panels"]) == (
        "greedy", {"algorithm": "greedy", "seed": 1}, 0.5, 2, 4,
    )
    sizes = neo4j_clean.execute_query(
        "MATCH (:ClusterRun {id: 'run-a'})-[:HAS_CLUSTER]->(c) RETURN c.id AS id, c.size AS size ORDER BY id"
    ).records
    assert [(r["id"], r["size"]) for r in sizes] == [(0, 4), (1, 2)]
    with pytest.raises(GraphError, match="no cluster run 'nope'"):
        read_cluster_run(neo4j_clean, "nope")


@pytest.mark.neo4j
def test_an_interrupted_cluster_write_never_becomes_the_latest_run(neo4j_clean):
    graph.load_run(neo4j_clean, known_run())
    ids = np.array(KNOWN_IDS, dtype=object)
    graph.write_cluster_run(neo4j_clean, clustering("run-a", [[A, B], [C, D]]), ids)

    def stop(_n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        graph.write_cluster_run(neo4j_clean, clustering("run-b", [[A, B, C, D], [F, E]]), ids, batch_size=2, on_progress=stop)
    # the half-written run is not a run: the latest, and the saved query users try first, is still run-a
    assert counts(neo4j_clean)["ClusterRun"] == 1
    assert {r["run"] for r in graph.run_saved_query(neo4j_clean, "largest_clusters", {})} == {"run-a"}
    with pytest.raises(GraphError):
        read_cluster_run(neo4j_clean, "run-b")
    # writing it again completes it
    graph.write_cluster_run(neo4j_clean, clustering("run-b", [[A, B, C, D], [F, E]]), ids, batch_size=2)
    assert read_cluster_run(neo4j_clean, "run-b") == {A: 0, B: 0, C: 0, D: 0, F: 1, E: 1}
    assert {r["run"] for r in graph.run_saved_query(neo4j_clean, "largest_clusters", {})} == {"run-b"}


# ------------------------------------------------------------ saved queries


@pytest.fixture
def known_graph(neo4j_clean):
    """The known graph with two cluster runs: run-a (older) and run-b (the latest)."""
    graph.load_run(neo4j_clean, known_run(), known_pages())
    ids = np.array(KNOWN_IDS, dtype=object)
    graph.write_cluster_run(neo4j_clean, clustering("run-a", [[A, B, C, D], [F, E]]), ids)
    time.sleep(0.01)  # `created` orders the runs
    graph.write_cluster_run(neo4j_clean, clustering("run-b", [[A, B], [C, D]], algorithm="greedy"), ids)
    return neo4j_clean


def q(driver, name, **params):
    return graph.run_saved_query(driver, name, params)


SPLIT_A_BY_B = [
    {"corpus": "default", "run_a": "run-a", "run_b": "run-b", "cluster_a": 0, "size": 4,
     "parts": [{"cluster_b": 0, "panels": [A, B]}, {"cluster_b": 1, "panels": [C, D]}]},
    {"corpus": "default", "run_a": "run-a", "run_b": "run-b", "cluster_a": 1, "size": 2,
     "parts": [{"cluster_b": None, "panels": [F, E]}]},
]


@pytest.mark.neo4j
def test_every_saved_query_runs_with_the_expected_answer(known_graph):
    d = known_graph
    checked = set()

    def check(name, rows, expected):
        checked.add(name)
        assert rows == expected, name

    check("largest_clusters", q(d, "largest_clusters"), [
        {"corpus": "default", "run": "run-b", "cluster": 0, "size": 2, "first_page": 1, "last_page": 5, "panels": [A, B]},
        {"corpus": "default", "run": "run-b", "cluster": 1, "size": 2, "first_page": 40, "last_page": 41,
         "panels": [C, D]},
    ])
    check("largest_clusters", q(d, "largest_clusters", run="run-a", limit=1), [
        {"corpus": "default", "run": "run-a", "cluster": 0, "size": 4, "first_page": 1, "last_page": 41,
         "panels": [A, B, C, D]},
    ])
    check("panel_matches", [(r["match"], r["page"], r["rule"], r["mirrored"]) for r in q(d, "panel_matches", panel=B)],
          [(A, 1, "edges", False), (C, 40, "edges+phash", False)])
    check("long_range_callbacks",
          [(r["earlier"], r["later"], r["gap"], r["rule"]) for r in q(d, "long_range_callbacks", min_pages=30)],
          [(F, E, 98, "edges"), (B, C, 35, "edges+phash")])
    check("long_range_callbacks", q(d, "long_range_callbacks", min_pages=98), [])
    check("callback_chains", [(r["first"], r["middle"], r["last"], r["span"]) for r in q(d, "callback_chains")],
          [(A, B, C, 39), (B, C, D, 36)])
    check("callback_chains", [(r["first"], r["middle"], r["last"]) for r in q(d, "callback_chains", min_gap=2)],
          [(A, B, C)])
    check("recolor_like_links", [(r["a"], r["b"], r["rule"]) for r in q(d, "recolor_like_links")],
          [(A, B, "edges"), (E, F, "edges")])
    check("redraw_like_links", [(r["a"], r["b"], r["rule"], r["mirrored"]) for r in q(d, "redraw_like_links")],
          [(C, D, "phash", True)])
    check("unclustered_panels", [(r["run"], r["panel"], r["links"]) for r in q(d, "unclustered_panels")],
          [("run-b", F, 1), ("run-b", E, 1), ("run-b", G, 0), ("run-b", H, 0)])
    check("unclustered_panels", [r["panel"] for r in q(d, "unclustered_panels", run="run-a", limit=10)], [G, H])
    check("cluster_run_diff", q(d, "cluster_run_diff", run_a="run-a", run_b="run-b"), SPLIT_A_BY_B)
    check("cluster_run_diff", q(d, "cluster_run_diff"), SPLIT_A_BY_B)  # defaults: latest-but-one vs latest
    check("cluster_run_diff", q(d, "cluster_run_diff", run_a="run-b", run_b="run-a"), [])
    check("cluster_runs", [(r["run"], r["algorithm"], r["clusters"], r["panels"]) for r in q(d, "cluster_runs")],
          [("run-b", "greedy", 2, 4), ("run-a", "leiden", 2, 6)])
    check("reuse_across_corpora", q(d, "reuse_across_corpora"), [])  # one corpus: nothing to pair (see below)

    assert checked | REGION_QUERIES == set(cypher.query_names()), "every saved query needs a check here"


#: saved queries about region links and figures, checked on the region graph (test_region_queries_...,
#: test_panels_carry_their_figures_...)
REGION_QUERIES = {"figure_reuse", "figure_chain", "figure_panels"}


@pytest.mark.neo4j
def test_region_links_load_with_their_kind_and_boxes_and_a_second_load_changes_nothing(neo4j_clean):
    graph.load_run(neo4j_clean, region_run(), batch_size=2)
    first = whole_graph(neo4j_clean)
    props = similar_props(neo4j_clean)
    assert props[(R10, R20)] == {
        "kind": "region", "box_a_x": 40, "box_a_y": 100, "box_a_w": 260, "box_a_h": 258, "box_b_x": 420, "box_b_y": 30,
        "box_b_w": 180, "box_b_h": 179, "scale": 0.6923, "share_a": pytest.approx(0.2293, abs=1e-4),
        "share_b": pytest.approx(0.1101, abs=2e-4), "dist_edges": 100, "threshold_edges": 500, "threshold_phash": 8,
        "rule": "", "mirrored": False, "weight": 0.5, "preset": "combined"}
    assert props[(R10, R40)]["kind"] == "background"
    # a whole-drawing link has a kind and no box
    assert props[(R20, R40)]["kind"] == "drawing" and "box_a_x" not in props[(R20, R40)] and "scale" not in props[(R20, R40)]
    graph.load_run(neo4j_clean, region_run(), batch_size=3)
    assert whole_graph(neo4j_clean) == first


@pytest.mark.neo4j
def test_region_queries_follow_figures_and_never_a_shared_room(neo4j_clean):
    graph.load_run(neo4j_clean, region_run())
    d = neo4j_clean
    rows = q(d, "figure_reuse", panel=R20)
    assert [(r["match"], r["page"], r["kind"]) for r in rows] == [(R10, 10, "region"), (R30, 30, "region"), (R40, 40, "drawing")]
    # each box said from this panel's side, whichever way the SIMILAR runs
    assert rows[0]["box_here"] == [420, 30, 180, 179] and rows[0]["box_there"] == [40, 100, 260, 258]
    assert rows[1]["box_here"] == [420, 30, 180, 179] and rows[1]["box_there"] == [10, 20, 250, 248]
    assert rows[2]["box_here"] is None
    assert [r["match"] for r in q(d, "figure_reuse", panel=R10)] == [R20]  # R40 shares only the room
    for panel in (R10, R20, R50):
        (chain,) = q(d, "figure_chain", panel=panel)
        assert (chain["chain"], chain["pages"], chain["steps"], chain["span"]) == ([R10, R20, R30, R50], [10, 20, 30, 50], 3, 40)
    (alone,) = q(d, "figure_chain", panel=R40)  # linked by a drawing and a room, by no figure
    assert alone["chain"] == [R40] and alone["steps"] == 0
    # the callback queries follow reuse, never a shared room: R10 -> R20 -> R40 is a chain (R10 and R40 share
    # only their room), and R10-R40, 30 pages apart, is no long-range callback
    assert [(r["first"], r["middle"], r["last"]) for r in q(d, "callback_chains")] == [
        (R10, R20, R40), (R20, R30, R50), (R10, R20, R30)]
    assert [(r["earlier"], r["later"], r["kind"]) for r in q(d, "long_range_callbacks", min_pages=15)] == [
        (R20, R40, "drawing"), (R30, R50, "region")]
    assert [(r["match"], r["kind"]) for r in q(d, "panel_matches", panel=R40)] == [(R10, "background"), (R20, "drawing")]


@pytest.mark.neo4j
def test_cluster_reads_whole_drawing_links_only(neo4j_clean):
    graph.load_run(neo4j_clean, region_run())
    ids, a, b, w = graph.read_similar(neo4j_clean, corpus="regions")
    # neither the room (R10-R40) nor the figure's region links: they make figures, never clusters
    assert [(ids[x], ids[y]) for x, y in zip(a, b)] == [(R20, R40)] and w.tolist() == [pytest.approx(0.5)]


def two_figures(run) -> Figures:
    """Figures over region_run()'s panels: figure 0 in R10, R20 and R30; figure 1 in R30 (at another place) and R50."""
    return Figures(panel=np.array([0, 1, 2, 2, 4], np.int32),
                   box=np.array([[40, 100, 260, 258], [420, 30, 180, 179], [10, 20, 250, 248], [400, 200, 100, 100],
                                 [300, 60, 120, 119]], np.float32),
                   figure=np.array([0, 0, 0, 1, 1], np.int32), mirrored=np.zeros(5, bool), strength=np.ones(5, np.float32))


def panel_figures(driver) -> dict:
    rows = driver.execute_query("MATCH (p:Panel) RETURN p.id AS id, p.figures AS figures").records
    return {r["id"]: r["figures"] for r in rows}


@pytest.mark.neo4j
def test_panels_carry_their_figures_and_a_query_lists_a_figures_panels_in_page_order(neo4j_clean):
    run = region_run()
    run = replace(run, figures=two_figures(run))
    graph.load_run(neo4j_clean, run, batch_size=2)
    assert panel_figures(neo4j_clean) == {R10: [0], R20: [0], R30: [0, 1], R40: None, R50: [1]}
    assert [(r["panel"], r["page"]) for r in q(neo4j_clean, "figure_panels", figure=1)] == [(R30, 30), (R50, 50)]
    assert [r["panel"] for r in q(neo4j_clean, "figure_panels", figure=0, corpus="regions")] == [R10, R20, R30]
    assert q(neo4j_clean, "figure_panels", figure=0, corpus="another") == []
    # loading again changes nothing; a run without figures (another method) leaves none behind
    first = whole_graph(neo4j_clean)
    graph.load_run(neo4j_clean, run, batch_size=3)
    assert whole_graph(neo4j_clean) == first
    graph.load_run(neo4j_clean, region_run())
    assert set(panel_figures(neo4j_clean).values()) == {None}


def test_link_rows_turn_a_region_link_round_with_its_boxes():
    run = region_run()
    backwards = np.array([f"{9 - k}.png" for k in range(len(run.panels))], dtype=object)  # every pair against id order
    rows = graph.link_rows(run.links, backwards)
    cols = rows["columns"]
    assert (rows["a"][0], rows["b"][0]) == ("8.png", "9.png")
    assert [cols[f"box_a_{k}"][0] for k in "xywh"] == [420, 30, 180, 179]
    assert [cols[f"box_b_{k}"][0] for k in "xywh"] == [40, 100, 260, 258]
    assert cols["scale"][0] == pytest.approx(1 / 0.6923, abs=1e-4) and cols["share_b"][0] == pytest.approx(0.2293, abs=1e-4)


# ------------------------------------------------------------ corpora


def other_comic(corpus: str, input_folder: str, shared: tuple[str, ...] = ()):
    """The known graph's file names again, as another comic: other art (hashes) except the `shared` panels."""
    run = known_run()
    run.info = replace(run.info, corpus=corpus, input=input_folder)
    for i, pid in enumerate(run.panels.ids):
        if pid not in shared:
            run.panels.sha256[i] = f"{0xB000 + i:064x}"
            run.panels.signatures["phash"][i] = 0xB000 + i
    return run


@pytest.mark.neo4j
def test_two_comics_with_the_same_file_names_sit_side_by_side(neo4j_clean):
    first = known_run()
    first.info = replace(first.info, corpus="comic-a", input="/comics/a/panels")
    graph.load_run(neo4j_clean, first, known_pages())
    graph.load_run(neo4j_clean, other_comic("comic-b", "/comics/b/panels", shared=(B,)), known_pages())
    ids = np.array(KNOWN_IDS, dtype=object)
    for corpus, groups in (("comic-a", [[A, B, C, D]]), ("comic-b", [[E, F]])):
        graph.write_cluster_run(neo4j_clean, clustering("same-id", groups), ids, corpus=corpus)

    c = counts(neo4j_clean)
    assert (c["Panel"], c["Page"], c["HAS_PANEL"], c["SIMILAR"], c["ClusterRun"]) == (16, 16, 14, 8, 2)
    assert read_cluster_run(neo4j_clean, "same-id", corpus="comic-a") == {A: 0, B: 0, C: 0, D: 0}
    assert read_cluster_run(neo4j_clean, "same-id", corpus="comic-b") == {E: 0, F: 0}
    assert [(r["name"], r["input"], r["panels"]) for r in graph.list_corpora(neo4j_clean)] == [
        ("comic-a", "/comics/a/panels", 8), ("comic-b", "/comics/b/panels", 8)]
    ids_b, a, b, _ = graph.read_similar(neo4j_clean, corpus="comic-b")
    assert len(a) == 4 and set(ids_b) == {A, B, C, D, E, F}
    assert [r["corpus"] for r in q(neo4j_clean, "panel_matches", panel=B)] == ["comic-a"] * 2 + ["comic-b"] * 2
    assert [r["match"] for r in q(neo4j_clean, "panel_matches", panel=B, corpus="comic-b")] == [A, C]
    assert [r["corpus"] for r in q(neo4j_clean, "largest_clusters", corpus="comic-b")] == ["comic-b"]
    # Reuse across comics: the one panel both hold (same file, same perceptual hash).
    for by in ("sha256", "phash"):
        rows = q(neo4j_clean, "reuse_across_corpora", by=by)
        assert [(r["corpus"], r["panel"], r["other_corpus"], r["other_panel"]) for r in rows] == [
            ("comic-a", B, "comic-b", B)]
    assert q(neo4j_clean, "reuse_across_corpora", corpus="comic-b")[0]["other_corpus"] == "comic-a"


@pytest.mark.neo4j
def test_a_corpus_name_holding_another_folder_is_refused_before_anything_is_written(neo4j_clean):
    graph.load_run(neo4j_clean, other_comic("panels", "/comics/a/panels"))
    before = counts(neo4j_clean), similar_props(neo4j_clean)

    with pytest.raises(graph.CorpusTaken, match=r"^corpus 'panels' in the graph holds the panels of /comics/a/panels, "
                                                r"not /comics/b/panels; give this folder its own corpus"):
        graph.load_run(neo4j_clean, other_comic("panels", "/comics/b/panels"))

    assert (counts(neo4j_clean), similar_props(neo4j_clean)) == before
    graph.load_run(neo4j_clean, other_comic("panels", "/comics/a/panels"))  # the same folder again is fine
    graph.load_run(neo4j_clean, other_comic("panels-b", "/comics/b/panels"))  # and under its own name
    assert counts(neo4j_clean)["Panel"] == 16


@pytest.mark.neo4j
def test_panels_from_before_corpora_are_refused_with_the_way_out(neo4j_clean):
    neo4j_clean.execute_query("CREATE (:Panel {id: $id})", id=A)
    with pytest.raises(graph.CorpusTaken, match="holds 1 panels loaded before corpora existed; start a fresh graph"):
        graph.load_run(neo4j_clean, known_run())
    assert counts(neo4j_clean)["Panel"] == 1


@pytest.mark.neo4j
def test_saved_query_refuses_unknown_parameters(known_graph):
    with pytest.raises(ValueError, match="takes"):
        q(known_graph, "panel_matches", pannel=A)


# ------------------------------------------------------------ bad connections


@pytest.mark.neo4j
def test_unknown_database_is_one_clear_error(neo4j_server):
    settings = Settings(uri=neo4j_server.uri, user=neo4j_server.user, password=neo4j_server.password,
                        database="no_such_db")
    with pytest.raises(GraphError, match=r"has no database 'no_such_db'"):
        with graph.connect(settings):
            pass
