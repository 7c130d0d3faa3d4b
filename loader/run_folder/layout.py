"""What a run folder holds: its files' names, which stage writes each, its corpus's default name.

Nothing here reads a file except `is_run_folder`, which discovery asks of every
folder it walks (so it stays cheap: one small JSON file, no numpy).
"""

from __future__ import annotations

import json
from pathlib import Path

from visualdistance.loader.names import safe_text

PANELS = "panels.csv"
FEATURES = "features.json"
SIGNATURES = "signatures.npz"  # the signature rows of panels that came from no feature store
BAD_FILES = "bad_files.csv"
LINKS_CSV, LINKS_JSON = "links.csv", "links.json"
CLUSTERS_CSV, CLUSTERS_JSON = "clusters.csv", "clusters.json"
FIGURES_CSV = "figures.csv"  # the figures region links make (analysis/figures.py); only a method with region links
RUN_INFO = "run.json"
LOCK_FILE = ".visualdistance.lock"

#: the files each stage writes, in the order the stages run; a stage's files make the later stages' files stale
STAGES = {
    "extract": (PANELS, FEATURES, BAD_FILES),
    "link": (LINKS_CSV, LINKS_JSON),
    "communities": (CLUSTERS_CSV, CLUSTERS_JSON, FIGURES_CSV),
}
#: files a stage writes only for some methods (figures.csv: a method with region links); recorded when written
OPTIONAL = (FIGURES_CSV,)
#: the files of each stage that a later stage reads (bad_files.csv is for people)
READ = {"extract": (PANELS, FEATURES), "link": STAGES["link"], "communities": (CLUSTERS_CSV, CLUSTERS_JSON)}

#: the corpus of a run folder whose run.json names neither a corpus nor an input folder
DEFAULT_CORPUS = "default"


def stage_of(name: str) -> str | None:
    """The stage that writes run-folder file `name` (None: run.json, which every stage rewrites, or a stranger)."""
    if name == SIGNATURES:
        return "extract"
    return next((stage for stage, names in STAGES.items() if name in names), None)


def stages_through(last: str) -> tuple[str, ...]:
    """The stages up to and including `last`, in order."""
    order = list(STAGES)
    return tuple(order[: order.index(last) + 1])


def corpus_name(folder: Path | str) -> str:
    """The default corpus of an input folder: its name (one comic per folder, e.g. 'homestuck')."""
    return safe_text(Path(folder).name) or DEFAULT_CORPUS


def is_run_folder(folder: Path) -> bool:
    """True for a folder a run writes to: its run.json (written first thing) is a JSON object of ours.

    Discovery skips such folders, so report thumbnails and edge maps never become panels.
    """
    try:
        with open(Path(folder) / RUN_INFO, encoding="utf-8") as fh:
            info = json.load(fh)
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and ("version" in info or "input" in info)
