"""Folder -> Panels: find files, hash them, decode and describe the new ones in parallel.

Work already in the feature store is reused (a second run on the same folder
decodes nothing). Bad files are reported with their reason and skipped. The
store is flushed every few hundred files, and on Ctrl-C, so an interrupted run
resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from visualdistance.analysis.data import Panels
from visualdistance.analysis.signatures.base import PanelView, Signature
from visualdistance.loader.images import BadImage, ImageFile, decode, discover, panel_id, read_bytes
from visualdistance.loader.store import FeatureStore, FileEntry

FLUSH_EVERY_FILES = 500
FLUSH_EVERY_SECONDS = 20.0


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
    decoded: int
    reused: int
    seconds: dict[str, float] = field(default_factory=dict)
    #: time inside the workers, summed over them: {"decode": s, "describe": s}
    worker_seconds: dict[str, float] = field(default_factory=dict)


# ----------------------------------------------------------------- per file


def describe_file(data: bytes, sha: str, signatures: tuple[Signature, ...], all_frames: bool) -> FileEntry:
    """Decode one file's bytes and describe every frame; errors become an entry with a reason."""
    return _decode_and_describe(data, sha, signatures, all_frames)[0]


def _decode_and_describe(data, sha, signatures, all_frames) -> tuple[FileEntry, float, float]:
    """describe_file, plus the seconds spent decoding and describing (for the benchmark's breakdown)."""
    t0 = time.perf_counter()
    try:
        decoded = decode(data, first_frame_only=not all_frames)
    except BadImage as e:
        return _error_entry(sha, str(e), signatures), time.perf_counter() - t0, 0.0
    t1 = time.perf_counter()
    rows: dict[str, list[np.ndarray]] = {}
    for rgb in decoded.frames:
        view = PanelView(rgb)
        for sig in signatures:
            for name, row in sig.describe_all(view).items():
                rows.setdefault(name, []).append(row)
    k = len(decoded.frames)
    entry = FileEntry(
        sha256=sha,
        error="",
        total_frames=decoded.total_frames,
        all_frames=all_frames or decoded.total_frames == 1,
        frame=np.arange(k, dtype=np.int32),
        width=np.array([s[0] for s in decoded.sizes], np.int32),
        height=np.array([s[1] for s in decoded.sizes], np.int32),
        rows={name: np.stack(v) for name, v in rows.items()},
    )
    return entry, t1 - t0, time.perf_counter() - t1


def _error_entry(sha: str, reason: str, signatures: tuple[Signature, ...]) -> FileEntry:
    empty = np.empty(0, np.int32)
    names = [n for s in signatures for n in s.describe_all_names()]
    return FileEntry(sha, reason, 0, True, empty, empty, empty, {n: np.empty(0) for n in names})


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes ('' when it cannot be read)."""
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return ""


# ----------------------------------------------------------- worker process

_worker_signatures: tuple[Signature, ...] = ()
_worker_all_frames = True


def _init_worker(signatures: tuple[Signature, ...], all_frames: bool) -> None:
    global _worker_signatures, _worker_all_frames
    import cv2

    cv2.setNumThreads(1)  # one process per core already; threads inside would fight
    _worker_signatures, _worker_all_frames = signatures, all_frames


def _work(job: tuple[str, str]) -> tuple[FileEntry, float, float]:
    path, sha = job
    t0 = time.perf_counter()
    try:
        data = read_bytes(Path(path))
    except BadImage as e:
        return _error_entry(sha, str(e), _worker_signatures), time.perf_counter() - t0, 0.0
    entry, _, t_describe = _decode_and_describe(data, sha, _worker_signatures, _worker_all_frames)
    # reading the file counts as decoding
    return entry, time.perf_counter() - t0 - t_describe, t_describe


def _pool(workers: int, signatures, all_frames):
    # Never plain fork: the parent may already run threads (numba, OpenCV,
    # BLAS), and a forked copy of a held lock deadlocks the worker. A fork
    # server is a clean single-threaded parent that has imported us once.
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
    else:
        ctx = mp.get_context("spawn")
    return ctx.Pool(workers, initializer=_init_worker, initargs=(signatures, all_frames))


# -------------------------------------------------------------- the folder


def extract_folder(
    root: Path,
    signatures: tuple[Signature, ...],
    store_dir: Path,
    all_frames: bool = True,
    workers: int | None = None,
    exclude: tuple[Path, ...] = (),
    on_start: Callable[[int], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ExtractResult:
    """Describe every image under `root` with `signatures`, reusing the store at `store_dir`.

    on_start(n) is called with the number of files that need decoding,
    on_progress(k) as each k are done. Returns panels in folder order.
    """
    t0 = time.perf_counter()
    files = discover(root, exclude=exclude)
    workers = max(1, workers or os.cpu_count() or 1)
    store = FeatureStore(store_dir, signatures)
    t1 = time.perf_counter()
    shas = _hash_all(files, workers)
    t2 = time.perf_counter()

    todo: dict[str, str] = {}
    for f, sha in zip(files, shas):
        if sha and store.get(sha, all_frames) is None and sha not in todo:
            todo[sha] = str(f.path)
    if on_start:
        on_start(len(todo))
    cpu = _describe_missing(todo, store, signatures, all_frames, workers, on_progress)
    t3 = time.perf_counter()

    panels, bad = _assemble(files, shas, store, all_frames)
    t4 = time.perf_counter()
    return ExtractResult(
        panels=panels,
        bad_files=bad,
        files=len(files),
        decoded=len(todo),
        reused=len(files) - len(todo),
        seconds={"discover": t1 - t0, "hash": t2 - t1, "decode+describe": t3 - t2, "assemble": t4 - t3},
        worker_seconds=cpu,
    )


def _hash_all(files: list[ImageFile], workers: int) -> list[str]:
    paths = [f.path for f in files]
    if workers == 1 or len(paths) < 64:
        return [file_sha256(p) for p in paths]
    # Hashing is I/O plus a C loop that releases the GIL: threads suffice.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(file_sha256, paths, chunksize=64))


def _describe_missing(todo, store, signatures, all_frames, workers, on_progress) -> dict[str, float]:
    """Decode and describe the files in `todo` (sha -> path) into the store; returns worker seconds."""
    cpu = {"decode": 0.0, "describe": 0.0}
    if not todo:
        return cpu
    jobs = [(path, sha) for sha, path in todo.items()]
    last_flush = time.monotonic()

    def keep(result: tuple[FileEntry, float, float]) -> None:
        nonlocal last_flush
        entry, t_decode, t_describe = result
        cpu["decode"] += t_decode
        cpu["describe"] += t_describe
        store.add(entry)
        if on_progress:
            on_progress(1)
        if store.pending >= FLUSH_EVERY_FILES or time.monotonic() - last_flush > FLUSH_EVERY_SECONDS:
            store.flush()
            last_flush = time.monotonic()

    try:
        if workers == 1 or len(jobs) < 8:
            _init_worker(signatures, all_frames)
            for job in jobs:
                keep(_work(job))
        else:
            with _pool(workers, signatures, all_frames) as pool:
                for result in pool.imap_unordered(_work, jobs, chunksize=4):
                    keep(result)
    finally:
        # Interrupted or not, what was finished is kept for the next run.
        store.flush()
    return cpu


def _assemble(files: list[ImageFile], shas: list[str], store: FeatureStore, all_frames: bool):
    bad: list[BadFile] = []
    cols: dict[str, list] = {k: [] for k in ("ids", "paths", "source", "frame", "page", "position", "width", "height", "sha")}
    sig_parts: dict[str, list[np.ndarray]] = {n: [] for n in store.names}
    for src, (f, sha) in enumerate(zip(files, shas)):
        entry = store.get(sha, all_frames) if sha else None
        if entry is None:
            bad.append(BadFile(f.rel, "cannot read file"))
            continue
        if entry.error:
            bad.append(BadFile(f.rel, entry.error))
            continue
        k = len(entry.frame) if all_frames else 1
        for r in range(k):
            fr = int(entry.frame[r])
            cols["ids"].append(panel_id(f.rel, fr))
            cols["paths"].append(f.rel)
            cols["source"].append(src)
            cols["frame"].append(fr)
            cols["page"].append(f.page)
            cols["position"].append(f.position)
            cols["width"].append(int(entry.width[r]))
            cols["height"].append(int(entry.height[r]))
            cols["sha"].append(sha)
        for n in store.names:
            sig_parts[n].append(entry.rows[n][:k])
    if not cols["ids"]:
        return Panels.empty(), bad
    obj = lambda k: np.array(cols[k], dtype=object)  # noqa: E731
    i32 = lambda k: np.array(cols[k], dtype=np.int32)  # noqa: E731
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
        signatures={n: np.concatenate(parts) for n, parts in sig_parts.items()},
    )
    return panels, bad
