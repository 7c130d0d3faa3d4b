"""A run's output folder (--out): one `RunFolder` object reads and writes it.

A run folder holds:
- ``panels.csv``: one row per panel (id, path, frame, last_frame, page, position,
  size, sha256, then each signature that says it is shown: edge pixels, hashes as
  hex) and ``features.json``, which says where the signature rows are: rows of the
  feature store the run read (by content hash and frame; no second copy), or
  ``signatures.npz`` beside it for panels that came from elsewhere; so later stages
  need not touch the images again;
- ``links.csv`` / ``links.json``: the link table of ``loader/link_table.py`` (a, b
  as panel ids, a distance column per metric, rule, mirrored, weight, thresholds);
- ``clusters.csv`` / ``clusters.json``: cluster, panel, page, path, frame;
- ``figures.csv`` (a method with region links only): each occurrence of a figure (figure, panel, page,
  path, frame, its box x, y, w, h, mirrored, weight), by figure then page order;
- ``bad_files.csv``: path, reason;
- ``run.json``: the run record (`record.RunInfo`): what was run (method,
  parameters, counts, timings) and the sha256 of every file above.

Modules: `layout` (file names, stages), `errors`, `record` (run.json's types),
`tables` (the CSV dialect), the codecs `panels`, `links`, `clusters` and `figures`, and
`folder` (`RunFolder`, `RunOutput`). Every file is written to a temporary name
and renamed into place (`loader/files.write_atomic`).
"""

from visualdistance.loader.run_folder.errors import DamagedRunFile, MissingRunFile, RunFolderBusy
from visualdistance.loader.run_folder.folder import RunFolder, RunOutput
from visualdistance.loader.run_folder.layout import (
    DEFAULT_CORPUS,
    FEATURES,
    LOCK_FILE,
    RUN_INFO,
    STAGES,
    corpus_name,
    is_run_folder,
    stage_of,
)
from visualdistance.loader.run_folder.record import ClusteringInfo, MethodInfo, RuleInfo, RunInfo

__all__ = [
    "DEFAULT_CORPUS", "FEATURES", "LOCK_FILE", "RUN_INFO", "STAGES", "ClusteringInfo", "DamagedRunFile", "MethodInfo",
    "MissingRunFile", "RuleInfo", "RunFolder", "RunFolderBusy", "RunInfo", "RunOutput", "corpus_name",
    "is_run_folder", "stage_of",
]
