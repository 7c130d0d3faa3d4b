"""Accuracy of every method on the shared labelled sets, written to bench/RESULTS.md.

Runs `visualdistance eval` on every shared set (../shared/eval/homestuck,
twemoji_panels, twemoji, wild and sprite_scenes; every preset, the imagehash baselines, the clustering
baselines) and replaces the tables at the top of bench/RESULTS.md; the
hand-written analysis below the marker line is kept. Every set takes every method, `drawing-regions`
included: its ORB keypoints and region search make the emoji sets take minutes each.

Usage: python bench/accuracy.py [--shared ../shared] [--store DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
MARKER = "<!-- analysis: everything below this line is written by hand and kept -->"
SETS = ("homestuck", "twemoji_panels", "twemoji", "wild", "sprite_scenes")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path("../shared"), help="the shared data folder (run from the repo root)")
    ap.add_argument("--store", type=Path, default=None, help="feature store (default: the user's cache)")
    args = ap.parse_args()
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in SETS:
            folder = args.shared / "eval" / name
            md = Path(tmp) / f"{name}.md"
            cmd = [sys.executable, "-m", "visualdistance.cli", "eval", str(folder), "--labels", str(folder / "labels.csv"),
                   "--markdown", str(md)]
            if args.store:
                cmd += ["--store", str(args.store)]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True)
            print(f"{name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            tables.append(md.read_text())
    head = [
        "# Accuracy on the shared labelled sets",
        "",
        "Produced by `python bench/accuracy.py` (which runs `visualdistance eval` on each set, as shown above each table),",
        "on a 2-core machine. Definitions as in `../shared/README.md`: positive pairs share a group, pairs with exactly one",
        "mirrored copy and listed mirror pairs are neutral; mirror recall is the share of mirror pairs linked; blank false",
        "links involve a panel labelled blank. ARI is for the clusters each method's links give (Leiden and greedy",
        "modularity). Cost, in CPU time (all threads; a busy machine sways it less than the wall clock): describe ms/panel (decode + the method's signatures, one core, 200-panel sample, fastest of 3 runs) plus link",
        "seconds, relative to `original-edges` (resize-then-Canny).",
        "",
    ]
    kept = RESULTS.read_text().split(MARKER, 1)[1] if RESULTS.exists() and MARKER in RESULTS.read_text() else "\n"
    RESULTS.write_text("\n".join(head) + "\n".join(tables) + "\n" + MARKER + kept)
    print(f"wrote {RESULTS}", file=sys.stderr)


if __name__ == "__main__":
    main()
