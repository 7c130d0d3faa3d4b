"""Linking methods scored side by side on one labelled set: the figures `visualdistance eval` reports.

Every method (a preset or a baseline) gets pair scores (see `scores`), cluster
quality for each algorithm of `communities.ALGORITHMS`, link seconds and a cost
relative to `SPEED_BASELINE`; presets with a candidate index are compared with
measuring every pair; the write-up's own clustering attempts (k-means on its
edge-distance matrix, exact membership) are scored next to the communities.

Rows are dicts, one key per figure (the JSON and the tables read them by name),
so an algorithm registered in `communities.ALGORITHMS` adds its columns here
without another change. Timings are CPU seconds of all threads: what a step
costs, and less swayed than the wall clock by whatever else the machine runs.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np

from visualdistance.analysis import communities
from visualdistance.analysis.baselines import exact_membership, kmeans_elbow
from visualdistance.analysis.data import LINK_KINDS, Links, Panels
from visualdistance.analysis.evaluation.scores import Truth, score_clusters, score_pairs, search_agreement
from visualdistance.analysis.figures import Figures, figures_of_links, panel_figure
from visualdistance.analysis.linking import Preset, find_links
from visualdistance.analysis.presets import every_pair, indexed

#: every cost is relative to the plain resize-then-Canny preset
SPEED_BASELINE = "original-edges"
#: link timings are the fastest of this many runs: timings on a shared machine only ever err slow
LINK_REPEATS = 2


@dataclass(frozen=True)
class Scores:
    """Everything one evaluation found: a row per method, per index compared, per baseline clustering."""

    methods: list[dict]
    search: list[dict]
    clusterings: list[dict]


def cpu_seconds(fn: Callable, *args) -> float:
    """CPU seconds of fn(*args), all threads together."""
    t0 = time.process_time()
    fn(*args)
    return time.process_time() - t0


def fastest(repeats: int, fn: Callable, *args) -> float:
    """The least CPU seconds of `repeats` runs of fn(*args)."""
    return min(cpu_seconds(fn, *args) for _ in range(repeats))


def score_method(preset: Preset, panels: Panels, truth: Truth, clusters: bool) -> tuple[dict, Links]:
    """Pair scores of its reuse links (a background link is never reuse), how many links of each kind it made
    (kind_<kind>), link seconds and (if `clusters`) ARI/NMI per community algorithm of one method (reuse clusters:
    whole drawings) and, for a method with region links, of its figures (`score_figures`); and its links."""
    # a first, untimed run loads the compiled kernels: link seconds measure linking, not JIT cache loading;
    # a region search costs seconds a run, so its first run is the one timed
    t0 = time.process_time()
    links = find_links(panels.signatures, panels.source, preset)
    first_s = time.process_time() - t0
    link_s = first_s if preset.regions else fastest(LINK_REPEATS, find_links, panels.signatures, panels.source, preset)
    reuse = links.take(links.reuse())
    row = {"method": preset.name, "link_s": link_s, **asdict(score_pairs(reuse.a, reuse.b, truth)),
           **{f"kind_{k}": v for k, v in links.kind_counts().items()}}
    if clusters:
        for algorithm in communities.ALGORITHMS:
            c = communities.cluster_links(algorithm, len(panels), links)  # each with its defaults
            scores = score_clusters(c.membership, truth)
            row[f"ari_{algorithm}"], row[f"nmi_{algorithm}"] = scores["ari"], scores["nmi"]
        if preset.regions is not None:
            row.update(score_figures(figures_of_links(links), len(panels), truth))
    return row, links


def score_figures(figures: Figures, n: int, truth: Truth) -> dict:
    """ARI/NMI of the figure clustering read per panel (`figures.panel_figure`: each panel takes the figure of its
    best-linked occurrence, a panel in no figure is a group of its own), and how many figures there are."""
    scores = score_clusters(panel_figure(figures, n), truth)
    return {"ari_figures": scores["ari"], "nmi_figures": scores["nmi"], "figures": figures.n_figures}


def kind_counts(row: dict) -> str:
    """A row's links per kind (kind_<kind>), the kinds it made, e.g. "drawing 118 · region 40 · background 12"."""
    return " · ".join(f"{k} {row[f'kind_{k}']:,}" for k in LINK_KINDS if row.get(f"kind_{k}"))


def with_costs(rows: list[dict], describe_ms: dict[str, tuple[float, float]], panels: int) -> list[dict]:
    """The rows with each method's (decode, describe) ms per panel, the seconds a run over `panels` would
    take (est_s) and that over SPEED_BASELINE's (cost_ratio; NaN when the baseline was not scored)."""
    costed = []
    for r in rows:
        decode, describe = describe_ms[r["method"]]
        costed.append({**r, "decode_ms": decode, "describe_ms": describe,
                       "est_s": panels * (decode + describe) / 1000 + r["link_s"]})
    base = next((r for r in costed if r["method"] == SPEED_BASELINE), None)
    return [{**r, "cost_ratio": r["est_s"] / base["est_s"] if base else float("nan")} for r in costed]


def compare_search(preset: Preset, panels: Panels) -> dict:
    """The preset's index (used whatever the number of panels) against measuring every pair: agreement of
    the links, and link seconds of each."""
    every, index = every_pair(preset), indexed(preset)
    found = find_links(panels.signatures, panels.source, index)
    links = find_links(panels.signatures, panels.source, every)
    return {"method": preset.name, **asdict(search_agreement(found, links)),
            "index_s": fastest(LINK_REPEATS, find_links, panels.signatures, panels.source, index),
            "every_pair_s": fastest(LINK_REPEATS, find_links, panels.signatures, panels.source, every)}


def hamming_matrix(bits: np.ndarray) -> np.ndarray:
    """(n, n) float32 Hamming distances between every two rows of packed bits."""
    return np.stack([np.bitwise_count(bits[i] ^ bits).sum(axis=1) for i in range(len(bits))]).astype(np.float32)


def baseline_clusterings(panels: Panels, truth: Truth, preset: Preset, links: Links | None = None) -> list[dict]:
    """The write-up's clustering attempts with `preset` (its resize-then-Canny edges): k-means on PCA of the
    rows of its first rule's distance matrix, k at the elbow, and exact membership of its links
    (`links`, found here when not given)."""
    bits = panels.signatures[preset.rules[0].metric.needs()[0]]  # a metric lists its direct signature first
    if links is None:
        links = find_links(panels.signatures, panels.source, preset)
    return [
        {"method": "k-means on PCA of edge-distance rows (elbow k)", **score_clusters(kmeans_elbow(hamming_matrix(bits)), truth)},
        {"method": f"exact membership of {preset.name} links",
         **score_clusters(exact_membership(len(panels), links.a, links.b), truth)},
    ]
