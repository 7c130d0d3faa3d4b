"""The "why matched" page of a cluster: each link shown with both panels, their bit maps and difference, and
every distance against its threshold. Functions here return text; the maps they draw are written once each."""

from __future__ import annotations

import hashlib

import numpy as np

from visualdistance.analysis.data import Links
from visualdistance.analysis.report import BOTH, ONLY_A, ONLY_B, ClusterPlan, bit_map, map_rgb, xor_rgb
from visualdistance.loader.report.markup import Context, _document, _fmt, _full_href, _header, _page_label, esc, page_file, url
from visualdistance.loader.report.thumbnails import write_png

#: bit maps are drawn this many screen pixels per bit (100x100 edges -> 240 px), crisp
MAP_SCALE = 2.4


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
