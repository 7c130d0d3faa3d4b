"""`visualdistance eval`: score linking methods against labelled art, side by side.

Every preset (ours and the original write-up's) and the imagehash baselines
are run on the same folder; each gets pair precision / recall / F1, mirror
recall, false links involving blank panels, cluster quality (ARI, NMI) for
each community algorithm (communities.ALGORITHMS), and its cost. The write-up's clustering
attempts (k-means on PCA-reduced distance rows with the elbow rule, and
exact-membership grouping) are scored next to the graph communities.
"""

from __future__ import annotations

import json
import time
from enum import Enum
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Optional

import cv2
import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from visualdistance.analysis import communities
from visualdistance.analysis.baselines import BASELINES, exact_membership, kmeans_elbow
from visualdistance.analysis.data import Links, Panels
from visualdistance.analysis.evaluation import Truth, score_clusters, score_pairs, search_agreement
from visualdistance.analysis.linking import Preset, find_links
from visualdistance.analysis.image_ops import limit_opencv_threads
from visualdistance.analysis.presets import DEFAULT_PRESET, PRESETS, all_signatures, every_pair, indexed
from visualdistance.analysis.signatures.base import PanelView
from visualdistance.cli.errors import fail
from visualdistance.cli.options import Store, Workers
from visualdistance.cli.common import compiling_notice, default_store, out_console, shown
from visualdistance.cli.progress import console, progress_bar
from visualdistance.loader.extract import extract_folder
from visualdistance.loader.images import BadImage, decode, read_bytes
from visualdistance.loader.names import printable
from visualdistance.loader.labels import LabelError, read_truth

TIMING_SAMPLE = 200
TIMING_REPEATS = 3  # the fastest of a few runs: timings on a shared machine only ever err slow
SPEED_BASELINE = "original-edges"  # "the plain resize-then-canny preset"


def _timed(fn, *args) -> float:
    """CPU seconds of fn(*args), all threads together: what it costs, and less swayed than the
    wall clock by whatever else the machine is running."""
    t0 = time.process_time()
    fn(*args)
    return time.process_time() - t0


def _describe_cost(folder: Path, paths: list[str], preset: Preset, sample: int) -> tuple[float, float]:
    """(decode ms, describe ms) per panel for the preset's signatures, on one core, over a sample (the fastest of TIMING_REPEATS runs)."""
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
    t_decode = min(_timed(read_and_decode) for _ in range(TIMING_REPEATS))

    def describe(batch):
        for rgb, alpha in batch:
            view = PanelView(rgb, alpha=alpha)
            for sig in preset.signatures:
                sig.describe_all(view)

    describe(images[:5])  # one-time costs (imports, caches) are not per-panel costs
    threads = limit_opencv_threads()  # as extraction runs it (a process per core)
    try:
        t_describe = min(_timed(describe, images) for _ in range(TIMING_REPEATS))
    finally:
        cv2.setNumThreads(threads)
    n = max(len(images), 1)
    return 1000 * t_decode / n, 1000 * t_describe / n


def score_method(preset: Preset, panels: Panels, truth: Truth, clusters: bool) -> tuple[dict, Links]:
    """Pair and cluster scores of one preset on the labelled panels, and the links they score."""
    # a first, untimed run loads the compiled kernels: link seconds measure linking, not JIT cache loading
    links = find_links(panels.signatures, panels.source, preset)
    link_s = min(_timed(find_links, panels.signatures, panels.source, preset) for _ in range(2))
    row = {"method": preset.name, "link_s": link_s, **asdict(score_pairs(links.a, links.b, truth))}
    if clusters:
        for algorithm, find in communities.ALGORITHMS.items():
            c = find(len(panels), links.a, links.b, links.weight)  # each with its defaults
            scores = score_clusters(c.membership, truth)
            row[f"ari_{algorithm}"], row[f"nmi_{algorithm}"] = scores["ari"], scores["nmi"]
    return row, links


def compare_search(preset: Preset, panels: Panels) -> dict:
    """The preset's index (used whatever the number of panels) against measuring every pair: agreement of
    the links, and link seconds of each."""
    every, index = every_pair(preset), indexed(preset)
    found = find_links(panels.signatures, panels.source, index)
    links = find_links(panels.signatures, panels.source, every)
    return {"method": preset.name, **asdict(search_agreement(found, links)),
            "index_s": min(_timed(find_links, panels.signatures, panels.source, index) for _ in range(2)),
            "every_pair_s": min(_timed(find_links, panels.signatures, panels.source, every) for _ in range(2))}


def figure(value, spec: str, suffix: str = "") -> str:
    """A figure of a table cell, "-" where it was not measured (no clusterings asked for; the speed
    baseline not among the methods scored, so there is no cost relative to it)."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return f"{value:{spec}}{suffix}"


def write_markdown(path: Path, title: str, rows: list[dict], cluster_rows: list[dict], command: str,
                   search_rows: list[dict] = ()) -> None:
    lines = [f"### {title}", "", f"Command: `{command}`", ""]
    ari = "".join(f" ARI {a} |" for a in communities.ALGORITHMS)
    lines += [
        f"| method | links | precision | recall | F1 | mirror recall | blank false links |{ari} describe ms/panel | link s | cost vs {SPEED_BASELINE} |",
        "| --- |" + " ---: |" * (9 + len(communities.ALGORITHMS)),
    ]
    for r in rows:
        aris = "".join(f" {figure(r.get(f'ari_{a}'), '.3f')} |" for a in communities.ALGORITHMS)
        lines.append(
            f"| {r['method']} | {r['links']:,} | {figure(r['precision'], '.3f')} | {figure(r['recall'], '.3f')} | "
            f"**{figure(r['f1'], '.3f')}** | {figure(r['mirror_recall'], '.2f')} | {r['blank_false_links']:,} |{aris} "
            f"{r['describe_ms']:.2f} | {r['link_s']:.2f} | {figure(r['cost_ratio'], '.2f', 'x')} |"
        )
    if search_rows:
        lines += ["", "| candidate index of | links (every pair) | recall of every-pair links | identical | link s (index) | link s (every pair) |",
                  "| --- | ---: | ---: | --- | ---: | ---: |"]
        lines += [f"| {r['method']} | {r['every_pair_links']:,} | {r['recall']:.4f} | {'yes' if r['identical'] else 'no'} | "
                  f"{r['index_s']:.2f} | {r['every_pair_s']:.2f} |" for r in search_rows]
    if cluster_rows:
        lines += ["", "| clustering | ARI | NMI | clusters |", "| --- | ---: | ---: | ---: |"]
        lines += [f"| {c['method']} | {c['ari']:.3f} | {c['nmi']:.3f} | {c['clusters']:,} |" for c in cluster_rows]
    path.write_text("\n".join(lines) + "\n")


#: every method eval can score: the presets, then the imagehash baselines
METHODS = {**PRESETS, **BASELINES}
Method = Enum("Method", {m: m for m in METHODS}, type=str)


def evaluate(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="Folder of labelled images.")],
    labels: Annotated[Path, typer.Option("--labels", "-l", help="CSV with columns file,group (optional: mirrored, blank, variant).")],
    mirror_pairs: Annotated[Optional[Path], typer.Option(
        "--mirror-pairs", show_default=False,
        help="CSV file_a,file_b of mirrored redraws (default: DIR/mirror_pairs.csv if present).",
    )] = None,
    preset: Annotated[list[Method], typer.Option(
        "--preset", "-p", metavar="METHOD", show_default=False,
        help=f"Methods to score (repeat), of: {', '.join(m.value for m in Method)}; default: all presets and baselines."
    )] = [],  # noqa: B006  (typer reads the default; it is never mutated)
    baselines: Annotated[bool, typer.Option(
        "--baselines/--no-baselines", help=f"Also score the baselines: {', '.join(BASELINES)}.")] = True,
    clusters: Annotated[bool, typer.Option(
        "--clusters/--no-clusters", help="Also score clusterings (ARI, NMI) and the write-up's k-means."
    )] = True,
    json_out: Annotated[Optional[Path], typer.Option("--json", show_default=False, help="Write every figure as JSON here.")] = None,
    markdown: Annotated[Optional[Path], typer.Option("--markdown", show_default=False, help="Write the tables as Markdown here.")] = None,
    explain: Annotated[Optional[Path], typer.Option(
        "--explain", show_default=False,
        help="Write a page to this folder showing, for each pair the default method missed "
        "(and each false link), the two images, the drawings it compared and the step that lost the pair.",
    )] = None,
    store: Store = None,
    workers: Workers = None,
) -> None:
    """Score linking methods against ground truth: pair precision/recall/F1, mirror recall, blank false links, ARI/NMI.

    Definitions: positive pairs share a group, except pairs where exactly one
    is a mirrored copy (neutral, as are listed mirror pairs); mirror recall
    is the share of mirror pairs linked; blank false links involve a panel
    labelled blank. Speed (CPU time, all threads): read + decode + describe ms/panel on one core over
    a sample, and link seconds (each the fastest of a few runs), and total
    cost relative to original-edges (resize-then-Canny).
    """
    t_start = time.perf_counter()
    if not folder.is_dir():
        fail(f"not a folder: {printable(str(folder))}", 2)
    mirror_pairs = mirror_pairs or (folder / "mirror_pairs.csv" if (folder / "mirror_pairs.csv").exists() else None)
    methods = list(PRESETS.values()) + (list(BASELINES.values()) if baselines else [])
    if preset:
        methods = [METHODS[p.value] for p in preset]

    store = store or default_store()
    with console.status("describing panels (reusing the feature store)"):
        main = extract_folder(folder, all_signatures(), store, all_frames=True, workers=workers)
        extra_sigs = tuple({s.name: s for m in methods if m.name not in PRESETS for s in m.signatures}.values())
        if extra_sigs:
            extra = extract_folder(folder, extra_sigs, store, all_frames=True, workers=workers)
            main.panels.signatures.update({k: v for k, v in extra.panels.signatures.items()})
    panels = main.panels
    try:
        truth, keep = read_truth(labels, list(panels.paths), mirror_pairs)
    except LabelError as e:
        fail(str(e))
    panels = panels.take(keep)
    n = len(panels)
    console.print(f"{n:,} labelled panels in {truth.files:,} files, {len(main.bad_files)} unreadable files, {len(truth.mirror_a)} mirror pairs")

    files = list(dict.fromkeys(panels.paths))  # each file once, however many frames it has
    timing = {m.name: _describe_cost(folder, files, m, TIMING_SAMPLE) for m in methods}
    rows, links_of = [], {}
    for m in methods:
        with console.status(f"scoring {m.name}"), compiling_notice():
            row, links_of[m.name] = score_method(m, panels, truth, clusters)
        decode_ms, describe_ms = timing[m.name]
        row.update(decode_ms=decode_ms, describe_ms=describe_ms, est_s=n * (decode_ms + describe_ms) / 1000 + row["link_s"])
        rows.append(row)
    base = next((r for r in rows if r["method"] == SPEED_BASELINE), None)
    for r in rows:
        r["cost_ratio"] = r["est_s"] / base["est_s"] if base else float("nan")

    search_rows = []
    for m in methods:
        if getattr(m, "index", None) is not None:
            with console.status(f"measuring every pair with {m.name}"):
                search_rows.append(compare_search(m, panels))

    cluster_rows = []
    if clusters and SPEED_BASELINE in PRESETS:
        edges = panels.signatures["edges"]
        dist = np.stack([np.bitwise_count(edges[i] ^ edges).sum(axis=1) for i in range(n)]).astype(np.float32)
        cluster_rows.append({"method": "k-means on PCA of edge-distance rows (elbow k)", **score_clusters(kmeans_elbow(dist), truth)})
        links = links_of[SPEED_BASELINE] if SPEED_BASELINE in links_of else find_links(panels.signatures, panels.source, PRESETS[SPEED_BASELINE])
        cluster_rows.append({"method": "exact membership of original-edges links", **score_clusters(exact_membership(n, links.a, links.b), truth)})

    _print(rows, cluster_rows, search_rows)
    command = f"visualdistance eval {folder} --labels {labels}" + (f" --mirror-pairs {mirror_pairs}" if mirror_pairs else "")
    if json_out:
        json_out.write_text(json.dumps({"folder": str(folder), "panels": n, "methods": rows, "clusterings": cluster_rows,
                                        "search": search_rows,
                                        "seconds": time.perf_counter() - t_start}, indent=1, default=float))
    if markdown:
        write_markdown(markdown, folder.name, rows, cluster_rows, command, search_rows)
    if explain:
        links = links_of[DEFAULT_PRESET] if DEFAULT_PRESET in links_of else find_links(panels.signatures, panels.source, PRESETS[DEFAULT_PRESET])
        _write_explain(folder, panels, truth, links, explain)


def _write_explain(folder: Path, panels: Panels, truth: Truth, links: Links, out: Path) -> None:
    from visualdistance.loader.explain import explain as explain_pairs, step_counts  # PIL pages: only when asked

    found = explain_pairs(folder, panels, truth, links, out, progress_bar)
    console.print(", ".join(f"{v} {k}" for k, v in step_counts(found).items()) or "nothing missed, no false links")
    console.print(f"wrote {shown(out / 'index.html')}")


def _print(rows: list[dict], cluster_rows: list[dict], search_rows: list[dict]) -> None:
    t = Table("method", "links", "P", "R", "F1", "mirror R", "blank", *(f"ARI {a}" for a in communities.ALGORITHMS),
              "ms/panel", "link s", "cost")
    for r in sorted(rows, key=lambda r: -r["f1"]):
        name = r["method"] + (" (default)" if r["method"] == DEFAULT_PRESET else "")
        t.add_row(
            name, f"{r['links']:,}", figure(r["precision"], ".3f"), figure(r["recall"], ".3f"), "[bold]" + figure(r["f1"], ".3f"),
            figure(r["mirror_recall"], ".2f"), f"{r['blank_false_links']:,}",
            *(figure(r.get(f"ari_{a}"), ".3f") for a in communities.ALGORITHMS), f"{r['decode_ms'] + r['describe_ms']:.2f}",
            f"{r['link_s']:.2f}",
            figure(r["cost_ratio"], ".2f", "x"),
        )
    # a wide table: keep it readable when stdout is a file or a pipe
    wide = out_console if out_console.is_terminal else Console(width=170)
    wide.print(t)
    if search_rows:
        c = Table("candidate index of", "links (every pair)", "recall", "identical", "link s (index)", "link s (every pair)")
        for r in search_rows:
            c.add_row(r["method"], f"{r['every_pair_links']:,}", f"{r['recall']:.4f}", "yes" if r["identical"] else "[bold]no",
                      f"{r['index_s']:.2f}", f"{r['every_pair_s']:.2f}")
        wide.print(c)
    if cluster_rows:
        c = Table("baseline clustering", "ARI", "NMI", "clusters")
        for r in cluster_rows:
            c.add_row(r["method"], f"{r['ari']:.3f}", f"{r['nmi']:.3f}", f"{r['clusters']:,}")
        wide.print(c)
