"""`visualdistance eval`: score linking methods against labelled art, side by side.

Every preset (ours and the original write-up's) and the imagehash baselines
are run on the same folder; each gets pair precision / recall / F1, mirror
recall, false links involving blank panels, cluster quality (ARI, NMI) for
each community algorithm (communities.ALGORITHMS; reuse clusters are made of whole-drawing links) and,
for a method with region links, of its figures (analysis/figures.py), and its cost. The write-up's clustering
attempts (k-means on PCA-reduced distance rows with the elbow rule, and
exact-membership grouping) are scored next to the graph communities.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from visualdistance.analysis import communities
from visualdistance.analysis.baselines import BASELINES
from visualdistance.analysis.data import Links, Panels
from visualdistance.analysis.evaluation import Truth
from visualdistance.analysis.evaluation.methods import (
    SPEED_BASELINE,
    Scores,
    baseline_clusterings,
    compare_search,
    kind_counts,
    score_method,
    with_costs,
)
from visualdistance.analysis.linking import Preset, find_links
from visualdistance.analysis.presets import DEFAULT_PRESET, PRESETS, all_signatures, expensive_signatures
from visualdistance.cli.errors import fail
from visualdistance.cli.options import (
    METHODS,
    Baselines,
    ExplainFolder,
    JsonFile,
    LabelledDir,
    Labels,
    MarkdownFile,
    Methods,
    MirrorPairs,
    ScoreClusters,
    Store,
    Workers,
)
from visualdistance.cli.common import compiling_notice, default_store, out_console, shown
from visualdistance.cli.progress import console, progress_bar
from visualdistance.loader.evaluation import describe_cost, figure, write_json, write_markdown
from visualdistance.loader.extract import extract_sets
from visualdistance.loader.names import printable
from visualdistance.loader.labels import LabelError, read_truth


def evaluate(
    folder: LabelledDir,
    labels: Labels,
    mirror_pairs: MirrorPairs = None,
    preset: Methods = [],  # noqa: B006  (typer reads the default; it is never mutated)
    baselines: Baselines = True,
    clusters: ScoreClusters = True,
    json_out: JsonFile = None,
    markdown: MarkdownFile = None,
    explain: ExplainFolder = None,
    store: Store = None,
    workers: Workers = None,
) -> None:
    """Score linking methods against ground truth: pair precision/recall/F1, mirror recall, blank false links, ARI/NMI.

    Definitions: positive pairs share a group, except pairs where exactly one
    is a mirrored copy (neutral, as are listed mirror pairs); mirror recall
    is the share of mirror pairs linked; blank false links involve a panel
    labelled blank. Speed (CPU time, all threads): read + decode + describe ms/panel on one core over
    a sample, and link seconds (each the fastest of a few runs), and total
    cost relative to the write-up's plain resize-then-Canny preset.
    """
    t_start = time.perf_counter()
    if not folder.is_dir():
        fail(f"not a folder: {printable(str(folder))}", 2)
    mirror_pairs = mirror_pairs or (folder / "mirror_pairs.csv" if (folder / "mirror_pairs.csv").exists() else None)
    methods = [METHODS[p.value] for p in preset] or list(PRESETS.values()) + (list(BASELINES.values()) if baselines else [])
    panels, truth = _labelled_panels(folder, labels, mirror_pairs, methods, store or default_store(), workers)
    rows, links_of = _score_methods(folder, methods, panels, truth, clusters)
    search = []
    for m in methods:
        # a region search adds the same links either way: the preset without it compares the index
        if getattr(m, "index", None) is not None and getattr(m, "regions", None) is None:
            with console.status(f"measuring every pair with {m.name}"):
                search.append(compare_search(m, panels))
    baseline = PRESETS.get(SPEED_BASELINE)
    clusterings = baseline_clusterings(panels, truth, baseline, links_of.get(SPEED_BASELINE)) if clusters and baseline else []
    scores = Scores(rows, search, clusterings)
    _print(scores)
    command = f"visualdistance eval {folder} --labels {labels}" + (f" --mirror-pairs {mirror_pairs}" if mirror_pairs else "")
    if json_out:
        write_json(json_out, folder, len(panels), scores, time.perf_counter() - t_start)
    if markdown:
        write_markdown(markdown, folder.name, scores, command)
    if explain:
        # the default method, or the first preset given with a region search (whose region steps it explains too)
        target = next((m for m in (METHODS[p.value] for p in preset) if getattr(m, "regions", None) is not None),
                      PRESETS[DEFAULT_PRESET])
        links = links_of[target.name] if target.name in links_of else find_links(panels.signatures, panels.source, target)
        _write_explain(folder, panels, truth, links, target, explain)


def _labelled_panels(folder: Path, labels: Path, mirror_pairs: Path | None, methods: list[Preset], store: Path,
                     workers: int | None) -> tuple[Panels, Truth]:
    """The labelled panels with every signature the methods read (from the feature store where it has them),
    and their ground truth; labels that do not fit the folder end the command (exit 1)."""
    with console.status("describing panels (reusing the feature store)"):
        baseline_sigs = tuple({s.name: s for m in methods if m.name not in PRESETS for s in m.signatures}.values())
        expensive = expensive_signatures(*(m for m in methods if m.name in PRESETS))
        main = extract_sets(folder, (all_signatures(), baseline_sigs, expensive), store, all_frames=True, workers=workers)
    try:
        truth, keep = read_truth(labels, list(main.panels.paths), mirror_pairs)
    except LabelError as e:
        fail(str(e))
    panels = main.panels.take(keep)
    console.print(f"{len(panels):,} labelled panels in {truth.files:,} files, {len(main.bad_files)} unreadable files, "
                  f"{len(truth.mirror_a)} mirror pairs")
    return panels, truth


def _score_methods(folder: Path, methods: list[Preset], panels: Panels, truth: Truth,
                   clusters: bool) -> tuple[list[dict], dict[str, Links]]:
    """Each method's row of figures, with its cost, and the links it scored."""
    files = list(dict.fromkeys(panels.paths))  # each file once, however many frames it has
    timing = {m.name: describe_cost(folder, files, m) for m in methods}
    rows, links_of = [], {}
    for m in methods:
        with console.status(f"scoring {m.name}"), compiling_notice():
            row, links_of[m.name] = score_method(m, panels, truth, clusters)
        rows.append(row)
    return with_costs(rows, timing, len(panels)), links_of


def _write_explain(folder: Path, panels: Panels, truth: Truth, links: Links, preset: Preset, out: Path) -> None:
    from visualdistance.loader.report.explain import explain as explain_pairs, step_counts  # PIL pages: only when asked

    found = explain_pairs(folder, panels, truth, links, preset, out, progress_bar)
    console.print(", ".join(f"{v} {k}" for k, v in step_counts(found).items()) or "nothing missed, no false links")
    console.print(f"wrote {shown(out / 'index.html')}")


def _figures_cell(row: dict) -> str:
    """A method's figure ARI and how many figures (region links only: "-" for a method without them)."""
    if row.get("ari_figures") is None:
        return "-"
    return f"{row['ari_figures']:.3f} ({row['figures']:,})"


def _print(scores: Scores) -> None:
    t = Table("method", "links", "P", "R", "F1", "mirror R", "blank", *(f"ARI {a}" for a in communities.ALGORITHMS),
              "ARI figures", "ms/panel", "link s", "cost", "links by kind")
    for r in sorted(scores.methods, key=lambda r: -r["f1"]):
        name = r["method"] + (" (default)" if r["method"] == DEFAULT_PRESET else "")
        t.add_row(
            name, f"{r['links']:,}", figure(r["precision"], ".3f"), figure(r["recall"], ".3f"), "[bold]" + figure(r["f1"], ".3f"),
            figure(r["mirror_recall"], ".2f"), f"{r['blank_false_links']:,}",
            *(figure(r.get(f"ari_{a}"), ".3f") for a in communities.ALGORITHMS), _figures_cell(r),
            f"{r['decode_ms'] + r['describe_ms']:.2f}",
            f"{r['link_s']:.2f}",
            figure(r["cost_ratio"], ".2f", "x"), kind_counts(r),
        )
    # a wide table: keep it readable when stdout is a file or a pipe
    wide = out_console if out_console.is_terminal else Console(width=170)
    wide.print(t)
    if scores.search:
        c = Table("candidate index of", "links (every pair)", "recall", "identical", "link s (index)", "link s (every pair)")
        for r in scores.search:
            c.add_row(r["method"], f"{r['every_pair_links']:,}", f"{r['recall']:.4f}", "yes" if r["identical"] else "[bold]no",
                      f"{r['index_s']:.2f}", f"{r['every_pair_s']:.2f}")
        wide.print(c)
    if scores.clusterings:
        c = Table("baseline clustering", "ARI", "NMI", "clusters")
        for r in scores.clusterings:
            c.add_row(r["method"], f"{r['ari']:.3f}", f"{r['nmi']:.3f}", f"{r['clusters']:,}")
        wide.print(c)
