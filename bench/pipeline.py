"""Benchmark of the core pipeline on a synthetic 10,000-panel corpus.

Prints:
- extraction panels/s (cold feature store), and where the time goes
  (decode, signatures, links, communities, writing);
- all-pairs seconds for the edge-map metric (direct, and with mirrored
  matching), next to the same all-pairs work done by a plain numpy
  XOR + popcount reference, as a ratio from the same run, and a check that
  both found the same links;
- the full `visualdistance run` wall time, process start included, cold and
  with a warm store; peak memory of the whole process tree.

Usage: python bench/pipeline.py [--panels 10000] [--corpus DIR] [--keep]
The corpus is generated once into DIR (default: a temporary folder) and reused
when it already holds the right number of panels.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root: tests.synthetic generates the corpus
from tests import synthetic  # noqa: E402
from visualdistance.analysis.kernels import hamming_links  # noqa: E402
from visualdistance.analysis.presets import get_preset  # noqa: E402
from visualdistance.loader.run_folder import RunFolder  # noqa: E402


def build_corpus(folder: Path, n: int, seed: int = 7) -> dict:
    """Write n planted panels as `<page>_<n>.png`; returns counts of each kind of reuse."""
    marker = folder / ".corpus.json"
    if marker.exists() and json.loads(marker.read_text()).get("panels") == n:
        return json.loads(marker.read_text())
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    kinds: dict[str, int] = {}
    t0 = time.perf_counter()
    for k, p in enumerate(synthetic.planted_corpus(n, seed=seed)):
        Image.fromarray(p.image).save(folder / f"{k // 4 + 1}_{k % 4 + 1}.png", compress_level=1)
        kinds[p.kind] = kinds.get(p.kind, 0) + 1
    info = {"panels": n, "kinds": kinds, "seconds": round(time.perf_counter() - t0, 1)}
    marker.write_text(json.dumps(info))
    return info


class TreeMemory:
    """Peak resident memory of a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    ppid = int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
                children.setdefault(ppid, []).append(int(d))
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo += children.get(p, [])
        return out

    def _rss(self, pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except OSError:
            pass
        return 0

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(self._rss(p) for p in self._tree()))
            time.sleep(0.05)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def timed_run(corpus: Path, out: Path, store: Path) -> tuple[float, int, dict]:
    """`visualdistance run` as a fresh process; returns (wall seconds, peak tree RSS bytes, run.json)."""
    cmd = [sys.executable, "-m", "visualdistance.cli", "run", str(corpus), "--out", str(out), "--store", str(store)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    mem = TreeMemory(proc.pid)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    peak = mem.stop()
    if proc.returncode:
        sys.exit(f"run failed:\n{stderr.decode()[-2000:]}")
    return wall, peak, json.loads((out / "run.json").read_text())


def reference_pairs(bits: np.ndarray, thr: np.ndarray) -> tuple[set, float]:
    """The plain numpy way: for each row, XOR + popcount against every later row."""
    t0 = time.perf_counter()
    found = set()
    for i in range(len(bits) - 1):
        d = np.bitwise_count(bits[i] ^ bits[i + 1 :]).sum(axis=1, dtype=np.int32)
        j = np.flatnonzero(d < np.maximum(thr[i], thr[i + 1 :])) + i + 1
        found.update((i, int(x)) for x in j)
    return found, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--panels", type=int, default=10_000)
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the run folder and store")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="vd-bench-"))
    corpus = args.corpus or work / "corpus"
    print(f"corpus: {corpus}")
    info = build_corpus(corpus, args.panels)
    print(f"  {info['panels']:,} panels 400x300, planted: {info['kinds']}")

    cold_wall, cold_peak, cold = timed_run(corpus, work / "out", work / "store")
    warm_wall, warm_peak, warm = timed_run(corpus, work / "out2", work / "store")
    n = cold["counts"]["panels"]
    sec, brk = cold["seconds"], cold["describe_breakdown"]
    print("\nfull `visualdistance run` (fresh process, 2 cores)")
    print(f"  cold store: {cold_wall:6.2f} s wall, peak memory {cold_peak / 2**30:.2f} GiB")
    print(f"  warm store: {warm_wall:6.2f} s wall, peak memory {warm_peak / 2**30:.2f} GiB, decoded {warm['counts']['decoded']} files")
    print(f"  extraction: {n / sec['describe']:,.0f} panels/s ({sec['describe']:.2f} s for {n:,} panels)")
    startup = cold_wall - sum(sec.values())
    print("  where the time goes (cold):")
    print(f"    process start + imports  {startup:6.2f} s")
    print(f"    discover                 {brk['discover']:6.2f} s")
    print(f"    read+hash+decode+describe{brk['read+hash+decode+describe']:6.2f} s wall "
          f"(worker CPU: decode {brk['workers_decode']:.1f} s, signatures {brk['workers_describe']:.1f} s)")
    print(f"    links                    {sec['link']:6.2f} s")
    print(f"    communities              {sec['communities']:6.2f} s")
    print(f"    writing outputs          {sec['write']:6.2f} s")
    print(f"  links {cold['counts']['links']:,}, clusters {cold['counts']['clusters']:,}")

    sigs = RunFolder(work / "out").read_panels().signatures
    bits, mirror, counts = sigs["edges"], sigs["edges_mirror"], sigs["edge_pixels"].reshape(-1)
    rule = get_preset("original-edges").rules[0]
    thr = rule.threshold.per_panel({"edge_pixels": counts})
    hamming_links(bits[:300], thr[:300], mirror[:300], shape=(100, 100))  # load the compiled kernel
    t0 = time.perf_counter()
    a, b, _ = hamming_links(bits, thr, shape=(100, 100))
    t_direct = time.perf_counter() - t0
    t0 = time.perf_counter()
    am, bm, mm = hamming_links(bits, thr, mirror, shape=(100, 100))
    t_mirror = time.perf_counter() - t0
    ref, t_ref = reference_pairs(bits, thr)
    pairs = n * (n - 1) // 2
    same = ref == set(zip(a.tolist(), b.tolist()))
    print(f"\nall-pairs edge maps, {n:,} panels = {pairs / 1e6:.1f}M pairs of {bits.shape[1] * 64:,}-bit maps")
    print(f"  numpy XOR+popcount reference  {t_ref:7.3f} s  ({pairs / t_ref / 1e6:6.1f}M pairs/s)")
    print(f"  kernel, direct                {t_direct:7.3f} s  ({pairs / t_direct / 1e6:6.1f}M pairs/s)  "
          f"{t_ref / t_direct:5.1f}x faster, same links: {same} ({len(a):,})")
    print(f"  kernel, direct + mirrored     {t_mirror:7.3f} s  ({2 * pairs / t_mirror / 1e6:6.1f}M comparisons/s)  "
          f"{len(am):,} links, {int(mm.sum()):,} mirrored")
    if not args.keep:
        shutil.rmtree(work / "out", ignore_errors=True)
        shutil.rmtree(work / "out2", ignore_errors=True)
        shutil.rmtree(work / "store", ignore_errors=True)
    else:
        print(f"\nkept: {work}")


if __name__ == "__main__":
    main()
