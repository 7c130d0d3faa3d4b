"""File names from real archives, end to end: run -> panels.csv -> report -> Neo4j."""

from __future__ import annotations

import csv
import html
import os
from pathlib import Path

import numpy as np
import pytest

from tests.cli.test_graph_cli import invoke, server_env
from tests.conftest import save
from tests import synthetic
from visualdistance.loader.run_folder import RunFolder

pytestmark = pytest.mark.neo4j

LATIN1 = b"x\xe9.png"  # "xé.png" written by an old Latin-1 system: not UTF-8


def drawn_folder(tmp_path: Path) -> Path:
    """A drawing and its recolor, the recolor under a Latin-1 name, plus one unrelated panel."""
    rng = np.random.default_rng(3)
    folder = tmp_path / "comic"
    base = synthetic.random_drawing(rng)
    save(synthetic.render(base), folder / "1_1.png")
    save(synthetic.render(synthetic.random_drawing(rng)), folder / "1_2.png")
    save(synthetic.render(synthetic.recolor(base, rng)), Path(os.fsdecode(os.fsencode(folder) + b"/" + LATIN1)))
    return folder


def test_a_name_that_is_not_utf8_goes_through_run_report_and_neo4j(neo4j_clean, neo4j_server, tmp_path):
    folder, out = drawn_folder(tmp_path), tmp_path / "out"

    result = invoke("run", folder, "--out", out, "--store", tmp_path / "store", "-j", "1", env=server_env(neo4j_server))

    assert result.exit_code == 0, result.output
    assert not list(out.glob("*.tmp"))
    panels = RunFolder(out).read_panels()
    row = panels.ids.tolist().index("x\\xe9.png")
    assert os.fsencode(panels.paths[row]) == LATIN1  # the path still opens the file
    with open(out / "clusters.csv", newline="", encoding="utf-8", errors="surrogateescape") as fh:
        clustered = {r["panel"] for r in csv.DictReader(fh)}
    assert clustered == {"1_1.png", "x\\xe9.png"}
    got = neo4j_clean.execute_query("MATCH (p:Panel {id: $id})-[:SIMILAR]-(q:Panel) RETURN p.path AS path, q.id AS q",
                                    id="x\\xe9.png").records
    assert [(r["path"], r["q"]) for r in got] == [("x\\xe9.png", "1_1.png")]

    report = invoke("report", "--out", out, env={})
    assert report.exit_code == 0, report.output
    index = (out / "report" / "index.html").read_text(encoding="utf-8")
    assert html.escape("x\\xe9.png") in index and "x%E9.png" in index  # shown escaped, linked by its bytes
    assert "missing images" not in report.output  # its thumbnail was made from the file


def test_an_escaped_id_taken_by_a_real_file_lists_the_odd_name_as_bad(tmp_path):
    folder, out = drawn_folder(tmp_path), tmp_path / "out"
    save(synthetic.render(synthetic.random_drawing(np.random.default_rng(9))), folder / "x\\xe9.png")

    result = invoke("run", folder, "--out", out, "--store", tmp_path / "store", "-j", "1", "--no-neo4j", env={})

    assert result.exit_code == 0, result.output
    assert RunFolder(out).read_panels().ids.tolist().count("x\\xe9.png") == 1
    with open(out / "bad_files.csv", newline="", encoding="utf-8", errors="surrogateescape") as fh:
        bad = list(csv.DictReader(fh))
    assert [os.fsencode(b["path"]) for b in bad] == [LATIN1] and "not UTF-8" in bad[0]["reason"]
    assert "skipped x\\xe9.png: name is not UTF-8" in result.stdout
