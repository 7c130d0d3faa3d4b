"""`RunFolder`: one run folder (--out), through which every command reads and writes it.

It owns the folder's layout (`layout`), its lock, its record (run.json, a typed
`RunInfo`: what was run and the sha256 of every file each stage wrote) and the
codecs of its files (`panels`, `links`, `clusters`). Reading a file checks it
against the record first, so a file cut short, or left by another run, is a
`DamagedRunFile` naming it, never read as this run's.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import numpy as np

from visualdistance import __version__
from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.analysis.figures import Figures
from visualdistance.loader.files import write_atomic
from visualdistance.loader.locks import exclusive
from visualdistance.loader.names import printable
from visualdistance.loader.run_folder import clusters as clusters_codec
from visualdistance.loader.run_folder import figures as figures_codec
from visualdistance.loader.run_folder import links as links_codec
from visualdistance.loader.run_folder import panels as panels_codec
from visualdistance.loader.run_folder.errors import DamagedRunFile, MissingRunFile, RunFolderBusy, reading
from visualdistance.loader.run_folder.layout import (
    BAD_FILES, CLUSTERS_CSV, CLUSTERS_JSON, DEFAULT_CORPUS, FIGURES_CSV, LINKS_CSV, LOCK_FILE, OPTIONAL, READ, RUN_INFO,
    STAGES, corpus_name, stages_through,
)
from visualdistance.loader.run_folder.record import CLUSTERS_SCHEMA, LINKS_SCHEMA, SCHEMA, RunInfo
from visualdistance.loader.run_folder.tables import csv_text, file_digest


@dataclass
class RunOutput:
    """Everything a finished run holds, for later stages (report, Neo4j load): read from a run folder, or
    handed over by the run that has just written it."""

    panels: Panels
    links: Links
    clustering: Clustering | None
    info: RunInfo
    figures: Figures | None = None  # a method with region links: the figures they make (figures.csv)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class RunFolder:
    """The run folder at `path`: its lock, its record and its files."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    # ------------------------------------------------------------ the lock

    def locked(self) -> AbstractContextManager[None]:
        """Hold an exclusive lock on the folder (a lock file in it) while a command writes there; RunFolderBusy
        when another one does."""
        return exclusive(self.path / LOCK_FILE, lambda: RunFolderBusy(
            f"another visualdistance command is writing to {printable(str(self.path))}; wait for it to finish"
        ))

    # ---------------------------------------------------------- the record

    def has_record(self) -> bool:
        return (self.path / RUN_INFO).exists()

    def read_info(self) -> RunInfo:
        """run.json: the one reader of the run record; DamagedRunFile when it cannot be read."""
        with reading(self.path / RUN_INFO):
            with open(self.path / RUN_INFO, encoding="utf-8") as fh:
                return RunInfo.from_json(json.load(fh))

    def write_info(self, info: RunInfo) -> None:
        """run.json: the one writer of the run record."""
        write_atomic(self.path / RUN_INFO, json.dumps(info.to_json(), indent=1, default=str))

    def start(self, folder: Path, corpus: str | None) -> RunInfo:
        """Write the record of a run of `folder` that has just started: what it reads and its corpus, nothing it
        found yet. Written first, it marks the folder as a run folder (discovery never reads panels from one), and
        its empty `files` make files left by an earlier run no longer count as this run's."""
        folder = folder.resolve()
        info = RunInfo(input=str(folder), corpus=corpus or corpus_name(folder), version=__version__, started=_now(),
                       files={})
        self.write_info(info)
        return info

    def finish(self, stages: tuple[str, ...], **fields) -> RunInfo:
        """Record what `stages` have just written: run.json with `fields` replaced, the digests of their files,
        and the files of every later stage dropped (links over other panels, clusters over other links are stale).
        Returns the record written."""
        info = self.read_info() if self.has_record() else RunInfo()
        # the files written now are of this schema (an earlier stage's, still recorded, were read as it)
        info = replace(info, **fields, version=__version__, updated=_now(), schema=SCHEMA)
        order = list(STAGES)
        first = min(order.index(s) for s in stages)
        files = {n: d for n, d in (info.files or {}).items() if not any(n in STAGES[s] for s in order[first:])}
        # a file only some methods write (figures.csv) is recorded when this stage wrote it (it removes a stale one)
        files.update({n: file_digest(self.path / n) for s in stages for n in STAGES[s]
                      if n not in OPTIONAL or (self.path / n).exists()})
        info = replace(info, files=files)
        self.write_info(info)
        return info

    def recorded_input(self) -> str | None:
        """The run's input folder as run.json names it, for messages: None when it cannot say (never raises)."""
        try:
            with open(self.path / RUN_INFO, encoding="utf-8") as fh:
                folder = json.load(fh).get("input")
        except (OSError, ValueError, AttributeError):
            return None
        return folder if isinstance(folder, str) and folder else None

    # -------------------------------------------------------------- checks

    def require(self, names: Iterable[str]) -> None:
        """MissingRunFile for the first of `names`, then run.json, that the folder lacks: a stage reads a run folder
        only with the record that says which files are this run's (without it, a file cut short or left by another
        run would read as this run's)."""
        for name in (*names, RUN_INFO):
            if not (self.path / name).is_file():
                raise MissingRunFile(self.path, name)

    def require_stages(self, last: str) -> None:
        """`require` what a later stage reads of every stage up to `last`."""
        self.require(name for stage in stages_through(last) for name in READ[stage])

    def check(self, names: Iterable[str]) -> None:
        """DamagedRunFile unless each file is the one run.json recorded (run folders without a record pass).

        A run writes run.json first with no files recorded, and records each
        stage's files once they are all written: so an interrupted run into a
        folder holding another run's outputs never leaves a mix that reads as one run.
        """
        if not self.has_record():
            return
        recorded = self.read_info().files
        if recorded is None:
            return  # a folder from before records existed
        for name in names:
            path = self.path / name
            if name not in recorded:
                raise DamagedRunFile(path, "an earlier or interrupted run left it", stale=True)
            with reading(path):
                if file_digest(path) != recorded[name]:
                    raise DamagedRunFile(path, "it changed after the run wrote it")

    # -------------------------------------------------------------- files

    def write_panels(self, panels: Panels, store: tuple[Path, list[str]] | None = None,
                     more_stores: Iterable[tuple[Path, list[str]]] = ()) -> None:
        """panels.csv and features.json (see `panels.write_panels`)."""
        panels_codec.write_panels(self.path, panels, panels_codec.shown_signatures(), store, list(more_stores))

    def read_panels(self, signatures: bool = True) -> Panels:
        self.check(READ["extract"])
        return panels_codec.read_panels(self.path, signatures)

    def features_store(self) -> str | None:
        return panels_codec.features_store(self.path)

    def write_bad_files(self, bad) -> None:
        write_atomic(self.path / BAD_FILES, csv_text(["path", "reason"], ((b.path, b.reason) for b in bad)))

    def write_links(self, links: Links, ids: np.ndarray) -> None:
        links_codec.write_links(self.path, links, ids)

    def read_links(self, panel_index: dict[str, int]) -> Links:
        """links.csv/json as Links; DamagedRunFile (outdated) for links written before they had kinds (LINKS_SCHEMA)."""
        self.check(READ["link"])
        if self.has_record() and (schema := self.read_info().schema) < LINKS_SCHEMA:
            raise DamagedRunFile(self.path / LINKS_CSV, f"run.json schema {schema}: its links do not say what they "
                                 f"share (kind, boxes)", outdated=True)
        return links_codec.read_links(self.path, panel_index)

    def has_links(self) -> bool:
        return (self.path / LINKS_CSV).exists()

    def write_clusters(self, clustering: Clustering, panels: Panels, links: Links | None = None,
                       figures: Figures | None = None) -> None:
        """clusters.csv/json, and figures.csv when there are `figures` (a method with region links; None removes
        an earlier run's)."""
        clusters_codec.write_clusters(self.path, clustering, panels, links)
        figures_codec.write_figures(self.path, figures, panels)

    def read_clusters(self, panel_index: dict[str, int]) -> Clustering:
        """clusters.json; DamagedRunFile (outdated) for the clusters of a method with region links written before
        those made figures of their own (CLUSTERS_SCHEMA): region links were in them."""
        self.check(READ["communities"])
        if self.has_record() and (info := self.read_info()).schema < CLUSTERS_SCHEMA and info.method and info.method.regions:
            raise DamagedRunFile(self.path / CLUSTERS_CSV, f"run.json schema {info.schema}: its clusters hold region "
                                 f"links, which now make figures of their own", outdated=True)
        return clusters_codec.read_clusters(self.path, panel_index)

    def has_figures(self) -> bool:
        """Whether the record names a figures.csv (the communities stage of a method with region links wrote one)."""
        return self.has_record() and FIGURES_CSV in (self.read_info().files or {})

    def read_figures(self, panel_index: dict[str, int]) -> Figures:
        self.check((FIGURES_CSV,))
        return figures_codec.read_figures(self.path, panel_index)

    def read(self, through: str = "link") -> RunOutput:
        """The whole run, once the files of every stage up to `through` are there (MissingRunFile otherwise): its
        panels with their signatures, links, clustering (when clusters.json is there) and record."""
        self.require_stages(through)
        panels = self.read_panels()
        index = {pid: i for i, pid in enumerate(panels.ids)}
        links = self.read_links(index)
        clustering = self.read_clusters(index) if (self.path / CLUSTERS_JSON).exists() else None
        figures = self.read_figures(index) if clustering is not None and self.has_figures() else None
        info = self.read_info()
        if info.corpus is None:
            # Run folders from before corpora: the input folder's name, as a new run would choose.
            info = replace(info, corpus=corpus_name(info.input) if info.input else DEFAULT_CORPUS)
        return RunOutput(panels, links, clustering, info, figures)
