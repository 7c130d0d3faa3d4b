"""Partial reuse, clustered (issue 21, item 4): reuse clusters against figures, on the shared sets, by ARI.

For each set: the drawing-regions preset's links (signatures through the feature store), then
- reuse clusters as main made them before figures (region links in them at half their weight) and as
  they are made now (whole-drawing links only), Leiden modularity;
- figures (analysis/figures.py) read per panel (`panel_figure`): connected components of the
  occurrence graph (what `figures` does) and, for comparison, Leiden modularity on the same graph;
  with the occurrence merge at several overlaps (intersection over the smaller box).
ARI against the labels' groups, and against drawing families (a group's `variant` where it has one:
outfit variants of one sprite, split into groups the pair scores call neutral, count as one).

Usage: python bench/figures.py [--shared ../shared] [--sets sprite_scenes,homestuck] [--store DIR]
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import igraph as ig
import leidenalg
import numpy as np
from sklearn.metrics import adjusted_rand_score

from visualdistance.analysis import communities
from visualdistance.analysis.data import BOX, LINK_KINDS, Links
from visualdistance.analysis.figures import Figures, _by_size, cluster_figures, figure_occurrences, panel_figure
from visualdistance.analysis.linking import find_links
from visualdistance.analysis.presets import DRAWING_REGIONS, all_signatures, expensive_signatures
from visualdistance.loader.extract import extract_sets
from visualdistance.loader.labels import read_truth

OVERLAPS = (0.3, 0.6, 0.9, 1.01)  # 1.01: no two ends merged (each link end its own occurrence)
#: what main weighed region links with in reuse clusters before figures (communities.REGION_WEIGHT, removed)
OLD_REGION_WEIGHT = 0.5


def ari(membership: np.ndarray, truth: np.ndarray) -> float:
    m = np.asarray(membership).copy()
    lone = m < 0
    m[lone] = m.max(initial=-1) + 1 + np.arange(lone.sum())
    return float(adjusted_rand_score(truth, m))


def families(folder: Path, files: list[str], groups: np.ndarray) -> np.ndarray:
    """Each panel's drawing family: its file's `variant` where it has one, else its group."""
    with open(folder / "labels.csv", newline="", encoding="utf-8") as fh:
        variant = {r["file"]: r.get("variant") or "" for r in csv.DictReader(fh)}
    return np.array([f"v:{variant[f]}" if variant[f] else f"g:{g}" for f, g in zip(files, groups)], object)


def old_reuse_clusters(n: int, links: Links) -> np.ndarray:
    """Reuse clusters as main made them before figures: every reuse link, region links at half their weight."""
    keep = links.reuse()
    weight = np.where(links.kind == LINK_KINDS.index("region"), OLD_REGION_WEIGHT, 1.0) * links.weight
    return communities.leiden(n, links.a[keep], links.b[keep], weight[keep]).membership


def leiden_figures(occ, weight: np.ndarray, like: Figures) -> Figures:
    """The occurrence graph cut by Leiden modularity instead of its connected components."""
    g = ig.Graph(n=len(occ), edges=occ.ends.tolist(), directed=False)
    g.es["weight"] = (0.1 + 0.9 * np.clip(weight, 0, 1)).tolist()
    part = leidenalg.find_partition(g, leidenalg.ModularityVertexPartition, weights="weight", seed=communities.SEED)
    return Figures(like.panel, like.box, _by_size(np.asarray(part.membership), like.panel), like.mirrored, like.strength)


def score_set(folder: Path, store: Path) -> None:
    ex = extract_sets(folder, (all_signatures(), expensive_signatures(DRAWING_REGIONS)), store, all_frames=True)
    files = [str(p) for p in ex.panels.paths]
    truth, keep = read_truth(folder / "labels.csv", files, None)
    panels = ex.panels.take(keep)
    links = find_links(panels.signatures, panels.source, DRAWING_REGIONS)
    n = len(panels)
    groups = truth.panel_groups()
    fam = families(folder, [files[k] for k in keep], groups)
    print(f"\n## {folder.name}: {n} panels, links by kind {links.kind_counts()}\n")
    print("| clustering | clusters / figures | largest (panels) | ARI groups | ARI families |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name, m in (("reuse clusters before (region links at 0.5)", old_reuse_clusters(n, links)),
                    ("reuse clusters now (whole drawings only)", communities.cluster_links("leiden", n, links).membership)):
        sizes = np.sort(np.bincount(m[m >= 0]))[::-1] if (m >= 0).any() else np.zeros(0, int)
        print(f"| {name} | {len(sizes)} | {', '.join(map(str, sizes[:5]))} | {ari(m, groups):.3f} | {ari(m, fam):.3f} |")
    region = links.regions()
    box = lambda side: np.column_stack([side[k] for k in BOX])  # noqa: E731
    for overlap in OVERLAPS:
        occ = figure_occurrences(region.a, region.b, box(region.box_a), box(region.box_b), overlap)
        comp = cluster_figures(occ, region.weight.astype(np.float64), region.mirrored)
        for how, figs in (("components", comp), ("Leiden", leiden_figures(occ, region.weight, comp))):
            m = panel_figure(figs, n)
            print(f"| figures, {how}, overlap {overlap:g} ({len(occ)} occurrences) | {figs.n_figures} | "
                  f"{', '.join(map(str, figs.sizes()[:5]))} | {ari(m, groups):.3f} | {ari(m, fam):.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared")
    ap.add_argument("--sets", default="sprite_scenes,homestuck")
    ap.add_argument("--store", type=Path, default=Path.home() / ".cache" / "visualdistance" / "features")
    args = ap.parse_args()
    for name in args.sets.split(","):
        score_set(args.shared / "eval" / name, args.store)


if __name__ == "__main__":
    main()
