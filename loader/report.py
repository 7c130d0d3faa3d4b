"""The static HTML cluster report: a folder opened straight from disk, no server.

Layout of the report folder::

    index.html, page-2.html, ...   summary, contents, then clusters (largest first)
    why/cluster-<id>.html          "why matched": edge maps, their difference, distances
    why/maps/*.png                 bit-map and difference images (named by content)
    thumbs/*.webp                  one small thumbnail per panel shown
    data/                          links.csv/json, clusters.csv/json, graph.graphml
    report.css, clusters.js        shared look, and the cluster -> page map for "go to"

`build_report` takes plain data (panels, links, a clustering from anywhere,
run info) so the same report can show a clustering made elsewhere. Every file
is written under a temporary name and renamed; index.html comes last, so an
interrupted build never leaves a report that points at missing files.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, ContextManager, Iterable, Iterator
from urllib.parse import quote

import numpy as np
from PIL import Image, ImageDraw

from visualdistance import __version__
from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.analysis.report import (
    BOTH,
    ONLY_A,
    ONLY_B,
    BitImage,
    ClusterPlan,
    bit_map,
    map_rgb,
    plan_clusters,
    xor_rgb,
)
from visualdistance.loader import outputs
from visualdistance.loader.files import write_atomic
from visualdistance.loader.images import BadImage, decode, read_bytes
from visualdistance.loader.names import ENCODING_ERRORS, safe_text

THUMB_SIDE = 160
#: bit maps are drawn this many screen pixels per bit (100x100 edges -> 240 px), crisp
MAP_SCALE = 2.4
THUMB_EXT = ".webp"
MISSING_THUMB = "missing.png"
#: a page of clusters also ends once it holds this many panels (one giant cluster stays whole)
MAX_PANELS_PER_PAGE = 2000

Progress = Callable[[int], None]
StageProgress = Callable[[int | None, str, str], ContextManager[Progress]]


@contextmanager
def _no_bar(total: int | None, description: str, unit: str) -> Iterator[Progress]:
    yield lambda n=1: None


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


# ------------------------------------------------------------------ files


def _digest(text: str, n: int = 16) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:n]


def thumb_name(panel_id: str, sha256: str) -> str:
    """File name of a panel's thumbnail: hashes only, never the panel id (a file name from outside).

    The source's sha256 is part of the name, so a changed file gets a new
    thumbnail and an unchanged one is never made twice.
    """
    return f"{_digest(panel_id)}-{(sha256 or 'nosha')[:12]}{THUMB_EXT}"


def _encode(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "WEBP":
        img.save(buf, "WEBP", quality=82, method=2)
    else:
        img.save(buf, "PNG")
    return buf.getvalue()


def write_png(rgb: np.ndarray, path: Path) -> None:
    """An RGB array as a PNG, via a temporary file; few-colour images (maps) as exact palette PNGs."""
    flat = rgb.reshape(-1, 3).astype(np.uint32)
    codes, index = np.unique(flat[:, 0] << 16 | flat[:, 1] << 8 | flat[:, 2], return_inverse=True)
    if len(codes) <= 256:
        # Palette PNGs of 2-4 colour maps are several times smaller and faster to write than RGB.
        img = Image.fromarray(index.reshape(rgb.shape[:2]).astype(np.uint8), "L").convert("P")
        img.putpalette(np.stack([codes >> 16, codes >> 8 & 255, codes & 255], axis=1).astype(np.uint8).ravel().tolist())
    else:
        img = Image.fromarray(rgb)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    write_atomic(path, buf.getvalue())


def make_thumbnails(src: Path, frames: dict[int, Path], side: int = THUMB_SIDE) -> str:
    """Thumbnails of some frames of one image file (frame number -> destination); returns the file's sha256.

    Decodes with `loader.images.decode`, so every accepted format works and
    animated files give the frame asked for. Raises BadImage when the file
    cannot be read or lacks a frame.
    """
    data = read_bytes(src)
    decoded = decode(data, first_frame_only=max(frames) == 0)
    for frame, dest in frames.items():
        if frame >= len(decoded.frames):
            raise BadImage(f"has {len(decoded.frames)} frames, no frame {frame}")
        img = Image.fromarray(decoded.frames[frame])
        img.thumbnail((side, side), Image.Resampling.LANCZOS)
        write_atomic(dest, _encode(img, "WEBP" if dest.suffix == ".webp" else "PNG"))
    return hashlib.sha256(data).hexdigest()


def _missing_thumb(path: Path, side: int = THUMB_SIDE) -> None:
    img = Image.new("RGB", (side, side * 3 // 4), (238, 236, 232))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, img.width - 1, img.height - 1], outline=(190, 186, 180))
    draw.text((side // 2, side * 3 // 8), "image missing", fill=(120, 116, 110), anchor="mm")
    write_atomic(path, _encode(img, "PNG"))


# ----------------------------------------------------------------- html bits


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
    v = None if x is None else outputs.link_number(x)
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


# --------------------------------------------------------------------- build


@dataclass
class _Context:
    """What every page of one build needs to know."""

    panels: Panels
    links: Links
    clustering: Clustering
    info: dict
    images: Path
    dest: Path
    images_href: str  # the image folder relative to the report folder, POSIX
    thumbs: dict[int, str]  # panel row -> thumbnail file name
    cluster_page: dict[int, int]
    bit_images: list[BitImage]
    method_description: str


def build_report(
    panels: Panels,
    links: Links,
    clustering: Clustering,
    info: dict,
    images: Path,
    dest: Path,
    *,
    per_page: int = 50,
    max_links: int = 20,
    bit_images: list[BitImage] | None = None,
    method_description: str = "",
    workers: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_progress: Progress | None = None,
    stage_progress: StageProgress | None = None,
) -> ReportResult:
    """Write the HTML report of `clustering` over `panels` and `links` into `dest`.

    info: the run's run.json (method, clustering, input), shown in the
    summary. images: the folder the panel paths are relative to (thumbnails
    are made from it; panels link to their files there by relative path).
    bit_images: image-shaped signatures to draw in "why matched" (see
    `analysis.report.bit_images`). on_start(n) / on_progress(k) report
    thumbnail progress; stage_progress(total, description, unit), a context
    manager yielding advance(k) (the CLI's progress_bar), shows the later stages.
    """
    bar = stage_progress or _no_bar
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    t0 = time.perf_counter()
    dest = Path(dest)
    for sub in ("thumbs", "why/maps", "data"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    plans = plan_clusters(panels, links, clustering, max_links)
    pages = paginate(plans, per_page)
    cluster_page = {p.cluster: n for n, page in enumerate(pages, 1) for p in page}
    shown_rows = np.concatenate([p.rows for p in plans]) if plans else np.empty(0, np.int64)

    t1 = time.perf_counter()
    thumbs, made, reused, missing, changed = _thumbnails(panels, shown_rows, images, dest / "thumbs", workers, on_start, on_progress)
    t2 = time.perf_counter()

    ctx = _Context(
        panels=panels,
        links=links,
        clustering=clustering,
        info=info,
        images=images,
        dest=dest,
        images_href=_relative_href(images, dest),
        thumbs=thumbs,
        cluster_page=cluster_page,
        bit_images=list(bit_images or []),
        method_description=method_description,
    )
    maps_used: set[str] = set()
    with bar(len(plans), "why matched", "clusters") as advance:
        for plan in plans:
            write_atomic(dest / why_file(plan.cluster), _why_page(ctx, plan, maps_used))
            advance(1)
    t3 = time.perf_counter()

    with bar(None, "exports (CSV, JSON, GraphML)", "files") as advance:
        _write_exports(ctx, plans)
    t4 = time.perf_counter()

    write_atomic(dest / "report.css", CSS)
    write_atomic(
        dest / "clusters.js",
        "// cluster id -> page file, for the 'go to cluster' box\nwindow.CLUSTER_PAGES = "
        + json.dumps({str(c): page_file(n) for c, n in cluster_page.items()})
        + ";\n",
    )
    summary = _summary_html(ctx, plans, pages, missing, changed)
    # Later pages first: index.html, the entry point, is written last.
    for n in range(len(pages), 0, -1):
        write_atomic(dest / page_file(n), _cluster_page(ctx, pages, n, summary if n == 1 else ""))
    _prune(dest, len(pages), {p.cluster for p in plans}, set(thumbs.values()), maps_used)
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
    )


def _relative_href(images: Path, dest: Path) -> str:
    """The images folder as seen from the report folder: a relative POSIX path, or a file: URI
    ending in "/" where no relative path exists (another drive on Windows)."""
    try:
        rel = os.path.relpath(Path(images).resolve(), Path(dest).resolve())
    except ValueError:
        return Path(images).resolve().as_uri() + "/"
    return Path(rel).as_posix()


def _full_href(ctx: _Context, row: int, up: str = "") -> str:
    """href of a panel's original file, from a page `up` levels below the report folder."""
    if ctx.images_href.endswith("/"):
        return esc(ctx.images_href + quote(str(ctx.panels.paths[row]), safe="/", errors=ENCODING_ERRORS))
    return url(f"{up}{ctx.images_href}/{ctx.panels.paths[row]}")


# ---------------------------------------------------------------- thumbnails


def _thumbnails(
    panels: Panels,
    rows: np.ndarray,
    images: Path,
    folder: Path,
    workers: int | None,
    on_start: Callable[[int], None] | None,
    on_progress: Progress | None,
) -> tuple[dict[int, str], int, int, list[str], list[str]]:
    """Thumbnail per shown panel: existing ones are kept, the rest made per source file (all its frames at once)."""
    names = {int(r): thumb_name(str(panels.ids[r]), str(panels.sha256[r])) for r in rows.tolist()}
    todo: dict[str, list[int]] = {}
    for r, name in names.items():
        if not (folder / name).exists():
            todo.setdefault(str(panels.paths[r]), []).append(r)
    reused = len(names) - sum(len(v) for v in todo.values())
    if on_start:
        on_start(len(names))
    if on_progress and reused:
        on_progress(reused)

    def one(item: tuple[str, list[int]]) -> tuple[list[int], str | None, str | None]:
        path, rs = item
        try:
            sha = make_thumbnails(images / path, {int(panels.frame[r]): folder / names[r] for r in rs})
        except BadImage as e:
            return rs, str(e), None
        return rs, None, sha

    missing: list[str] = []
    changed: list[str] = []
    made = 0
    # Pillow decodes and encodes without holding the GIL, so threads use every core.
    with ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 1)) as pool:
        for rs, error, sha in pool.map(one, todo.items()):
            if error is not None:
                for r in rs:
                    missing.append(str(panels.ids[r]))
                    names[r] = MISSING_THUMB
            else:
                made += len(rs)
                changed.extend(str(panels.ids[r]) for r in rs if panels.sha256[r] and sha != panels.sha256[r])
            if on_progress:
                on_progress(len(rs))
    if missing:
        _missing_thumb(folder / MISSING_THUMB)
    return names, made, reused, sorted(missing), sorted(changed)


# ---------------------------------------------------------------- why pages


def _map_file(ctx: _Context, rgb: np.ndarray, used: set[str]) -> str:
    """Write a small map image once, named by its pixels; returns its name under why/maps/."""
    name = hashlib.sha1(rgb.tobytes() + str(rgb.shape).encode()).hexdigest()[:20] + ".png"
    if name not in used and not (ctx.dest / "why/maps" / name).exists():
        write_png(rgb, ctx.dest / "why/maps" / name)
    used.add(name)
    return name


def _why_page(ctx: _Context, plan: ClusterPlan, maps_used: set[str]) -> str:
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
                + _map_figure(ctx, xor_rgb(ma, mb), maps_used, f"difference: {diff:,} pixels", cls="diff")
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


def _why_panel(ctx: _Context, row: int, side: str) -> str:
    return (
        f'<figure class="side"><a href="{_full_href(ctx, row, "../")}">'
        f'<img src="{url("../thumbs/" + ctx.thumbs[row])}" alt="{esc(ctx.panels.ids[row])}"></a>'
        f'<figcaption><b>{side}</b> {esc(_page_label(ctx.panels, row))} · <code>{esc(ctx.panels.ids[row])}</code></figcaption></figure>'
    )


def _map_figure(ctx: _Context, rgb: np.ndarray, used: set[str], caption: str, cls: str = "") -> str:
    name = _map_file(ctx, rgb, used)
    return (
        f'<figure class="map {cls}"><img src="{url("maps/" + name)}" alt="{esc(caption)}" '
        f'width="{round(rgb.shape[1] * MAP_SCALE)}" height="{round(rgb.shape[0] * MAP_SCALE)}"><figcaption>{esc(caption)}</figcaption></figure>'
    )


def _legend(ctx: _Context) -> str:
    if not ctx.bit_images:
        return '<p class="note">This method has no image-shaped signature to draw; the distances below are what matched.</p>'
    sw = lambda rgb: f'<i class="sw" style="background:rgb{rgb}"></i>'  # noqa: E731
    return (
        '<p class="legend">Difference: '
        f"{sw(ONLY_A)} only in a · {sw(ONLY_B)} only in b · {sw(BOTH)} in both. "
        "A mirrored link compares a with b flipped left to right. "
        "A pair matches a rule when its distance is under the larger of the two panels' thresholds.</p>"
    )


def _distance_table(ctx: _Context, k: int, matched_label: str) -> str:
    L = ctx.links
    rules = (ctx.info.get("method") or {}).get("rules") or {}
    rule_of = {v.get("metric", name): (name, v.get("threshold", "")) for name, v in rules.items()}
    matched = set(matched_label.split("+")) if matched_label else set()
    rows = []
    for metric, values in L.distances.items():
        d = float(values[k])
        thr = float(L.thresholds[metric][k]) if metric in L.thresholds else None
        rule, how = rule_of.get(metric, ("", ""))
        if thr is None:
            verdict, cls = "recorded only", "muted"
        elif rule in matched or (not rule and np.isfinite(d) and d < thr):
            verdict, cls = "matched", "yes"
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


def _header(ctx: _Context, title: str, up: str = "", pages: int = 0, current: int = 0) -> str:
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


def _cluster_page(ctx: _Context, pages: list[list[ClusterPlan]], n: int, summary: str) -> str:
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


def _cluster_href(ctx: _Context, c: int) -> str:
    """href of a cluster's section (made of our own page names and numbers: nothing to escape)."""
    return f"{page_file(ctx.cluster_page[c])}#cluster-{c}"


def _cluster_section(ctx: _Context, plan: ClusterPlan) -> str:
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
    return (
        f'<section class="cluster" id="cluster-{plan.cluster}" data-size="{plan.size}">'
        f'<div class="chead"><h3><a href="#cluster-{plan.cluster}">Cluster #{plan.cluster}</a></h3>'
        f'<span class="meta">{plan.size} panels{span} · {plan.internal_links} links{mirrored_note}</span>'
        f'<a class="whylink" href="{url(why_file(plan.cluster))}">why matched →</a></div>{near}'
        f'<ol class="grid">{"".join(items)}</ol></section>'
    )


def _member_item(ctx: _Context, plan: ClusterPlan, k: int, more: str = "") -> str:
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


def _summary_html(ctx: _Context, plans: list[ClusterPlan], pages: list[list[ClusterPlan]], missing: list[str], changed: list[str]) -> str:
    info, L, c = ctx.info, ctx.links, ctx.clustering
    method = info.get("method") or {}
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
        ("method", f"<b>{esc(method.get('preset', 'unknown'))}</b>"
         + (f" <span class=muted>{esc(ctx.method_description)}</span>" if ctx.method_description else "")),
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


def _rules_html(method: dict) -> str:
    rules = method.get("rules") or {}
    if not rules:
        return "—"
    rows = "".join(
        f"<tr><td>{esc(name)}</td><td>{esc(r.get('metric', ''))}</td><td>&lt; {esc(r.get('threshold', ''))}</td></tr>"
        for name, r in rules.items()
    )
    notes = ["a pair links when any rule matches"]
    for gate in method.get("gates") or []:
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


# --------------------------------------------------------------------- exports


def _write_exports(ctx: _Context, plans: list[ClusterPlan]) -> None:
    data = ctx.dest / "data"
    outputs.write_links(data, ctx.links, ctx.panels.ids)
    outputs.write_clusters(data, ctx.clustering, ctx.panels)
    write_graphml(data / "graph.graphml", ctx.panels, ctx.links, ctx.clustering, plans)


_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: object) -> str:
    # XML 1.0 cannot hold control characters at all, escaped or not; file names can.
    return _XML_BAD.sub("\ufffd", str(value))


def write_graphml(path: Path, panels: Panels, links: Links, clustering: Clustering, plans: Iterable[ClusterPlan] = ()) -> None:
    """The link graph as GraphML: a node per linked or clustered panel, an edge per link.

    Node attributes: label (panel id), path, page, position, frame, last_frame, cluster
    (-1: none), original, mirrored. Edge attributes: weight, mirrored, rule,
    internal (both ends in one cluster), dist_<metric>, threshold_<metric>.
    """
    m = np.asarray(clustering.membership)
    used = np.zeros(len(panels), bool)
    used[links.a] = True
    used[links.b] = True
    used |= m >= 0
    original = np.zeros(len(panels), bool)
    mirrored = np.zeros(len(panels), bool)
    for plan in plans:
        original[plan.original] = True
        mirrored[plan.rows] = plan.mirrored

    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", xmlns=ns)
    node_keys = [("label", "string"), ("path", "string"), ("page", "int"), ("position", "int"), ("frame", "int"),
                 ("last_frame", "int"), ("cluster", "int"), ("original", "boolean"), ("mirrored", "boolean")]
    edge_keys = [("weight", "double"), ("mirrored", "boolean"), ("rule", "string"), ("internal", "boolean")]
    edge_keys += [(f"dist_{k}", "double") for k in links.distances] + [(f"threshold_{k}", "double") for k in links.thresholds]
    for scope, keys in (("node", node_keys), ("edge", edge_keys)):
        for name, kind in keys:
            ET.SubElement(root, "key", {"id": f"{scope[0]}_{name}", "for": scope, "attr.name": name, "attr.type": kind})
    graph = ET.SubElement(root, "graph", id="links", edgedefault="undirected")

    def data(parent: ET.Element, key: str, value: object) -> None:
        if isinstance(value, (bool, np.bool_)):
            text = "true" if value else "false"
        elif isinstance(value, float):
            if not np.isfinite(value):
                return  # GraphML has no missing value: leave the attribute out
            text = repr(value)
        else:
            text = _xml_text(value)
        ET.SubElement(parent, "data", key=key).text = text

    for i in np.flatnonzero(used).tolist():
        node = ET.SubElement(graph, "node", id=f"n{i}")
        for key, value in (("label", panels.ids[i]), ("path", safe_text(panels.paths[i])), ("page", int(panels.page[i])),
                           ("position", int(panels.position[i])), ("frame", int(panels.frame[i])),
                           ("last_frame", int(panels.last_frame[i])), ("cluster", int(m[i])), ("original", bool(original[i])), ("mirrored", bool(mirrored[i]))):
            data(node, f"n_{key}", value)
    labels = links.rule_labels()
    for k in range(len(links)):
        a, b = int(links.a[k]), int(links.b[k])
        edge = ET.SubElement(graph, "edge", source=f"n{a}", target=f"n{b}")
        data(edge, "e_weight", float(links.weight[k]))
        data(edge, "e_mirrored", bool(links.mirrored[k]))
        data(edge, "e_rule", labels[k])
        data(edge, "e_internal", bool(m[a] >= 0 and m[a] == m[b]))
        for name, values in links.distances.items():
            data(edge, f"e_dist_{name}", float(values[k]))
        for name, values in links.thresholds.items():
            data(edge, f"e_threshold_{name}", float(values[k]))
    ET.indent(root, space=" ")
    buf = io.BytesIO()
    ET.ElementTree(root).write(buf, encoding="utf-8", xml_declaration=True)
    write_atomic(path, buf.getvalue())


# ---------------------------------------------------------------------- prune


_OURS = {
    "thumbs": re.compile(r"^[0-9a-f]{16}-[0-9a-z]{4,12}\.(webp|png)$"),
    "why/maps": re.compile(r"^[0-9a-f]{20}\.png$"),
}


def _prune(dest: Path, pages: int, clusters: set[int], thumbs: set[str], maps: set[str]) -> None:
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
    stale_missing = dest / "thumbs" / MISSING_THUMB
    if MISSING_THUMB not in thumbs and stale_missing.exists():
        stale_missing.unlink()


# ------------------------------------------------------------------ look & feel

JS = """
(function () {
  var form = document.getElementById('jump');
  if (!form) return;
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var v = form.elements.c.value.trim().replace(/^#/, '');
    var page = (window.CLUSTER_PAGES || {})[v];
    var msg = document.getElementById('jump-msg');
    if (page) { msg.textContent = ''; location.href = page + '#cluster-' + v; }
    else { msg.textContent = 'no cluster #' + v; }
  });
})();
"""

CSS = """
:root { --ink:#1d1c1a; --muted:#77736c; --line:#e3dfd8; --paper:#faf8f4; --card:#fff;
        --accent:#2f5d8a; --orig:#c88a12; --mirr:#7a4fb5; }
* { box-sizing: border-box; }
html { scroll-padding-top: 64px; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--paper); }
a { color:var(--accent); text-decoration:none; } a:hover { text-decoration:underline; }
code { font:12px/1.3 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.muted { color:var(--muted); font-weight:normal; }
header.top { position:sticky; top:0; z-index:10; background:#23262b; color:#eee; box-shadow:0 1px 4px rgba(0,0,0,.25); }
.bar { display:flex; flex-wrap:wrap; align-items:center; gap:6px 16px; padding:10px 24px; max-width:1400px; margin:0 auto; }
.brand { color:#fff; font-weight:700; letter-spacing:.02em; }
.title { color:#cfd3d8; } .run { color:#8d939b; font-size:12px; }
.pager { display:flex; gap:4px; align-items:center; margin-left:auto; }
.pager a, .pager span { padding:3px 9px; border-radius:5px; color:#dfe3e8; font-size:13px; }
.pager a:hover { background:#3a3f46; text-decoration:none; }
.pager a.current { background:#dfe3e8; color:#23262b; font-weight:700; }
.pager .off, .pager .gap { color:#5f656d; }
.jump { display:flex; gap:4px; align-items:center; font-size:13px; color:#cfd3d8; }
.jump input { width:5em; padding:2px 6px; border-radius:4px; border:1px solid #555; background:#2f3339; color:#fff; }
.jump button { padding:2px 8px; border-radius:4px; border:0; background:#4a6f96; color:#fff; cursor:pointer; }
#jump-msg { color:#f0a58f; }
footer.bottom { display:flex; justify-content:center; padding:24px; background:#23262b; border-radius:8px; margin:24px 0; }
footer.bottom .pager { margin:0; }
main { max-width:1400px; margin:0 auto; padding:20px 24px 48px; }
.summary h1 { margin:4px 0 16px; font-size:26px; }
.stats { display:grid; grid-template-columns:repeat(auto-fit, minmax(150px, 1fr)); gap:12px; margin-bottom:16px; }
.stat { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 16px; display:flex; flex-direction:column; }
.stat b { font-size:26px; line-height:1.1; } .stat span { font-weight:600; } .stat small { color:var(--muted); }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:6px 18px; background:var(--card); border:1px solid var(--line);
         border-radius:10px; padding:14px 18px; margin:0 0 14px; }
.facts dt { color:var(--muted); } .facts dd { margin:0; }
table.rules { border-collapse:collapse; margin-bottom:4px; } table.rules td, table.rules th { padding:1px 14px 1px 0; text-align:left; }
table.rules th { color:var(--muted); font-weight:normal; font-size:12px; }
.exports { display:flex; flex-wrap:wrap; align-items:center; gap:8px; }
.exports > span { color:var(--muted); margin-right:4px; }
a.file { border:1px solid var(--line); background:var(--card); border-radius:6px; padding:3px 10px; font-size:13px; }
.warn { background:#fff4e0; border:1px solid #f0cf95; border-radius:8px; padding:8px 12px; }
.note { color:var(--muted); }
details.toc { margin:10px 0 4px; } details.toc summary { cursor:pointer; color:var(--muted); }
details.toc nav { display:flex; flex-wrap:wrap; gap:4px; padding:10px 0; }
details.toc nav a { border:1px solid var(--line); background:var(--card); border-radius:12px; padding:1px 8px; font-size:12px; }
details.toc nav small { color:var(--muted); margin-left:4px; }
h2.pagehead { font-size:17px; margin:28px 0 10px; border-bottom:1px solid var(--line); padding-bottom:6px; }
section.cluster { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:14px 16px 16px; margin:16px 0;
                  box-shadow:0 1px 2px rgba(0,0,0,.04); }
section.cluster:target { border-color:var(--accent); box-shadow:0 0 0 3px rgba(47,93,138,.18); }
.chead { display:flex; flex-wrap:wrap; align-items:baseline; gap:4px 14px; }
.chead h3 { margin:0; font-size:17px; } .chead h3 a { color:var(--ink); }
.meta { color:var(--muted); } .whylink { margin-left:auto; font-weight:600; }
.near { margin:4px 0 0; font-size:12.5px; color:var(--muted); }
ol.grid { list-style:none; padding:0; margin:12px 0 0; display:grid; grid-template-columns:repeat(auto-fill, minmax(172px, 1fr)); gap:14px; }
li.panel { min-width:0; }
a.thumb { position:relative; display:flex; align-items:center; justify-content:center; height:160px; border-radius:8px;
          background:#f1eee9; border:1px solid var(--line); overflow:hidden; }
a.thumb img { max-width:100%; max-height:100%; object-fit:contain; display:block; }
li.original a.thumb { border:2px solid var(--orig); }
.badges { position:absolute; top:6px; left:6px; display:flex; gap:4px; }
.badge { font-size:11px; font-weight:700; letter-spacing:.02em; padding:1px 7px; border-radius:9px; color:#fff; }
.badge.original { background:var(--orig); } .badge.mirrored { background:var(--mirr); }
.badge.frames { background:#555; }
details.more { margin-top:4px; font-size:12px; } details.more > ol.grid { margin-top:6px; }
.badge.mirrored::before { content:"⇋ "; }
.cap { display:flex; flex-direction:column; padding:5px 2px 0; font-size:12.5px; }
.cap .pg { font-weight:600; }
.cap .pid { color:var(--muted); overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.cap .why { font-size:12px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
.crumbs { font-size:15px; }
.legend { color:var(--muted); } .legend .sw { display:inline-block; width:11px; height:11px; border-radius:2px; vertical-align:-1px; margin-right:3px; }
section.link { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:14px 18px; margin:16px 0; }
section.link:target { border-color:var(--accent); box-shadow:0 0 0 3px rgba(47,93,138,.18); }
section.link h3 { margin:0 0 10px; font-size:15px; word-break:break-all; } section.link h3 a { color:var(--ink); }
.vs { color:var(--muted); padding:0 4px; }
.linkbody { display:flex; flex-wrap:wrap; gap:18px; }
.pair { display:flex; flex-direction:column; gap:12px; width:200px; }
figure { margin:0; }
figure.side img { width:200px; height:150px; object-fit:contain; background:#f1eee9; border:1px solid var(--line); border-radius:8px; display:block; }
figure.side figcaption { font-size:12.5px; padding-top:4px; word-break:break-all; }
.evidence { flex:1; min-width:300px; }
.maps { display:flex; flex-wrap:wrap; gap:14px; align-items:flex-start; margin-bottom:12px; }
.maps h4 { flex-basis:100%; margin:0; font-size:13px; }
figure.map img { image-rendering:pixelated; border:1px solid var(--line); border-radius:4px; display:block; }
figure.map figcaption { font-size:12px; color:var(--muted); max-width:240px; word-break:break-all; padding-top:3px; }
table.dist { border-collapse:collapse; font-size:13px; }
table.dist th, table.dist td { border-bottom:1px solid var(--line); padding:4px 14px 4px 0; text-align:left; }
table.dist th { color:var(--muted); font-weight:normal; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
td.yes { color:#2d7a3a; font-weight:700; } td.no { color:var(--muted); }
.linkmeta { color:var(--muted); font-size:12.5px; margin:6px 0 0; }
"""
