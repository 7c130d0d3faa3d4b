"""The static HTML cluster report: a folder opened straight from disk, no server.

Layout of the report folder::

    index.html, page-2.html, ...   summary, contents, then clusters (largest first)
    why/cluster-<id>.html          "why matched": edge maps, their difference, distances
    why/maps/*.png                 bit-map and difference images (named by content)
    figures/index.html, figure-<id>.html   a method with region links: every figure, and each one's occurrences
    thumbs/*.webp                  one small thumbnail per file shown
    data/                          links.csv/json, clusters.csv/json, figures.csv, graph.graphml
    report.css, clusters.js        shared look, and the cluster -> page map for "go to"
    .visualdistance-report         written first: marks the folder as a report (others are refused)

Modules, by job: `build` (what is written, in which order), `pages` (the
cluster pages and summary), `why` (the "why matched" pages), `figures` (the figure pages), `markup` (what
every page shares), `thumbnails` (small images of the panels) and `explain`
(`eval --explain`'s page of the pairs a method got wrong, not part of a
report folder); the look is `report.css` and
`report.js`, package files. `build_report` takes plain data (panels, links, a
clustering from anywhere, run info) so the same report can show a clustering
made elsewhere. Every file is written under a temporary name and renamed;
index.html comes last, so an interrupted build never leaves a report that
points at missing files.
"""

from visualdistance.loader.report.build import MARKER, ReportFolderTaken, ReportResult, build_report, check_destination
from visualdistance.loader.report.pages import paginate
from visualdistance.loader.report.thumbnails import make_thumbnails, thumb_name

__all__ = ["MARKER", "ReportFolderTaken", "ReportResult", "build_report", "check_destination", "make_thumbnails", "paginate",
           "thumb_name"]
