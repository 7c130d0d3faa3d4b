"""scripts/planted_set: the labelled set that makes `visualdistance eval` work from a fresh clone."""

import csv
import subprocess
import sys

from tests.conftest import REPO


def test_planted_set_writes_panels_and_matching_labels(tmp_path):
    out = tmp_path / "planted"
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "planted_set"), str(out), "--panels", "12"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    with open(out / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["file"] for r in rows) == sorted(p.name for p in out.glob("*.png")) and len(rows) == 12
    assert {"group", "mirrored", "blank"} <= set(rows[0])
    again = subprocess.run([sys.executable, str(REPO / "scripts" / "planted_set"), str(out)], capture_output=True,
                           text=True, timeout=120)
    assert again.returncode == 1 and "is not empty" in again.stderr
