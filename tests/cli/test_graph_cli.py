"""`visualdistance load`, `cluster` and the graph step of `run`, end to end against a real Neo4j."""

from __future__ import annotations

import json
import logging
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import save
from visualdistance.loader.run_folder import MethodInfo, RunFolder, RunInfo
from tests.graph_data import A, B, C, D, E, F, clustering, known_pages, known_run, read_cluster_run, whole_graph
from tests import synthetic
from visualdistance.cli import loading
from visualdistance.cli.main import app
from visualdistance.loader import graph
from visualdistance.loader.graph import connection

pytestmark = pytest.mark.neo4j

runner = CliRunner()


def server_env(server, **extra) -> dict:
    env = {"NEO4J_URI": server.uri, "NEO4J_USER": server.user, "NEO4J_PASSWORD": server.password,
           "NEO4J_HTTP_URL": server.http_url, "NEO4J_DATABASE": None}
    env.update(extra)
    return env


def invoke(*args, env: dict):
    return runner.invoke(app, [str(a) for a in args], env=env, catch_exceptions=False)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def count(driver, query: str) -> int:
    return driver.execute_query(query).records[0][0]


def graph_counts(driver) -> tuple[int, int, int, int, int]:
    c = graph.graph_counts(driver)
    return c["panels"], c["pages"], c["links"], c["cluster_runs"], count(driver, "MATCH ()-[r:IN_CLUSTER]->() RETURN count(r)")


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


@pytest.fixture
def run_folder(tmp_path) -> Path:
    """A run folder holding the known graph, its clustering, and an input folder with pages.jsonl."""
    panels_dir = tmp_path / "panels"
    panels_dir.mkdir()
    with open(panels_dir / "pages.jsonl", "w") as fh:
        for record in known_pages().values():
            fh.write(json.dumps(record) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    run = known_run()
    folder = RunFolder(out)
    folder.write_panels(run.panels)
    folder.write_links(run.links, run.panels.ids)
    folder.write_clusters(clustering("folder-run", [[A, B, C, D], [F, E]]), run.panels)
    folder.write_info(RunInfo(input=str(panels_dir), method=MethodInfo("combined")))
    return out


# ------------------------------------------------------------ load


def test_load_command_loads_the_folder_and_says_where_to_look(neo4j_clean, neo4j_server, run_folder):
    env = server_env(neo4j_server)

    result = invoke("load", "--out", run_folder, env=env)

    assert result.exit_code == 0, result.output
    assert graph_counts(neo4j_clean) == (8, 8, 4, 1, 6)
    assert read_cluster_run(neo4j_clean, "folder-run", corpus="panels") == {A: 0, B: 0, C: 0, D: 0, F: 1, E: 1}
    assert f"Neo4j Browser: {neo4j_server.http_url}/browser/" in result.stdout
    assert "Try first: paste the saved query largest_clusters" in result.stdout
    assert 'with :param corpus => "panels"' in result.stdout
    assert f"corpus 'panels': 8 panels, 4 links, 8 pages (pages from {run_folder.parent / 'panels' / 'pages.jsonl'})" in result.stdout
    assert "loading graph" in result.stderr  # the progress bar

    again = invoke("load", "--out", run_folder, "--batch-size", "3", env=env)
    assert again.exit_code == 0, again.output
    assert graph_counts(neo4j_clean) == (8, 8, 4, 1, 6)


def test_load_takes_an_explicit_pages_file_and_refuses_a_missing_one(neo4j_clean, neo4j_server, run_folder, tmp_path):
    env = server_env(neo4j_server)
    pages = tmp_path / "elsewhere.jsonl"
    pages.write_text(json.dumps({"page": 5, "status": "ok", "title": "Five"}) + "\n")

    result = invoke("load", "--out", run_folder, "--pages", pages, env=env)
    assert result.exit_code == 0, result.output
    assert count(neo4j_clean, "MATCH (g:Page {number: 5, title: 'Five'})-[:HAS_PANEL]->(:Panel {id: '5_1.png'}) "
                              "RETURN count(g)") == 1
    assert count(neo4j_clean, "MATCH (g:Page) RETURN count(g)") == 1

    missing = invoke("load", "--out", run_folder, "--pages", tmp_path / "nope.jsonl", env=env)
    assert missing.exit_code == 2 and "no pages file" in missing.output


def test_load_refuses_a_folder_without_links(neo4j_server, tmp_path):
    result = invoke("load", "--out", tmp_path, env=server_env(neo4j_server))
    # the same exit status and one line as every command whose run folder lacks a file
    assert result.exit_code == 1 and error_lines(result) == [
        f"error: {tmp_path} has no panels.csv; run `visualdistance run DIR --out {tmp_path}` first"
    ]


# ------------------------------------------------------------ cluster


def test_cluster_writes_one_run_per_algorithm_and_keeps_earlier_runs(neo4j_clean, neo4j_server):
    graph.load_run(neo4j_clean, known_run())
    env = server_env(neo4j_server)

    result = invoke("cluster", env=env)

    assert result.exit_code == 0, result.output
    runs = {r["run"]: r for r in graph.run_saved_query(neo4j_clean, "cluster_runs")}
    assert sorted(r["algorithm"] for r in runs.values()) == ["greedy", "leiden"]
    for run_id in runs:
        assert f"cluster run {run_id}" in result.stdout
        membership = read_cluster_run(neo4j_clean, run_id)
        # Two components: the chain 1_1-5_1-40_1-41_1 and the pair 2_1-100_1.
        assert membership[F] == membership[E] and set(membership) == {A, B, C, D, E, F}
        params = json.loads(runs[run_id]["params"])
        assert params["filters"] == {"metric": None, "rule": None, "max_distance": None} and params["links"] == 4

    # The same clustering again is the same run; a filtered one is a new run beside them.
    assert invoke("cluster", env=env).exit_code == 0
    assert count(neo4j_clean, "MATCH (r:ClusterRun) RETURN count(r)") == 2
    filtered = invoke("cluster", "--algorithm", "leiden", "--rule", "phash", env=env)
    assert filtered.exit_code == 0, filtered.output
    latest = graph.run_saved_query(neo4j_clean, "cluster_runs", {"limit": 1})[0]
    assert count(neo4j_clean, "MATCH (r:ClusterRun) RETURN count(r)") == 3
    assert read_cluster_run(neo4j_clean, latest["run"]) == {B: 0, C: 0, D: 0}


def test_cluster_metric_and_distance_filters(neo4j_clean, neo4j_server):
    graph.load_run(neo4j_clean, known_run())
    env = server_env(neo4j_server)

    result = invoke("cluster", "-a", "greedy", "--metric", "edges", "--max-distance", "250", env=env)

    assert result.exit_code == 0, result.output
    latest = graph.run_saved_query(neo4j_clean, "cluster_runs", {"limit": 1})[0]
    assert read_cluster_run(neo4j_clean, latest["run"]) == {A: 0, B: 0, C: 0}

    bad = invoke("cluster", "--max-distance", "3", env=env)
    assert bad.exit_code == 2 and "needs a metric" in bad.output
    none = invoke("cluster", "--metric", "ahash", env=env)
    assert none.exit_code == 1 and "no SIMILAR links" in none.stderr


# ------------------------------------------------------------ bad connections


def test_unreachable_server_is_one_line_and_exit_1(run_folder):
    env = {"NEO4J_URI": f"bolt://127.0.0.1:{closed_port()}", "NEO4J_PASSWORD": "whatever"}
    for args in (["load", "--out", run_folder], ["cluster"]):
        result = invoke(*args, env=env)
        assert result.exit_code == 1
        assert len(error_lines(result)) == 1 and error_lines(result)[0].startswith("error: cannot reach Neo4j at bolt://")
        assert "Traceback" not in result.output


def test_wrong_password_is_one_line_and_exit_1(neo4j_clean, neo4j_server, run_folder):
    # The only wrong-password attempt in these tests: Neo4j locks the user after a few in a row.
    result = invoke("load", "--out", run_folder, env=server_env(neo4j_server, NEO4J_PASSWORD=neo4j_server.password + "-wrong"))
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: Neo4j at {neo4j_server.uri} refused user 'neo4j': wrong password? Set NEO4J_PASSWORD or "
        "--password (`scripts/neo4j env` prints the local server's)"
    ]
    assert count(neo4j_clean, "MATCH (n) RETURN count(n)") == 0


def test_unknown_database_is_one_line_and_exit_1(neo4j_clean, neo4j_server, run_folder):
    result = invoke("load", "--out", run_folder, "--database", "no_such_db", env=server_env(neo4j_server))
    assert result.exit_code == 1
    assert len(error_lines(result)) == 1 and "has no database 'no_such_db'" in error_lines(result)[0]
    assert count(neo4j_clean, "MATCH (n) RETURN count(n)") == 0


# ------------------------------------------------------------ run


@pytest.fixture
def panels_dir(tmp_path) -> Path:
    """Six drawn panels on pages 1-3: a drawing, its recolor, and four unrelated ones."""
    rng = np.random.default_rng(7)
    folder = tmp_path / "panels"
    base = synthetic.random_drawing(rng)
    save(synthetic.render(base), folder / "1_1.png")
    save(synthetic.render(synthetic.recolor(base, rng)), folder / "3_1.png")
    for name in ("1_2.png", "2_1.png", "2_2.png", "3_2.png"):
        save(synthetic.render(synthetic.random_drawing(rng)), folder / name)
    return folder


def run_args(panels_dir, tmp_path, *extra):
    return ["run", panels_dir, "--out", tmp_path / "out", "--store", tmp_path / "store", "--workers", "1", *extra]


def test_run_lands_the_graph_in_the_configured_neo4j(neo4j_clean, neo4j_server, panels_dir, tmp_path):
    result = invoke(*run_args(panels_dir, tmp_path), env=server_env(neo4j_server))

    assert result.exit_code == 0, result.output
    panels, _, links, runs, _ = graph_counts(neo4j_clean)
    assert (panels, runs) == (6, 1) and links >= 1
    assert count(neo4j_clean, "MATCH (:Panel {id: '1_1.png'})-[:SIMILAR]-(:Panel {id: '3_1.png'}) RETURN count(*)") == 1
    assert f"Neo4j Browser: {neo4j_server.http_url}/browser/" in result.stdout
    assert "Try first: paste the saved query largest_clusters" in result.stdout


def test_run_loads_what_it_holds_and_the_graph_is_the_one_load_makes_of_its_folder(
    neo4j_clean, neo4j_server, panels_dir, tmp_path, monkeypatch
):
    def no_read_back(self, *args, **kwargs):
        raise AssertionError("run read its run folder back for the graph")

    with monkeypatch.context() as m:
        m.setattr(RunFolder, "read", no_read_back)
        ran = invoke(*run_args(panels_dir, tmp_path, "--neo4j"), env=server_env(neo4j_server))
    assert ran.exit_code == 0, ran.output
    from_memory = whole_graph(neo4j_clean)
    assert any(entry[0] == "rel" and entry[3] == "SIMILAR" for entry in from_memory)  # the recolor's link

    neo4j_clean.execute_query("MATCH (n) DETACH DELETE n")
    loaded = invoke("load", "--out", tmp_path / "out", env=server_env(neo4j_server))
    assert loaded.exit_code == 0, loaded.output
    assert whole_graph(neo4j_clean) == from_memory


def test_run_without_a_reachable_server_still_succeeds_and_says_how(panels_dir, tmp_path):
    env = {"NEO4J_URI": f"bolt://127.0.0.1:{closed_port()}", "NEO4J_PASSWORD": "whatever"}

    result = invoke(*run_args(panels_dir, tmp_path), env=env)

    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "links.csv").is_file()
    hint = [line for line in result.stdout.splitlines() if line.startswith("Graph not loaded")]
    assert len(hint) == 1 and "cannot reach Neo4j" in hint[0] and f"visualdistance load --out {tmp_path / 'out'}" in hint[0]

    forced = invoke(*run_args(panels_dir, tmp_path, "--neo4j"), env=env)
    assert forced.exit_code == 1 and error_lines(forced)[-1].startswith("error: cannot reach Neo4j")


def test_run_with_no_server_configured_prints_the_way_to_the_graph_view(panels_dir, tmp_path, monkeypatch):
    # No NEO4J_URI and no scripts/neo4j state where the command looks for it.
    monkeypatch.setattr(connection, "local_roots", lambda: [tmp_path])

    result = invoke(*run_args(panels_dir, tmp_path), env={"NEO4J_URI": None, "NEO4J_PASSWORD": None})

    assert result.exit_code == 0, result.output
    assert [line for line in result.stdout.splitlines() if line.startswith("Graph not loaded")] == [
        f"Graph not loaded: no Neo4j configured (NEO4J_URI). For the graph view: `scripts/neo4j start`, "
        f"then `visualdistance load --out {tmp_path / 'out'}`."
    ]
    quiet = invoke(*run_args(panels_dir, tmp_path, "--no-neo4j"), env={"NEO4J_URI": None})
    assert quiet.exit_code == 0 and "Graph not loaded" not in quiet.output and "Neo4j Browser" not in quiet.output


def test_help_lists_the_graph_commands_and_connection_options():
    result = runner.invoke(app, ["load", "--help"], env={"COLUMNS": "150"})
    assert result.exit_code == 0
    for text in ["--uri", "NEO4J_URI", "--password", "NEO4J_PASSWORD", "--database", "NEO4J_DATABASE", "--pages"]:
        assert text in result.output
    assert "--neo4j" in runner.invoke(app, ["run", "--help"], env={"COLUMNS": "150"}).output
    assert all(cmd in runner.invoke(app, ["--help"]).output for cmd in ("load", "cluster"))



# ------------------------------------------------------------ corpora


def comic(folder: Path, seed: int) -> Path:
    """A scraped-looking comic: 1_1.png, its recolor 3_1.png, and two more; the art differs by seed."""
    rng = np.random.default_rng(seed)
    base = synthetic.random_drawing(rng)
    save(synthetic.render(base), folder / "1_1.png")
    save(synthetic.render(synthetic.recolor(base, rng)), folder / "3_1.png")
    for name in ("1_2.png", "2_1.png"):
        save(synthetic.render(synthetic.random_drawing(rng)), folder / name)
    return folder


def corpus_panels(driver) -> dict[str, int]:
    rows = driver.execute_query("MATCH (p:Panel) RETURN p.corpus AS corpus, count(p) AS n ORDER BY corpus").records
    return {r["corpus"]: r["n"] for r in rows}


def test_two_comics_land_side_by_side_and_a_second_folder_under_a_taken_name_is_refused(
    neo4j_clean, neo4j_server, tmp_path
):
    env = server_env(neo4j_server)
    a, b = comic(tmp_path / "alpha" / "panels", 1), comic(tmp_path / "beta" / "panels", 2)
    store = ["--store", tmp_path / "store", "-j", "1"]

    first = invoke("run", a, "--out", tmp_path / "out-a", *store, env=env)
    assert first.exit_code == 0, first.output
    # Same folder name, other comic: the default corpus name is taken, so nothing is overwritten.
    second = invoke("run", b, "--out", tmp_path / "out-b", *store, env=env)
    assert second.exit_code == 0, second.output
    (line,) = [x for x in second.stdout.splitlines() if x.startswith("Graph not loaded")]
    assert line.startswith(f"Graph not loaded: corpus 'panels' in the graph holds the panels of {a}, not {b}; ")
    assert "--corpus NAME" in line
    assert corpus_panels(neo4j_clean) == {"panels": 4}
    forced = invoke("load", "--out", tmp_path / "out-b", env=env)
    assert forced.exit_code == 1 and error_lines(forced)[-1].startswith("error: corpus 'panels' in the graph holds")

    named = invoke("run", b, "--out", tmp_path / "out-b", *store, "--corpus", "beta", env=env)
    assert named.exit_code == 0, named.output
    assert corpus_panels(neo4j_clean) == {"beta": 4, "panels": 4}
    assert count(neo4j_clean, "MATCH (:Panel {corpus: 'beta', id: '1_1.png'})-[:SIMILAR]-"
                              "(:Panel {corpus: 'beta', id: '3_1.png'}) RETURN count(*)") == 1
    assert count(neo4j_clean, "MATCH (x:Panel)-[:SIMILAR]-(y:Panel) WHERE x.corpus <> y.corpus RETURN count(*)") == 0

    several = invoke("cluster", env=env)
    assert several.exit_code == 1 and error_lines(several) == [
        "error: the graph has several corpora; choose one with --corpus: 'beta', 'panels'"]
    one = invoke("cluster", "--corpus", "beta", "-a", "greedy", env=env)
    assert one.exit_code == 0, one.output
    runs = graph.run_saved_query(neo4j_clean, "cluster_runs", {"corpus": "beta"})
    assert len(runs) == 2 and json.loads(runs[0]["params"])["corpus"] == "beta"


# ------------------------------------------------------------ driver noise and failures


def test_a_load_that_fails_part_way_says_running_it_again_completes_it(neo4j_clean, neo4j_server, run_folder):
    env = server_env(neo4j_server)
    pages_file = run_folder.parent / "panels" / "pages.jsonl"
    good = pages_file.read_text()
    # Page 100's title is a map, which Neo4j cannot store: its batch (the third) is rejected.
    pages_file.write_text(good.replace('"title": "Page 100"', '"title": {"not": "text"}'))

    failed = invoke("load", "--out", run_folder, "--batch-size", "3", env=env)

    assert failed.exit_code == 1 and "Traceback" not in failed.output
    (line,) = [x for x in error_lines(failed) if not x.startswith("loading graph")]  # the bar, then one line
    assert line.startswith(f"error: Neo4j at {neo4j_server.uri} failed: ")
    assert line.endswith("; the load stopped part-way: run the same command again to complete it")
    assert count(neo4j_clean, "MATCH (g:Page) RETURN count(g)") == 6  # two whole batches
    pages_file.write_text(good)
    assert invoke("load", "--out", run_folder, "--batch-size", "3", env=env).exit_code == 0
    assert graph_counts(neo4j_clean) == (8, 8, 4, 1, 6)


def test_query_notifications_never_reach_the_terminal(neo4j_clean, neo4j_server, caplog):
    settings = graph.Settings(uri=neo4j_server.uri, user=neo4j_server.user, password=neo4j_server.password)
    with caplog.at_level(logging.DEBUG, logger="neo4j.notifications"), graph.connect(settings) as driver:
        # A cartesian product: the server's classic performance warning, logged as a block of text if sent.
        driver.execute_query("MATCH (a), (b) RETURN count(*) AS n")
    assert [r for r in caplog.records if r.name == "neo4j.notifications"] == []


def test_driver_log_lines_never_reach_the_terminal(capsys):
    # issue 19: four "Transaction failed and will be retried" lines came before the one line of the error
    loading.quiet_driver_logs()
    logging.getLogger("neo4j").warning("Transaction failed and will be retried in %ss (%s)", 1.1,
                                       "{code: Neo.TransientError}\n{message: lock\nwait}")
    logging.getLogger("neo4j.io").error("Failed to read from defunct connection")
    assert capsys.readouterr() == ("", "")


def test_a_port_that_accepts_and_never_answers_fails_within_seconds(run_folder):
    # issue 19: a port that accepts a connection and never answers took 62 s to fail
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes connections; nobody ever reads or writes
        env = {"NEO4J_URI": f"bolt://127.0.0.1:{silent.getsockname()[1]}", "NEO4J_PASSWORD": "x"}
        started = time.monotonic()
        result = invoke("load", "--out", run_folder, env=env)
        elapsed = time.monotonic() - started
    assert result.exit_code == 1 and elapsed < graph.ANSWER_TIMEOUT_S + 5, elapsed
    assert error_lines(result) == [f"error: cannot reach Neo4j at {env['NEO4J_URI']}: is it running? Start the local "
                                   "one with `scripts/neo4j start` or set NEO4J_URI"]


def test_repeated_wrong_passwords_say_to_wait(neo4j_server, run_folder):
    env = server_env(neo4j_server, NEO4J_PASSWORD=neo4j_server.password + "-wrong")
    lines = []
    for _ in range(5):  # Neo4j locks the user for 5 s after 3 failed attempts in a row
        result = invoke("load", "--out", run_folder, env=env)
        assert result.exit_code == 1
        lines += error_lines(result)
    time.sleep(6)  # let the lock expire before the next test logs in
    assert len(lines) == 5 and lines[0].startswith("error: Neo4j at")
    assert lines[-1] == (f"error: Neo4j at {neo4j_server.uri} refuses user 'neo4j' for now after several wrong "
                         "passwords in a row: wait a few seconds, then try again with the right one "
                         "(NEO4J_PASSWORD or --password)")


def test_reading_pages_for_the_graph_does_not_load_the_scraper_or_its_http_stack():
    import subprocess
    import sys

    code = (
        "import sys; import visualdistance.cli.graph; "
        "print(sorted(m for m in ('requests', 'bs4', 'visualdistance.loader.scraper') if m in sys.modules))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert found == "[]"
