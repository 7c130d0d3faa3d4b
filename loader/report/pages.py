"""The report's HTML: cluster pages with their summary and pager, and "why matched" pages.

Functions here return text; `build` decides what is written where.
"""

from __future__ import annotations

import hashlib
import html
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import numpy as np

from visualdistance import __version__
from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.analysis.report import BOTH, ONLY_A, ONLY_B, BitImage, ClusterPlan, bit_map, map_rgb, xor_rgb
from visualdistance.loader.link_table import link_number
from visualdistance.loader.names import ENCODING_ERRORS
from visualdistance.loader.run_folder.record import MethodInfo, RunInfo
from visualdistance.loader.report.thumbnails import write_png

#: bit maps are drawn this many screen pixels per bit (100x100 edges -> 240 px), crisp
MAP_SCALE = 2.4
#: a page of clusters also ends once it holds this many panels (one giant cluster stays whole)
MAX_PANELS_PER_PAGE = 2000

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


# ---------------------------------------------------------------- why pages


def _map_file(ctx: Context, rgb: np.ndarray, used: set[str]) -> str:
    """Write a small map image once, named by its pixels; returns its name under why/maps/."""
    name = hashlib.sha1(rgb.tobytes() + str(rgb.shape).encode()).hexdigest()[:20] + ".png"
    if name not in used and not (ctx.dest / "why/maps" / name).exists():
        write_png(rgb, ctx.dest / "why/maps" / name)
    used.add(name)
    return name


def render_why_page(ctx: Context, plan: ClusterPlan, maps_used: set[str]) -> str:
    p, L = ctx.panels, ctx.links
    back = f"../{page_file(ctx.cluster_page[plan.cluster])}#cluster-{plan.cluster}"
    parts = [
        f'<p class="crumbs"><a href="{back}">← cluster #{plan.cluster}</a> · '
        f"{plan.size} panels · {len(plan.shown)} of {plan.internal_links} links explained "
        "(every member's strongest tie, then the strongest others)</p>",
        _legend(ctx),
    ]
    if not len(plan.shown):
        parts.append('<p class="note">No link joins these panels directly; the clustering grouped them by other ties.</p>')
    labels = L.rule_labels()
    member_of = {int(r): k for k, r in enumerate(plan.rows.tolist())}
    for k in plan.shown.tolist():
        a, b = int(L.a[k]), int(L.b[k])
        # Show the earlier panel first, the way a reader met them.
        if member_of[b] < member_of[a]:
            a, b = b, a
        mirrored = bool(L.mirrored[k])
        title = f"{esc(p.ids[a])} <span class=\"vs\">↔</span> {esc(p.ids[b])}"
        badges = '<span class="badge mirrored">mirrored</span>' if mirrored else ""
        figures = [_why_panel(ctx, a, "a"), _why_panel(ctx, b, "b")]
        maps = []
        for bi in ctx.bit_images:
            ma = bit_map(p.signatures, bi, a)
            mb = bit_map(p.signatures, bi, b, mirrored)
            diff = int(np.count_nonzero(ma ^ mb))
            note = "" if bi.used else ' <span class="muted">(shown for context; this method did not use it)</span>'
            maps.append(
                f'<div class="maps"><h4>{esc(bi.signature)} {bi.shape[1]}×{bi.shape[0]}{note}</h4>'
                + _map_figure(ctx, map_rgb(ma), maps_used, f"a: {p.ids[a]}")
                + _map_figure(ctx, map_rgb(mb), maps_used, f"b: {p.ids[b]}" + (" (mirrored)" if mirrored else ""))
                + _map_figure(ctx, xor_rgb(ma, mb), maps_used, _difference_caption(L, k, bi.metric, diff), cls="diff")
                + "</div>"
            )
        parts.append(
            f'<section class="link" id="link-{k}"><h3><a href="#link-{k}">{title}</a> {badges}</h3>'
            f'<div class="linkbody"><div class="pair">{"".join(figures)}</div>'
            f'<div class="evidence">{"".join(maps)}{_distance_table(ctx, k, labels[k])}</div></div></section>'
        )
    return _document(
        f"Why matched · cluster #{plan.cluster}",
        _header(ctx, f"Why matched · cluster #{plan.cluster}", up="../"),
        "\n".join(parts),
        up="../",
    )


def _difference_caption(links: Links, k: int, metric: str, diff: int) -> str:
    """What the difference image counts. It is the metric's distance only for a plain pixel count (the
    edge maps' Hamming distance); a metric that aligns the drawings first and forgives lines a pixel
    apart (the drawing distance) can be 0 where pixels differ as drawn, and must not read as a contradiction."""
    d = links.distances.get(metric)
    value = float(d[k]) if d is not None else float("nan")
    if value == diff:
        return f"difference: {diff:,} pixels (the {metric} distance)"
    return f"{diff:,} pixels differ as drawn; the {metric} distance, {_fmt(value)}, is measured another way (below)"


def _why_panel(ctx: Context, row: int, side: str) -> str:
    return (
        f'<figure class="side"><a href="{_full_href(ctx, row, "../")}">'
        f'<img src="{url("../thumbs/" + ctx.thumbs[row])}" alt="{esc(ctx.panels.ids[row])}"></a>'
        f'<figcaption><b>{side}</b> {esc(_page_label(ctx.panels, row))} · <code>{esc(ctx.panels.ids[row])}</code></figcaption></figure>'
    )


def _map_figure(ctx: Context, rgb: np.ndarray, used: set[str], caption: str, cls: str = "") -> str:
    name = _map_file(ctx, rgb, used)
    return (
        f'<figure class="map {cls}"><img src="{url("maps/" + name)}" alt="{esc(caption)}" '
        f'width="{round(rgb.shape[1] * MAP_SCALE)}" height="{round(rgb.shape[0] * MAP_SCALE)}"><figcaption>{esc(caption)}</figcaption></figure>'
    )


def _legend(ctx: Context) -> str:
    if not ctx.bit_images:
        return '<p class="note">This method has no image-shaped signature to draw; the distances below are what matched.</p>'
    sw = lambda rgb: f'<i class="sw" style="background:rgb{rgb}"></i>'  # noqa: E731
    return (
        '<p class="legend">Difference: '
        f"{sw(ONLY_A)} only in a · {sw(ONLY_B)} only in b · {sw(BOTH)} in both. "
        "A mirrored link compares a with b flipped left to right. "
        "A pair matches a rule when its distance is under the larger of the two panels' thresholds.</p>"
    )


def _distance_table(ctx: Context, k: int, matched_label: str) -> str:
    L = ctx.links
    rules = ctx.info.method.rules if ctx.info.method else {}
    # the links say which metric each rule decided with; the record adds its threshold as written
    metrics = L.rule_metrics or ("",) * len(L.rule_names)  # links.json from before rule_metrics: the record's
    rule_of = {metric or (rules[name].metric if name in rules else ""): (name, rules[name].threshold if name in rules else "")
               for name, metric in zip(L.rule_names, metrics)}
    matched = set(matched_label.split("+")) if matched_label else set()
    rows = []
    for metric, values in L.distances.items():
        d = float(values[k])
        thr = float(L.thresholds[metric][k]) if metric in L.thresholds else None
        rule, how = rule_of.get(metric, ("", ""))
        if thr is None:
            verdict, cls = "recorded only", "muted"
        elif not np.isfinite(d):
            # NaN: never measured for this pair; infinite: a metric without a mirrored form, on a mirrored link
            verdict, cls = ("not measured mirrored" if d == np.inf and L.mirrored[k] else "not measured"), "muted"
        elif rule in matched:
            verdict, cls = "matched", "yes"
        elif d < thr:
            verdict, cls = "under threshold; the rule's other conditions failed", "no"
        else:
            verdict, cls = "over threshold", "no"
        rows.append(
            f"<tr><td>{esc(metric)}</td><td class=num>{_fmt(d)}</td><td class=num>{_fmt(thr)}</td>"
            f"<td>{esc(rule)}{' <span class=muted>' + esc(how) + '</span>' if how else ''}</td>"
            f'<td class="{cls}">{verdict}</td></tr>'
        )
    return (
        '<table class="dist"><thead><tr><th>metric</th><th>distance</th><th>threshold</th><th>rule</th><th></th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        f'<p class="linkmeta">weight {_fmt(float(L.weight[k]))} · rule {esc(matched_label or "—")}'
        f" · {'mirrored' if L.mirrored[k] else 'direct'}</p>"
    )


# ----------------------------------------------------------------- main pages


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
    exports = " ".join(
        f'<a class="file" href="data/{name}" download>{name}</a>'
        for name in ("clusters.csv", "clusters.json", "links.csv", "links.json", "graph.graphml")
    )
    toc = "".join(
        f'<a href="{_cluster_href(ctx, p.cluster)}" title="{p.size} panels">#{p.cluster}<small>{p.size}</small></a>' for p in plans
    )
    return (
        f'<section class="summary" id="summary"><h1>Reused art: {len(plans):,} clusters</h1><div class="stats">{tiles}</div>'
        f'<dl class="facts">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>{warn}'
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
    return f'<table class="rules"><tr><th>rule</th><th>metric</th><th>threshold</th></tr>{rows}</table><small class="muted">{" · ".join(notes)}</small>'


def _document(title: str, header: str, body: str, up: str = "", script: bool = False) -> str:
    scripts = f'<script src="{up}clusters.js"></script><script>{JS}</script>' if script else ""
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><link rel=\"stylesheet\" href=\"{up}report.css\">"
        '<link rel="icon" href="data:,">'  # no favicon request (a console error from file://)
        f"</head><body>{header}<main>{body}</main>{scripts}</body></html>\n"
    )
