"""figures.csv: every occurrence of a figure (analysis/figures.py), by figure then page order.

Written by the communities stage only for a method that finds region links (`MethodInfo.regions`);
a run without them leaves no figures.csv (one left by an earlier run is removed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from visualdistance.analysis.figures import Figures, occurrence_order
from visualdistance.analysis.data import Panels
from visualdistance.loader.files import write_atomic
from visualdistance.loader.link_table import row_of
from visualdistance.loader.run_folder.errors import reading
from visualdistance.loader.run_folder.layout import FIGURES_CSV
from visualdistance.loader.run_folder.tables import csv_text, read_csv

#: figure: its id (0 the figure seen in the most panels); panel, page, path, frame: the panel it is in; x, y, w, h:
#: its box in that panel's pixels; mirrored: 1 when it faces the other way from the figure's first occurrence;
#: weight: the summed weight of the region links that found it there
FIGURE_COLUMNS = ("figure", "panel", "page", "path", "frame", "x", "y", "w", "h", "mirrored", "weight")


def figure_order(figures: Figures, panels: Panels) -> np.ndarray:
    """Occurrence rows by figure, then as a reader meets them (page, position, frame, panel row), then by box."""
    p = figures.panel
    return np.lexsort((figures.box[:, 1], figures.box[:, 0], p, panels.frame[p], panels.position[p],
                       panels.page[p], panels.page[p] < 0, figures.figure))


def write_figures(folder: Path, figures: Figures | None, panels: Panels) -> None:
    """figures.csv, one row per occurrence (FIGURE_COLUMNS); None: no figures.csv (an earlier one removed)."""
    path = folder / FIGURES_CSV
    if figures is None:
        path.unlink(missing_ok=True)
        return
    rows = []
    for k in figure_order(figures, panels).tolist():
        r = int(figures.panel[k])
        rows.append([int(figures.figure[k]), panels.ids[r], int(panels.page[r]), panels.paths[r], int(panels.frame[r]),
                     *(int(round(float(v))) for v in figures.box[k]), int(bool(figures.mirrored[k])),
                     round(float(figures.strength[k]), 4)])
    write_atomic(path, csv_text(list(FIGURE_COLUMNS), rows))


def read_figures(folder: Path, panel_index: dict[str, int]) -> Figures:
    """figures.csv as Figures over the panels of `panel_index` (id -> row), occurrences in `occurrence_order`, as
    `analysis.figures` makes them."""
    path = folder / FIGURES_CSV
    with reading(path):
        rows, _ = read_csv(path, FIGURE_COLUMNS)
        panel = np.array([row_of(panel_index, r["panel"]) for r in rows], np.int32)
        box = np.array([[float(r[c]) for c in "xywh"] for r in rows], np.float32).reshape(-1, 4)
        figure = np.array([int(r["figure"]) for r in rows], np.int32)
        mirrored = np.array([r["mirrored"] == "1" for r in rows], bool)
        strength = np.array([float(r["weight"]) for r in rows], np.float32)
    order = occurrence_order(panel, box)
    return Figures(panel[order], box[order], figure[order], mirrored[order], strength[order])
