"""The "why matched" page of a cluster: each link shown with both panels, their bit maps and difference, and
every distance against its threshold. Functions here return text; the maps they draw are written once each."""

from __future__ import annotations

import hashlib

import numpy as np

from visualdistance.analysis.data import BOX, LINK_KINDS, Links
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
    if np.any(np.isin(ctx.links.kind[plan.shown], [LINK_KINDS.index("region"), LINK_KINDS.index("background")])):
        parts.append('<p class="legend">A figure found in both panels: outlined in red on each, then the two '
                     "outlined regions cut out side by side (flipped back when one faces the other way).</p>")
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
        kind = LINK_KINDS[int(L.kind[k])]
        badges = f'<span class="badge kind {kind}">{esc(KIND_NOTE[kind])}</span>'
        badges += '<span class="badge mirrored">mirrored</span>' if mirrored else ""
        boxes = {row: box_of(L, k, row) for row in (a, b)}
        figures = [_why_panel(ctx, a, "a", boxes[a]), _why_panel(ctx, b, "b", boxes[b])]
        if boxes[a] is not None:
            parts.append(_region_section(ctx, k, a, b, title, badges, figures, boxes))
            continue
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


def _why_panel(ctx: Context, row: int, side: str, box: np.ndarray | None = None) -> str:
    """A panel of the pair, with the matched region outlined when the link has one."""
    outline = "" if box is None else f'<i class="region" style="{_box_style(ctx, row, box)}"></i>'
    boxed = "" if box is None else ' class="boxed"'  # the picture at its own proportions, so the outline fits
    return (
        f'<figure class="side"><a{boxed} href="{_full_href(ctx, row, "../")}">'
        f'<img src="{url("../thumbs/" + ctx.thumbs[row])}" alt="{esc(ctx.panels.ids[row])}">{outline}</a>'
        f'<figcaption><b>{side}</b> {esc(_page_label(ctx.panels, row))} · <code>{esc(ctx.panels.ids[row])}</code></figcaption></figure>'
    )


#: what each kind of link says, as its badge reads
KIND_NOTE = {"drawing": "whole drawing", "redrawn": "drawing partly redrawn", "region": "a figure in both",
             "background": "background only (not reuse)"}
#: a matched crop is shown this many screen pixels on its longer side
CROP_SIDE = 220


def box_of(links: Links, k: int, row: int) -> np.ndarray | None:
    """Link k's box (x, y, w, h, panel pixels) in panel `row`, one of its two ends; None for a whole-drawing link."""
    box = links.box_a if int(links.a[k]) == row else links.box_b
    xywh = np.array([box[c][k] for c in BOX], np.float64)
    return None if not np.all(np.isfinite(xywh)) else xywh


def _box_style(ctx: Context, row: int, box: np.ndarray) -> str:
    """CSS placing an outline over the panel's picture, in percent of its size (any thumbnail size fits)."""
    w, h = float(ctx.panels.width[row]), float(ctx.panels.height[row])
    x, y, bw, bh = box
    return f"left:{100 * x / w:.2f}%;top:{100 * y / h:.2f}%;width:{100 * bw / w:.2f}%;height:{100 * bh / h:.2f}%"


def _crop(ctx: Context, row: int, box: np.ndarray, caption: str, flip: bool = False) -> str:
    """The matched region of a panel, cut from its original picture by CSS (background size and position in
    percent), CROP_SIDE pixels on its longer side; `flip`: shown mirrored, to compare with the other side."""
    w, h = float(ctx.panels.width[row]), float(ctx.panels.height[row])
    x, y, bw, bh = (max(v, 1.0) if i >= 2 else v for i, v in enumerate(box))
    side = CROP_SIDE / max(bw, bh)
    pos = lambda at, size, whole: 0.0 if size >= whole else 100 * at / (whole - size)  # noqa: E731
    style = (f"width:{round(bw * side)}px;height:{round(bh * side)}px;"
             f"background-image:url('{_full_href(ctx, row, '../')}');background-size:{100 * w / bw:.2f}% {100 * h / bh:.2f}%;"
             f"background-position:{pos(x, bw, w):.2f}% {pos(y, bh, h):.2f}%" + (";transform:scaleX(-1)" if flip else ""))
    return f'<figure class="crop"><div class="cropped" style="{style}"></div><figcaption>{esc(caption)}</figcaption></figure>'


def _region_section(ctx: Context, k: int, a: int, b: int, title: str, badges: str, figures: list[str],
                    boxes: dict[int, np.ndarray]) -> str:
    """A region or background link: both panels with the matched region outlined, the two regions cut out side by
    side (b's flipped back when it shows a's mirrored), and what the match says (scale, shares, boxes)."""
    L, p = ctx.links, ctx.panels
    mirrored = bool(L.mirrored[k])
    scale = float(L.scale[k]) if int(L.a[k]) == a else 1 / float(L.scale[k])  # size in b over size in a, as shown
    share = {int(L.a[k]): float(L.share_a[k]), int(L.b[k]): float(L.share_b[k])}
    crops = (_crop(ctx, a, boxes[a], f"in a: {p.ids[a]}")
             + _crop(ctx, b, boxes[b], f"in b: {p.ids[b]}" + (" (flipped back)" if mirrored else ""), flip=mirrored))
    facts = "".join(
        f"<tr><td>{side}</td><td><code>{esc(p.ids[row])}</code></td><td class=num>"
        f"{', '.join(str(int(round(v))) for v in boxes[row])}</td><td class=num>{share[row]:.1%}</td></tr>"
        for side, row in (("a", a), ("b", b)))
    return (
        f'<section class="link region" id="link-{k}"><h3><a href="#link-{k}">{title}</a> {badges}</h3>'
        f'<div class="linkbody"><div class="pair">{"".join(figures)}</div>'
        f'<div class="evidence"><div class="crops">{crops}</div>'
        '<table class="dist"><thead><tr><th></th><th>panel</th><th>box x, y, w, h (its pixels)</th>'
        f"<th>share of the panel</th></tr></thead><tbody>{facts}</tbody></table>"
        f'<p class="linkmeta">weight {_fmt(float(L.weight[k]))} · scale {_fmt(scale)} (size in b over size in a)'
        f" · {'mirrored' if mirrored else 'direct'}</p></div></div></section>"
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
