"""Linking with the candidate index against measuring every pair, as the number of drawings grows.

Takes the panels of a run folder (for example of `bench/scale.py`'s corpus:
`visualdistance run CORPUS -o OUT --no-neo4j`) and makes larger sets of
drawings from them without describing anything new: each copy turns every
drawing's edge maps a quarter turn (1, 2 or 3 times), so it is a drawing no
panel of the run reuses, with the same amount of ink, the same kind of lines
and the same reuse among its own copies (a quarter-turned copy of a link is a
link). The other signatures (layout hash, colours, size) are the panel's own.
For each size it times `find_links` with the default preset's index and with
every pair measured, and prints how many of the every-pair links the index
found and the fitted growth (time ~ n^k).

Usage:
  python bench/index_growth.py --run OUT                  # 1/4, 1/2, all, 2 and 4 times the run's panels
  python bench/index_growth.py --run OUT --sizes 1,4 --skip-every-pair-above 20000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from visualdistance.analysis.evaluation import search_agreement  # noqa: E402
from visualdistance.analysis.image_ops import pack_bits, unpack_bits  # noqa: E402
from visualdistance.analysis.linking import find_links  # noqa: E402
from visualdistance.analysis.presets import DEFAULT_PRESET, PRESETS, every_pair, indexed  # noqa: E402
from visualdistance.analysis.signatures.base import mirror_name  # noqa: E402
from visualdistance.loader.run_folder import RunFolder  # noqa: E402


def turned(bits: np.ndarray, shape: tuple[int, int], quarter_turns: int) -> np.ndarray:
    """Packed square bit maps, each turned by quarter_turns x 90 degrees."""
    return np.stack([pack_bits(np.rot90(unpack_bits(row, shape), quarter_turns)) for row in bits])


def resized(sigs: dict, source: np.ndarray, times: float, turnable: str, shape: tuple[int, int]) -> tuple[dict, np.ndarray]:
    """The first `times` share of the panels (times <= 1), or `times` copies of them (2-4), the k-th copy's
    `turnable` edge maps turned k quarter turns, sources kept apart."""
    if times <= 1:
        n = int(round(len(source) * times))
        return {k: v[:n] for k, v in sigs.items()}, source[:n]
    copies = int(times)
    if copies != times or copies > 4:
        raise ValueError("sizes above 1 are 2, 3 or 4 copies: a fifth quarter turn repeats the first")
    names = (turnable, mirror_name(turnable))
    out = {k: np.concatenate([turned(v, shape, c) if k in names and c else v for c in range(copies)])
           for k, v in sigs.items()}
    offset = int(source.max()) + 1
    return out, np.concatenate([source + c * offset for c in range(copies)])


def timed(fn, *args):
    t0 = time.perf_counter()
    result = fn(*args)
    return result, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", type=Path, required=True, help="a run folder (its signatures come from its feature store)")
    ap.add_argument("--sizes", default="0.25,0.5,1,2,4", help="sizes: shares of the run's panels (<= 1) or copies of them (2-4)")
    ap.add_argument("--skip-every-pair-above", type=int, default=10**9, help="measure every pair only up to this many panels")
    args = ap.parse_args()

    preset = indexed(PRESETS[DEFAULT_PRESET])  # the index at every size, also below where the preset starts using it
    panels = RunFolder(args.run).read_panels()
    gates = {g.signature for g in preset.gates} | {g.signature for r in preset.rules for g in r.gates}
    sigs = {k: v for k, v in panels.signatures.items() if any(k in m.needs() for m in preset.metrics) or k in gates}
    print(f"{args.run}: {len(panels):,} panels; preset {preset.name}, index: {preset.index.describe()}")
    rows = []
    for times in (float(c) for c in args.sizes.split(",")):
        s, src = resized(sigs, np.asarray(panels.source), times, preset.index.signature, preset.index.shape)
        if not rows:
            find_links(s, src, preset)  # compiles the kernels once, untimed
        found, t_index = timed(find_links, s, src, preset)
        line = f"{len(src):>9,} panels  index {t_index:7.2f} s  {len(found):,} links"
        t_every = np.nan
        if len(src) <= args.skip_every_pair_above:
            every, t_every = timed(find_links, s, src, every_pair(preset))
            agreement = search_agreement(found, every)
            line += (f"  | every pair {t_every:7.2f} s  {agreement.every_pair_links:,} links  "
                     f"recall {agreement.recall:.4f}  identical {'yes' if agreement.identical else 'no'}")
        print(line, flush=True)
        rows.append((len(src), t_index, t_every))
    if len(rows) > 1:
        r = np.array(rows, float)
        fit = lambda col: np.polyfit(np.log(r[:, 0]), np.log(r[:, col]), 1)[0]  # noqa: E731
        ok = ~np.isnan(r[:, 2])
        print(f"growth: index n^{fit(1):.2f}" + (f", every pair n^{np.polyfit(np.log(r[ok, 0]), np.log(r[ok, 2]), 1)[0]:.2f}"
                                                if ok.sum() > 1 else ""))


if __name__ == "__main__":
    main()
