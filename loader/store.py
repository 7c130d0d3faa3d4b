"""The on-disk feature store: signature rows keyed by the file's content hash.

Layout: ``<root>/<fingerprint>/shard-*.npz``, one folder per signature set (so
changing a signature's parameters never mixes old and new rows). Each shard is
written to a temporary name and renamed into place, so an interrupted run
leaves every finished shard usable and no half-written one; the next run
resumes from them. Many processes (runs on several hosts sharing the folder)
may write at once: shard names are unique, a key written twice holds the same
rows (it is the file's content hash), a shard another process compacted away
while we read is found again in the shard that replaced it, and only
temporary files too old to be anyone's write in progress are cleared. Bad files are remembered too, with their reason, so they are
not decoded again either.

A shard holds, per file: its sha256, frame count, whether all frames were
described, and an error reason ('' when fine); per row (one per described
frame): the file it belongs to, the frame number, the last frame it stands for
(frames that repeat its picture are not described again; shards from before
this was recorded have one row per frame), the original width and height, and
one array per signature. A signature whose rows vary in length (many local
descriptors: `data.Ragged`) is stored as its values end to end, ``s_<name>``,
and where each row starts, ``o_<name>``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from visualdistance.analysis.data import Ragged, concat_rows
from visualdistance.analysis.signatures.base import Signature
from visualdistance.loader.files import atomic_open, remove_temp_files, write_atomic

log = logging.getLogger(__name__)

_COMPACT_AT = 16  # shards; past this many, they are merged into one on open
#: a temporary shard untouched this long is an interrupted write's leftover, not another process's write in progress
STALE_TEMP_S = 3600.0
DAMAGED_DIR = "damaged"  # where unreadable shards are moved, kept for a look rather than deleted
# What np.load and zipfile raise for a shard that is cut short, emptied or has flipped bytes.
_DAMAGE = (OSError, ValueError, KeyError, EOFError, IndexError, zipfile.BadZipFile, zlib.error)


@dataclass
class FileEntry:
    """What the store knows about one file."""

    sha256: str
    error: str  # '' when the file decoded
    total_frames: int
    all_frames: bool
    frame: np.ndarray  # (k,) int32, frame number of each stored row
    last: np.ndarray  # (k,) int32, the last frame each row stands for (frames up to it repeat its picture)
    width: np.ndarray  # (k,) int32
    height: np.ndarray  # (k,) int32
    rows: dict[str, np.ndarray]  # signature name -> (k, ...) rows


def signature_set_fingerprint(signatures: tuple[Signature, ...]) -> str:
    """One fingerprint for a list of signatures (names and parameters)."""
    from visualdistance.loader.images import DECODE_VERSION  # here: images imports the run folder, which imports the store

    text = json.dumps([(s.name, s.fingerprint) for s in signatures] + [("decode", DECODE_VERSION)])
    return hashlib.sha1(text.encode()).hexdigest()[:16]


class FeatureStore:
    """Signature rows per file content hash, persisted as atomic shards."""

    def __init__(self, root: Path, signatures: tuple[Signature, ...]) -> None:
        self.dir = Path(root) / signature_set_fingerprint(signatures)
        self.dir.mkdir(parents=True, exist_ok=True)
        listed = [{"name": s.name, "type": type(s).__name__, "fingerprint": s.fingerprint} for s in signatures]
        write_atomic(self.dir / "signatures.json", json.dumps(listed, indent=1))  # other processes may read it now
        self._open([n for s in signatures for n in s.describe_all_names()])
        self._load()

    def _open(self, names: list[str]) -> None:
        self.names = names
        self._entries: dict[str, FileEntry] = {}
        self._pending: list[FileEntry] = []
        #: shards found damaged on open: (where they were moved, why)
        self.damaged: list[tuple[Path, str]] = []

    @classmethod
    def reopen(cls, set_dir: Path, names: list[str]) -> "FeatureStore":
        """The folder of one signature set (`FeatureStore.dir`) with rows `names`, for reading back what a run described."""
        store = cls.__new__(cls)
        store.dir = Path(set_dir)
        store._open(list(names))
        if store.dir.is_dir():
            store._load(compact=False)
        return store

    def rows(self, sha256: np.ndarray, frame: np.ndarray) -> dict[str, np.ndarray]:
        """Signature arrays with one row per (file content hash, frame number); KeyError names the first one missing."""
        where: list[tuple[FileEntry, int]] = []
        for sha, fr in zip(sha256.tolist(), np.asarray(frame).tolist()):
            e = self._entries.get(sha)
            hit = np.flatnonzero(e.frame == fr) if e is not None else ()
            if len(hit) == 0:
                raise KeyError(f"{sha[:12]}... frame {fr}")
            where.append((e, int(hit[0])))
        out = {}
        for n in self.names:
            if where and isinstance(where[0][0].rows[n], Ragged):
                out[n] = Ragged.from_rows([e.rows[n][r] for e, r in where])
                continue
            first = where[0][0].rows[n] if where else np.empty((0,))
            arr = np.empty((len(where),) + first.shape[1:], first.dtype)
            for k, (e, r) in enumerate(where):
                arr[k] = e.rows[n][r]
            out[n] = arr
        return out

    # ------------------------------------------------------------------ reading

    def get(self, sha256: str, all_frames: bool) -> FileEntry | None:
        """The stored entry for a file, if it serves this frame mode (a first-frame entry can't serve 'all')."""
        e = self._entries.get(sha256)
        if e is None or (all_frames and not e.all_frames and not e.error and e.total_frames > 1):
            return None
        return e

    def forget(self, sha256: str) -> None:
        """Let go of a file's entry in memory (never on disk): for a reader that has copied its rows out."""
        self._entries.pop(sha256, None)

    def serving(self, all_frames: bool) -> frozenset[str]:
        """The content hashes whose entries serve this frame mode (see `get`)."""
        return frozenset(sha for sha in self._entries if self.get(sha, all_frames) is not None)

    def __len__(self) -> int:
        return len(self._entries)

    def _shards(self) -> list[Path]:
        return sorted(self.dir.glob("shard-*.npz"))

    def _load(self, compact: bool = True) -> None:
        remove_temp_files(self.dir, older_than_s=STALE_TEMP_S)  # shards whose write was interrupted
        good, seen = [], set()
        # Another process may compact while we read: a shard gone before we opened it has its rows in the
        # shard that replaced it, which a second look finds. Stop when a look finds nothing new.
        while fresh := [p for p in self._shards() if p not in seen]:
            seen.update(fresh)
            for path in fresh:
                try:
                    with np.load(path, allow_pickle=False) as z:
                        entries = self._read_shard({k: z[k] for k in z.files})
                except FileNotFoundError:
                    continue
                except _DAMAGE as e:
                    self._set_aside(path, e)
                    continue
                self._entries.update(entries)
                good.append(path)
        if compact and len(good) > _COMPACT_AT:
            self._compact(good)

    def _set_aside(self, path: Path, error: Exception) -> None:
        """A damaged shard (truncated, emptied, bytes flipped) costs its files a re-decode, never the run:
        it is moved out of the way, so the next run neither trips on it nor warns again."""
        aside = self.dir / DAMAGED_DIR / path.name
        aside.parent.mkdir(exist_ok=True)
        try:
            os.replace(path, aside)
        except FileNotFoundError:
            return  # another process found it first and moved it
        reason = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        self.damaged.append((aside, reason))
        log.warning("feature store: %s was damaged (%s); moved it to %s, its files will be decoded again",
                    path, reason, aside)

    def _read_shard(self, z: dict[str, np.ndarray]) -> dict[str, FileEntry]:
        """The entries of one shard; ValueError when its arrays do not fit together."""
        if any(f"s_{n}" not in z for n in self.names):
            return {}  # written for another signature set version: not ours to judge
        signature = {n: _rows_of(z, n) for n in self.names}
        row_file, n_files = z["r_file"], len(z["f_sha"])
        rows = len(row_file)
        if any(len(z[k]) != rows for k in ("r_frame", "r_width", "r_height") + (("r_last",) if "r_last" in z else ())) or any(
            len(z[k]) != n_files for k in ("f_error", "f_total", "f_all")
        ) or any(len(signature[n]) != rows for n in self.names) or (rows and not 0 <= row_file.min() <= row_file.max() < n_files):
            raise ValueError("its arrays do not fit together")
        starts = np.searchsorted(row_file, np.arange(n_files + 1))
        entries = {}
        for f, sha in enumerate(z["f_sha"].tolist()):
            lo, hi = starts[f], starts[f + 1]
            entries[sha] = FileEntry(
                sha256=sha,
                error=str(z["f_error"][f]),
                total_frames=int(z["f_total"][f]),
                # shards from before frames that repeat were collapsed hold every frame of an animation:
                # they still serve its first frame; all frames are described again, once
                all_frames=bool(z["f_all"][f]) and ("r_last" in z or int(z["f_total"][f]) <= 1),
                frame=z["r_frame"][lo:hi],
                last=(z["r_last"] if "r_last" in z else z["r_frame"])[lo:hi],
                width=z["r_width"][lo:hi],
                height=z["r_height"][lo:hi],
                rows={n: signature[n][lo:hi] for n in self.names},
            )
        return entries

    # ------------------------------------------------------------------ writing

    def add(self, entry: FileEntry) -> None:
        """Remember an entry; it reaches disk at the next `flush`."""
        self._entries[entry.sha256] = entry
        self._pending.append(entry)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        """Write pending entries as one new shard, atomically."""
        if not self._pending:
            return
        self._write_shard(self._pending, f"shard-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.npz")
        self._pending = []

    def _compact(self, shards: list[Path]) -> None:
        # The merged shard is in place before any it replaces goes, so a reader always finds every row;
        # two processes compacting at once leave two merged shards of the same rows, and no loss.
        self._write_shard(list(self._entries.values()), f"shard-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}-compact.npz")
        for path in shards:
            path.unlink(missing_ok=True)

    def _write_shard(self, entries: list[FileEntry], name: str) -> None:
        arrays = _pack(entries, self.names)
        with atomic_open(self.dir / name) as fh:
            np.savez(fh, **arrays)


def _pack(entries: list[FileEntry], names: list[str]) -> dict[str, np.ndarray]:
    counts = np.array([len(e.frame) for e in entries], np.int64)
    arrays = {
        "f_sha": np.array([e.sha256 for e in entries], dtype="U64"),
        "f_error": np.array([e.error for e in entries], dtype=str) if entries else np.array([], "U1"),
        "f_total": np.array([e.total_frames for e in entries], np.int32),
        "f_all": np.array([e.all_frames for e in entries], bool),
        "r_file": np.repeat(np.arange(len(entries), dtype=np.int32), counts),
        "r_frame": _cat([e.frame for e in entries], np.int32),
        "r_last": _cat([e.last for e in entries], np.int32),
        "r_width": _cat([e.width for e in entries], np.int32),
        "r_height": _cat([e.height for e in entries], np.int32),
    }
    for n in names:
        parts = [e.rows[n] for e in entries if len(e.frame)]
        if parts and isinstance(parts[0], Ragged):
            # variable-length rows: their values end to end, and where each row starts
            joined = concat_rows(parts)
            arrays[f"s_{n}"], arrays[f"o_{n}"] = joined.values, joined.offsets
        else:
            arrays[f"s_{n}"] = np.concatenate(parts) if parts else np.empty(0)
    return arrays


def _rows_of(z: dict[str, np.ndarray], name: str) -> "np.ndarray | Ragged":
    """A signature's rows in a shard: an array, or a Ragged where the shard says where each row starts."""
    if f"o_{name}" not in z:
        return z[f"s_{name}"]
    offsets = z[f"o_{name}"].astype(np.int64)
    values = z[f"s_{name}"]
    if len(offsets) == 0 or offsets[0] != 0 or offsets[-1] != len(values) or np.any(np.diff(offsets) < 0):
        raise ValueError(f"the row starts of {name} do not fit its values")
    return Ragged(values, offsets)


def _cat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)
