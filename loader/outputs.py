"""Writing and reading a run's output folder.

A run folder holds:
- ``panels.csv``: one row per panel (id, path, frame, last_frame, page, position,
  size, sha256, edge_pixels, hashes as hex) and ``features.json``, which says where
  the signature arrays are: rows of the feature store the run read (by content
  hash and frame; no second copy), or ``signatures.npz`` beside it for panels that
  came from elsewhere; so later stages need not touch the images again;
- ``links.csv`` / ``links.json``: the link table of ``loader/link_table.py`` (a, b
  as panel ids, a distance column per metric, rule, mirrored, weight, thresholds);
- ``clusters.csv`` / ``clusters.json``: cluster, panel, page, path, frame;
- ``bad_files.csv``: path, reason;
- ``run.json``: what was run (method, parameters, counts, timings).

Every file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
import zlib
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.loader import link_table
from visualdistance.loader.link_table import row_of
from visualdistance.loader.locks import exclusive
from visualdistance.loader.files import atomic_open, write_atomic
from visualdistance.loader.names import ENCODING_ERRORS, printable, safe_text
from visualdistance.loader.run_record import RunInfo
from visualdistance.loader.store import FeatureStore

HASH_COLUMNS = ("ahash", "phash", "dhash", "edge_ahash")


PANEL_COLUMNS = ("id", "path", "frame", "last_frame", "page", "position", "width", "height", "sha256", "edge_pixels") + HASH_COLUMNS


class DamagedRunFile(Exception):
    """A run-folder file that cannot be read back (cut short, emptied, not what this run wrote).

    str(error) is one line: the file, what is wrong, and the command that writes it again.
    """

    def __init__(self, path: Path, problem: str, stale: bool = False) -> None:
        self.path, self.problem = Path(path), problem
        what = "is not from the run that run.json describes" if stale else "is damaged or incomplete"
        super().__init__(f"{printable(str(path))} {what} ({problem}); {remedy(path)}")


class MissingRunFile(DamagedRunFile):
    """A run folder without a file a command needs (or no run folder at all); str(error) names the command that writes it."""

    def __init__(self, out: Path, name: str) -> None:
        self.path, self.problem = Path(out) / name, "missing"
        what = f"{printable(str(out))} has no {name}" if Path(out).is_dir() else f"no run folder at {printable(str(out))}"
        Exception.__init__(self, f"{what}; run `{writer_of(Path(out) / name)}` first")


def require_files(out: Path, names: tuple[str, ...]) -> None:
    """MissingRunFile for the first of `names` the run folder `out` lacks (in the order the stages write them)."""
    for name in names:
        if not (Path(out) / name).is_file():
            raise MissingRunFile(out, name)


def require_run(out: Path, names: tuple[str, ...]) -> None:
    """require_files for `names`, then for run.json: a stage reads a run folder only with the record that says
    which files are this run's (without it, a file cut short or left by another run would read as this run's)."""
    require_files(out, tuple(names) + (RUN_INFO,))


#: the command that writes each run-folder file, for messages (OUT: the folder; DIR: its input)
WRITTEN_BY = {
    "panels.csv": "run DIR --out OUT",
    "signatures.npz": "run DIR --out OUT",
    "features.json": "run DIR --out OUT",
    "bad_files.csv": "run DIR --out OUT",
    "run.json": "run DIR --out OUT",
    "links.csv": "link --out OUT",
    "links.json": "link --out OUT",
    "clusters.csv": "communities --out OUT",
    "clusters.json": "communities --out OUT",
}


def writer_of(path: Path) -> str:
    """The command that writes a run-folder file, with its folder and the run's input filled in."""
    out = Path(path).parent
    command = WRITTEN_BY.get(Path(path).name, "run DIR --out OUT").replace("OUT", printable(str(out)))
    return f"visualdistance {command.replace('DIR', _input_of(out))}"


def remedy(path: Path) -> str:
    """'run `visualdistance ...` to write it again' for a run-folder file."""
    return f"run `{writer_of(path)}` to write it again"


def _input_of(out: Path) -> str:
    """The run's input folder as run.json names it, else "DIR" (for messages only: never raises)."""
    try:
        with open(out / "run.json", encoding="utf-8") as fh:
            folder = json.load(fh).get("input")
    except (OSError, ValueError, AttributeError):
        folder = None
    return printable(folder) if isinstance(folder, str) and folder else "DIR"


# What reading a cut-short, emptied or altered file raises, from csv, json, numpy and zipfile.
_DAMAGE = (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, EOFError, csv.Error,
           UnicodeDecodeError, zipfile.BadZipFile, zlib.error)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Any error reading `path` inside the block becomes a DamagedRunFile naming it."""
    try:
        yield
    except DamagedRunFile:
        raise
    except FileNotFoundError:
        raise DamagedRunFile(path, "missing") from None
    except _DAMAGE as e:
        raise DamagedRunFile(path, str(e) or type(e).__name__) from e


def _read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[dict], list[str]]:
    """Rows and header of a CSV we wrote; ValueError when a column is missing or a line is cut short."""
    with open(path, newline="", encoding="utf-8", errors=ENCODING_ERRORS) as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = reader.fieldnames or []
    lacking = [c for c in required if c not in header]
    if lacking:
        raise ValueError(f"no column {lacking[0]!r}" if header else "empty file")
    for n, row in enumerate(rows, 2):
        if None in row or None in row.values():
            raise ValueError(f"line {n} is cut short or has extra fields")
    return rows, header


def _csv_text(header: list[str], rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def hash_hex(words: np.ndarray) -> list[str]:
    """(n, 1) uint64 hashes -> 16-digit hex strings."""
    return [f"{int(v):016x}" for v in np.asarray(words).reshape(len(words), -1)[:, 0]]


# ------------------------------------------------------------------- panels


def panel_records(panels: Panels) -> list[dict]:
    """One plain dict per panel with the columns of panels.csv."""
    sigs = panels.signatures
    edge = sigs["edge_pixels"].reshape(-1) if "edge_pixels" in sigs else np.full(len(panels), -1)
    hashes = {h: hash_hex(sigs[h]) if h in sigs else [""] * len(panels) for h in HASH_COLUMNS}
    out = []
    for i in range(len(panels)):
        rec = {
            "id": panels.ids[i],
            "path": panels.paths[i],
            "frame": int(panels.frame[i]),
            "last_frame": int(panels.last_frame[i]),
            "page": int(panels.page[i]),
            "position": int(panels.position[i]),
            "width": int(panels.width[i]),
            "height": int(panels.height[i]),
            "sha256": panels.sha256[i],
            "edge_pixels": int(edge[i]),
        }
        rec.update({h: hashes[h][i] for h in HASH_COLUMNS})
        out.append(rec)
    return out


FEATURES = "features.json"
SIGNATURES = "signatures.npz"


def write_panels(out: Path, panels: Panels, store: tuple[Path, list[str]] | None = None) -> None:
    """panels.csv and features.json; store: (the feature-store folder the signatures came from, their names).

    With a store, features.json points at its rows (a run folder holds no second
    copy of the signatures); without one the arrays go to signatures.npz.
    """
    recs = panel_records(panels)
    write_atomic(out / "panels.csv", _csv_text(list(PANEL_COLUMNS), ([r[c] for c in PANEL_COLUMNS] for r in recs)))
    if store is not None:
        (out / SIGNATURES).unlink(missing_ok=True)  # an earlier run's copy
        features = {"store": str(Path(store[0]).resolve()), "names": list(store[1]), "panels": len(panels)}
    else:
        with atomic_open(out / SIGNATURES) as fh:
            np.savez(fh, **{f"s_{k}": v for k, v in panels.signatures.items()}, source=panels.source)
        features = {"file": SIGNATURES, "sha256": file_digest(out / SIGNATURES), "panels": len(panels)}
    write_atomic(out / FEATURES, json.dumps(features, indent=1))


def read_panels(out: Path, signatures: bool = True) -> Panels:
    """Panels (with signatures, unless not asked for) from a run folder; DamagedRunFile when a file is damaged
    or the store lacks rows."""
    check_files(out, STAGES["extract"][:2])
    with reading(out / "panels.csv"):
        rows, header = _read_csv(out / "panels.csv", PANEL_COLUMNS)
        col = lambda k, t=object: np.array([r[k] for r in rows], dtype=t)  # noqa: E731
        ints = {k: col(k, np.int32) for k in ("frame", "last_frame", "page", "position", "width", "height")}
    with reading(out / FEATURES):
        with open(out / FEATURES, encoding="utf-8") as fh:
            features = json.load(fh)
        if features.get("panels") != len(rows):
            raise ValueError(f"it describes {features.get('panels')} panels, panels.csv has {len(rows):,}")
    ids, paths, sha = col("id"), col("path"), col("sha256")
    if not signatures:
        sigs, source = {}, np.unique(paths, return_inverse=True)[1].astype(np.int32)
    elif "store" in features:
        sigs = _store_rows(out, features, sha, ints["frame"])
        source = np.unique(paths, return_inverse=True)[1].astype(np.int32)
    else:
        sigs, source = _npz_rows(out, features, len(rows))
    return Panels(ids=ids, paths=paths, source=source, sha256=sha, **{k: v for k, v in ints.items() if k != "last_frame"},
                  signatures=sigs, last_frame=ints["last_frame"])


def features_store(out: Path) -> str | None:
    """The feature-store folder a run folder's signature rows live in (None: its own signatures.npz, or unreadable)."""
    try:
        with open(out / FEATURES, encoding="utf-8") as fh:
            return json.load(fh).get("store")
    except (OSError, ValueError, AttributeError):
        return None


def _store_rows(out: Path, features: dict, sha: np.ndarray, frame: np.ndarray) -> dict[str, np.ndarray]:
    """The signature rows a run folder references in the feature store; DamagedRunFile when they are gone."""
    store = FeatureStore.reopen(Path(features["store"]), features["names"])
    try:
        return store.rows(sha, frame)
    except KeyError as e:
        raise DamagedRunFile(out / FEATURES, f"the feature store {printable(features['store'])} no longer holds "
                             f"panel {e.args[0]}") from None


def _npz_rows(out: Path, features: dict, n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Signature arrays and file numbers from the run folder's own signatures.npz."""
    path = out / SIGNATURES
    with reading(path):
        if file_digest(path) != features.get("sha256"):
            raise ValueError("it is not the file features.json describes")
        with np.load(path, allow_pickle=False) as z:
            sigs = {k[2:]: z[k] for k in z.files if k.startswith("s_")}
            source = z["source"]
        if any(len(v) != n for v in (source, *sigs.values())):
            raise ValueError(f"its rows do not match the {n:,} panels of panels.csv")
    return sigs, source.astype(np.int32)


# -------------------------------------------------------------------- links


def write_links(out: Path, links: Links, ids: np.ndarray) -> None:
    """links.csv (the link table; not measured: empty, flags 1/0) and links.json (the rules, then one record per link)."""
    table = link_table.link_table(links, ids)
    cell = lambda v: "" if v is None else int(v) if isinstance(v, bool) else v  # noqa: E731
    write_atomic(out / "links.csv", _csv_text(list(table), ([cell(v) for v in row] for row in zip(*table.values()))))
    recs = [dict(zip(table, row)) for row in zip(*table.values())]
    doc = {"rules": list(links.rule_names), "rule_metrics": dict(zip(links.rule_names, links.rule_metrics)), "links": recs}
    write_atomic(out / "links.json", json.dumps(doc))


def read_links(out: Path, panel_index: dict[str, int]) -> Links:
    """Links from links.csv (the rules' names from links.json), with a and b as row indices via `panel_index` (id -> row)."""
    check_files(out, STAGES["link"])
    with reading(out / "links.json"):
        with open(out / "links.json", encoding="utf-8") as fh:
            doc = json.load(fh)
            rule_names = tuple(doc.get("rules", []))
            rule_metrics = tuple((doc.get("rule_metrics") or {}).get(n, "") for n in rule_names)
    with reading(out / "links.csv"):
        rows, header = _read_csv(out / "links.csv", link_table.required_columns())
        table = {c: [r[c] for r in rows] for c in header}
        return link_table.read_link_table(table, panel_index, rule_names, rule_metrics)


# ----------------------------------------------------------------- clusters


def cluster_records(clustering: Clustering, panels: Panels) -> list[dict]:
    """One dict per clustered panel, by cluster then page order: cluster, panel, page, path, frame."""
    m = clustering.membership
    rows = np.flatnonzero(m >= 0)
    rows = rows[np.lexsort((rows, m[rows]))]
    return [
        {
            "cluster": int(m[i]),
            "panel": panels.ids[i],
            "page": int(panels.page[i]),
            "path": panels.paths[i],
            "frame": int(panels.frame[i]),
        }
        for i in rows
    ]


def write_clusters(out: Path, clustering: Clustering, panels: Panels, links: Links | None = None) -> None:
    """clusters.csv and clusters.json; with the links, each cluster in the JSON says how coherent it is
    (its weakest necessary link, the share of its pairs linked, and whether that makes it loose)."""
    recs = cluster_records(clustering, panels)
    header = ["cluster", "panel", "page", "path", "frame"]
    write_atomic(out / "clusters.csv", _csv_text(header, ([r[c] for c in header] for r in recs)))
    sizes = clustering.sizes()
    clusters = [{"id": int(c), "size": int(sizes[c]), "panels": []} for c in range(clustering.n_clusters)]
    if links is not None and clustering.n_clusters:
        from visualdistance.analysis import communities  # igraph: only for a run that has clusters to write

        weakest, density = communities.coherence(clustering.membership, links.a, links.b, links.weight)
        loose = communities.is_loose(weakest, density, sizes)
        for c, entry in enumerate(clusters):
            entry.update(weakest_link=round(float(weakest[c]), 4), linked_pairs=round(float(density[c]), 4), loose=bool(loose[c]))
    for r in recs:
        clusters[r["cluster"]]["panels"].append(r["panel"])
    doc = {
        "run_id": clustering.run_id,
        "algorithm": clustering.algorithm,
        "params": clustering.params,
        "modularity": None if not np.isfinite(clustering.modularity) else round(clustering.modularity, 6),
        "clusters": clusters,
    }
    write_atomic(out / "clusters.json", json.dumps(doc, indent=1))


def read_clusters(out: Path, panel_index: dict[str, int]) -> Clustering:
    """The clustering in clusters.json, as a membership over the panels of `panel_index`."""
    check_files(out, STAGES["communities"])
    with reading(out / "clusters.json"):
        with open(out / "clusters.json", encoding="utf-8") as fh:
            doc = json.load(fh)
        membership = np.full(len(panel_index), -1, np.int32)
        for c in doc["clusters"]:
            membership[[row_of(panel_index, p) for p in c["panels"]]] = c["id"]
        q = doc.get("modularity")
        return Clustering(doc["run_id"], doc["algorithm"], doc["params"], membership, float("nan") if q is None else q)


# ---------------------------------------------------------------- the rest


def write_bad_files(out: Path, bad) -> None:
    write_atomic(out / "bad_files.csv", _csv_text(["path", "reason"], ((b.path, b.reason) for b in bad)))


RUN_INFO = "run.json"
LOCK_FILE = ".visualdistance.lock"
#: the corpus of a run folder whose run.json names neither a corpus nor an input folder
DEFAULT_CORPUS = "default"


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


#: the files each stage writes; a stage's files make the later stages' files stale
STAGES = {
    "extract": ("panels.csv", FEATURES, "bad_files.csv"),
    "link": ("links.csv", "links.json"),
    "communities": ("clusters.csv", "clusters.json"),
}


def file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def record_files(out: Path, info: RunInfo, stages: tuple[str, ...]) -> RunInfo:
    """`info` with `files` updated: the digests of what `stages` just wrote, and the files of
    every later stage dropped (links over other panels, clusters over other links are stale)."""
    order = list(STAGES)
    first = min(order.index(s) for s in stages)
    files = {n: d for n, d in (info.files or {}).items()
             if not any(n in STAGES[s] for s in order[first:])}
    files.update({n: file_digest(out / n) for s in stages for n in STAGES[s]})
    return replace(info, files=files)


def check_files(out: Path, names: tuple[str, ...]) -> None:
    """DamagedRunFile unless each file is the one run.json recorded (run folders without a record pass).

    A run writes run.json first with no files recorded, and records each
    stage's files once they are all written: so an interrupted run into a
    folder holding another run's outputs never leaves a mix that reads as one run.
    """
    if not (out / RUN_INFO).exists():
        return
    recorded = read_run_info(out).files
    if recorded is None:
        return  # a folder from before records existed
    for name in names:
        path = out / name
        if name not in recorded:
            raise DamagedRunFile(path, "an earlier or interrupted run left it", stale=True)
        with reading(path):
            if file_digest(path) != recorded[name]:
                raise DamagedRunFile(path, "it changed after the run wrote it")


class RunFolderBusy(Exception):
    """Another command is writing to the run folder."""


def locked(out: Path) -> AbstractContextManager[None]:
    """Hold an exclusive lock on the run folder (a lock file in it) while a command writes there."""
    return exclusive(out / LOCK_FILE, lambda: RunFolderBusy(
        f"another visualdistance command is writing to {printable(str(out))}; wait for it to finish"
    ))


def write_run_info(out: Path, info: RunInfo) -> None:
    """run.json: the one writer of the run record."""
    write_atomic(out / RUN_INFO, json.dumps(info.to_json(), indent=1, default=str))


def read_run_info(out: Path) -> RunInfo:
    """run.json: the one reader of the run record; DamagedRunFile when it cannot be read."""
    with reading(out / RUN_INFO):
        with open(out / RUN_INFO, encoding="utf-8") as fh:
            return RunInfo.from_json(json.load(fh))


@dataclass
class RunOutput:
    """Everything a finished run folder holds, for later stages (report, Neo4j load)."""

    panels: Panels
    links: Links
    clustering: Clustering | None
    info: RunInfo


def read_run(out: Path) -> RunOutput:
    panels = read_panels(out)
    index = {pid: i for i, pid in enumerate(panels.ids)}
    links = read_links(out, index)
    clustering = read_clusters(out, index) if (out / "clusters.json").exists() else None
    info = read_run_info(out) if (out / RUN_INFO).exists() else RunInfo()
    if info.corpus is None:
        # Run folders from before corpora: the input folder's name, as a new run would choose.
        info = replace(info, corpus=corpus_name(info.input) if info.input else DEFAULT_CORPUS)
    return RunOutput(panels, links, clustering, info)
