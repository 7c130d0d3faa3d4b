"""Benchmark of the Dask path (issue 23) against the local one, on bench/scale.py's corpus.

Prints, on the same corpus and machine:
- `visualdistance run` cold with --executor processes and with --executor dask (a LocalCluster of one worker
  per core), alternated --repeats times: wall, CPU of the process tree, describe and link seconds, the
  overhead of Dask, and whether the two wrote the same bytes (links, clusters, panels);
- the tasks per second the scheduler sustains (empty tasks through client.map, as describing submits them);
- describing alone (extract_folder) at several batch sizes on the cluster, against local processes, and the
  share of the run the scheduler takes at each: tasks / (tasks/s) over the describe time;
- linking the described pictures on the cluster in blocks against find_links here, with the index asked
  for candidates at any size, and the candidate pairs measured per second per worker.

Usage: python bench/dask_scale.py [--files 1000] [--repeats 2] [--batches 1,4,16,64] [--corpus /tmp/vd-scale]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from scale import build_corpus, run_command, timed  # noqa: E402  (bench/ is not a package)

OUTPUTS = ("links.csv", "clusters.csv", "panels.csv", "clusters.json")


def side_by_side(corpus: Path, work: Path, repeats: int) -> dict:
    """Cold runs with each executor, alternated: {executor: [run figures]}, and whether outputs matched."""
    runs: dict[str, list[dict]] = {"processes": [], "dask": []}
    same = True
    for r in range(repeats):
        for executor in runs:
            out, store = work / f"{executor}-{r}", work / f"store-{executor}-{r}"
            wall, peak, _, cpu = timed(run_command(corpus, out, store, ["--executor", executor]))
            record = json.loads((out / "run.json").read_text())
            runs[executor].append({"wall": wall, "cpu": cpu, "peak": peak, **record["seconds"],
                                   "panels": record["counts"]["panels"], "links": record["counts"]["links"]})
            print(f"  {executor:9s} run {r + 1}: {wall:6.1f} s wall, {cpu:6.1f} s CPU; describe "
                  f"{record['seconds']['describe']:.1f} s, link {record['seconds']['link']:.2f} s", flush=True)
        same &= all((work / f"processes-{r}" / n).read_bytes() == (work / f"dask-{r}" / n).read_bytes() for n in OUTPUTS)
    return {"runs": runs, "identical": same}


def noop(x):
    return x


def scheduler_rate(client, tasks: int = 4000) -> float:
    """Empty tasks per second through the scheduler (submitted at once, gathered), the best of three."""
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        client.gather(client.map(noop, range(tasks), pure=False))
        best = max(best, tasks / (time.perf_counter() - t0))
    return best


def batch_sweep(client, corpus: Path, work: Path, batches: list[int]) -> dict:
    """Describe seconds (cold store) at each batch size on the cluster, and with local processes."""
    from visualdistance.analysis.presets import all_signatures
    from visualdistance.loader.extract import extract_folder

    files = sum(1 for _ in corpus.glob("*.gif"))
    out = {}
    for batch in [0] + batches:
        store = work / f"sweep-{batch}"
        t0 = time.perf_counter()
        if batch:
            extract_folder(corpus, all_signatures(), store, client=client, batch=batch)
        else:
            extract_folder(corpus, all_signatures(), store, workers=os.cpu_count())
        out[batch] = time.perf_counter() - t0
        shutil.rmtree(store, ignore_errors=True)
        tasks = -(-files // batch) if batch else 0
        print(f"  {'processes' if not batch else f'batch {batch:3d}'}: {out[batch]:6.1f} s"
              + (f" ({tasks:,} tasks)" if batch else ""), flush=True)
    return out


def link_rates(client, corpus: Path, work: Path) -> dict:
    """find_links here against link_on_dask, with the index asked at any size; candidate pairs per second."""
    from visualdistance.analysis.blocks import blocked_links
    from visualdistance.analysis.linking import find_links
    from visualdistance.analysis.presets import DRAWING, all_signatures, indexed
    from visualdistance.loader.dask_link import DaskRun, block_rows
    from visualdistance.loader.extract import extract_folder

    panels = extract_folder(corpus, all_signatures(), work / "store-processes-0").panels  # described by the runs
    preset = indexed(DRAWING)
    t0 = time.perf_counter()
    here = find_links(panels.signatures, panels.source, preset)
    t_here = time.perf_counter() - t0
    run, counted = DaskRun(client, preset), {"pairs": 0, "tasks": 0}

    def counting(blocks, tasks):
        counted["pairs"] += sum(len(t.pairs[0]) for t in tasks if t.pairs is not None)
        counted["tasks"] += len(tasks)
        return run(blocks, tasks)

    workers = len(client.scheduler_info()["workers"])
    t0 = time.perf_counter()
    there = blocked_links(panels.signatures, panels.source, preset, counting, block_rows(len(panels), workers))
    t_there = time.perf_counter() - t0
    same = len(here) == len(there) and bool((here.a == there.a).all() and (here.b == there.b).all())
    print(f"  {len(panels):,} pictures, {counted['pairs']:,} candidate pairs in {counted['tasks']:,} tasks: here "
          f"{t_here:.2f} s, on {workers} workers {t_there:.2f} s ({counted['pairs'] / t_there / workers:,.0f} "
          f"pairs/s per worker, the index's rounds on the client included); same links: {same}", flush=True)
    return {"pictures": len(panels), "pairs": counted["pairs"], "tasks": counted["tasks"], "here_s": t_here,
            "dask_s": t_there, "workers": workers, "identical": same}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--batches", default="1,4,16,64")
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/vd-scale"))
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    import distributed

    from visualdistance.loader.cluster import local_cluster

    load = os.getloadavg()
    print(f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    corpus = args.corpus / f"files-{args.files}-seed-{args.seed}"
    info = build_corpus(corpus, args.files, args.seed)
    print(f"corpus {corpus}: {args.files:,} files, {info['frames']:,} frames")
    work = args.corpus / f"dask-work-{args.files}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warm = args.corpus / "warmup"  # numba compiles its kernels once, untimed
    build_corpus(warm, 40, args.seed)
    timed(run_command(warm, work / "warm-out", work / "warm-store", []))
    print("run, cold store, side by side:")
    results = {"files": args.files, "frames": info["frames"], "side_by_side": side_by_side(corpus, work, args.repeats)}
    t0 = time.perf_counter()
    with local_cluster(os.cpu_count()) as cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(os.cpu_count())
        results["cluster_start_s"] = time.perf_counter() - t0
        print(f"a LocalCluster of {os.cpu_count()} workers starts in {results['cluster_start_s']:.1f} s")
        results["tasks_per_s"] = scheduler_rate(client)
        print(f"scheduler: {results['tasks_per_s']:,.0f} empty tasks/s")
        print("describe alone, cold store:")
        results["batches"] = batch_sweep(client, corpus, work, [int(b) for b in args.batches.split(",")])
        print("link:")
        results["link"] = link_rates(client, corpus, work)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
