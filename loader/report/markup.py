"""What every page of the report shares: its look and script, escaping and hrefs, page file names, the
header with its pager, and the document around a page's body. Functions here return text."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.analysis.figures import Figures
from visualdistance.analysis.report import BitImage
from visualdistance.loader.link_table import link_number
from visualdistance.loader.names import ENCODING_ERRORS
from visualdistance.loader.run_folder.record import RunInfo

#: the report's look and its one script, package files
CSS = resources.files(__package__).joinpath("report.css").read_text(encoding="utf-8")
JS = resources.files(__package__).joinpath("report.js").read_text(encoding="utf-8")


def esc(value: object) -> str:
    """Text or attribute value, HTML-escaped (quotes included)."""
    return html.escape(str(value), quote=True)


def url(path: str) -> str:
    """A relative POSIX path as an href/src value: percent-encoded, then HTML-escaped."""
    # A name that is not UTF-8 is percent-encoded as its original bytes, which is how the file is found.
    return esc(quote(path, safe="/", errors=ENCODING_ERRORS))


def page_file(number: int) -> str:
    return "index.html" if number == 1 else f"page-{number}.html"


def why_file(cluster: int) -> str:
    return f"why/cluster-{cluster}.html"


def figure_file(figure: int) -> str:
    return f"figures/figure-{figure}.html"


FIGURES_INDEX = "figures/index.html"


def _fmt(x: float | None) -> str:
    v = None if x is None else link_number(x)
    return "—" if v is None else f"{v:,}"


def _page_label(panels: Panels, row: int) -> str:
    page = int(panels.page[row])
    label = f"page {page}" if page >= 0 else "no page"
    first, last = int(panels.frame[row]), int(panels.last_frame[row])
    if last > first:  # frames that repeat its picture: the full image (the animation) shows them
        label += f" · frames {first}–{last}"
    elif first > 0:
        label += f" · frame {first}"
    return label


@dataclass
class Context:
    """What every page of one build needs to know."""

    panels: Panels
    links: Links
    clustering: Clustering
    info: RunInfo
    images: Path
    dest: Path
    images_href: str  # the image folder relative to the report folder, POSIX
    thumbs: dict[int, str]  # panel row -> thumbnail file name
    cluster_page: dict[int, int]
    bit_images: list[BitImage]
    figures: Figures | None = None  # a method with region links: the figures they make (figure pages)


def relative_href(images: Path, dest: Path) -> str:
    """The images folder as seen from the report folder: a relative POSIX path, or a file: URI
    ending in "/" where no relative path exists (another drive on Windows)."""
    try:
        rel = os.path.relpath(Path(images).resolve(), Path(dest).resolve())
    except ValueError:
        return Path(images).resolve().as_uri() + "/"
    return Path(rel).as_posix()


def _full_href(ctx: Context, row: int, up: str = "") -> str:
    """href of a panel's original file, from a page `up` levels below the report folder."""
    if ctx.images_href.endswith("/"):
        return esc(ctx.images_href + quote(str(ctx.panels.paths[row]), safe="/", errors=ENCODING_ERRORS))
    return url(f"{up}{ctx.images_href}/{ctx.panels.paths[row]}")


def _header(ctx: Context, title: str, up: str = "", pages: int = 0, current: int = 0) -> str:
    nav = ""
    if pages:
        nav = _pager(pages, current)
        nav += (
            '<form class="jump" id="jump"><label>cluster # <input name="c" inputmode="numeric" size="5" '
            'autocomplete="off"></label><button>go</button><span id="jump-msg"></span></form>'
        )
    run_id = esc(ctx.clustering.run_id)
    return (
        f'<header class="top"><div class="bar"><a class="brand" href="{up}index.html">visualdistance</a>'
        f'<span class="title">{esc(title)}</span><span class="run">run {run_id}</span>{nav}</div></header>'
    )


def _pager(pages: int, current: int) -> str:
    """Previous, a window of page numbers around the current one with the ends, next."""
    wanted = sorted({1, pages, *range(max(1, current - 3), min(pages, current + 3) + 1)})
    items = []
    prev_n = 0
    for n in wanted:
        if n - prev_n > 1:
            items.append('<span class="gap">…</span>')
        cls = ' class="current" aria-current="page"' if n == current else ""
        items.append(f'<a{cls} href="{page_file(n)}">{n}</a>')
        prev_n = n
    prev_link = f'<a class="step" rel="prev" href="{page_file(current - 1)}">‹ prev</a>' if current > 1 else '<span class="step off">‹ prev</span>'
    next_link = f'<a class="step" rel="next" href="{page_file(current + 1)}">next ›</a>' if current < pages else '<span class="step off">next ›</span>'
    return f'<nav class="pager">{prev_link}{"".join(items)}{next_link}</nav>'


def _document(title: str, header: str, body: str, up: str = "", script: bool = False) -> str:
    scripts = f'<script src="{up}clusters.js"></script><script>{JS}</script>' if script else ""
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><link rel=\"stylesheet\" href=\"{up}report.css\">"
        '<link rel="icon" href="data:,">'  # no favicon request (a console error from file://)
        f"</head><body>{header}<main>{body}</main>{scripts}</body></html>\n"
    )
