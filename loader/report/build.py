"""Building a report folder: plan the clusters, make thumbnails, write the pages and exports, prune what is stale."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.analysis.figures import Figures
from visualdistance.analysis.report import ClusterPlan, plan_clusters, present
from visualdistance.loader.files import write_atomic
from visualdistance.loader.names import printable
from visualdistance.loader.graphml import write_graphml
from visualdistance.loader.progress import Progress, silent
from visualdistance.loader.report.figures import render_figure_page, render_figures_index
from visualdistance.loader.report.markup import CSS, FIGURES_INDEX, Context, figure_file, page_file, relative_href, why_file
from visualdistance.loader.report.pages import paginate, render_cluster_page, render_summary
from visualdistance.loader.report.thumbnails import MISSING_THUMB, make_all
from visualdistance.loader.report.why import render_why_page
from visualdistance.loader.run_folder import clusters as cluster_files
from visualdistance.loader.run_folder import figures as figure_files
from visualdistance.loader.run_folder import links as link_files
from visualdistance.loader.run_folder.record import RunInfo

#: written first into every report folder: a folder without it holds someone else's files
MARKER = ".visualdistance-report"


class ReportFolderTaken(Exception):
    """The destination is a file, or a folder holding files that no report wrote; str(error) is one line."""


def check_destination(dest: Path, force: bool = False) -> None:
    """ReportFolderTaken unless `dest` is missing, empty, a report folder (its MARKER), or `force` is given.

    A build replaces index.html, page-N.html, why/ and data/ files of its own names and removes the pages
    and thumbnails it no longer shows: in a folder of other files that would destroy them.
    """
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise ReportFolderTaken(f"{printable(str(dest))} is a file; give a folder for the report (it is created if missing)")
    if force or not dest.is_dir() or (dest / MARKER).is_file():
        return
    held = sorted(p.name for p in dest.iterdir())
    if held:
        shown = ", ".join(printable(n) for n in held[:3]) + (f" and {len(held) - 3:,} more" if len(held) > 3 else "")
        raise ReportFolderTaken(
            f"{printable(str(dest))} holds files no visualdistance report wrote ({shown}); give an empty or new folder, "
            "or --force to write the report there (replacing its index.html, page-N.html, why/, data/ and thumbs/ files)"
        )


@dataclass
class ReportResult:
    """What a build wrote and how long it took."""

    dest: Path
    index: Path
    pages: int
    clusters: int
    panels_shown: int
    links_explained: int
    thumbs_made: int
    thumbs_reused: int
    missing_images: list[str] = field(default_factory=list)  # panel ids whose image could not be read
    changed_images: list[str] = field(default_factory=list)  # panel ids whose file differs from the run's
    seconds: dict[str, float] = field(default_factory=dict)
    figures: int = 0  # figure pages written (a method with region links)


def build_report(
    panels: Panels,
    links: Links,
    clustering: Clustering,
    info: RunInfo,
    images: Path,
    dest: Path,
    *,
    per_page: int = 50,
    max_links: int = 20,
    workers: int | None = None,
    progress: Progress = silent,
    force: bool = False,
    figures: Figures | None = None,
) -> ReportResult:
    """Write the HTML report of `clustering` over `panels` and `links` into `dest`.

    info: the run's record (method, clustering, input), shown in the
    summary; "why matched" draws the image-shaped signatures its method
    records. images: the folder the panel paths are relative to (thumbnails
    are made from it; panels link to their files there by relative path).
    progress: its stages, "thumbnails", "why matched" and the exports.
    A `dest` holding other files than a report's is refused (ReportFolderTaken) unless `force`.
    figures: the figures of a method with region links (figures.csv): a page per figure and an overview,
    linked from the summary and from each cluster whose members show one.
    """
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    t0 = time.perf_counter()
    dest = Path(dest)
    check_destination(dest, force)
    dest.mkdir(parents=True, exist_ok=True)
    write_atomic(dest / MARKER, "This folder is a visualdistance report; `visualdistance report --to` writes here again.\n")
    for sub in ("thumbs", "why/maps", "data") + (("figures",) if figures is not None else ()):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    plans = plan_clusters(panels, links, clustering, max_links, figures)
    pages = paginate(plans, per_page)
    cluster_page = {p.cluster: n for n, page in enumerate(pages, 1) for p in page}
    shown_rows = np.concatenate([p.rows for p in plans]) if plans else np.empty(0, np.int64)
    if figures is not None:  # the panels figure pages show need thumbnails too
        shown_rows = np.union1d(shown_rows, figures.panel).astype(np.int64)

    t1 = time.perf_counter()
    thumbs, made, reused, missing, changed = make_all(panels, shown_rows, images, dest / "thumbs", workers, progress)
    t2 = time.perf_counter()

    ctx = Context(
        panels=panels,
        links=links,
        clustering=clustering,
        info=info,
        images=images,
        dest=dest,
        images_href=relative_href(images, dest),
        thumbs=thumbs,
        cluster_page=cluster_page,
        bit_images=present(info.method.drawable, panels.signatures) if info.method else [],
        figures=figures,
    )
    maps_used: set[str] = set()
    with progress(len(plans), "why matched", "clusters") as advance:
        for plan in plans:
            write_atomic(dest / why_file(plan.cluster), render_why_page(ctx, plan, maps_used))
            advance(1)
    n_figures = figures.n_figures if figures is not None else 0
    if figures is not None:  # a method with region links: a page per figure and their overview
        with progress(n_figures, "figures", "figures") as advance:
            for f in range(n_figures):
                write_atomic(dest / figure_file(f), render_figure_page(ctx, f))
                advance(1)
            write_atomic(dest / FIGURES_INDEX, render_figures_index(ctx))
    t3 = time.perf_counter()

    with progress(None, "exports (CSV, JSON, GraphML)", "files"):
        _write_exports(ctx, plans)
    t4 = time.perf_counter()

    write_atomic(dest / "report.css", CSS)
    write_atomic(
        dest / "clusters.js",
        "// cluster id -> page file, for the 'go to cluster' box\nwindow.CLUSTER_PAGES = "
        + json.dumps({str(c): page_file(n) for c, n in cluster_page.items()})
        + ";\n",
    )
    summary = render_summary(ctx, plans, pages, missing, changed)
    # Later pages first: index.html, the entry point, is written last.
    for n in range(len(pages), 0, -1):
        write_atomic(dest / page_file(n), render_cluster_page(ctx, pages, n, summary if n == 1 else ""))
    _prune(dest, len(pages), {p.cluster for p in plans}, set(thumbs.values()), maps_used, n_figures, figures is not None)
    t5 = time.perf_counter()

    return ReportResult(
        dest=dest,
        index=dest / "index.html",
        pages=len(pages),
        clusters=len(plans),
        panels_shown=len(shown_rows),
        links_explained=sum(len(p.shown) for p in plans),
        thumbs_made=made,
        thumbs_reused=reused,
        missing_images=missing,
        changed_images=changed,
        seconds={"plan": t1 - t0, "thumbnails": t2 - t1, "why": t3 - t2, "exports": t4 - t3, "pages": t5 - t4},
        figures=n_figures,
    )


def _write_exports(ctx: Context, plans: list[ClusterPlan]) -> None:
    data = ctx.dest / "data"
    link_files.write_links(data, ctx.links, ctx.panels.ids)
    cluster_files.write_clusters(data, ctx.clustering, ctx.panels, ctx.links)
    figure_files.write_figures(data, ctx.figures, ctx.panels)
    write_graphml(data / "graph.graphml", ctx.panels, ctx.links, ctx.clustering, plans, ctx.figures)


_OURS = {
    "thumbs": re.compile(r"^[0-9a-f]{16}-[0-9a-z]{4,12}\.(webp|png)$"),
    "why/maps": re.compile(r"^[0-9a-f]{20}\.png$"),
}


def _prune(dest: Path, pages: int, clusters: set[int], thumbs: set[str], maps: set[str], figures: int,
           overview: bool) -> None:
    """Remove what an earlier build wrote and this one no longer shows (only files named the way we name them)."""
    keep = {"thumbs": thumbs, "why/maps": maps}
    for sub, pattern in _OURS.items():
        for f in (dest / sub).iterdir():
            if pattern.match(f.name) and f.name not in keep[sub]:
                f.unlink()
    for f in dest.glob("page-*.html"):
        m = re.fullmatch(r"page-(\d+)\.html", f.name)
        if m and not 2 <= int(m.group(1)) <= pages:
            f.unlink()
    for f in (dest / "why").glob("cluster-*.html"):
        m = re.fullmatch(r"cluster-(\d+)\.html", f.name)
        if m and int(m.group(1)) not in clusters:
            f.unlink()
    for f in (dest / "figures").glob("figure-*.html") if (dest / "figures").is_dir() else ():
        m = re.fullmatch(r"figure-(\d+)\.html", f.name)
        if m and int(m.group(1)) >= figures:
            f.unlink()
    if not overview:
        (dest / FIGURES_INDEX).unlink(missing_ok=True)
    stale_missing = dest / "thumbs" / MISSING_THUMB
    if MISSING_THUMB not in thumbs and stale_missing.exists():
        stale_missing.unlink()
