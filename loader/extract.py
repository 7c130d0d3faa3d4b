"""Folder -> Panels: find files, hash them, decode and describe the new ones in parallel.

A run may describe with several signature sets (the common one, and the expensive ones its preset reads),
each a feature-store set of its own; every file is still read, hashed and decoded once.

Work already in the feature store is reused (a second run on the same folder
decodes nothing). Bad files are reported with their reason and skipped. What
was described reaches the store within seconds (see `flush_interval`), and on
Ctrl-C, so an interrupted or killed run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from visualdistance.analysis.data import Panels, Ragged, stack_rows
from visualdistance.analysis.signatures.base import PanelView, Signature
from visualdistance.loader.images import BadImage, ImageFile, decode, discover, panel_id, read_bytes
from visualdistance.loader.memory import return_freed_memory
from visualdistance.loader.names import has_undecodable
from visualdistance.loader.progress import Advance, Progress, silent
from visualdistance.loader.store import FeatureStore, FileEntry
from visualdistance.loader.workers import Died, map_surviving, worker_context

FLUSH_EVERY_FILES = 2000
# A kill (kill -9, power, OOM) loses what was described since the last flush: at most FLUSH_MIN_SECONDS
# early on, then a share of the time spent so far (a long run writes fewer, larger shards), never more
# than FLUSH_MAX_SECONDS. Shards past the store's limit are merged when it is next opened.
FLUSH_MIN_SECONDS = 2.0
FLUSH_SHARE = 0.05
FLUSH_MAX_SECONDS = 30.0


def flush_interval(elapsed: float) -> float:
    """Seconds between flushes of the store, `elapsed` seconds into describing."""
    return min(FLUSH_MAX_SECONDS, max(FLUSH_MIN_SECONDS, FLUSH_SHARE * elapsed))


@dataclass(frozen=True)
class BadFile:
    path: str  # relative to the folder
    reason: str


@dataclass
class ExtractResult:
    """Panels in folder order, the files that were skipped and why, and what the run did."""

    panels: Panels
    bad_files: list[BadFile]
    files: int
    decoded: int  # files decoded (once each, however many signature sets lacked them)
    reused: int  # files every set's store already had
    seconds: dict[str, float] = field(default_factory=dict)
    #: time inside the workers, summed over them: {"decode": s, "describe": s}
    worker_seconds: dict[str, float] = field(default_factory=dict)
    #: feature-store shards found damaged and moved aside (their files were decoded again)
    damaged_shards: list[str] = field(default_factory=list)
    #: where the panels' signature rows live: (the store's folder for this signature set, row names)
    store: tuple[Path, list[str]] | None = None
    #: where rows of further signature sets live (expensive ones, described only when a preset reads them)
    more_stores: list[tuple[Path, list[str]]] = field(default_factory=list)


# ----------------------------------------------------------------- per file


def describe_file(data: bytes, sha: str, signatures: tuple[Signature, ...], all_frames: bool) -> tuple[FileEntry, float]:
    """Decode one file's bytes and describe every frame; errors become an entry with a reason.

    Returns the entry and the seconds spent describing (the benchmark's breakdown).
    """
    entries, seconds = describe_sets(data, sha, (signatures,), all_frames)
    return entries[0], seconds


def describe_sets(data: bytes, sha: str, sets: tuple[tuple[Signature, ...], ...], all_frames: bool) -> tuple[tuple[FileEntry, ...], float]:
    """Decode one file's bytes once and describe every frame with each signature set of `sets`.

    Returns one entry per set, in order, each with only its set's rows (an entry with the reason in each when
    the file does not decode), and the seconds spent describing.
    """
    try:
        decoded = decode(data, first_frame_only=not all_frames, collapse_repeats=all_frames)
    except BadImage as e:
        return tuple(_error_entry(sha, str(e), signatures) for signatures in sets), 0.0
    t1 = time.perf_counter()
    rows: list[dict[str, list[np.ndarray]]] = [{} for _ in sets]
    for k, rgb in enumerate(decoded.frames):
        # one view a frame for every set: what one set derives from the pixels (grey, resizes) serves the next
        view = PanelView(rgb, alpha=decoded.alpha(k), file_size=decoded.sizes[k])
        for set_rows, signatures in zip(rows, sets):
            for sig in signatures:
                for name, row in sig.describe_all(view).items():
                    set_rows.setdefault(name, []).append(row)
    entries = tuple(_entry(sha, decoded, all_frames, signatures, set_rows) for signatures, set_rows in zip(sets, rows))
    return entries, time.perf_counter() - t1


def _entry(sha: str, decoded, all_frames: bool, signatures: tuple[Signature, ...], rows: dict[str, list[np.ndarray]]) -> FileEntry:
    """The store entry of a decoded file (images.Decoded) with one signature set's rows, a list per name."""
    ragged = {name: sig.ragged for sig in signatures for name in sig.describe_all_names()}
    return FileEntry(
        sha256=sha,
        error="",
        total_frames=decoded.total_frames,
        all_frames=all_frames or decoded.total_frames == 1,
        frame=np.array(decoded.frame_numbers(), np.int32),
        last=np.array(decoded.last_frames(), np.int32),
        width=np.array([s[0] for s in decoded.sizes], np.int32),
        height=np.array([s[1] for s in decoded.sizes], np.int32),
        rows={name: stack_rows(v, ragged[name]) for name, v in rows.items()},
    )


def _error_entry(sha: str, reason: str, signatures: tuple[Signature, ...]) -> FileEntry:
    empty = np.empty(0, np.int32)
    names = [n for s in signatures for n in s.describe_all_names()]
    return FileEntry(sha, reason, 0, True, empty, empty, empty, empty, {n: np.empty(0) for n in names})


# ----------------------------------------------------------- worker process

#: the signature sets, and per set the content hashes its store already serves
_worker_sets: tuple[tuple[Signature, ...], ...] = ()
_worker_all_frames = True
_worker_known: tuple[frozenset[str], ...] = ()


def _init_worker(sets: tuple[tuple[Signature, ...], ...], all_frames: bool, known: tuple[frozenset[str], ...]) -> None:
    global _worker_sets, _worker_all_frames, _worker_known
    from visualdistance.analysis.image_ops import limit_opencv_threads

    limit_opencv_threads()  # one process per core already; more threads inside would fight
    _worker_sets, _worker_all_frames, _worker_known = sets, all_frames, known


def _init_pool_worker(sets: tuple[tuple[Signature, ...], ...], all_frames: bool, known: tuple[frozenset[str], ...]) -> None:
    # Ctrl-C reaches every process of the terminal's group; only the parent
    # acts on it (flushes the store, stops the pool), so workers print no tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _init_worker(sets, all_frames, known)


@dataclass
class _Done:
    """One file's outcome in a worker: its hash, and per signature set its new entry (None where the set's
    store had the file; no entries at all when every store had it)."""

    index: int
    sha256: str
    entries: tuple[FileEntry | None, ...] = ()
    unreadable: str = ""  # why the file could not be read at all
    decode_s: float = 0.0
    describe_s: float = 0.0


def _work(job: tuple[int, str]) -> _Done:
    """Read a file, hash it, and decode it once when any set's store lacks it, to describe it with those sets."""
    index, path = job
    t0 = time.perf_counter()
    try:
        data = read_bytes(Path(path))
    except BadImage as e:
        return _Done(index, "", unreadable=str(e))
    sha = hashlib.sha256(data).hexdigest()
    lacking = [k for k, known in enumerate(_worker_known) if sha not in known]
    if not lacking:
        return _Done(index, sha)
    new, t_describe = describe_sets(data, sha, tuple(_worker_sets[k] for k in lacking), _worker_all_frames)
    by_set = dict(zip(lacking, new))
    entries = tuple(by_set.get(k) for k in range(len(_worker_sets)))
    # reading and hashing the file count as decoding
    return _Done(index, sha, entries, decode_s=time.perf_counter() - t0 - t_describe, describe_s=t_describe)


# -------------------------------------------------------------- the folder


def extract_folder(root: Path, signatures: tuple[Signature, ...], store_dir: Path, **options) -> ExtractResult:
    """`extract_sets` with one signature set: every image under `root` described with `signatures`."""
    return extract_sets(root, (signatures,), store_dir, **options)


def extract_sets(
    root: Path,
    sets: tuple[tuple[Signature, ...], ...],
    store_dir: Path,
    all_frames: bool = True,
    workers: int | None = None,
    exclude: tuple[Path, ...] = (),
    progress: Progress = silent,
    client=None,
    batch: int | None = None,
) -> ExtractResult:
    """Describe every image under `root` with each non-empty signature set of `sets` (the first always), each
    a feature-store set of its own under `store_dir`, as one result: the panels with every set's rows.

    So an expensive signature (`Signature.expensive`) is described only for a run that reads it, and the
    common set's rows are reused whatever else a run reads. Every file is read and hashed once (in the
    workers) and decoded once when any set's store lacks it, then described with the sets that lack it only.
    decoded: the files decoded; reused: the others. progress: one stage, "reading" the files (none when the
    folder holds no image). Returns panels in folder order. client: a `distributed.Client`, to describe on
    its Dask cluster instead of local processes (loader/dask_describe), `batch` files per task (default
    dask_describe.batch_size); the results are the same. A cluster lost mid-run raises cluster.ClusterLost,
    with what arrived before it in the store.
    """
    t0 = time.perf_counter()
    files, clashes = _unique_ids(discover(root, exclude=exclude))
    workers = max(1, workers or os.cpu_count() or 1)
    sets = (sets[0],) + tuple(s for s in sets[1:] if s)
    stores = [FeatureStore(store_dir, signatures) for signatures in sets]
    known = tuple(store.serving(all_frames) for store in stores)
    t1 = time.perf_counter()
    with (progress if files else silent)(len(files), "reading", "files") as advance:
        shas, unreadable, cpu, decoded = _describe_all(files, known, stores, sets, all_frames, workers, advance,
                                                       client, batch)
    t2 = time.perf_counter()
    panels, bad = _assemble(files, shas, unreadable, stores, all_frames)
    t3 = time.perf_counter()
    return ExtractResult(
        panels=panels,
        bad_files=clashes + bad,
        files=len(files) + len(clashes),
        decoded=decoded,
        reused=len(files) - decoded,
        seconds={"discover": t1 - t0, "read+hash+decode+describe": t2 - t1, "assemble": t3 - t2},
        worker_seconds=cpu,
        damaged_shards=[str(path) for store in stores for path, _ in store.damaged],
        store=(stores[0].dir, list(stores[0].names)),
        more_stores=[(store.dir, list(store.names)) for store in stores[1:]],
    )


def _unique_ids(files: list[ImageFile]) -> tuple[list[ImageFile], list[BadFile]]:
    """Files whose ids are unique, and the ones skipped because their id is taken.

    Only a name that is not UTF-8 can clash: its id writes the odd bytes as
    ``\\xNN``, which a real file may be named literally; that file keeps the id.
    """
    owner = {panel_id(f.rel, 0): f for f in files if not has_undecodable(f.rel)}
    kept, clashes = [], []
    for f in files:
        if owner.setdefault(panel_id(f.rel, 0), f) is f:
            kept.append(f)
        else:
            clashes.append(BadFile(f.rel, f"name is not UTF-8 and its escaped form '{panel_id(f.rel, 0)}' is another file's name"))
    return kept, clashes


def _describe_all(files, known, stores, sets, all_frames, workers, advance: Advance, client=None, batch=None):
    """Every file read and hashed once; the ones any store lacks decoded once and described into the stores
    that lack them (known: per store, the content hashes it serves).

    Returns (sha per file, unreadable reason per file index, worker seconds, files decoded).
    """
    shas = [""] * len(files)
    unreadable: dict[int, str] = {}
    cpu = {"decode": 0.0, "describe": 0.0}
    decoded = 0
    jobs = [(k, str(f.path)) for k, f in enumerate(files)]
    started = last_flush = time.monotonic()

    def keep(done: _Done) -> None:
        nonlocal last_flush, decoded
        shas[done.index] = done.sha256
        if done.unreadable:
            unreadable[done.index] = done.unreadable
        if done.entries:
            decoded += 1
            cpu["decode"] += done.decode_s
            cpu["describe"] += done.describe_s
        for store, entry in zip(stores, done.entries):
            if entry is not None:
                store.add(entry)
        advance(1)
        now = time.monotonic()
        if max(s.pending for s in stores) >= FLUSH_EVERY_FILES or now - last_flush >= flush_interval(now - started):
            _flush(stores)
            last_flush = time.monotonic()

    try:
        if client is not None:
            from visualdistance.loader.dask_describe import describe_on_dask

            for done in describe_on_dask(client, jobs, sets, all_frames, known, batch):
                keep(done)
        elif workers == 1 or len(jobs) < 8:
            _init_worker(sets, all_frames, known)
            for job in jobs:
                keep(_work(job))
        else:
            with closing(_in_workers(jobs, workers, sets, all_frames, known)) as finished:
                for done in finished:
                    keep(done)
    finally:
        # Interrupted or not, what was finished is kept for the next run.
        _flush(stores)
    return shas, unreadable, cpu, decoded


def _in_workers(jobs, workers: int, sets, all_frames: bool, known) -> Iterator[_Done]:
    """Each job's `_Done` from a pool of worker processes, as they finish; a file whose worker died on it
    (twice) comes back unreadable, with why, and the others still come back."""
    context = worker_context()
    if hasattr(context, "set_forkserver_preload"):
        context.set_forkserver_preload([__name__])  # each worker starts with this module imported
    for (index, _), done in map_surviving(_work, jobs, workers, chunk=8, initializer=_init_pool_worker,
                                          initargs=(sets, all_frames, known), context=context):
        yield _Done(index, "", unreadable=done.reason) if isinstance(done, Died) else done


def _flush(stores: list[FeatureStore]) -> None:
    """Write what every store holds pending: a file's entries reach their sets' stores together."""
    for store in stores:
        store.flush()


def _assemble(files: list[ImageFile], shas: list[str], unreadable: dict[int, str], stores: list[FeatureStore],
              all_frames: bool) -> tuple[Panels, list[BadFile]]:
    """The panels of the files in order, with every store's rows, and the files that gave none and why.

    The first store's entries say which frames are panels; every other store's entry of a file must have the
    same (RuntimeError names the file where it does not)."""
    bad: list[BadFile] = []
    cols: dict[str, list] = {k: [] for k in ("ids", "paths", "source", "frame", "page", "position", "width", "height", "sha", "last")}
    taken: list[tuple[str, list[FileEntry], int] | None] = []  # (sha, every store's entry, rows used) a file
    for src, (f, sha) in enumerate(zip(files, shas)):
        entries = [store.get(sha, all_frames) for store in stores] if sha else [None]
        entry = entries[0]
        if entry is None:
            bad.append(BadFile(f.rel, unreadable.get(src, "cannot read file")))
            continue
        if entry.error:
            bad.append(BadFile(f.rel, entry.error))
            continue
        k = len(entry.frame) if all_frames else 1
        _check_same_frames(f.rel, entries, stores, k)
        for r in range(k):
            fr = int(entry.frame[r])
            cols["ids"].append(panel_id(f.rel, fr))
            cols["paths"].append(f.rel)
            cols["source"].append(src)
            cols["frame"].append(fr)
            cols["last"].append(int(entry.last[r]) if all_frames else fr)
            cols["page"].append(f.page)
            cols["position"].append(f.position)
            cols["width"].append(int(entry.width[r]))
            cols["height"].append(int(entry.height[r]))
            cols["sha"].append(sha)
        taken.append((sha, entries, k))
    if not cols["ids"]:
        return Panels.empty(), bad
    obj = lambda k: np.array(cols[k], dtype=object)  # noqa: E731
    i32 = lambda k: np.array(cols[k], dtype=np.int32)  # noqa: E731
    signatures = _rows_of_panels(taken, stores)
    return_freed_memory()
    panels = Panels(
        ids=obj("ids"),
        paths=obj("paths"),
        source=i32("source"),
        frame=i32("frame"),
        page=i32("page"),
        position=i32("position"),
        width=i32("width"),
        height=i32("height"),
        sha256=obj("sha"),
        signatures=signatures,
        last_frame=i32("last"),
    )
    return panels, bad


def _rows_of_panels(taken: list[tuple[str, list[FileEntry], int] | None], stores: list[FeatureStore]) -> dict:
    """Every store's signature rows of the panels, in order: name -> one array (a Ragged for variable-length
    rows). `taken` holds (sha, every store's entry, rows used) a file; it is emptied as it is read, and each
    file's entry is let go of (`FeatureStore.forget`) once its rows are copied.

    So every row is held about once: the entries and a concatenation of them, held at once, were a second copy
    of every keypoint, most of a large run's peak memory (bench/RESULTS.md)."""
    last_use = {t[0]: i for i, t in enumerate(taken)}
    tables = [{n: _table_for(n, j, taken) for n in store.names} for j, store in enumerate(stores)]
    at = [dict.fromkeys(store.names, 0) for store in stores]  # where each table's next rows go
    for i, (sha, entries, k) in enumerate(taken):
        for j, e in enumerate(entries):
            for n, table in tables[j].items():
                at[j][n] = _put(table, e.rows[n][:k], at[j][n])
        taken[i] = None
        if last_use[sha] == i:
            for store in stores:
                store.forget(sha)
    signatures = {}
    for table in tables:  # a name in two sets: the later set's rows, as before sets were described together
        signatures.update(table)
    return signatures


def _table_for(name: str, j: int, taken: list) -> "np.ndarray | Ragged":
    """An empty table for signature `name` of store j with room for every taken file's rows: a Ragged whose
    offsets are already right, or an array."""
    first = taken[0][1][j].rows[name]
    if isinstance(first, Ragged):
        lengths = np.concatenate([np.diff(e[j].rows[name].offsets[:k + 1]) for _, e, k in taken])
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        return Ragged(np.empty((int(offsets[-1]),) + first.values.shape[1:], first.values.dtype), offsets)
    return np.empty((sum(k for _, _, k in taken),) + first.shape[1:], first.dtype)


def _put(table: "np.ndarray | Ragged", rows: "np.ndarray | Ragged", at: int) -> int:
    """Copy `rows` into `table` from row `at` (for a Ragged: from value `at`); returns where the next rows go."""
    if isinstance(table, Ragged):
        table.values[at:at + len(rows.values)] = rows.values
        return at + len(rows.values)
    table[at:at + len(rows)] = rows
    return at + len(rows)


def _check_same_frames(rel: str, entries: list[FileEntry | None], stores: list[FeatureStore], k: int) -> None:
    """RuntimeError unless every store's entry of file `rel` describes its first `k` frames as the first one does.

    Entries of one decode always agree; entries written by other runs into two sets could only disagree if
    one store were edited by hand or damaged in a way its checks miss."""
    first = entries[0]
    for store, e in zip(stores[1:], entries[1:]):
        if e is None or e.error or not np.array_equal(e.frame[:k], first.frame[:k]) or any(len(v) < k for v in e.rows.values()):
            raise RuntimeError(f"the feature store's sets {stores[0].dir} and {store.dir} disagree on the frames of "
                               f"{rel}; delete {store.dir} and run again")
