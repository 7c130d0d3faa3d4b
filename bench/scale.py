"""Benchmark at comic scale: a Homestuck-shaped corpus of animated GIFs, the whole pipeline, growth with size.

The corpus (issue 12): FILES files of 650x450, 60% animated GIFs with 2-30
frames (most frames differ from the one before by a blinking eye or a moving
mouth; a quarter of the animations also cut to one or two new pictures), the
rest single-frame GIFs; every 10th file reuses an earlier file's drawing,
recoloured and moved by up to 20 px. Written once per seed and size into
--corpus (default /tmp/vd-scale), with `labels.csv` (file,group) as the
shared eval sets have it.

For each size it runs `visualdistance run` as a fresh process with a cold
feature store and prints per-stage seconds, panels/s, the peak resident
memory of the whole process tree (workers included), the run folder's size,
and file-pair recall / precision on the planted reuse; with --incremental it
then adds 100 new files (every 10th a reuse) and times the same command
again. Over several sizes it fits each stage's growth exponent
(time ~ panels^k).

Usage:
  python bench/scale.py --files 10000                 # the issue's corpus (82,891 frames)
  python bench/scale.py --files 1200,3600,12000       # growth over three sizes
  python bench/scale.py --files 300 --incremental     # a quick look
Extra arguments after `--` go to `visualdistance run` (e.g. `-- --exhaustive`).
"""

from __future__ import annotations

import argparse
import csv
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
from PIL import Image

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


def plan(n_files: int, seed: int, first: int = 0) -> list[dict]:
    """What each file k of [first, n_files) holds: frames, cuts, and the file whose drawing it reuses.

    Deterministic per (seed, k), so a corpus of n files is the first n files of a larger one.
    """
    out = []
    for k in range(first, n_files):
        rng = np.random.default_rng([seed, k, 0])
        animated = rng.random() < ANIMATED_SHARE
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


def _picture(seed: int, k: int, scene: int, recolour_rng: np.random.Generator | None,
             shift: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    """(palette indices, where its face is) of file k's scene; recoloured and moved when another file reuses it."""
    rng = np.random.default_rng([seed, k, 1 + scene])
    drawing = synthetic.random_drawing(rng)
    face = (int(rng.integers(60, DRAWN[0] - 60)), int(rng.integers(60, DRAWN[1] - 60)))
    if recolour_rng is not None:
        drawing = synthetic.recolor(drawing, recolour_rng)
    panel = np.empty((SIZE[1], SIZE[0], 3), np.uint8)
    panel[:] = drawing.background
    x0, y0 = (SIZE[0] - DRAWN[0]) // 2 + shift[0], (SIZE[1] - DRAWN[1]) // 2 + shift[1]
    panel[y0 : y0 + DRAWN[1], x0 : x0 + DRAWN[0]] = synthetic.render(drawing, DRAWN)
    return _indexed(panel), (x0 + face[0], y0 + face[1])


def _animate(base: np.ndarray, face: tuple[int, int], n: int) -> list[np.ndarray]:
    """n frames of one picture: a face in it blinks and talks (a few dozen pixels change per frame)."""
    x, y = face
    frames = []
    for f in range(n):
        img = base.copy()
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


def render_file(job: tuple[Path, int, dict]) -> None:
    """Write one planned file as a GIF (all its frames)."""
    folder, seed, p = job
    k, src = p["k"], p["source"]
    rng = np.random.default_rng([seed, k, 99])
    shift = tuple(int(v) for v in rng.integers(-SHIFT, SHIFT + 1, 2)) if src >= 0 else (0, 0)
    owner = src if src >= 0 else k
    bounds = [0] + p["cuts"] + [p["frames"]]
    frames: list[np.ndarray] = []
    for scene in range(len(bounds) - 1):
        # a reuse repeats its source's first picture; later scenes are its own
        first = scene == 0
        base, face = _picture(seed, owner if first else k, scene, rng if (src >= 0 and first) else None,
                              shift if first else (0, 0))
        frames += _animate(base, face, bounds[scene + 1] - bounds[scene])  # a still has its face too
    images = [Image.fromarray(f, "P") for f in frames]
    for im in images:
        im.putpalette(_PALETTE.tobytes())
    tmp = folder / (file_name(k) + ".tmp")
    images[0].save(tmp, "GIF", save_all=len(images) > 1, append_images=images[1:], duration=100, loop=0)
    os.replace(tmp, folder / file_name(k))


def build_corpus(folder: Path, n_files: int, seed: int, first: int = 0) -> dict:
    """Write files [first, n_files) of the corpus into folder (kept when already there) and labels.csv for all."""
    marker = folder / ".corpus.json"
    wanted = {"files": n_files, "seed": seed, "version": 3}
    if first == 0 and marker.exists() and json.loads(marker.read_text()).get("spec") == wanted:
        return json.loads(marker.read_text())
    if first == 0:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    todo = plan(n_files, seed, first)
    with mp.get_context("forkserver").Pool(os.cpu_count()) as pool:
        for _ in pool.imap_unordered(render_file, [(folder, seed, p) for p in todo], chunksize=16):
            pass
    everything = plan(n_files, seed)
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


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """Run cmd as a fresh process: (wall seconds, peak RSS of its process tree in bytes, stdout)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    mem = TreeMemory(proc.pid)
    stdout, stderr = proc.communicate()
    wall, peak = time.perf_counter() - t0, mem.stop()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{stderr.decode()[-3000:]}")
    return wall, peak, stdout.decode()


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
    corpus = args.corpus / f"files-{n_files}-seed-{args.seed}"
    info = build_corpus(corpus, n_files, args.seed)
    remove_more(corpus, n_files)
    print(f"\ncorpus {corpus}: {n_files:,} files, {info['frames']:,} frames, {info['pictures']:,} pictures, "
          f"{info['reuses']:,} reuses (generated in {info['seconds']} s)")
    work = args.corpus / f"work-{n_files}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    out, store = work / "out", work / "store"
    wall, peak, _ = timed(run_command(corpus, out, store, extra))
    run = json.loads((out / "run.json").read_text())
    recall, precision, n_links = file_scores(corpus, out)
    res = {"files": n_files, "panels": run["counts"]["panels"], "frames": info["frames"], "wall": wall, "peak": peak,
           "seconds": run["seconds"], "out_bytes": folder_bytes(out), "store_bytes": folder_bytes(store),
           "recall": recall, "precision": precision, "links": n_links}
    print(f"  run (cold store): {wall:6.1f} s wall, peak RSS {peak / 2**30:.2f} GiB (process tree), "
          f"{info['frames'] / wall:,.0f} frames/s overall")
    print("  stages: " + "  ".join(f"{k} {v:.1f} s" for k, v in run["seconds"].items())
          + f"  (start + imports {wall - sum(run['seconds'].values()):.1f} s)")
    d = run["seconds"]["describe"]
    print(f"  describe: {info['frames'] / d:,.0f} frames/s, {res['panels']:,} panels for linking "
          f"({res['panels'] / d:,.0f} panels/s)")
    print(f"  run folder {res['out_bytes'] / 2**20:,.1f} MiB, feature store {res['store_bytes'] / 2**20:,.1f} MiB")
    print(f"  links {n_links:,}; file pairs: recall {recall:.3f}, precision {precision:.3f}")
    if args.incremental:
        marker = (corpus / ".corpus.json").read_text()
        build_corpus_more(corpus, n_files, args.seed)
        wall2, peak2, _ = timed(run_command(corpus, out, store, extra))
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
    args = ap.parse_args(argv)
    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    # numba compiles (and caches) its kernels on first use: a small run first, so no size pays for that
    warm = args.corpus / "warmup"
    build_corpus(warm, 40, args.seed)
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
