"""The report's cluster pages: the summary, then clusters in pages of at most so many, each a grid of its
members. Functions here return text; `build` decides what is written where (the "why matched" pages: `why`)."""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from visualdistance import __version__
from visualdistance.analysis.report import ClusterPlan
from visualdistance.loader.report.markup import (
    Context,
    _document,
    _full_href,
    _header,
    _page_label,
    _pager,
    esc,
    page_file,
    figure_file,
    url,
    why_file,
)
from visualdistance.loader.report.figures import figures_link
from visualdistance.loader.run_folder.record import MethodInfo

#: a page of clusters also ends once it holds this many panels (one giant cluster stays whole)
MAX_PANELS_PER_PAGE = 2000


def paginate(plans: list[ClusterPlan], per_page: int, max_panels: int = MAX_PANELS_PER_PAGE) -> list[list[ClusterPlan]]:
    """Clusters split into pages of at most `per_page` clusters and (unless one cluster is bigger) `max_panels` panels."""
    pages: list[list[ClusterPlan]] = []
    current: list[ClusterPlan] = []
    panels = 0
    for p in plans:
        if current and (len(current) >= per_page or panels + p.size > max_panels):
            pages.append(current)
            current, panels = [], 0
        current.append(p)
        panels += p.size
    if current or not pages:
        pages.append(current)
    return pages


def render_cluster_page(ctx: Context, pages: list[list[ClusterPlan]], n: int, summary: str) -> str:
    page = pages[n - 1]
    first = f"#{page[0].cluster}" if page else ""
    heading = (
        f'<h2 class="pagehead">Clusters {first} – #{page[-1].cluster} <span class="muted">· page {n} of {len(pages)}</span></h2>'
        if page
        else '<p class="note">No clusters: no two panels were linked.</p>'
    )
    body = summary + heading + "\n".join(_cluster_section(ctx, plan) for plan in page)
    if len(pages) > 1:
        body += f'<footer class="bottom">{_pager(len(pages), n)}</footer>'
    title = "Cluster report" if n == 1 else f"Cluster report · page {n}"
    return _document(title, _header(ctx, title, pages=len(pages), current=n), body, script=True)


def _cluster_href(ctx: Context, c: int) -> str:
    """href of a cluster's section (made of our own page names and numbers: nothing to escape)."""
    return f"{page_file(ctx.cluster_page[c])}#cluster-{c}"


def _cluster_section(ctx: Context, plan: ClusterPlan) -> str:
    p = ctx.panels
    pages = [int(x) for x in p.page[plan.rows] if x >= 0]
    span = ""
    if pages:
        lo, hi = min(pages), max(pages)
        span = f" · page {lo}" if lo == hi else f" · pages {lo}–{hi}"
    mirrored_note = f", {plan.mirrored_links} mirrored" if plan.mirrored_links else ""
    near = ""
    if plan.neighbours:
        top = sorted(plan.neighbours.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
        near = '<p class="near">also linked to ' + ", ".join(
            f'<a href="{_cluster_href(ctx, c)}">#{c}</a> <span class="muted">({n})</span>' for c, n in top
        ) + (" …" if len(plan.neighbours) > len(top) else "") + "</p>"
    near += _figure_elsewhere(ctx, plan)
    # one thumbnail per file: its other pictures in this cluster (cuts of one animation) open on demand
    by_file: dict[str, list[int]] = {}
    for k, row in enumerate(plan.rows.tolist()):
        by_file.setdefault(p.paths[row], []).append(k)
    items = []
    for ks in by_file.values():
        more = ""
        if len(ks) > 1:
            rows = plan.rows[ks]
            frames = int((p.last_frame[rows] - p.frame[rows] + 1).sum())
            more = (f'<details class="more"><summary>+{len(ks) - 1} more of this file ({frames} frames)</summary>'
                    f'<ol class="grid">{"".join(_member_item(ctx, plan, k) for k in ks[1:])}</ol></details>')
        items.append(_member_item(ctx, plan, ks[0], more))
    flag = (' <span class="loose" title="held together by a weak tie or a chain of links, not one drawing: '
            'look before trusting it">loose</span>') if plan.loose else ""
    return (
        f'<section class="cluster{" loose" if plan.loose else ""}" id="cluster-{plan.cluster}" data-size="{plan.size}" '
        f'data-weakest="{plan.weakest:.3f}">'
        f'<div class="chead"><h3><a href="#cluster-{plan.cluster}">Cluster #{plan.cluster}</a>{flag}</h3>'
        f'<span class="meta">{plan.size} panels{span} · {plan.internal_links} links{mirrored_note} · '
        f'weakest link {plan.weakest:.2f} · {plan.density:.0%} of pairs linked</span>'
        f'<a class="whylink" href="{url(why_file(plan.cluster))}">why matched →</a></div>{near}'
        f'<ol class="grid">{"".join(items)}</ol></section>'
    )


#: at most this many panels named after "this figure also appears in", per figure
FIGURE_ELSEWHERE_SHOWN = 8


def _figure_elsewhere(ctx: Context, plan: ClusterPlan) -> str:
    """"figure #f also appears in ...": for each figure its members show (analysis/figures.py), a link to the
    figure's page and the panels outside the cluster that show it, in page order, each with its cluster."""
    if not len(plan.figures):
        return ""
    m = ctx.clustering.membership

    def named(row: int) -> str:
        where = f' <a class="muted" href="{_cluster_href(ctx, int(m[row]))}">(#{int(m[row])})</a>' if m[row] >= 0 else ""
        return (f'<a href="{_full_href(ctx, row)}" title="{esc(ctx.panels.ids[row])}">'
                f"{esc(_page_label(ctx.panels, row))} <code>{esc(ctx.panels.ids[row])}</code></a>{where}")

    said = []
    for f, rows in zip(plan.figures.tolist(), plan.figure_elsewhere):
        link = f'<a class="figure" href="{url(figure_file(f))}">figure #{f}</a>'
        if not len(rows):
            said.append(f"{link} appears only here")
            continue
        more = " …" if len(rows) > FIGURE_ELSEWHERE_SHOWN else ""
        said.append(f"this {link} also appears in "
                    + ", ".join(named(r) for r in rows[:FIGURE_ELSEWHERE_SHOWN].tolist()) + more)
    return '<p class="near figure-elsewhere">' + " · ".join(said) + "</p>"


def _member_item(ctx: Context, plan: ClusterPlan, k: int, more: str = "") -> str:
    """Member k of a cluster as a grid item: thumbnail, badges, caption, its strongest tie; `more` goes at its end."""
    p = ctx.panels
    row = int(plan.rows[k])
    badges = []
    if k == 0:
        badges.append('<span class="badge original" title="earliest page in the cluster">original</span>')
    if plan.mirrored[k]:
        badges.append('<span class="badge mirrored" title="faces the other way from the original">mirrored</span>')
    frames = int(p.last_frame[row]) - int(p.frame[row]) + 1
    if frames > 1:
        badges.append(f'<span class="badge frames" title="frames that repeat this picture">{frames} frames</span>')
    why = ""
    if plan.via[k] >= 0:
        link = int(plan.via[k])
        other = int(ctx.links.a[link]) if int(ctx.links.b[link]) == row else int(ctx.links.b[link])
        why = (
            f'<a class="why" href="{url(why_file(plan.cluster))}#link-{link}" title="why it matched {esc(p.ids[other])}">'
            f"why ↔ {esc(p.ids[other])}</a>"
        )
    cls = "panel" + (" original" if k == 0 else "") + (" mirrored" if plan.mirrored[k] else "")
    return (
        f'<li class="{cls}"><a class="thumb" href="{_full_href(ctx, row)}" title="{esc(p.ids[row])}">'
        f'<img src="{url("thumbs/" + ctx.thumbs[row])}" alt="{esc(p.ids[row])}" loading="lazy" decoding="async">'
        f'<span class="badges">{"".join(badges)}</span></a>'
        f'<div class="cap"><span class="pg">{esc(_page_label(p, row))}</span>'
        f'<code class="pid" title="{esc(p.ids[row])}">{esc(p.ids[row])}</code>{why}</div>{more}</li>'
    )


def render_summary(ctx: Context, plans: list[ClusterPlan], pages: list[list[ClusterPlan]], missing: list[str], changed: list[str]) -> str:
    info, L, c = ctx.info, ctx.links, ctx.clustering
    method = info.method
    sizes = [p.size for p in plans]
    stats = [
        ("panels", f"{len(ctx.panels):,}", f"{sum(sizes):,} in clusters"),
        ("links", f"{len(L):,}", f"{int(L.mirrored.sum()):,} mirrored"),
        ("clusters", f"{len(plans):,}", f"largest {max(sizes)}" if sizes else "none"),
        ("pages", f"{len(pages):,}", "of this report"),
    ]
    if ctx.figures is not None:
        seen = ctx.figures.sizes()
        stats.insert(3, ("figures", f"{ctx.figures.n_figures:,}", f"largest in {int(seen[0])} panels" if len(seen) else "none"))
    tiles = "".join(f'<div class="stat"><b>{esc(v)}</b><span>{esc(k)}</span><small>{esc(s)}</small></div>' for k, v, s in stats)
    params = {k: v for k, v in c.params.items() if k != "algorithm"}
    q = "" if not np.isfinite(c.modularity) else f" · modularity {c.modularity:.3f}"
    facts = [
        ("method", f"<b>{esc(method.preset if method else 'unknown')}</b>"
         + (f" <span class=muted>{esc(method.description)}</span>" if method and method.description else "")),
        ("rules", _rules_html(method)),
        ("clustering", f"{esc(c.algorithm)} <span class=muted>{esc(', '.join(f'{k} {v}' for k, v in params.items()))}{q}</span>"),
        ("run id", f"<code>{esc(c.run_id)}</code>"),
        ("images", f"<code>{esc(ctx.images)}</code>"),
        ("made", f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by visualdistance {esc(__version__)}"),
    ]
    warn = ""
    if missing:
        warn += (f'<p class="warn">{len(missing):,} image(s) could not be read from the images folder and show a placeholder: '
                 f"{esc(', '.join(missing[:5]))}{' …' if len(missing) > 5 else ''}</p>")
    if changed:
        warn += (f'<p class="warn">{len(changed):,} image(s) changed since the run; their thumbnails show the new file: '
                 f"{esc(', '.join(changed[:5]))}{' …' if len(changed) > 5 else ''}</p>")
    names = ("clusters.csv", "clusters.json", "links.csv", "links.json") + (("figures.csv",) if ctx.figures is not None else ()) + (
        "graph.graphml",)
    exports = " ".join(f'<a class="file" href="data/{name}" download>{name}</a>' for name in names)
    toc = "".join(
        f'<a href="{_cluster_href(ctx, p.cluster)}" title="{p.size} panels">#{p.cluster}<small>{p.size}</small></a>' for p in plans
    )
    return (
        f'<section class="summary" id="summary"><h1>Reused art: {len(plans):,} clusters</h1><div class="stats">{tiles}</div>'
        f'<dl class="facts">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>{warn}{figures_link(ctx)}'
        f'<p class="exports"><span>Exports</span>{exports} <small class="muted">GraphML opens in Gephi or Cytoscape; nodes carry their cluster.</small></p>'
        f'<details class="toc" {"open" if len(plans) <= 300 else ""}><summary>All clusters, largest first</summary><nav>{toc}</nav></details></section>'
    )


def _rules_html(method: MethodInfo | None) -> str:
    if method is None or not method.rules:
        return "—"
    rows = "".join(
        f"<tr><td>{esc(name)}</td><td>{esc(r.metric)}</td><td>&lt; {esc(' and '.join((r.threshold,) + r.requires + r.gates))}</td></tr>"
        for name, r in method.rules.items()
    )
    notes = ["a pair links when any rule matches"]
    for gate in method.gates:
        notes.append(f"only panels with {esc(gate)} link")
    if method.regions:
        notes.append(f"besides, {esc(method.regions)} (region links: a figure in both panels; background links are never reuse)")
    return f'<table class="rules"><tr><th>rule</th><th>metric</th><th>threshold</th></tr>{rows}</table><small class="muted">{" · ".join(notes)}</small>'
