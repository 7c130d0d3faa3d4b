"""Ctrl-C in a long command: one line, exit 130, no worker tracebacks, and the next run resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests import synthetic
from visualdistance.cli.errors import INTERRUPTED


def many_panels(folder: Path, n: int = 1200) -> Path:
    """n distinct panels (ten drawings, each copy marked differently): seconds of describing on 2 cores."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    drawings = [synthetic.render(synthetic.random_drawing(rng)) for _ in range(10)]
    for k in range(n):
        a = drawings[k % 10].copy()
        a[k // 10 % 300, :5] = k % 256
        a[k % 300, 5:9] = k // 256
        Image.fromarray(a).save(folder / f"{k // 3 + 1}_{k % 3 + 1}.png")
    return folder


def describing(proc: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until `proc` has pool workers (children of its fork server) and they have had a moment to work."""
    deadline = time.monotonic() + timeout
    while not any(children(c) for c in children(proc.pid)):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    time.sleep(0.5)


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def cli(*args) -> list[str]:
    return [sys.executable, "-c", "from visualdistance.cli.main import app; app()", *map(str, args)]


@pytest.fixture(scope="module")
def big_comic(tmp_path_factory) -> Path:
    return many_panels(tmp_path_factory.mktemp("big") / "comic")


def test_ctrl_c_during_run_is_one_line_exit_130_and_the_next_run_resumes(tmp_path, big_comic):
    folder = big_comic
    args = ["run", folder, "--out", tmp_path / "out", "--store", tmp_path / "store", "-j", "2", "--no-neo4j"]
    proc = subprocess.Popen(cli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    describing(proc)
    assert_interrupted_then_resumed(proc, args, tmp_path / "out", timeout=60)


def assert_interrupted_then_resumed(proc: subprocess.Popen, args: list, out: Path, timeout: float) -> None:
    """Ctrl-C to `proc` (a run of `args` into `out` over big_comic) is one line, exit 130, no traceback; the same
    command run again finishes, and what the first run stored is not decoded again (all of it when Ctrl-C came
    after describing, on a fast machine)."""
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=timeout)

    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == INTERRUPTED
    assert "Traceback" not in stderr + stdout and "KeyboardInterrupt" not in stderr

    again = subprocess.run(cli(*args), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    counts = json.loads((out / "run.json").read_text())["counts"]
    assert counts["panels"] == 1200 and counts["decoded"] < 1200


def test_ctrl_c_during_a_run_on_a_dask_cluster_is_one_line_exit_130_and_the_next_run_resumes(tmp_path, big_comic):
    pytest.importorskip("distributed", reason="dask.distributed is a dependency; install the project")
    args = ["run", big_comic, "--out", tmp_path / "out", "--store", tmp_path / "store", "-j", "2", "--no-neo4j",
            "--executor", "dask"]
    proc = subprocess.Popen(cli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list((tmp_path / "store").glob("*/shard-*.npz")):  # the first batches are in the store
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    assert_interrupted_then_resumed(proc, args, tmp_path / "out", timeout=120)


def test_an_interrupted_run_into_a_folder_of_another_run_never_reads_as_a_mix(tmp_path, big_comic):
    small = tmp_path / "small"
    small.mkdir()
    for k in range(3):
        Image.fromarray(synthetic.render(synthetic.random_drawing(np.random.default_rng(k)))).save(small / f"1_{k + 1}.png")
    out = tmp_path / "out"
    common = ["--out", out, "--store", tmp_path / "store", "-j", "2", "--no-neo4j"]
    assert subprocess.run(cli("run", small, *common), capture_output=True, timeout=120).returncode == 0
    proc = subprocess.Popen(cli("run", big_comic, *common), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    describing(proc)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130

    for command in ("report", "load"):
        result = subprocess.run(cli(command, "--out", out), capture_output=True, text=True, timeout=120,
                                env={**os.environ, "NEO4J_URI": "bolt://127.0.0.1:1"})
        assert result.returncode == 1, (command, result.stderr)
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"error: {out / 'panels.csv'} is not from the run that run.json describes"), line
        assert f"visualdistance run {big_comic} --out {out}" in line


def test_a_run_killed_while_describing_resumes_without_decoding_what_it_described(tmp_path, big_comic):
    # H11 (issue 19): kill -9 12 s into a 2,199-file run, and every file was decoded again: nothing had
    # reached the feature store yet. What was described is in the store within seconds.
    from visualdistance.analysis.presets import all_signatures
    from visualdistance.loader.store import FeatureStore

    store = tmp_path / "store"
    args = ["extract", big_comic, "--out", tmp_path / "out", "--store", store, "-j", "2"]
    proc = subprocess.Popen(cli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(store.glob("*/shard-*.npz")):
            assert time.monotonic() < deadline, "nothing reached the store within a minute"
            assert proc.poll() is None, "the run ended before anything reached the store"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    stored = len(FeatureStore(store, all_signatures()))
    assert 0 < stored < 1200  # killed part-way, with part of the work kept

    again = subprocess.run(cli(*args), capture_output=True, text=True, timeout=300)

    assert again.returncode == 0, again.stderr
    counts = json.loads((tmp_path / "out" / "run.json").read_text())["counts"]
    assert counts["panels"] == 1200 and counts["decoded"] == 1200 - stored
