"""A damaged run folder: every command that reads it says which file and what to run, in one line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.cli.test_graph_cli import closed_port, error_lines, invoke
from tests.conftest import save
from visualdistance.analysis import synthetic

NO_SERVER = {"NEO4J_URI": None}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A run folder from a real `run`: a drawing, its recolor (one link, one cluster) and two others."""
    tmp = tmp_path_factory.mktemp("finished")
    rng = np.random.default_rng(5)
    folder = tmp / "comic"
    base = synthetic.random_drawing(rng)
    save(synthetic.render(base), folder / "1_1.png")
    save(synthetic.render(synthetic.recolor(base, rng)), folder / "2_1.png")
    for name in ("1_2.png", "3_1.png"):
        save(synthetic.render(synthetic.random_drawing(rng)), folder / name)
    result = invoke("run", folder, "--out", tmp / "out", "--store", tmp / "store", "-j", "1", "--no-neo4j", env=NO_SERVER)
    assert result.exit_code == 0, result.output
    return tmp / "out"


@pytest.fixture
def out(finished_run, tmp_path) -> Path:
    copy = tmp_path / "out"
    shutil.copytree(finished_run, copy, ignore=shutil.ignore_patterns("report"))
    return copy


def cut(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])


@pytest.mark.parametrize("name, fix, commands", [
    ("links.csv", "visualdistance link", ["communities", "report", "load"]),
    ("links.json", "visualdistance link", ["communities", "report", "load"]),
    ("clusters.json", "visualdistance communities", ["report", "load"]),
    ("panels.csv", "visualdistance run", ["link", "communities", "report", "load"]),
    ("signatures.npz", "visualdistance run", ["link", "communities", "report", "load"]),
    ("run.json", "visualdistance run", ["link", "communities", "report", "load"]),
])
def test_a_file_cut_short_is_named_with_the_command_that_writes_it(out, name, fix, commands):
    cut(out / name)
    env = {"NEO4J_URI": f"bolt://127.0.0.1:{closed_port()}", "NEO4J_PASSWORD": "x"}
    for command in commands:
        result = invoke(command, out, env=env)
        assert result.exit_code == 1, (command, result.output)
        (line,) = error_lines(result)
        assert line.startswith(f"error: {out / name} is damaged or incomplete ("), (command, line)
        assert f"run `{fix} " in line and str(out) in line, (command, line)


def test_an_emptied_links_file_is_damaged_too(out):
    (out / "links.csv").write_bytes(b"")
    result = invoke("communities", out, env=NO_SERVER)
    assert result.exit_code == 1 and error_lines(result) == [
        f"error: {out / 'links.csv'} is damaged or incomplete (empty file); run `visualdistance link {out}` to write it again"
    ]
