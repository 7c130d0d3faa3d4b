"""`visualdistance report`: a static HTML report of a run folder's clusters."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from visualdistance.cli.common import out_console, shown
from visualdistance.cli.errors import fail
from visualdistance.cli.options import Force, ImagesDir, LinksPerCluster, PerPage, ReportFolder, RunFolder, Workers
from visualdistance.cli.progress import progress_bar
from visualdistance.loader import run_folder
from visualdistance.loader.report import ReportFolderTaken, ReportResult, build_report, check_destination


def report(
    out: RunFolder,
    to: ReportFolder = None,
    images: ImagesDir = None,
    per_page: PerPage = 50,
    links_per_cluster: LinksPerCluster = 20,
    workers: Workers = None,
    force: Force = False,
) -> None:
    """Write a static HTML report of OUT's clusters: open REPORT/index.html from disk, no server needed.

    Clusters come largest first, each a grid of thumbnails in page order with
    the original (earliest page) and mirrored members marked; every link
    shown has a "why matched" view with both edge maps and their difference.
    REPORT/data holds clusters and links as CSV and JSON and the link graph as
    GraphML. Thumbnails are made once and reused while the image is unchanged.
    Panels link to their image files by relative path, so moving the report
    elsewhere needs the images folder alongside.

    A --to folder that holds other files than an earlier report is refused
    (exit 2) unless --force: the report replaces files of its own names there.

    Exit status: 0 on success; 1 when the run folder or images cannot be used;
    2 for bad options or a --to that is a file or holds other files; 130 when interrupted.
    """
    try:
        run = run_folder.RunFolder(out).read(through="communities")
    except (OSError, ValueError, KeyError) as exc:
        fail(f"cannot read the run folder {out}: {type(exc).__name__}: {exc}")
    images = _images_folder(out, run.info.input, images)
    dest = _destination(out, images, to, force)
    try:
        result = build_report(run.panels, run.links, run.clustering, run.info, images, dest, per_page=per_page,
                              max_links=links_per_cluster, workers=workers, progress=progress_bar,
                              force=force or to is None, figures=run.figures)
    except OSError as exc:
        fail(f"cannot write the report to {exc.filename or dest}: {exc.strerror or exc}")
    _print_summary(result)


def _images_folder(out: Path, recorded: str, images: Path | None) -> Path:
    """--images, else the input folder run.json records; a missing one ends the command (exit 1)."""
    if images is None:
        if not recorded:
            fail(f"{out}/run.json does not say where the images are; pass --images DIR")
        images = Path(recorded)
    if not images.is_dir():
        fail(f"images folder not found: {images} (pass --images DIR where the panels now live)")
    return images


def _destination(out: Path, images: Path, to: Path | None, force: bool) -> Path:
    """The report folder: --to, else OUT/report; refused inside the images folder (exit 1) and, without
    --force, when it holds files no report wrote (exit 2)."""
    dest = to if to is not None else out / "report"
    if _inside(dest, images) and not _inside(dest, out):
        # The next `run` on the images folder would describe the thumbnails as panels.
        fail(f"the report folder {dest} is inside the images folder {images}; choose another --to")
    try:
        # OUT/report lies in the run folder, which the commands own: only another folder needs the report's mark
        check_destination(dest, force or to is None)
    except ReportFolderTaken as exc:
        fail(f"--to {exc}" if to is not None else str(exc), 2)
    return dest


def _print_summary(result: ReportResult) -> None:
    t = Table(title="visualdistance report", show_header=False, title_justify="left")
    t.add_row("clusters", f"{result.clusters:,} on {result.pages:,} page(s)")
    t.add_row("panels shown", f"{result.panels_shown:,} ({result.thumbs_made:,} thumbnails made, {result.thumbs_reused:,} reused)")
    t.add_row("links explained", f"{result.links_explained:,}")
    if result.figures:
        t.add_row("figures", f"{result.figures:,} figure pages (figures/index.html)")
    if result.missing_images:
        t.add_row("missing images", f"{len(result.missing_images):,} (placeholder shown), e.g. {shown(result.missing_images[0])}")
    if result.changed_images:
        t.add_row("changed images", f"{len(result.changed_images):,} differ from the run, e.g. {shown(result.changed_images[0])}")
    sec = result.seconds
    t.add_row("time", f"{sum(sec.values()):.1f}s (thumbnails {sec['thumbnails']:.1f}s, why matched {sec['why']:.1f}s)")
    out_console.print(t)
    # On a line of its own and never wrapped, so it can be copied or clicked in any terminal.
    out_console.print(f"open {shown(result.index.resolve().as_uri())}", soft_wrap=True, highlight=False)


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())

