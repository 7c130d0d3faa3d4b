"""Partial reuse (issue 21): region links on the shared sets, scored as the other methods are.

For each set: describes every panel (every frame of an animation) with the
RegionKeypoints signature through the feature store (--store; a second run
reuses the stored keypoints, as `visualdistance run` would), finds
region links, and prints per kind ("region": a figure, "background": a shared
room) the links and how they score (pair precision, recall, F1, mirror recall,
blank links; background links are not reuse and are scored apart, as false
links they would be), the background-only pairs of sprite_scenes linked as
reuse, and the time of each step. With --sheet DIR it also writes side-by-side
pictures of a random sample of links, the matched regions outlined.

Usage: python bench/regions.py [--shared ../shared] [--sets sprite_scenes,homestuck] [--store DIR] [--sheet /tmp/regions]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from visualdistance.analysis import regions
from visualdistance.analysis.evaluation import score_pairs
from visualdistance.analysis.region_diagnosis import caption, outline, side_by_side
from visualdistance.analysis.region_search import take_regions
from visualdistance.analysis.signatures.regions import RegionKeypoints, features_from_row
from visualdistance.loader.extract import extract_folder
from visualdistance.loader.images import decode, read_bytes
from visualdistance.loader.labels import read_truth

SETS = ("sprite_scenes", "homestuck", "twemoji_panels", "wild")


def rgb_of(path: Path) -> np.ndarray:
    return decode(read_bytes(path), first_frame_only=True).frames[0]


def score_set(folder: Path, workers: int, store: Path, sheet: Path | None, keypoints: int) -> None:
    t0 = time.perf_counter()
    extracted = extract_folder(folder, (RegionKeypoints(keypoints=keypoints),), store, workers=workers)
    panels = extracted.panels
    rows = panels.signatures["region_keypoints"]
    features = [features_from_row(rows.row(i)) for i in range(len(rows))]
    t1 = time.perf_counter()
    found = regions.find_region_links(features)
    found = _other_files_only(found, panels.source)
    t2 = time.perf_counter()
    files = [str(p) for p in panels.paths]
    mirrors = folder / "mirror_pairs.csv"
    truth, labelled = read_truth(folder / "labels.csv", files, mirrors if mirrors.exists() else None)
    assert len(labelled) == len(files), "every panel of a shared set is labelled"
    size = np.mean(np.diff(rows.offsets)) / 1024
    print(f"\n## {folder.name}: {size:.0f} KB a stored row; {extracted.files} files, {len(panels)} panels, {np.mean([len(f.points) for f in features]):.0f} "
          f"keypoints a panel; describe {t1 - t0:.1f} s ({extracted.decoded} decoded, {extracted.reused} from the store), "
          f"link {t2 - t1:.1f} s")
    for k, kind in enumerate(regions.KINDS):
        rows = np.flatnonzero(found.kind == k)
        s = score_pairs(found.a[rows], found.b[rows], truth)
        print(f"- {kind}: {s.links} links, {s.true_links} true, {s.false_links} false, {s.neutral_links} neutral; "
              f"P {s.precision:.3f} R {s.recall:.3f} F1 {s.f1:.3f}, mirror recall {s.mirror_recall:.2f}, "
              f"blank links {s.blank_false_links}")
    background_only = _background_only_pairs(folder, files)
    if background_only:
        linked = [{(int(a), int(b)) for a, b, k in zip(found.a, found.b, found.kind) if k == kind} for kind in (0, 1)]
        print(f"- background-only pairs linked as reuse: {len(background_only & linked[0])} of {len(background_only)}; "
              f"as background: {len(background_only & linked[1])}")
    if sheet:
        write_sheet(folder, files, found, truth, sheet / f"{folder.name}.png")


def growth(folders: list[Path], workers: int, store: Path, keypoints: int, fractions=(0.125, 0.25, 0.5, 1.0)) -> None:
    """Time candidate generation and verification on growing random subsets of the folders' panels
    pooled, and fit time ~ panels^k (issue 21 asks candidates to grow at most as n^1.2)."""
    features = []
    for folder in folders:
        rows = extract_folder(folder, (RegionKeypoints(keypoints=keypoints),), store, workers=workers).panels.signatures["region_keypoints"]
        features += [features_from_row(rows.row(i)) for i in range(len(rows))]
    order = np.random.default_rng(0).permutation(len(features))
    sizes, times = [], []
    print(f"\n## growth: {len(features)} panels pooled from {', '.join(f.name for f in folders)}")
    print("| panels | descriptors | candidate pairs | candidates s | verify s | ms a panel |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for fraction in fractions:
        some = [features[i] for i in np.sort(order[: max(2, int(len(features) * fraction))])]
        t0 = time.process_time()
        pairs = regions.candidate_matches(some)
        t1 = time.process_time()
        for c in pairs:
            regions.verify(c, some[c.src], some[c.dst])
        t2 = time.process_time()
        sizes.append(len(some))
        times.append((t1 - t0, t2 - t1))
        print(f"| {len(some):,} | {sum(len(f.descriptors) for f in some):,} | {len(pairs):,} | {t1 - t0:.1f} | {t2 - t1:.1f} | "
              f"{1000 * (t2 - t0) / len(some):.1f} |")
    n = np.log(sizes)
    for k, step in enumerate(("candidates", "verify")):
        slope = np.polyfit(n, np.log([max(t[k], 1e-3) for t in times]), 1)[0]
        print(f"- {step}: time ~ panels^{slope:.2f} (CPU time, one thread)")


def _other_files_only(found: regions.RegionLinks, source: np.ndarray) -> regions.RegionLinks:
    """Links between frames of one animation say nothing about reuse."""
    return take_regions(found, source[found.a] != source[found.b])


def _background_only_pairs(folder: Path, files: list[str]) -> set[tuple[int, int]]:
    index = {f: i for i, f in enumerate(files)}  # single-frame sets: a panel per file
    pairs = set()
    for r in csv.DictReader(open(folder / "labels.csv")):
        other = r.get("bg_shared_with") or ""
        if other in index:
            pairs.add(tuple(sorted((index[r["file"]], index[other]))))
    return pairs


def write_sheet(folder, files, found, truth, out: Path, n: int = 12, seed: int = 0) -> None:
    """Side-by-side pictures of n random region links, boxes outlined, the verdict of the labels under them."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(found), min(n, len(found)), replace=False) if len(found) else []
    rows = []
    for k in pick:
        a, b = int(found.a[k]), int(found.b[k])
        same = truth.group[truth.file_of[a]] == truth.group[truth.file_of[b]]
        picture, places = side_by_side([rgb_of(folder / files[row]) for row in (a, b)])
        for box, place in zip((found.box_a[k], found.box_b[k]), places):
            outline(picture, box, place, (255, 0, 0), 3)
        rows.append(caption(picture, f"{regions.KINDS[found.kind[k]]} {'same' if same else 'DIFFERENT'} inl {found.inliers[k]} "
                                     f"agree {found.agreeing[k]:.0f} x{found.scale[k]:.2f}"
                                     f"{' mirrored' if found.mirrored[k] else ''} {files[a]} {files[b]}"))
    if rows:
        out.parent.mkdir(parents=True, exist_ok=True)
        gap = np.full((4, rows[0].shape[1], 3), 255, np.uint8)
        cv2.imwrite(str(out), np.concatenate([part for r in rows for part in (r, gap)])[:, :, ::-1])
        print(f"- sheet: {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path("../shared"))
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--store", type=Path, default=Path(tempfile.gettempdir()) / "vd-regions-store",
                    help="feature store for the keypoints (kept between runs)")
    ap.add_argument("--keypoints", type=int, default=regions.KEYPOINTS, help="ORB keypoints a picture")
    ap.add_argument("--min-inliers", type=int, default=regions.MIN_INLIERS,
                    help="RANSAC inliers a match needs (to try other keypoint counts)")
    ap.add_argument("--sheet", type=Path, default=None, help="write sample pictures of links into this folder")
    ap.add_argument("--growth", action="store_true",
                    help="instead of scoring: time candidates and verification on growing subsets of the sets' panels pooled")
    args = ap.parse_args()
    regions.MIN_INLIERS = args.min_inliers  # linking runs in this process: an experiment's knob, not an option of the product
    if args.growth:
        growth([args.shared / "eval" / name for name in args.sets.split(",")], args.workers, args.store, args.keypoints)
        return
    for name in args.sets.split(","):
        score_set(args.shared / "eval" / name, args.workers, args.store, args.sheet, args.keypoints)


if __name__ == "__main__":
    main()
