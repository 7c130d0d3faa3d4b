"""Worker processes that outlive a crash: every job gives its result or is named as the one that killed a worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests import synthetic
from tests.conftest import save
from visualdistance.analysis.presets import all_signatures
from visualdistance.analysis.signatures.base import PanelView, Signature
from visualdistance.loader.extract import extract_folder
from visualdistance.loader.workers import Died, map_surviving

DEADLY = {7, 13}


def square_unless_deadly(job: int) -> int:
    """job squared; a deadly job kills its process outright, as a decoder's segfault would."""
    if job in DEADLY:
        os._exit(139)
    return job * job


def refuse_five(job: int) -> int:
    if job == 5:
        raise ValueError("five is refused")
    return job


def test_every_job_gives_its_result_and_the_jobs_that_kill_their_worker_are_named():
    results = dict(map_surviving(square_unless_deadly, range(40), workers=2, chunk=3))
    assert sorted(results) == list(range(40))
    assert {job for job, r in results.items() if isinstance(r, Died)} == DEADLY
    assert all(results[job] == job * job for job in set(range(40)) - DEADLY)


def test_an_exception_in_the_function_is_not_a_crash_and_stops_the_map():
    with pytest.raises(ValueError, match="five is refused"):
        list(map_surviving(refuse_five, range(20), workers=2, chunk=2))


def test_workers_end_when_their_parent_is_killed(tmp_path):
    # A worker left behind by kill -9 held the parent's stdout open, and whoever read it waited forever.
    script = (
        "import os, time\n"
        "from visualdistance.loader.workers import map_surviving\n"
        "from tests.loader.test_workers import pid_after_a_while\n"
        "for _, pid in map_surviving(pid_after_a_while, range(1000), workers=2, chunk=1):\n"
        "    print(pid, flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).parents[2])
    workers = {int(proc.stdout.readline()) for _ in range(6)}
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"workers {workers} outlived their parent"
        time.sleep(0.05)
    assert proc.stdout.read() == ""  # nothing holds the pipe open any more: EOF, not a hang
    proc.stdout.close()


def pid_after_a_while(job: int) -> int:
    time.sleep(0.05)
    return os.getpid()


def alive(pid: int) -> bool:
    """pid runs (a zombie, dead but not yet reaped by whoever adopted it, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@dataclass(frozen=True)
class DiesOnDark(Signature):
    """The panel's mean grey; a dark panel kills the process describing it, as a decoder's crash would."""

    name: str = "dies_on_dark"

    def describe(self, view: PanelView) -> np.ndarray:
        if view.grey.mean() < 40:
            os._exit(139)
        return np.array([view.grey.mean()], np.float32)


def test_a_file_that_kills_its_worker_is_reported_and_skipped_and_the_run_finishes(tmp_path, rng, store_dir):
    folder = tmp_path / "panels"
    for k in range(9):
        save(synthetic.render(synthetic.random_drawing(rng), size=(160, 120)), folder / f"{k + 1}_1.png")
    save(np.full((120, 160, 3), 10, np.uint8), folder / "5_2.png")
    result = extract_folder(folder, (*all_signatures(), DiesOnDark()), store_dir, workers=2)
    assert [(bad.path, "worker process died" in bad.reason) for bad in result.bad_files] == [("5_2.png", True)]
    assert len(result.panels) == 9 and "5_2.png" not in result.panels.ids.tolist()
