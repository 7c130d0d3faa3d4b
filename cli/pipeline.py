"""The local pipeline's commands: extract, link, communities, and run (all three).

Each stage reads and writes the run folder (see `visualdistance.loader.run_folder`),
so stages can be rerun alone: relink with another preset without decoding, or
recluster with another algorithm without relinking.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.table import Table

from visualdistance.analysis import communities
from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.analysis.figures import Figures, figures_of_links
from visualdistance.analysis.linking import Preset, find_links, pairwise, relink, why_not_pairwise
from visualdistance.analysis.presets import (
    DEFAULT_PRESET, PRESETS, all_signatures, every_pair, expensive_signatures, get_preset,
)
from visualdistance.cli.common import check_out, compiling_notice, dask_client, default_store, out_console, shown, writes_out
from visualdistance.cli.errors import fail
from visualdistance.cli.loading import after_run
from visualdistance.cli.options import (
    DEFAULT_ALGORITHM,
    DEFAULT_OBJECTIVE,
    Algorithm,
    AlgorithmChoice,
    Corpus,
    Exhaustive,
    ExecutorChoice,
    Scheduler,
    FirstFrameOnly,
    Neo4jAfterRun,
    ObjectiveChoice,
    Objective,
    PanelsDir,
    PresetChoice,
    PresetName,
    Resolution,
    RunFolder,
    Seed,
    Store,
    Workers,
    check_corpus,
)
from visualdistance.cli.progress import console, progress_bar
from visualdistance.loader import run_folder
from visualdistance.loader.extract import ExtractResult, extract_sets
from visualdistance.loader.names import printable
from visualdistance.loader.run_folder import ClusteringInfo, MethodInfo, RunOutput

# -------------------------------------------------------------------- steps


def step_extract(
    folder: Path, out: Path, store: Path | None, workers: int | None, first_frame_only: bool, corpus: str | None = None,
    client=None, method: Preset | None = None,
) -> ExtractResult:
    """Describe the folder's panels (reusing the store; on the Dask cluster behind `client`, if given) with every
    common signature and the expensive ones `method` reads, write panels and bad files, show progress."""
    if not folder.is_dir():
        fail(f"not a folder: {printable(str(folder))}", 2)
    check_out(folder, out)
    check_corpus(corpus)
    out.mkdir(parents=True, exist_ok=True)
    # run.json first: it marks OUT as a run folder, which discovery never reads panels from.
    written = run_folder.RunFolder(out)
    written.start(folder, corpus)
    sets = (all_signatures(), expensive_signatures(method) if method else ())
    result = extract_sets(folder, sets, store or default_store(), all_frames=not first_frame_only,
                          workers=workers, exclude=(out,), progress=progress_bar, client=client)
    written.write_panels(result.panels, result.store, result.more_stores)
    written.write_bad_files(result.bad_files)
    if not len(result.panels):
        written.finish(("extract",))  # what it wrote is this run's, if empty
        _no_panels(folder, out, result.files)
    return result


def _no_panels(folder: Path, out: Path, files: int) -> None:
    """Nothing to link: say why (no image files, or none readable) instead of failing further on."""
    if files == 0:
        fail(f"no images found in {printable(str(folder))} (GIF, PNG, JPEG, WebP or BMP files, searched recursively)")
    fail(f"{files:,} file{'s' if files > 1 else ''}, all unreadable; see {printable(str(out / 'bad_files.csv'))}")


def _value(choice) -> str | None:
    """An enum option's value, None when left out."""
    return None if choice is None else choice.value


def _method(preset: PresetName, exhaustive: bool) -> Preset:
    method = get_preset(preset.value)
    return every_pair(method) if exhaustive else method


def step_link(panels: Panels, preset: Preset, client=None) -> Links:
    """The panels' links; in blocks on the Dask cluster behind `client`, if given (the same links)."""
    with console.status(f"linking {len(panels):,} panels ({preset.name})"), compiling_notice():
        return _finder(client)(panels.signatures, panels.source, preset)


def _finder(client):
    """find_links, or the same on the Dask cluster behind `client`."""
    if client is None:
        return find_links
    from visualdistance.loader.dask_link import link_on_dask

    return functools.partial(link_on_dask, client)


@dataclass(frozen=True)
class EarlierRun:
    """What a finished earlier run in OUT left for linking only what is new: its panels (no signatures),
    links and feature store; or, in `why`, the reason everything is linked again."""

    panels: Panels | None = None
    links: Links | None = None
    store: str = ""
    why: str = ""


def _earlier_run(out: Path, method: Preset) -> EarlierRun:
    """The earlier run a run into OUT can build on with this method, or why it cannot."""
    folder = run_folder.RunFolder(out)
    if not folder.has_links():
        return EarlierRun(why="no earlier run in this folder")
    try:
        info = folder.read_info()
        if info.method != MethodInfo.of(method):
            return EarlierRun(why="the method changed since the last run")
        if not pairwise(method):
            return EarlierRun(why=why_not_pairwise(method))
        earlier = folder.read_panels(signatures=False)
        links = folder.read_links({p: i for i, p in enumerate(earlier.ids)})
    except run_folder.DamagedRunFile as e:
        return EarlierRun(why=f"the last run's files cannot be reused ({e.problem})")
    return EarlierRun(earlier, links, folder.features_store() or "")


def step_link_again(ex: ExtractResult, method: Preset, earlier: EarlierRun, client=None) -> tuple[Links, dict]:
    """Links of the extracted panels: new panels against all, and the earlier run's links between
    panels that are still there unchanged; everything when there is no usable earlier run. On the Dask
    cluster behind `client`, if given."""
    panels = ex.panels
    if not earlier.why and earlier.store != str(Path(ex.store[0]).resolve()):
        earlier = EarlierRun(why="the signatures come from another feature store")
    if earlier.why:
        return step_link(panels, method, client), {"mode": "all pairs", "why": earlier.why}
    with console.status(f"linking the new panels against all {len(panels):,} ({method.name})"), compiling_notice():
        found = relink(panels, method, earlier.panels, earlier.links, _finder(client))
    if found.gone_panels:
        console.print(f"{found.gone_panels:,} panels of the last run are gone or changed: their links were dropped")
    return found.links, {"mode": "new against all", "new_panels": found.new_panels, "gone_panels": found.gone_panels,
                         "kept_links": found.kept_links, "new_links": len(found.links) - found.kept_links}


def step_communities(
    panels: Panels, links: Links, algorithm: Algorithm, objective: Objective, resolution: float, seed: int
) -> Clustering:
    with console.status(f"finding communities ({algorithm.value})"):
        return communities.cluster_links(algorithm.value, len(panels), links, objective=objective.value,
                                         resolution=resolution, seed=seed)


def step_figures(links: Links, regions: bool) -> Figures | None:
    """The figures of the region links, for a method that finds them (`regions`); None for one that does not."""
    return figures_of_links(links) if regions else None




# ----------------------------------------------------------------- summary


def _other_kinds(links: Links) -> str:
    """", of which 40 region, 12 background (not reuse)": the links that are not whole drawings, when there are any."""
    counts = {k: v for k, v in links.kind_counts().items() if v and k not in ("drawing", "redrawn")}
    if not counts:
        return ""
    said = ", ".join(f"{v:,} {k}" + (" (not reuse)" if k == "background" else "") for k, v in counts.items())
    return f"; of them {said}"


def print_summary(panels: Panels, links: Links | None, clustering: Clustering | None, bad: list | None, seconds: dict,
                  figures: Figures | None = None) -> None:
    t = Table(title="visualdistance run", show_header=False, title_justify="left")
    t.add_row("panels", f"{len(panels):,}")
    if bad is not None:
        t.add_row("bad files", f"{len(bad):,}" + (" (see bad_files.csv)" if bad else ""))
    if links is not None:
        t.add_row("links", f"{len(links):,}" + (f" ({int(links.mirrored.sum()):,} mirrored)" if len(links) else "")
                  + _other_kinds(links))
    if clustering is not None:
        sizes = clustering.sizes()
        t.add_row("clusters", f"{clustering.n_clusters:,} ({int(sizes.sum()):,} panels in clusters)")
        if len(sizes):
            t.add_row("largest", ", ".join(f"#{c}: {s}" for c, s in enumerate(sizes[:5])))
    if figures is not None:
        seen = figures.sizes()
        t.add_row("figures", f"{figures.n_figures:,} ({len(np.unique(figures.panel)):,} panels show one; "
                  f"{len(figures):,} occurrences)" + (f", largest in {', '.join(map(str, seen[:5]))} panels" if len(seen) else ""))
    t.add_row("time", "  ".join(f"{k} {v:.1f}s" for k, v in seconds.items()))
    out_console.print(t)
    if bad:
        for b in bad[:5]:
            out_console.print(f"  skipped {shown(b.path)}: {shown(b.reason)}")
        if len(bad) > 5:
            out_console.print(f"  ... and {len(bad) - 5} more in bad_files.csv")
    if clustering is not None and clustering.n_clusters:
        m = clustering.membership
        for c in range(min(3, clustering.n_clusters)):
            members = panels.ids[m == c]
            more = f" ... (+{len(members) - 4})" if len(members) > 4 else ""
            out_console.print(f"  cluster {c}: {', '.join(shown(p) for p in members[:4])}{more}")


# ---------------------------------------------------------------- commands


@writes_out
def run(
    folder: PanelsDir,
    out: RunFolder,
    preset: PresetChoice = PresetName(DEFAULT_PRESET),
    algorithm: AlgorithmChoice = DEFAULT_ALGORITHM,
    objective: ObjectiveChoice = DEFAULT_OBJECTIVE,
    resolution: Resolution = communities.RESOLUTION,
    seed: Seed = communities.SEED,
    exhaustive: Exhaustive = False,
    store: Store = None,
    workers: Workers = None,
    first_frame_only: FirstFrameOnly = False,
    corpus: Corpus = None,
    neo4j: Neo4jAfterRun = None,
    executor: ExecutorChoice = None,
    scheduler: Scheduler = None,
) -> None:
    """Find reused art in DIR: describe every panel, link similar ones, group them into clusters.

    Writes to OUT: links.csv and links.json (a, b, the distances, rule,
    mirrored, weight), clusters.csv and clusters.json (cluster, panel, page,
    path), panels.csv, bad_files.csv and run.json; prints a summary.
    A second run on the same folder reuses the feature store and decodes nothing,
    and links only the panels that are new.
    """
    method = _method(preset, exhaustive)
    t0 = time.perf_counter()
    earlier = _earlier_run(out, method)  # read before step_extract starts this run's run.json
    with dask_client(_value(executor), scheduler, workers) as client:
        ex = step_extract(folder, out, store, workers, first_frame_only, corpus, client, method)
        t1 = time.perf_counter()
        links, linking = step_link_again(ex, method, earlier, client)
    t2 = time.perf_counter()
    clustering = step_communities(ex.panels, links, algorithm, objective, resolution, seed)
    figures = step_figures(links, method.regions is not None)
    seconds = {"describe": t1 - t0, "link": t2 - t1, "communities": time.perf_counter() - t2}
    found = _write_run(run_folder.RunFolder(out), folder, ex, method, links, linking, clustering, figures, seconds)
    print_summary(ex.panels, links, clustering, ex.bad_files, seconds, figures)
    after_run(out, found, neo4j)  # the graph gets what is in memory: nothing is read back


def _write_run(out: run_folder.RunFolder, folder: Path, ex: ExtractResult, method: Preset, links: Links, linking: dict,
               clustering: Clustering, figures: Figures | None, seconds: dict) -> RunOutput:
    """Write the links, clusters and figures, then the run's record (adding the write's time to `seconds`): the
    finished run, as a later stage would read it from OUT."""
    t0 = time.perf_counter()
    with console.status(f"writing {len(links):,} links and the clusters"):
        out.write_links(links, ex.panels.ids)
        out.write_clusters(clustering, ex.panels, links, figures)
    seconds["write"] = time.perf_counter() - t0
    info = out.finish(
        ("extract", "link", "communities"),
        input=str(folder.resolve()),
        method=MethodInfo.of(method),
        clustering=ClusteringInfo.of(clustering),
        counts={"files": ex.files, "panels": len(ex.panels), "bad_files": len(ex.bad_files), "decoded": ex.decoded,
                "links": len(links), "clusters": clustering.n_clusters, **figure_counts(figures)},
        seconds=seconds,
        linking=linking,
        describe_breakdown={**ex.seconds, **{f"workers_{k}": v for k, v in ex.worker_seconds.items()}},
    )
    return RunOutput(ex.panels, links, clustering, info, figures)


def figure_counts(figures: Figures | None) -> dict[str, int]:
    """run.json's counts of the figures, when the method makes them."""
    return {} if figures is None else {"figures": figures.n_figures, "figure_occurrences": len(figures)}


@writes_out
def extract(
    folder: PanelsDir,
    out: RunFolder,
    store: Store = None,
    workers: Workers = None,
    first_frame_only: FirstFrameOnly = False,
    corpus: Corpus = None,
    executor: ExecutorChoice = None,
    scheduler: Scheduler = None,
    preset: PresetChoice = PresetName(DEFAULT_PRESET),
) -> None:
    """Describe every panel in DIR with every signature (and the costly ones --preset reads, such as
    drawing-regions' keypoints); write panels.csv, features.json, bad_files.csv."""
    t0 = time.perf_counter()
    with dask_client(_value(executor), scheduler, workers) as client:
        ex = step_extract(folder, out, store, workers, first_frame_only, corpus, client, get_preset(preset.value))
    seconds = {"describe": time.perf_counter() - t0}
    run_folder.RunFolder(out).finish(
        ("extract",), input=str(folder.resolve()),
        counts={"files": ex.files, "panels": len(ex.panels), "bad_files": len(ex.bad_files), "decoded": ex.decoded},
    )
    print_summary(ex.panels, None, None, ex.bad_files, seconds)


@writes_out
def link(
    out: RunFolder,
    preset: PresetChoice = PresetName(DEFAULT_PRESET),
    exhaustive: Exhaustive = False,
    executor: ExecutorChoice = None,
    scheduler: Scheduler = None,
) -> None:
    """Link the panels of a run folder (from `extract` or `run`) with a preset; write links.csv and links.json."""
    method = _method(preset, exhaustive)
    panels = _read_panels(out, method)
    t0 = time.perf_counter()
    with dask_client(_value(executor), scheduler, None) as client:  # a local cluster: a worker per core
        links = step_link(panels, method, client)
    folder = run_folder.RunFolder(out)
    folder.write_links(links, panels.ids)
    seconds = {"link": time.perf_counter() - t0}
    folder.finish(("link",), method=MethodInfo.of(method))
    print_summary(panels, links, None, None, seconds)


@writes_out
def communities_command(
    out: RunFolder,
    algorithm: AlgorithmChoice = DEFAULT_ALGORITHM,
    objective: ObjectiveChoice = DEFAULT_OBJECTIVE,
    resolution: Resolution = communities.RESOLUTION,
    seed: Seed = communities.SEED,
) -> None:
    """Group a run folder's linked panels into clusters (--algorithm); write clusters.csv and clusters.json."""
    panels = _read_panels(out)
    folder = run_folder.RunFolder(out)
    folder.require_stages("link")
    links = folder.read_links({p: i for i, p in enumerate(panels.ids)})
    t0 = time.perf_counter()
    clustering = step_communities(panels, links, algorithm, objective, resolution, seed)
    info = folder.read_info()
    figures = step_figures(links, bool(info.method and info.method.regions))
    folder.write_clusters(clustering, panels, links, figures)
    seconds = {"communities": time.perf_counter() - t0}
    counts = {k: v for k, v in info.counts.items() if k not in ("clusters", "figures", "figure_occurrences")}
    folder.finish(("communities",), clustering=ClusteringInfo.of(clustering),
                  counts={**counts, "clusters": clustering.n_clusters, **figure_counts(figures)})
    print_summary(panels, links, clustering, None, seconds, figures)


def presets() -> None:
    """List the linking methods (presets) with what each one does."""
    t = Table("preset", "rules", "description")
    for p in PRESETS.values():
        rules = "\n".join(f"{r.name}: {r.describe()}" for r in p.rules)
        rules += "".join(f"\nif mirrored, {r.name}: {r.describe()}" for r in p.mirrored_checks)
        rules += f"\ncandidates: {p.index.describe()} (--exhaustive: every pair)" if p.index else ""
        rules += f"\n{p.regions.describe()}" if p.regions else ""
        t.add_row(p.name + (" (default)" if p.name == DEFAULT_PRESET else ""), rules, p.description)
    out_console.print(t)


def _read_panels(out: Path, method: Preset | None = None) -> Panels:
    """The run folder's panels with their signatures; with a `method`, ends the command when they lack one it
    reads (an expensive signature is described only for a preset that reads it)."""
    folder = run_folder.RunFolder(out)
    folder.require_stages("extract")
    panels = folder.read_panels()
    if not len(panels):
        fail(f"{printable(str(out))} has no panels (its input had no readable image; see bad_files.csv there)")
    lacking = [s.name for s in (method.signatures if method else ()) if s.name not in panels.signatures]
    if lacking:
        source = folder.recorded_input() or "DIR"
        fail(f"{printable(str(out))}'s panels were described without {', '.join(lacking)}, which {method.name} reads; "
             f"run `visualdistance extract {printable(source)} --out {printable(str(out))} --preset {method.name}` first")
    return panels
