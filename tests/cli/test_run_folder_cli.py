"""A damaged run folder: every command that reads it says which file and what to run, in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.cli.test_graph_cli import closed_port, error_lines, invoke
from tests.conftest import save
from tests import synthetic
from visualdistance.loader.run_folder import LOCK_FILE, RunFolder

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
    ("links.csv", "visualdistance link --out", ["communities", "report", "load"]),
    ("links.json", "visualdistance link --out", ["communities", "report", "load"]),
    ("clusters.json", "visualdistance communities --out", ["report", "load"]),
    ("panels.csv", "visualdistance run", ["link", "communities", "report", "load"]),
    ("features.json", "visualdistance run", ["link", "communities", "report", "load"]),
    ("run.json", "visualdistance run", ["link", "communities", "report", "load"]),
])
def test_a_file_cut_short_is_named_with_the_command_that_writes_it(out, name, fix, commands):
    cut(out / name)
    env = {"NEO4J_URI": f"bolt://127.0.0.1:{closed_port()}", "NEO4J_PASSWORD": "x"}
    for command in commands:
        result = invoke(command, "--out", out, env=env)
        assert result.exit_code == 1, (command, result.output)
        (line,) = error_lines(result)
        assert line.startswith(f"error: {out / name} is damaged or incomplete ("), (command, line)
        assert f"run `{fix} " in line and str(out) in line, (command, line)


@pytest.mark.parametrize("recorded", [True, False])
def test_an_emptied_links_file_is_damaged_too(out, recorded):
    if not recorded:  # a run folder from before run.json recorded its files: the content itself is checked
        info = json.loads((out / "run.json").read_text())
        del info["files"]
        (out / "run.json").write_text(json.dumps(info))
    (out / "links.csv").write_bytes(b"")
    result = invoke("communities", "--out", out, env=NO_SERVER)
    problem = "it changed after the run wrote it" if recorded else "empty file"
    assert result.exit_code == 1 and error_lines(result) == [
        f"error: {out / 'links.csv'} is damaged or incomplete ({problem}); run `visualdistance link --out {out}` to write it again"
    ]


def test_a_newer_stage_makes_the_later_files_stale_until_they_are_written_again(out):
    assert invoke("link", "--out", out, "--preset", "original-ahash", env=NO_SERVER).exit_code == 0

    report = invoke("report", "--out", out, env=NO_SERVER)

    assert report.exit_code == 1 and error_lines(report) == [
        f"error: {out / 'clusters.csv'} is not from the run that run.json describes (an earlier or interrupted run "
        f"left it); run `visualdistance communities --out {out}` to write it again"
    ]
    assert invoke("communities", "--out", out, env=NO_SERVER).exit_code == 0
    assert invoke("report", "--out", out, env=NO_SERVER).exit_code == 0


def test_a_second_command_on_a_busy_run_folder_is_refused(out, tmp_path):
    with RunFolder(out).locked():
        result = invoke("link", "--out", out, env=NO_SERVER)
    assert result.exit_code == 1
    assert error_lines(result) == [f"error: another visualdistance command is writing to {out}; wait for it to finish"]


@pytest.mark.parametrize("command", ["link", "communities", "report", "load"])
def test_a_run_folder_without_its_record_is_refused_and_left_as_it_is(out, command):
    # H6 (issue 19): run.json deleted and links.csv cut short; `communities` read 291 of 1,233 links,
    # wrote 105 clusters instead of 278 and a new run.json
    (out / "run.json").unlink()
    cut(out / "links.csv")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != LOCK_FILE}

    result = invoke(command, "--out", out, env={"NEO4J_URI": f"bolt://127.0.0.1:{closed_port()}", "NEO4J_PASSWORD": "x"})

    assert result.exit_code == 1, result.output
    assert error_lines(result) == [f"error: {out} has no run.json; run `visualdistance run DIR --out {out}` first"]
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and p.name != LOCK_FILE}
    assert after == before and not (out / "report").exists()
