"""Reading ground truth for the evaluation: a labels CSV and optional mirror pairs.

labels.csv: ``file,group`` (more columns allowed); optional ``mirrored``
(1 = the file is a mirrored copy of its group's drawing), ``blank``
(1 = near-blank panel) and ``variant`` (files of other groups with the same
variant are neutral pairs), and ``x,y,fig_w,fig_h`` (the box of the file's
figure, which `eval --explain` counts keypoints in). Labels are per file: every frame of an animated
file takes its file's. mirror_pairs.csv: ``file_a,file_b``: pairs where one
is a mirrored redraw of the other. Files are paths relative to the folder.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from visualdistance.analysis.evaluation import Truth
from visualdistance.loader.link_table import csv_flag


class LabelError(ValueError):
    """A labels file that can't be used; the message says why."""


def _rows(path: Path) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except OSError as e:
        raise LabelError(f"cannot read {path}: {e.strerror or e}") from None


def read_truth(labels: Path, panel_files: list[str], mirror_pairs: Path | None = None) -> tuple[Truth, np.ndarray]:
    """Truth for the panels whose file is labelled, and the indices (into panel_files) of those panels.

    panel_files: each panel's file (the frames of an animated file share
    one). The truth is per labelled file that has panels; its `file_of` maps
    each kept panel, in the order of the returned indices, to its file row.
    An optional ``variant`` column makes pairs of other groups with the same
    non-empty variant neutral. Columns ``x,y,fig_w,fig_h`` give each file's figure box (`Truth.figure_box`).
    """
    rows = _rows(labels)
    if not rows or "file" not in rows[0] or "group" not in rows[0]:
        raise LabelError(f"{labels} needs the columns file,group")
    by_file = {r["file"]: r for r in rows}
    keep = np.array([k for k, f in enumerate(panel_files) if f in by_file], dtype=np.int64)
    if len(keep) == 0:
        raise LabelError(f"no panel in the folder is listed in {labels}")
    files, file_of = np.unique(np.array([panel_files[k] for k in keep], dtype=object), return_inverse=True)
    chosen = [by_file[f] for f in files]
    _, group = np.unique([r["group"] for r in chosen], return_inverse=True)
    flag = lambda r, c: csv_flag(r.get(c, "0"))  # noqa: E731
    index = {f: i for i, f in enumerate(files)}
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
        variant=_variants(chosen),
        file_of=file_of.astype(np.int64),
        figure_box=_figure_boxes(chosen),
    )
    return truth, keep


#: the columns of a labelled figure's box (sprite_scenes): x, y, width, height in the file's pixels
FIGURE_BOX = ("x", "y", "fig_w", "fig_h")


def _figure_boxes(rows: list[dict]) -> np.ndarray | None:
    """(rows, 4) the labelled figure boxes, NaN where a row has none; None when the labels have no such columns."""
    if not all(c in rows[0] for c in FIGURE_BOX):
        return None

    def number(text: str | None) -> float:
        try:
            return float(text)
        except (TypeError, ValueError):
            return float("nan")

    return np.array([[number(r.get(c)) for c in FIGURE_BOX] for r in rows], np.float64).reshape(len(rows), 4)


def _variants(rows: list[dict]) -> np.ndarray:
    """Variant number per row, -1 where the column is missing or empty."""
    names = [(r.get("variant") or "").strip() for r in rows]
    known = sorted({v for v in names if v})
    number = {v: i for i, v in enumerate(known)}
    return np.array([number.get(v, -1) for v in names], np.int64)
