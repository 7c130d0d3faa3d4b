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
from PIL import Image

from visualdistance.analysis import synthetic
from visualdistance.cli.errors import INTERRUPTED


def many_panels(folder: Path, n: int = 300) -> Path:
    """n distinct panels (ten drawings, each copy marked differently), a few seconds of describing."""
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    drawings = [synthetic.render(synthetic.random_drawing(rng)) for _ in range(10)]
    for k in range(n):
        a = drawings[k % 10].copy()
        a[k // 10, :5] = k % 256
        Image.fromarray(a).save(folder / f"{k // 3 + 1}_{k % 3 + 1}.png")
    return folder


def cli(*args) -> list[str]:
    return [sys.executable, "-c", "from visualdistance.cli.main import app; app()", *map(str, args)]


def test_ctrl_c_during_run_is_one_line_exit_130_and_the_next_run_resumes(tmp_path):
    folder = many_panels(tmp_path / "comic")
    args = ["run", folder, "--out", tmp_path / "out", "--store", tmp_path / "store", "-j", "2", "--no-neo4j"]
    proc = subprocess.Popen(cli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "out" / "run.json").is_file():  # written as the run starts
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    time.sleep(2.5)  # the workers are describing by now (300 panels take about 6 s on 2 cores)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == INTERRUPTED
    assert "Traceback" not in stderr + stdout and "KeyboardInterrupt" not in stderr

    again = subprocess.run(cli(*args), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    counts = json.loads((tmp_path / "out" / "run.json").read_text())["counts"]
    # what the first run stored is not decoded again (all of it when Ctrl-C came after describing, on a fast machine)
    assert counts["panels"] == 300 and counts["decoded"] < 300


def test_an_interrupted_run_into_a_folder_of_another_run_never_reads_as_a_mix(tmp_path):
    small = tmp_path / "small"
    small.mkdir()
    for k in range(3):
        Image.fromarray(synthetic.render(synthetic.random_drawing(np.random.default_rng(k)))).save(small / f"1_{k + 1}.png")
    out = tmp_path / "out"
    common = ["--out", out, "--store", tmp_path / "store", "-j", "2", "--no-neo4j"]
    assert subprocess.run(cli("run", small, *common), capture_output=True, timeout=120).returncode == 0
    proc = subprocess.Popen(cli("run", many_panels(tmp_path / "big"), *common), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while str(tmp_path / "big") not in (out / "run.json").read_text():  # the new run has started
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130

    for command in ("report", "load"):
        result = subprocess.run(cli(command, out), capture_output=True, text=True, timeout=120,
                                env={**os.environ, "NEO4J_URI": "bolt://127.0.0.1:1"})
        assert result.returncode == 1, (command, result.stderr)
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith(f"error: {out / 'panels.csv'} is not from the run that run.json describes"), line
        assert f"visualdistance run {tmp_path / 'big'} --out {out}" in line
