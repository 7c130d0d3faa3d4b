"""`eval`'s files and the one figure it must read images for: what describing a panel costs.

The scoring itself is pure (analysis.evaluation.methods); here are its JSON and Markdown
(the tables bench/RESULTS.md collects) and `describe_cost`, which decodes a sample of the
set's files to time each method's signatures.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from visualdistance.analysis import communities
from visualdistance.analysis.evaluation.methods import SPEED_BASELINE, Scores, fastest, kind_counts
from visualdistance.analysis.image_ops import limit_opencv_threads
from visualdistance.analysis.linking import Preset
from visualdistance.analysis.signatures.base import PanelView
from visualdistance.loader.files import write_atomic
from visualdistance.loader.images import BadImage, decode, read_bytes

#: files a method's describing is timed on
TIMING_SAMPLE = 200
#: describing is timed as the fastest of this many runs: timings on a shared machine only ever err slow
TIMING_REPEATS = 3


def describe_cost(folder: Path, paths: list[str], preset: Preset, sample: int = TIMING_SAMPLE) -> tuple[float, float]:
    """(decode ms, describe ms) per panel for the preset's signatures, on one core, over a sample of `paths`
    (first frames; the fastest of TIMING_REPEATS runs)."""
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(paths), min(sample, len(paths)), replace=False)

    def read_and_decode() -> list[tuple[np.ndarray, np.ndarray | None]]:
        images = []
        for k in chosen:
            try:
                decoded = decode(read_bytes(folder / paths[k]), first_frame_only=True)
                images.append((decoded.frames[0], decoded.alpha(0)))
            except BadImage:
                continue
        return images

    images = read_and_decode()
    t_decode = fastest(TIMING_REPEATS, read_and_decode)

    def describe(batch):
        for rgb, alpha in batch:
            view = PanelView(rgb, alpha=alpha)
            for sig in preset.signatures:
                sig.describe_all(view)

    describe(images[:5])  # one-time costs (imports, caches) are not per-panel costs
    threads = limit_opencv_threads()  # as extraction runs it (a process per core)
    try:
        t_describe = fastest(TIMING_REPEATS, describe, images)
    finally:
        cv2.setNumThreads(threads)
    n = max(len(images), 1)
    return 1000 * t_decode / n, 1000 * t_describe / n


def figure(value, spec: str, suffix: str = "") -> str:
    """A figure of a table cell, "-" where it was not measured (no clusterings asked for; the speed
    baseline not among the methods scored, so there is no cost relative to it)."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return f"{value:{spec}}{suffix}"


def write_json(path: Path, folder: Path, panels: int, scores: Scores, seconds: float) -> None:
    """Every figure, as the tables show them and more (pair counts, timings of each part)."""
    write_atomic(path, json.dumps({"folder": str(folder), "panels": panels, "methods": scores.methods,
                                   "clusterings": scores.clusterings, "search": scores.search,
                                   "seconds": seconds}, indent=1, default=float))


def write_markdown(path: Path, title: str, scores: Scores, command: str) -> None:
    """The tables as Markdown, under `title` and the command that made them."""
    write_atomic(path, "\n".join([f"### {title}", "", f"Command: `{command}`", ""] + _method_table(scores.methods)
                                 + _search_table(scores.search) + _clustering_table(scores.clusterings)) + "\n")


def _method_table(rows: list[dict]) -> list[str]:
    ari = "".join(f" ARI {a} |" for a in communities.ALGORITHMS)
    lines = [
        f"| method | links | precision | recall | F1 | mirror recall | blank false links |{ari} ARI figures | describe ms/panel | link s | cost vs {SPEED_BASELINE} | links by kind |",
        "| --- |" + " ---: |" * (10 + len(communities.ALGORITHMS)) + " --- |",
    ]
    for r in rows:
        aris = "".join(f" {figure(r.get(f'ari_{a}'), '.3f')} |" for a in communities.ALGORITHMS)
        lines.append(
            f"| {r['method']} | {r['links']:,} | {figure(r['precision'], '.3f')} | {figure(r['recall'], '.3f')} | "
            f"**{figure(r['f1'], '.3f')}** | {figure(r['mirror_recall'], '.2f')} | {r['blank_false_links']:,} |{aris} "
            f"{figure(r.get('ari_figures'), '.3f')} | "
            f"{r['describe_ms']:.2f} | {r['link_s']:.2f} | {figure(r['cost_ratio'], '.2f', 'x')} | {kind_counts(r)} |"
        )
    return lines


def _search_table(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    return ["", "| candidate index of | links (every pair) | recall of every-pair links | identical | link s (index) | link s (every pair) |",
            "| --- | ---: | ---: | --- | ---: | ---: |"] + [
        f"| {r['method']} | {r['every_pair_links']:,} | {r['recall']:.4f} | {'yes' if r['identical'] else 'no'} | "
        f"{r['index_s']:.2f} | {r['every_pair_s']:.2f} |" for r in rows]


def _clustering_table(rows: list[dict]) -> list[str]:
    if not rows:
        return []
    return ["", "| clustering | ARI | NMI | clusters |", "| --- | ---: | ---: | ---: |"] + [
        f"| {c['method']} | {c['ari']:.3f} | {c['nmi']:.3f} | {c['clusters']:,} |" for c in rows]
