"""panels.csv and features.json: one row per panel, and where its signature rows are.

panels.csv has the panel's own columns (PANEL_FIELDS), then one column per
signature that says it is shown (`Signature.shown`: a count, or a hash as hex),
in the signatures' order. features.json says where the signature rows are: rows
of the feature store the run read (by content hash and frame; no second copy),
or signatures.npz beside it for panels that came from no store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from visualdistance.analysis.data import Panels
from visualdistance.analysis.signatures.base import Signature
from visualdistance.loader.files import atomic_open, write_atomic
from visualdistance.loader.names import printable
from visualdistance.loader.run_folder.errors import DamagedRunFile, reading
from visualdistance.loader.run_folder.layout import FEATURES, PANELS, SIGNATURES
from visualdistance.loader.run_folder.tables import csv_text, file_digest, read_csv
from visualdistance.loader.store import FeatureStore

#: panels.csv's own columns, before the shown signatures'
PANEL_FIELDS = ("id", "path", "frame", "last_frame", "page", "position", "width", "height", "sha256")
_INT_FIELDS = ("frame", "last_frame", "page", "position", "width", "height")
#: the cell of a panel that lacks a shown signature, by Shown.kind
_MISSING = {"count": -1, "hex": ""}


def shown_signatures() -> tuple[Signature, ...]:
    """Every signature that panels.csv and the graph show, in column order (Shown.at)."""
    # the registry is the presets' signatures; importing them builds the metrics, which compile numba
    # kernels: only a command that writes or loads panels pays for that, never `--help`
    from visualdistance.analysis.presets import all_signatures

    return tuple(sorted((s for s in all_signatures() if s.shown), key=lambda s: s.shown.at))


def panel_columns(shown: Sequence[Signature]) -> tuple[str, ...]:
    """panels.csv's header with the `shown` signatures."""
    return PANEL_FIELDS + tuple(s.name for s in shown)


def unknown_cells(shown: Sequence[Signature]) -> dict[str, object]:
    """The cell written for a value a panel does not have, by column (the graph leaves those properties unset):
    page and position -1 when the file name carries none, and each shown signature's missing cell."""
    return {"page": -1, "position": -1, **{s.name: _MISSING[s.shown.kind] for s in shown}}


def _shown_cells(sig: Signature, rows: np.ndarray | None, n: int) -> list:
    """The column of shown signature `sig`: its rows' first value as a count, or first 64 bits as hex."""
    if rows is None:
        return [_MISSING[sig.shown.kind]] * n
    first = np.asarray(rows).reshape(n, -1)[:, 0] if n else []
    return [int(v) for v in first] if sig.shown.kind == "count" else [f"{int(v):016x}" for v in first]


def panel_records(panels: Panels, shown: Sequence[Signature]) -> list[dict]:
    """One plain dict per panel with the columns of panels.csv."""
    n = len(panels)
    cells = {s.name: _shown_cells(s, panels.signatures.get(s.name), n) for s in shown}
    out = []
    for i in range(n):
        rec = {"id": panels.ids[i], "path": panels.paths[i], "frame": int(panels.frame[i]),
               "last_frame": int(panels.last_frame[i]), "page": int(panels.page[i]),
               "position": int(panels.position[i]), "width": int(panels.width[i]), "height": int(panels.height[i]),
               "sha256": panels.sha256[i]}
        rec.update({name: column[i] for name, column in cells.items()})
        out.append(rec)
    return out


def write_panels(folder: Path, panels: Panels, shown: Sequence[Signature],
                 store: tuple[Path, list[str]] | None = None, more_stores: Sequence[tuple[Path, list[str]]] = ()) -> None:
    """panels.csv and features.json; store: (the feature-store folder the signatures came from, their names);
    more_stores: the same for further signature sets (expensive ones, described only for a preset that reads them).

    With a store, features.json points at its rows (a run folder holds no second
    copy of the signatures); without one the arrays go to signatures.npz.
    """
    header = panel_columns(shown)
    recs = panel_records(panels, shown)
    write_atomic(folder / PANELS, csv_text(list(header), ([r[c] for c in header] for r in recs)))
    if store is not None:
        (folder / SIGNATURES).unlink(missing_ok=True)  # an earlier run's copy
        features = {"store": str(Path(store[0]).resolve()), "names": list(store[1]), "panels": len(panels)}
        if more_stores:
            features["more"] = [{"store": str(Path(d).resolve()), "names": list(names)} for d, names in more_stores]
    else:
        with atomic_open(folder / SIGNATURES) as fh:
            np.savez(fh, **{f"s_{k}": v for k, v in panels.signatures.items()}, source=panels.source)
        features = {"file": SIGNATURES, "sha256": file_digest(folder / SIGNATURES), "panels": len(panels)}
    write_atomic(folder / FEATURES, json.dumps(features, indent=1))


def read_panels(folder: Path, signatures: bool = True) -> Panels:
    """Panels (with signatures, unless not asked for) from panels.csv and features.json; DamagedRunFile when a
    file is damaged or the store lacks rows."""
    with reading(folder / PANELS):
        rows, _ = read_csv(folder / PANELS, PANEL_FIELDS)
        col = lambda k, t=object: np.array([r[k] for r in rows], dtype=t)  # noqa: E731
        ints = {k: col(k, np.int32) for k in _INT_FIELDS}
    with reading(folder / FEATURES):
        with open(folder / FEATURES, encoding="utf-8") as fh:
            features = json.load(fh)
        if features.get("panels") != len(rows):
            raise ValueError(f"it describes {features.get('panels')} panels, panels.csv has {len(rows):,}")
    ids, paths, sha = col("id"), col("path"), col("sha256")
    if not signatures:
        sigs, source = {}, np.unique(paths, return_inverse=True)[1].astype(np.int32)
    elif "store" in features:
        sigs = _store_rows(folder, features, sha, ints["frame"])
        source = np.unique(paths, return_inverse=True)[1].astype(np.int32)
    else:
        sigs, source = _npz_rows(folder, features, len(rows))
    return Panels(ids=ids, paths=paths, source=source, sha256=sha, **{k: v for k, v in ints.items() if k != "last_frame"},
                  signatures=sigs, last_frame=ints["last_frame"])


def features_store(folder: Path) -> str | None:
    """The feature-store folder a run folder's signature rows live in (None: its own signatures.npz, or unreadable)."""
    try:
        with open(folder / FEATURES, encoding="utf-8") as fh:
            return json.load(fh).get("store")
    except (OSError, ValueError, AttributeError):
        return None


def _store_rows(folder: Path, features: dict, sha: np.ndarray, frame: np.ndarray) -> dict[str, np.ndarray]:
    """The signature rows a run folder references in the feature store (every set of it features.json names);
    DamagedRunFile when they are gone."""
    rows = {}
    for where in [features] + list(features.get("more", [])):
        store = FeatureStore.reopen(Path(where["store"]), where["names"])
        try:
            rows.update(store.rows(sha, frame))
        except KeyError as e:
            raise DamagedRunFile(folder / FEATURES, f"the feature store {printable(where['store'])} no longer holds "
                                 f"panel {e.args[0]}") from None
    return rows


def _npz_rows(folder: Path, features: dict, n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Signature arrays and file numbers from the run folder's own signatures.npz."""
    path = folder / SIGNATURES
    with reading(path):
        if file_digest(path) != features.get("sha256"):
            raise ValueError("it is not the file features.json describes")
        with np.load(path, allow_pickle=False) as z:
            sigs = {k[2:]: z[k] for k in z.files if k.startswith("s_")}
            source = z["source"]
        if any(len(v) != n for v in (source, *sigs.values())):
            raise ValueError(f"its rows do not match the {n:,} panels of panels.csv")
    return sigs, source.astype(np.int32)
