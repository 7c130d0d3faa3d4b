"""`run --scheduler`: describing on a Dask cluster writes what a local run writes; an unreachable scheduler is one line."""

from __future__ import annotations

import time

import pytest

from tests.cli.test_graph_cli import closed_port, error_lines, invoke
from tests.cli.test_pipeline_cli import NO_SERVER, run_args
from tests.loader.test_dask_describe import mixed_corpus

pytest.importorskip("distributed", reason="dask.distributed is a dependency; install the project")

OUTPUTS = ("links.csv", "links.json", "clusters.csv", "clusters.json", "panels.csv", "bad_files.csv")


def test_run_on_a_local_dask_cluster_writes_the_same_files_as_a_local_run(tmp_path, rng):
    folder = mixed_corpus(tmp_path, rng)
    local = invoke(*run_args(folder, tmp_path / "local", tmp_path, "-j", "2"), "--store", tmp_path / "s1", env=NO_SERVER)
    dask = invoke(*run_args(folder, tmp_path / "dask", tmp_path, "-j", "2"), "--store", tmp_path / "s2",
                  "--scheduler", "local", env=NO_SERVER)
    assert local.exit_code == 0 and dask.exit_code == 0, dask.stderr
    for name in OUTPUTS:
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name


def test_an_unreachable_scheduler_is_one_line_and_exit_1(tmp_path, rng):
    folder = mixed_corpus(tmp_path, rng)
    address = f"tcp://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    result = invoke(*run_args(folder, tmp_path / "out", tmp_path), "--scheduler", address, env=NO_SERVER)
    assert result.exit_code == 1
    assert time.monotonic() - started < 60  # the connection times out after 10 s
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach the Dask scheduler at {address}"), lines
