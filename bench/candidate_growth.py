"""The region search's candidate index as the number of descriptors grows: lists of 2 sqrt(n) against lists of a fixed length.

Takes a corpus's region keypoints (described into a feature store, or read from it: `run -p drawing-regions`
with the same --store first makes this quick), keeps each picture's distinctive descriptors as linking does,
and makes larger sets from them without describing anything: each copy permutes the 256 bits of every
descriptor by one fixed permutation, so distances within a copy are the originals' and a copy shares no
neighbours with the others. For each size and each index shape it prints the build (training and adding),
the cost of a query (a fixed sample of queries searched as linking searches them, on one thread; linking
asks one a descriptor on each side, two in all),
the share of the exact nearest neighbours found, and the fitted growth of building plus querying every
descriptor twice (time ~ n^k).

Usage:
  python bench/candidate_growth.py CORPUS --store STORE                 # 1/4, 1/2, 1, 2 and 4 times
  python bench/candidate_growth.py CORPUS --store STORE --sizes 0.5,1,2 --exact-up-to 4000000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from visualdistance.analysis import descriptor_index, regions  # noqa: E402
from visualdistance.analysis.signatures.regions import RegionKeypoints, features_from_row  # noqa: E402
from visualdistance.loader.extract import extract_folder  # noqa: E402

SHAPES = descriptor_index.SHAPES[1:]


def distinctive_descriptors(corpus: Path, store: Path, workers: int) -> np.ndarray:
    """Every picture's distinctive descriptors (those linking indexes), end to end."""
    rows = extract_folder(corpus, (RegionKeypoints(),), store, workers=workers).panels.signatures["region_keypoints"]
    with regions.one_thread() as faiss:
        return np.concatenate([regions.distinctive_only(faiss, features_from_row(rows.row(i))).descriptors
                               for i in range(len(rows))])


def scaled(descriptors: np.ndarray, size: float) -> np.ndarray:
    """`size` times the descriptors: a share of them below 1, copies with permuted bits above."""
    if size <= 1:
        keep = np.random.default_rng(0).permutation(len(descriptors))[: int(len(descriptors) * size)]
        return descriptors[np.sort(keep)]
    bits = np.unpackbits(descriptors, axis=1)
    rng = np.random.default_rng(1)
    copies = [descriptors] + [np.packbits(bits[:, rng.permutation(256)], axis=1) for _ in range(int(size) - 1)]
    return np.concatenate(copies)


def measure(faiss, shape: str, descriptors: np.ndarray, queries: np.ndarray, exact: np.ndarray | None) -> dict:
    t0 = time.process_time()
    index = descriptor_index.build(faiss, descriptors, shape)
    t1 = time.process_time()
    _, found = descriptor_index.search(faiss, index, queries, regions.NEIGHBOURS, 1)
    t2 = time.process_time()
    per_query = (t2 - t1) / len(queries)
    kept = (np.mean([len(set(a) & set(b)) / len(a) for a, b in zip(exact, found)]) if exact is not None else None)
    return {"lists": index.nlist, "build": t1 - t0, "query_us": 1e6 * per_query, "kept": kept,
            "all": t1 - t0 + 2 * len(descriptors) * per_query}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--sizes", default="0.25,0.5,1,2,4")
    ap.add_argument("--queries", type=int, default=20_000)
    ap.add_argument("--exact-up-to", type=int, default=4_000_000, help="measure the exact neighbours kept up to this many descriptors")
    args = ap.parse_args()
    base = distinctive_descriptors(args.corpus, args.store, args.workers)
    print(f"## {args.corpus.name}: {len(base):,} distinctive descriptors; CPU seconds on one thread")
    print("| descriptors | shape | lists | build s | µs a query | exact neighbours kept | build + every query s |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    totals = {shape: [] for shape in SHAPES}
    sizes = []
    with regions.one_thread() as faiss:
        for size in (float(s) for s in args.sizes.split(",")):
            descriptors = scaled(base, size)
            queries = descriptors[np.random.default_rng(2).choice(len(descriptors), args.queries, replace=False)]
            exact = None
            if len(descriptors) <= args.exact_up_to:
                flat = descriptor_index.build(faiss, descriptors, descriptor_index.SHAPES[0])
                exact = descriptor_index.search(faiss, flat, queries[:2000], regions.NEIGHBOURS, args.workers)[1]
                del flat
            sizes.append(len(descriptors))
            for shape in SHAPES:
                m = measure(faiss, shape, descriptors, queries, exact)
                totals[shape].append(m["all"])
                kept = "" if m["kept"] is None else f"{m['kept']:.3f}"
                print(f"| {len(descriptors):,} | {shape} | {m['lists']:,} | {m['build']:.1f} | {m['query_us']:.0f} | {kept} | "
                      f"{m['all']:.0f} |", flush=True)
    for shape in SHAPES:
        slope = np.polyfit(np.log(sizes), np.log(totals[shape]), 1)[0]
        print(f"- {shape}: build and every query ~ descriptors^{slope:.2f}")


if __name__ == "__main__":
    main()
