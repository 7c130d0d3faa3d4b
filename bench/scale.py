"""Benchmark at comic scale: a Homestuck-shaped corpus of animated GIFs, the whole pipeline, growth with size.

The corpus (issue 12): FILES files of 650x450, 60% animated GIFs with 2-30
frames (most frames differ from the one before by a blinking eye or a moving
mouth; a quarter of the animations also cut to one or two new pictures), the
rest single-frame GIFs; every 10th file reuses an earlier file's drawing,
recoloured and moved by up to 20 px. Written once per seed and size into
--corpus (default /tmp/vd-scale), with `labels.csv` (file,group) as the
shared eval sets have it.

--profile moving (issue 22) makes a third of each scene's shapes move up to
3 px every frame as well, so most frames are new pictures; --profile stills
makes single-frame 400x300 panels.

For each size it first decodes every frame of every file to RGB and nothing
else, a process per core (the decode floor; again after the run, the faster
of the two counts), then runs `visualdistance run` as a fresh process with a
cold feature store and prints the run and each stage as a ratio to that
floor, with frames/s and distinct pictures/s, the CPU time and peak resident
memory of the whole process tree (workers included), the run folder's size,
file-pair recall / precision on the planted reuse, and a one-core profile of
describing (--profile-files files: Pillow's frames, the repeat-frame test,
RGB conversion, ms per picture of each signature, the store's write and the
hand-off to the parent). With --incremental it then adds 100 new files (every
10th a reuse) and times the same command again. Over several sizes it fits
each stage's growth exponent (time ~ panels^k).

Usage:
  python bench/scale.py --files 10000                 # issue 12's corpus (80,132 frames)
  python bench/scale.py --files 2000 --profile moving # issue 22's: shapes move every frame
  python bench/scale.py --files 1200,3600,12000       # growth over three sizes
  python bench/scale.py --files 300 --incremental     # a quick look
  python bench/scale.py --files 2000 --executor dask  # on a LocalCluster (bench/dask_scale.py: side by side)
Extra arguments after `--` go to `visualdistance run` (e.g. `-- --exhaustive`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import multiprocessing as mp
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageSequence

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root: tests.synthetic generates the corpus
from pipeline import TreeMemory  # noqa: E402  (bench/ is not a package)

from tests import synthetic  # noqa: E402
from visualdistance.analysis.evaluation import score_pairs  # noqa: E402
from visualdistance.loader.labels import read_truth  # noqa: E402

SIZE = (650, 450)
REUSE_EVERY = 10
SHIFT = 20
ANIMATED_SHARE = 0.6
CUT_SHARE = 0.25  # animated files that also cut to new pictures


# --------------------------------------------------------------- the corpus


def plan(n_files: int, seed: int, first: int = 0, profile: str = "blinks") -> list[dict]:
    """What each file k of [first, n_files) holds: frames, cuts, and the file whose drawing it reuses.

    Deterministic per (seed, k), so a corpus of n files is the first n files of a larger one.
    """
    out = []
    for k in range(first, n_files):
        rng = np.random.default_rng([seed, k, 0])
        animated = rng.random() < ANIMATED_SHARE and profile != "stills"
        frames = int(round(rng.triangular(2, 6, 30))) if animated else 1
        cuts = sorted(rng.choice(np.arange(1, frames), size=min(frames - 1, int(rng.integers(1, 3))), replace=False).tolist()) \
            if animated and frames > 2 and rng.random() < CUT_SHARE else []
        source = -1
        if k % REUSE_EVERY == REUSE_EVERY - 1:
            source = int(rng.integers(0, k))
            while source % REUSE_EVERY == REUSE_EVERY - 1:  # reuse an original drawing
                source = int(rng.integers(0, k))
        out.append({"k": k, "frames": frames, "cuts": [int(c) for c in cuts], "source": source})
    return out


def file_name(k: int) -> str:
    """`<page>_<n>.gif`, two panels a page, as the scraper names them."""
    return f"{k // 2 + 1}_{k % 2 + 1}.gif"


_PALETTE = np.array([(r, g, b) for r in range(0, 256, 51) for g in range(0, 256, 51) for b in range(0, 256, 51)], np.uint8)


def _indexed(rgb: np.ndarray) -> np.ndarray:
    """RGB -> indices into the 216-colour web palette (GIF needs a palette; this one costs no quantising)."""
    q = (rgb.astype(np.uint16) + 25) // 51
    return (q[..., 0] * 36 + q[..., 1] * 6 + q[..., 2]).astype(np.uint8)


DRAWN = (470, 330)  # the drawing's own canvas, placed in the panel with room to move


#: animation profiles: "blinks" (a face blinks and talks, the rest of the picture holds still: most frames
#: repeat the picture before them), "moving" (also a third of the shapes move up to MOVE px every frame, as
#: most of Homestuck's animations do a little: most frames are new pictures), "stills" (single-frame 400x300
#: panels, no animation)
PROFILES = ("blinks", "moving", "stills")
MOVE = 3
STILL_SIZE = (400, 300)


def _drawn(size: tuple[int, int]) -> tuple[int, int]:
    """The drawing's canvas in a panel of `size`: DRAWN in the 650x450 panels, 40 px in from each side otherwise."""
    return DRAWN if size == SIZE else (size[0] - 80, size[1] - 80)


def _render(drawing, x0: int, y0: int, size: tuple[int, int]) -> np.ndarray:
    drawn = _drawn(size)
    panel = np.empty((size[1], size[0], 3), np.uint8)
    panel[:] = drawing.background
    panel[y0 : y0 + drawn[1], x0 : x0 + drawn[0]] = synthetic.render(drawing, drawn)
    return _indexed(panel)


def _picture(seed: int, k: int, scene: int, recolour_rng: np.random.Generator | None,
             shift: tuple[int, int], size: tuple[int, int] = SIZE):
    """(palette indices, where its face is, a frame maker) of file k's scene; recoloured and moved when another
    file reuses it. The frame maker, given a generator, draws the scene with a third of its shapes (at least
    one) each moved by up to MOVE px (the moving profile)."""
    rng = np.random.default_rng([seed, k, 1 + scene])
    drawing = synthetic.random_drawing(rng)
    drawn = _drawn(size)
    face = (int(rng.integers(60, drawn[0] - 60)), int(rng.integers(60, drawn[1] - 60)))
    if recolour_rng is not None:
        drawing = synthetic.recolor(drawing, recolour_rng)
    x0, y0 = (size[0] - drawn[0]) // 2 + shift[0], (size[1] - drawn[1]) // 2 + shift[1]
    n = len(drawing.shapes)
    movers = rng.choice(n, size=max(1, n // 3), replace=False)

    def moved(frame_rng: np.random.Generator) -> np.ndarray:
        shapes = list(drawing.shapes)
        for i in movers:
            d = frame_rng.integers(-MOVE, MOVE + 1, 2) / np.array(drawn, float)
            s = shapes[i]
            pts = s.points.copy()
            if s.kind == "ellipse":
                pts[0] = pts[0] + d
            else:
                pts = pts + d
            shapes[i] = synthetic.Shape(s.kind, pts, s.fill)
        return _render(synthetic.Drawing(tuple(shapes), drawing.background), x0, y0, size)

    return _render(drawing, x0, y0, size), (x0 + face[0], y0 + face[1]), moved


def _animate(base: np.ndarray, face: tuple[int, int], n: int, moved=None, rng=None) -> list[np.ndarray]:
    """n frames of one picture: a face in it blinks and talks (a few dozen pixels change per frame); with
    `moved` (the moving profile), every frame after the first also has a third of the shapes moved."""
    x, y = face
    frames = []
    for f in range(n):
        img = base.copy() if moved is None or f == 0 else moved(rng)
        eye = 1 if (f % 5 == 4) else 6  # closed every fifth frame
        for ex in (x - 12, x + 12):
            _ellipse(img, (ex, y), (5, eye), 215)
            _ellipse(img, (ex, y), (2, min(eye, 2)), 0)
        _ellipse(img, (x, y + 18), (9, 1 + 3 * (f % 3)), 0)
        frames.append(img)
    return frames


def _ellipse(img: np.ndarray, centre: tuple[int, int], axes: tuple[int, int], colour: int) -> None:
    """A filled ellipse in palette colour `colour`, drawn into the index image."""
    cv2.ellipse(img, centre, axes, 0, 0, 360, int(colour), -1)


def render_file(job: tuple[Path, int, dict, str]) -> None:
    """Write one planned file as a GIF (all its frames)."""
    folder, seed, p, profile = job
    k, src = p["k"], p["source"]
    size = STILL_SIZE if profile == "stills" else SIZE
    rng = np.random.default_rng([seed, k, 99])
    shift = tuple(int(v) for v in rng.integers(-SHIFT, SHIFT + 1, 2)) if src >= 0 else (0, 0)
    owner = src if src >= 0 else k
    bounds = [0] + p["cuts"] + [p["frames"]]
    frames: list[np.ndarray] = []
    for scene in range(len(bounds) - 1):
        # a reuse repeats its source's first picture; later scenes are its own
        first = scene == 0
        base, face, moved = _picture(seed, owner if first else k, scene, rng if (src >= 0 and first) else None,
                                     shift if first else (0, 0), size)
        frames += _animate(base, face, bounds[scene + 1] - bounds[scene],  # a still has its face too
                           moved if profile == "moving" else None, np.random.default_rng([seed, k, 50 + scene]))
    images = [Image.fromarray(f, "P") for f in frames]
    for im in images:
        im.putpalette(_PALETTE.tobytes())
    tmp = folder / (file_name(k) + ".tmp")
    images[0].save(tmp, "GIF", save_all=len(images) > 1, append_images=images[1:], duration=100, loop=0)
    os.replace(tmp, folder / file_name(k))


def build_corpus(folder: Path, n_files: int, seed: int, first: int = 0, profile: str = "blinks") -> dict:
    """Write files [first, n_files) of the corpus into folder (kept when already there) and labels.csv for all."""
    marker = folder / ".corpus.json"
    wanted = {"files": n_files, "seed": seed, "version": 3}
    if profile != "blinks":
        wanted["profile"] = profile
    if first == 0 and marker.exists() and json.loads(marker.read_text()).get("spec") == wanted:
        return json.loads(marker.read_text())
    if first == 0:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    todo = plan(n_files, seed, first, profile)
    with mp.get_context("forkserver").Pool(os.cpu_count()) as pool:
        for _ in pool.imap_unordered(render_file, [(folder, seed, p, profile) for p in todo], chunksize=16):
            pass
    everything = plan(n_files, seed, profile=profile)
    group = {p["k"]: (p["source"] if p["source"] >= 0 else p["k"]) for p in everything}
    with open(folder / "labels.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "group"])
        w.writerows((file_name(k), g) for k, g in group.items())
    info = {"spec": wanted, "frames": sum(p["frames"] for p in everything),
            "pictures": sum(len(p["cuts"]) + 1 for p in everything),
            "reuses": sum(p["source"] >= 0 for p in everything), "seconds": round(time.perf_counter() - t0, 1)}
    marker.write_text(json.dumps(info))
    return info


# ------------------------------------------------------------------ running


class TreeUsage(TreeMemory):
    """TreeMemory that also sums the CPU time (user + system) of every process seen in the tree, as last sampled:
    the pool's workers are children of multiprocessing's fork server, which nobody waits for, so their time never
    reaches getrusage(RUSAGE_CHILDREN)."""

    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, pid: int) -> None:
        self.cpu_of: dict[int, float] = {}
        super().__init__(pid)

    def _poll(self) -> None:
        while not self._stop.is_set():
            tree = self._tree()
            self.peak = max(self.peak, sum(self._rss(p) for p in tree))
            for p in tree:
                try:
                    f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                    self.cpu_of[p] = (int(f[11]) + int(f[12])) / self.TICK
                except (OSError, IndexError, ValueError):
                    pass
            time.sleep(0.05)

    @property
    def cpu(self) -> float:
        return sum(self.cpu_of.values())


def timed(cmd: list[str]) -> tuple[float, int, str, float]:
    """Run cmd as a fresh process: (wall seconds, peak RSS of its process tree in bytes, stdout, CPU seconds
    of the process tree: user + system, workers included)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    mem = TreeUsage(proc.pid)
    stdout, stderr = proc.communicate()
    wall, peak = time.perf_counter() - t0, mem.stop()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{stderr.decode()[-3000:]}")
    return wall, peak, stdout.decode(), mem.cpu


# ------------------------------------------------------------ the decode floor


def _decode_every_frame(path: str) -> tuple[int, float]:
    """(frames, CPU seconds) to read one file and turn every frame of it into RGB, and nothing else."""
    t0 = time.process_time()
    n = 0
    with open(path, "rb") as fh, Image.open(io.BytesIO(fh.read())) as im:  # read whole, as describing does
        for frame in ImageSequence.Iterator(im):
            np.asarray(frame.convert("RGB"))
            n += 1
    return n, time.process_time() - t0


def decode_floor(corpus: Path) -> dict:
    """Decoding alone, the floor describing stands on: every frame of every file to RGB, on every core
    (a process each, as describing runs). Returns wall and CPU seconds and frames."""
    files = sorted(str(f) for f in corpus.glob("*.gif"))
    t0 = time.perf_counter()
    frames = cpu = 0.0
    with mp.get_context("forkserver").Pool(os.cpu_count()) as pool:
        for n, c in pool.imap_unordered(_decode_every_frame, files, chunksize=32):
            frames += n
            cpu += c
    return {"wall": time.perf_counter() - t0, "cpu": cpu, "frames": int(frames)}


# ------------------------------------------------------ where describing goes


def profile_describe(corpus: Path, n_files: int, seed: int) -> dict:
    """CPU ms per step of describing, in this process's describing thread (one core), on every n-th file of the corpus.

    Steps: reading + Pillow's frame decoding (what the floor does, less its RGB conversion), the repeat-frame
    test, conversion to RGB, each signature in extraction's order (one panel view shared, as extraction does:
    a signature that reuses another's work costs only its own part), packing the entry for the store and the
    pickling that hands it to the parent process.
    """
    import pickle

    from visualdistance.analysis.image_ops import limit_opencv_threads
    from visualdistance.analysis.presets import all_signatures
    from visualdistance.analysis.signatures.base import PanelView
    from visualdistance.loader import extract, images, store

    limit_opencv_threads()
    files = sorted(corpus.glob("*.gif"))[:: max(1, len(list(corpus.glob("*.gif"))) // n_files)][:n_files]
    sigs = all_signatures()
    # This thread's CPU only: on an idle core OpenCV's second thread spins between calls (2.4 against 1.6 ms a
    # still's signatures, counted by process), which in a run, both cores busy, it hardly gets to (0.1 ms a file,
    # measured per thread); its share of the work (half of each Canny) is left out, a few percent.
    clock = time.thread_time
    spent: dict[str, float] = {}
    counting = [True]

    def timer(name, fn):
        def wrapped(*a, **k):
            t = clock()
            try:
                return fn(*a, **k)
            finally:
                if counting[0]:
                    spent[name] = spent.get(name, 0.0) + clock() - t
        return wrapped

    saved = (images.to_rgb_and_alpha, images._Repeats.same_picture, images._Repeats.redrawn_little)
    images.to_rgb_and_alpha = timer("to RGB", images.to_rgb_and_alpha)
    images._Repeats.same_picture = timer("repeat test", images._Repeats.same_picture)
    images._Repeats.redrawn_little = timer("repeat test", images._Repeats.redrawn_little)
    frames = pictures = 0
    entries = []
    try:
        for path in files:
            t = clock()
            data = images.read_bytes(path)
            decoded = images.decode(data, collapse_repeats=True)
            spent["read + decode (all)"] = spent.get("read + decode (all)", 0.0) + clock() - t
            frames += decoded.total_frames
            pictures += len(decoded.frames)
            for k, rgb in enumerate(decoded.frames):
                view = PanelView(rgb, alpha=decoded.alpha(k), file_size=decoded.sizes[k])
                for sig in sigs:
                    t = clock()
                    sig.describe_all(view)
                    spent[f"sig {sig.name}"] = spent.get(f"sig {sig.name}", 0.0) + clock() - t
            counting[0] = False
            t = clock()
            entry, _ = extract.describe_file(data, "0" * 64, sigs, True)
            spent["describe_file (whole), per picture"] = spent.get("describe_file (whole), per picture", 0.0) + clock() - t
            counting[0] = True
            t = clock()
            pickle.loads(pickle.dumps(entry))
            spent["hand-off (pickle)"] = spent.get("hand-off (pickle)", 0.0) + clock() - t
            entries.append(entry)
    finally:
        images.to_rgb_and_alpha, images._Repeats.same_picture, images._Repeats.redrawn_little = saved
    t = clock()
    import io
    np.savez(io.BytesIO(), **store._pack(entries, [n for s in sigs for n in s.describe_all_names()]))
    spent["store write"] = clock() - t
    spent["Pillow frames (decode less the above)"] = spent.pop("read + decode (all)") - spent.get("to RGB", 0) \
        - spent.get("repeat test", 0)
    return {"files": len(files), "frames": frames, "pictures": pictures, "cpu_s": spent}


def print_profile(prof: dict, floor_ms: float | None = None) -> None:
    """The profile's steps in ms per frame or per picture; with floor_ms (the decode floor's CPU ms per frame),
    each also as a share of it."""
    p, f = prof["pictures"], prof["frames"]
    print(f"  where describing goes (one core, CPU of the describing thread, {prof['files']} files: {f:,} frames, {p:,} pictures"
          + (f"; x floor: over the floor's {floor_ms:.2f} ms CPU a frame" if floor_ms else "") + "):")
    sig_total = sum(v for k, v in prof["cpu_s"].items() if k.startswith("sig "))
    for k, v in list(prof["cpu_s"].items()) + [("every signature", sig_total)]:
        per = "per frame" if k in ("Pillow frames (decode less the above)", "repeat test") else "per picture"
        ms = 1000 * v / max(f if per == "per frame" else p, 1)
        print(f"    {k:40s} {ms:7.3f} ms {per:11s}" + (f" {ms / floor_ms:6.2f}x floor" if floor_ms else ""))


def run_command(corpus: Path, out: Path, store: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "visualdistance.cli", "run", str(corpus), "--out", str(out),
            "--store", str(store), "--no-neo4j", *extra]


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def file_scores(corpus: Path, out: Path) -> tuple[float, float, int]:
    """File-pair (recall, precision, links) of the run's links against the planted groups."""
    with open(out / "panels.csv", newline="") as fh:
        path_of = {r["id"]: r["path"] for r in csv.DictReader(fh)}
    with open(out / "links.csv", newline="") as fh:
        pairs = [(r["a"], r["b"]) for r in csv.DictReader(fh)]
    files = sorted(set(path_of.values()))
    truth, keep = read_truth(corpus / "labels.csv", files)
    row = {files[k]: i for i, k in enumerate(keep)}
    a = np.array([row[path_of[x]] for x, _ in pairs], np.int64)
    b = np.array([row[path_of[y]] for _, y in pairs], np.int64)
    s = score_pairs(a, b, replace(truth, file_of=None))  # a and b are file rows already
    return s.recall, s.precision, len(pairs)


def one_size(args, n_files: int, extra: list[str]) -> dict:
    """Build (or reuse) the corpus of n_files, run cold, optionally add 100 files and run again."""
    suffix = "" if args.profile == "blinks" else f"-{args.profile}"
    corpus = args.corpus / f"files-{n_files}-seed-{args.seed}{suffix}"
    info = build_corpus(corpus, n_files, args.seed, profile=args.profile)
    remove_more(corpus, n_files)
    print(f"\ncorpus {corpus} ({args.profile}): {n_files:,} files, {info['frames']:,} frames, "
          f"{info['pictures']:,} scenes, {info['reuses']:,} reuses (generated in {info['seconds']} s)")
    work = args.corpus / f"work-{n_files}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out, store = work / "out", work / "store"
    floor = decode_floor(corpus)
    wall, peak, _, cpu = timed(run_command(corpus, out, store, extra))
    floor2 = decode_floor(corpus)  # again after the run: the machine's load may have moved meanwhile
    run = json.loads((out / "run.json").read_text())
    recall, precision, n_links = file_scores(corpus, out)
    fwall, fcpu = min(floor["wall"], floor2["wall"]), min(floor["cpu"], floor2["cpu"])
    res = {"files": n_files, "profile": args.profile, "panels": run["counts"]["panels"], "frames": info["frames"],
           "wall": wall, "cpu": cpu, "peak": peak, "floor_wall": fwall, "floor_cpu": fcpu,
           "seconds": run["seconds"], "out_bytes": folder_bytes(out), "store_bytes": folder_bytes(store),
           "recall": recall, "precision": precision, "links": n_links}
    frames, pics = info["frames"], res["panels"]
    print(f"  decode floor (every frame to RGB, {os.cpu_count()} processes): {fwall:6.1f} s wall, {fcpu:6.1f} s CPU "
          f"(before the run {floor['wall']:.1f} s, after {floor2['wall']:.1f} s); {frames / fwall:,.0f} frames/s")
    print(f"  run (cold store): {wall:6.1f} s wall = {wall / fwall:.1f}x the floor, {cpu:6.1f} s CPU = "
          f"{cpu / fcpu:.1f}x; peak RSS {peak / 2**30:.2f} GiB (process tree)")
    print("  stages: " + "  ".join(f"{k} {v:.1f} s" for k, v in run["seconds"].items())
          + f"  (start + imports {wall - sum(run['seconds'].values()):.1f} s)")
    print(f"  {'stage':12s} {'seconds':>8s} {'x floor':>8s} {'frames/s':>9s} {'pictures/s':>11s}")
    for stage, sec in list(run["seconds"].items()) + [("whole run", wall)]:
        print(f"  {stage:12s} {sec:8.1f} {sec / fwall:8.2f} {frames / max(sec, 1e-9):9,.0f} {pics / max(sec, 1e-9):11,.0f}")
    print(f"  {pics:,} distinct pictures of {frames:,} frames are described and linked")
    if args.profile_files:
        prof = profile_describe(corpus, args.profile_files, args.seed)
        res["profile_cpu_s"] = prof
        print_profile(prof, 1000 * fcpu / frames)
    print(f"  run folder {res['out_bytes'] / 2**20:,.1f} MiB, feature store {res['store_bytes'] / 2**20:,.1f} MiB")
    print(f"  links {n_links:,}; file pairs: recall {recall:.3f}, precision {precision:.3f}")
    if args.incremental:
        marker = (corpus / ".corpus.json").read_text()
        build_corpus_more(corpus, n_files, args.seed)
        wall2, peak2, _, _ = timed(run_command(corpus, out, store, extra))
        run2 = json.loads((out / "run.json").read_text())
        r2, p2, _ = file_scores(corpus, out)
        res.update(incremental_wall=wall2, incremental_peak=peak2, incremental_seconds=run2["seconds"])
        print(f"  +100 files, same command again: {wall2:6.1f} s wall, peak RSS {peak2 / 2**30:.2f} GiB; stages: "
              + "  ".join(f"{k} {v:.1f} s" for k, v in run2["seconds"].items())
              + f"; recall {r2:.3f}, precision {p2:.3f}")
        remove_more(corpus, n_files)
        (corpus / ".corpus.json").write_text(marker)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return res


def build_corpus_more(corpus: Path, n_files: int, seed: int) -> None:
    """Add files n_files .. n_files + 99 (labels.csv rewritten for all)."""
    build_corpus(corpus, n_files + 100, seed, first=n_files)


def remove_more(corpus: Path, n_files: int) -> None:
    """Put the corpus back to its first n_files (files added by an earlier, perhaps interrupted, run removed)."""
    for path in corpus.glob("*.gif"):
        page, n = (int(x) for x in path.stem.split("_"))
        if (page - 1) * 2 + n - 1 >= n_files:
            path.unlink()
    with open(corpus / "labels.csv", newline="") as fh:
        rows = list(csv.reader(fh))[: n_files + 1]
    with open(corpus / "labels.csv", "w", newline="") as fh:
        csv.writer(fh).writerows(rows)


def growth(results: list[dict]) -> None:
    """Fitted exponent k of time ~ panels^k for each stage, over the sizes run."""
    if len(results) < 2:
        return
    n = np.log([r["panels"] for r in results])
    print("\ngrowth over sizes (time ~ panels^k, least squares on logs):")
    for stage in list(results[0]["seconds"]) + ["wall"]:
        t = np.array([r["wall"] if stage == "wall" else r["seconds"][stage] for r in results])
        if (t > 0).all():
            k = np.polyfit(n, np.log(t), 1)[0]
            print(f"  {stage:12s} k = {k:4.2f}   " + "  ".join(f"{r['panels']:,}: {x:.1f} s" for r, x in zip(results, t)))


def main() -> None:
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", default="10000", help="comma-separated corpus sizes in files (default 10000)")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/vd-scale"), help="where corpora are generated and kept")
    ap.add_argument("--incremental", action="store_true", help="also add 100 files and time the same command again")
    ap.add_argument("--keep", action="store_true", help="keep the run folders and stores")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--profile", choices=PROFILES, default="blinks",
                    help="blinks (default: faces blink and talk), moving (a third of the shapes also move up to "
                         "3 px every frame), stills (single-frame 400x300 panels)")
    ap.add_argument("--executor", choices=["processes", "dask"], default="processes",
                    help="run's --executor: dask runs on a LocalCluster of a worker per core (bench/dask_scale.py "
                         "measures the two side by side)")
    ap.add_argument("--profile-files", type=int, default=100,
                    help="files of the corpus to profile describing on, step by step (0: none)")
    args = ap.parse_args(argv)
    extra = ["--executor", args.executor] + extra
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    # numba compiles (and caches) its kernels on first use: a small run first, so no size pays for that
    warm = args.corpus / "warmup"
    build_corpus(warm, 40, args.seed, profile=args.profile)
    timed(run_command(warm, warm.parent / "warmup-out", warm.parent / "warmup-store", extra))
    shutil.rmtree(warm.parent / "warmup-out", ignore_errors=True)
    shutil.rmtree(warm.parent / "warmup-store", ignore_errors=True)
    results = [one_size(args, int(n), extra) for n in args.files.split(",")]
    growth(results)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
