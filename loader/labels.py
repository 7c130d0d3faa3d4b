"""Reading ground truth for the evaluation: a labels CSV and optional mirror pairs.

labels.csv: ``file,group`` (more columns allowed); optional ``mirrored``
(1 = the panel is a mirrored copy of its group's drawing) and ``blank``
(1 = near-blank panel). mirror_pairs.csv: ``file_a,file_b``: pairs where one
is a mirrored redraw of the other. Files are paths relative to the folder.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from visualdistance.analysis.evaluation import Truth


class LabelError(ValueError):
    """A labels file that can't be used; the message says why."""


def _rows(path: Path) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except OSError as e:
        raise LabelError(f"cannot read {path}: {e.strerror or e}") from None


def read_truth(labels: Path, panel_files: list[str], mirror_pairs: Path | None = None) -> tuple[Truth, np.ndarray]:
    """Truth for the panels whose file is labelled; also the indices (into panel_files) it covers."""
    rows = _rows(labels)
    if not rows or "file" not in rows[0] or "group" not in rows[0]:
        raise LabelError(f"{labels} needs the columns file,group")
    by_file = {r["file"]: r for r in rows}
    keep = np.array([k for k, f in enumerate(panel_files) if f in by_file], dtype=np.int64)
    if len(keep) == 0:
        raise LabelError(f"no panel in the folder is listed in {labels}")
    chosen = [by_file[panel_files[k]] for k in keep]
    _, group = np.unique([r["group"] for r in chosen], return_inverse=True)
    flag = lambda r, c: str(r.get(c, "0")).strip() in ("1", "true", "True")  # noqa: E731
    index = {panel_files[k]: i for i, k in enumerate(keep)}
    ma, mb = [], []
    if mirror_pairs is not None:
        for r in _rows(mirror_pairs):
            if r.get("file_a") in index and r.get("file_b") in index:
                ma.append(index[r["file_a"]])
                mb.append(index[r["file_b"]])
    truth = Truth(
        group=group.astype(np.int64),
        mirrored=np.array([flag(r, "mirrored") for r in chosen], bool),
        blank=np.array([flag(r, "blank") for r in chosen], bool),
        mirror_a=np.array(ma, np.int64),
        mirror_b=np.array(mb, np.int64),
    )
    return truth, keep
