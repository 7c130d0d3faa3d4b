"""`run --executor dask` and `--scheduler`: describing on a Dask cluster writes what a local run writes; an
unreachable scheduler, or one lost mid-run, is one line and exit 1, and the next run resumes from the store."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from contextlib import contextmanager

import pytest

from tests import synthetic
from tests.conftest import save
from tests.cli.test_graph_cli import closed_port, error_lines, invoke
from tests.cli.test_pipeline_cli import NO_SERVER, run_args
from tests.loader.test_dask_describe import mixed_corpus
from visualdistance.analysis.presets import all_signatures
from visualdistance.cli import pipeline
from visualdistance.loader import dask_link
from visualdistance.loader.store import FeatureStore

distributed = pytest.importorskip("distributed", reason="dask.distributed is a dependency; install the project")

OUTPUTS = ("links.csv", "links.json", "clusters.csv", "clusters.json", "panels.csv", "bad_files.csv")


def test_run_on_a_local_dask_cluster_writes_the_same_files_as_a_local_run(tmp_path, rng, monkeypatch):
    """Describing and linking (in blocks: about 25 panels on two workers make four) on the cluster, then a
    second run with new files (a mirrored copy among them) that links only those, on the cluster too."""
    monkeypatch.setattr(dask_link, "LINK_HERE_BELOW", 0)  # so few panels would be linked on the client
    folder = mixed_corpus(tmp_path, rng)

    def both_runs() -> None:
        local = invoke(*run_args(folder, tmp_path / "local", tmp_path, "-j", "2"), "--store", tmp_path / "s1",
                       env=NO_SERVER)
        dask = invoke(*run_args(folder, tmp_path / "dask", tmp_path, "-j", "2"), "--store", tmp_path / "s2",
                      "--executor", "dask", env=NO_SERVER)
        assert local.exit_code == 0 and dask.exit_code == 0, dask.stderr
        for name in OUTPUTS:
            assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name

    both_runs()
    drawing = synthetic.random_drawing(rng)
    save(synthetic.render(drawing, size=(160, 120)), folder / "10_1.png")
    save(synthetic.render(drawing, size=(160, 120), mirrored=True), folder / "10_2.png")
    both_runs()
    record = json.loads((tmp_path / "dask" / "run.json").read_text())
    assert record["linking"]["mode"] == "new against all" and record["linking"]["new_panels"] == 2
    assert b"10_1.png,10_2.png" in (tmp_path / "dask" / "links.csv").read_bytes()


def test_an_unreachable_scheduler_is_one_line_and_exit_1(tmp_path, rng):
    folder = mixed_corpus(tmp_path, rng)
    address = f"tcp://127.0.0.1:{closed_port()}"
    started = time.monotonic()
    result = invoke(*run_args(folder, tmp_path / "out", tmp_path), "--scheduler", address, env=NO_SERVER)
    assert result.exit_code == 1
    assert time.monotonic() - started < 60  # the connection times out after 10 s
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith(f"error: cannot reach the Dask scheduler at {address}"), lines


def test_a_scheduler_with_executor_processes_is_a_usage_error(tmp_path, rng):
    folder = mixed_corpus(tmp_path, rng)
    result = invoke(*run_args(folder, tmp_path / "out", tmp_path), "--executor", "processes",
                    "--scheduler", "tcp://127.0.0.1:8786", env=NO_SERVER)
    assert result.exit_code == 2 and "--executor processes" in error_lines(result)[0]


@pytest.fixture
def cluster_processes():
    """A `dask scheduler` and two `dask worker` processes, as a user starts them: (address, scheduler process)."""
    address = f"tcp://127.0.0.1:{closed_port()}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", address.rsplit(":", 1)[1], "--no-dashboard"], **quiet)
    # no nanny: killing a worker's process at the end then leaves no orphan behind
    workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                 "--no-nanny", "--no-dashboard"], **quiet) for _ in range(2)]
    try:
        with distributed.Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, scheduler
    finally:
        for process in workers + [scheduler]:
            process.kill()
            process.wait()


def test_a_scheduler_lost_mid_run_is_one_line_and_the_next_run_resumes_from_the_store(
    tmp_path, rng, monkeypatch, cluster_processes
):
    address, scheduler = cluster_processes
    folder = mixed_corpus(tmp_path, rng)  # 24 files: two batches of 16 and 8

    @contextmanager
    def kill_the_scheduler_at_the_first_result(total, description, unit):
        yield lambda n=1: scheduler.poll() is None and scheduler.kill()

    monkeypatch.setattr(pipeline, "progress_bar", kill_the_scheduler_at_the_first_result)
    lost = invoke(*run_args(folder, tmp_path / "out", tmp_path), "--scheduler", address, env=NO_SERVER)

    assert lost.exit_code == 1
    lines = error_lines(lost)
    assert len(lines) == 1 and lines[0].startswith(f"error: lost the Dask scheduler at {address} mid-run"), lines
    assert "run the same command again to resume" in lines[0]
    kept = len(FeatureStore(tmp_path / "store", all_signatures()))
    assert kept in (8, 16)  # the batch that arrived, whichever it was, and nothing else
    monkeypatch.undo()
    again = invoke(*run_args(folder, tmp_path / "out", tmp_path), env=NO_SERVER)
    assert again.exit_code == 0, again.stderr
    assert json.loads((tmp_path / "out" / "run.json").read_text())["counts"]["decoded"] == 24 - kept
