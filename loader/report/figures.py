"""The report's figure pages: one per figure (every occurrence cut out of its panel, and the panel with the
figure outlined), and an overview of them all, largest first. Functions here return text."""

from __future__ import annotations

import numpy as np

from visualdistance.analysis.figures import Figures
from visualdistance.analysis.report import page_order
from visualdistance.loader.report.markup import (
    FIGURES_INDEX, Context, _document, _header, esc, figure_file, page_file, url,
)
from visualdistance.loader.report.why import _crop, _why_panel

#: occurrences on one figure page at most (a figure seen in thousands of panels keeps a page that opens)
MAX_OCCURRENCES_SHOWN = 400


def occurrences_in_page_order(ctx: Context, f: int) -> np.ndarray:
    """Figure f's occurrence rows as a reader meets their panels (page, position, frame), then by box."""
    fig = ctx.figures
    rows = np.flatnonzero(fig.figure == f)
    order = page_order(ctx.panels, fig.panel[rows])  # panel rows in page order (a panel can hold f twice)
    rank = {int(p): k for k, p in enumerate(dict.fromkeys(order.tolist()))}
    return rows[np.lexsort((fig.box[rows, 1], fig.box[rows, 0], [rank[int(p)] for p in fig.panel[rows]]))]


def render_figure_page(ctx: Context, f: int) -> str:
    """Figure f: every occurrence's crop (flipped back when it faces the other way), the panel it is in with the
    figure outlined, and the panel's reuse cluster when it has one."""
    fig: Figures = ctx.figures
    rows = occurrences_in_page_order(ctx, f)
    panels = len(np.unique(fig.panel[rows]))
    shown = rows[:MAX_OCCURRENCES_SHOWN]
    more = (f'<p class="note">{len(rows) - len(shown):,} more occurrences are in figures.csv.</p>'
            if len(rows) > len(shown) else "")
    items = "".join(_occurrence(ctx, int(k)) for k in shown.tolist())
    body = (
        f'<p class="crumbs"><a href="../index.html">← clusters</a> · <a href="index.html">all figures</a></p>'
        f'<h2 class="pagehead">Figure #{f} <span class="muted">· seen in {panels:,} panels '
        f'({len(rows):,} occurrences)</span></h2>'
        '<p class="legend">One drawn figure that region links find in each of these panels: cut out of each panel '
        "(flipped back where it faces the other way from the first), then the panel with the figure outlined in red.</p>"
        f'<ol class="figure-occurrences">{items}</ol>{more}'
    )
    title = f"Figure #{f}"
    return _document(title, _header(ctx, title, up="../"), body, up="../")


def _occurrence(ctx: Context, k: int) -> str:
    fig, p = ctx.figures, ctx.panels
    row = int(fig.panel[k])
    flipped = bool(fig.mirrored[k])
    crop = _crop(ctx, row, fig.box[k].astype(np.float64), p.ids[row] + (" (flipped back)" if flipped else ""), flip=flipped)
    c = int(ctx.clustering.membership[row])
    cluster = (f' <a class="muted" href="../{page_file(ctx.cluster_page[c])}#cluster-{c}">cluster #{c}</a>'
               if c >= 0 and c in ctx.cluster_page else "")
    return (f'<li class="occurrence" data-panel="{esc(p.ids[row])}"><div class="crops">{crop}'
            f'{_why_panel(ctx, row, "in", fig.box[k].astype(np.float64))}</div>'
            f'<p class="linkmeta">box {", ".join(str(int(round(float(v)))) for v in fig.box[k])} · '
            f'weight {float(fig.strength[k]):.2f}{cluster}</p></li>')


def render_figures_index(ctx: Context) -> str:
    """Every figure, largest first: its first occurrence cut out, how many panels show it, a link to its page."""
    fig: Figures = ctx.figures
    sizes = fig.sizes()
    items = []
    for f in range(fig.n_figures):
        first = int(occurrences_in_page_order(ctx, f)[0])
        row = int(fig.panel[first])
        crop = _crop(ctx, row, fig.box[first].astype(np.float64), f"#{f} · {int(sizes[f]):,} panels",
                     flip=bool(fig.mirrored[first]))
        items.append(f'<li class="figure-item"><a href="{url(figure_file(f)[len("figures/"):])}">{crop}</a></li>')
    body = (
        '<p class="crumbs"><a href="../index.html">← clusters</a></p>'
        f'<h2 class="pagehead">Figures <span class="muted">· {fig.n_figures:,} drawn figures seen in '
        f'{len(np.unique(fig.panel)):,} panels, largest first</span></h2>'
        '<p class="legend">A figure is what region links tie together: one drawing (a sprite, a character) pasted '
        "into several panels, at another place or size, mirrored, beside other figures. Reuse clusters are made of "
        "whole drawings only, so a figure never glues the scenes it appears in.</p>"
        f'<ol class="figures">{"".join(items)}</ol>'
    )
    return _document("Figures", _header(ctx, "Figures", up="../"), body, up="../")


def figures_link(ctx: Context) -> str:
    """The summary's line to the figures overview, when the run has figures."""
    fig = ctx.figures
    if fig is None or not fig.n_figures:
        return ""
    return (f'<p class="figures-link"><a href="{url(FIGURES_INDEX)}">Figures: {fig.n_figures:,} drawn figures seen in '
            f'{len(np.unique(fig.panel)):,} panels →</a></p>')
