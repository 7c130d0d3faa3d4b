"""`eval --explain`: a page of the pairs the default method missed (and its false links), each with the
two images, the drawings it compared and the step that lost the pair (see analysis.explain)."""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from visualdistance.analysis.content import find_drawing
from visualdistance.analysis.data import Links, Panels
from visualdistance.analysis.evaluation import Truth, file_pairs, neutral_pairs
from visualdistance.analysis.explain import Diagnosis, PairMeasures, Thresholds, diagnose, drawing_picture
from visualdistance.analysis import presets
from visualdistance.analysis.image_ops import unpack_bits
from visualdistance.analysis.linking import distances_on_rows
from visualdistance.analysis.report import xor_rgb
from visualdistance.analysis.rules import ColourShift, Hamming
from visualdistance.loader.images import BadImage, decode, read_bytes
from visualdistance.loader.progress import Progress, silent

TILE = 160


@dataclass(frozen=True)
class Explained:
    file_a: str
    file_b: str
    kind: str  # "missed" or "false link"
    diagnosis: Diagnosis
    picture: str  # file name of the picture strip


def _thresholds() -> Thresholds:
    return Thresholds(
        presets.SAME_DRAWING, presets.SAME_LAYOUT, presets.REDRAWN_DRAWING, presets.SAME_COLOURS, presets.REDRAWN_MIN_SIZE
    )


def _measure(panels: Panels, a: np.ndarray, b: np.ndarray) -> list[PairMeasures]:
    """What the default method measures for panel pairs (a, b), each metric in one pass over the pairs."""
    sigs = panels.signatures
    direct, mirrored = distances_on_rows(presets.DRAWING_CHAMFER, sigs, a, b)
    wide = np.minimum(*distances_on_rows(replace(presets.DRAWING_CHAMFER, reach=4), sigs, a, b))
    layout = distances_on_rows(Hamming("layout", "layout", False), sigs, a, b)[0]
    colours = distances_on_rows(ColourShift("colours", "drawing_colours"), sigs, a, b)[0]
    gates = [(g.describe(), g.passes(sigs)) for g in presets.DRAWING.gates]
    area = sigs["drawing_stats"][:, 1] / 10000
    size = sigs["drawing_stats"][:, 3]
    return [
        PairMeasures(
            direct[k], mirrored[k], wide[k], layout[k], colours[k],
            tuple(what for r in (a[k], b[k]) for what, ok in gates if not ok[r]),
            (area[a[k]], area[b[k]]),
            (size[a[k]], size[b[k]]),
        )
        for k in range(len(a))
    ]


def _closest_frames(panels: Panels, truth: Truth, pairs: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """For each file pair, the panel rows (one frame of each file) whose drawings are closest."""
    rows_of = [np.flatnonzero(truth.file_of == f) for f in range(truth.files)]
    a, b, which = [], [], []
    for k, (fx, fy) in enumerate(pairs):
        ra, rb = rows_of[fx], rows_of[fy]
        a.append(np.repeat(ra, len(rb)))
        b.append(np.tile(rb, len(ra)))
        which.append(np.full(len(ra) * len(rb), k))
    a, b, which = np.concatenate(a), np.concatenate(b), np.concatenate(which)
    d = np.minimum(*distances_on_rows(presets.DRAWING_CHAMFER, panels.signatures, a, b))
    order = np.lexsort((d, which))
    first = order[np.r_[True, which[order][1:] != which[order][:-1]]]
    return a[first], b[first]


def _strip(folder: Path, panels: Panels, ra: int, rb: int) -> Image.Image:
    """The two panels, the drawings the method compared, and their edges overlaid (red: a only, blue: b only)."""
    tiles, drawings = [], []
    for r in (ra, rb):
        try:
            decoded = decode(read_bytes(folder / panels.paths[r]))
            rgb, alpha = decoded.frames[int(panels.frame[r])], decoded.alpha(int(panels.frame[r]))
        except (BadImage, IndexError):
            rgb, alpha = np.full((TILE, TILE, 3), 200, np.uint8), None
        thumb = Image.fromarray(rgb)
        thumb.thumbnail((TILE, TILE))
        tiles.append(thumb)
        drawings.append(find_drawing(rgb, presets.DRAWING_SIZE, alpha))
    shape = (presets.DRAWING_SIZE, presets.DRAWING_SIZE)
    ea, eb = (unpack_bits(panels.signatures["drawing_edges"][r], shape) for r in (ra, rb))
    tiles += [Image.fromarray(drawing_picture(d)) for d in drawings] + [Image.fromarray(xor_rgb(ea, eb))]
    strip = Image.new("RGB", (len(tiles) * (TILE + 6), TILE), "white")
    for k, t in enumerate(tiles):
        strip.paste(t, (k * (TILE + 6), 0))
    return strip


def explain(
    folder: Path,
    panels: Panels,
    truth: Truth,
    links: Links,
    out: Path,
    progress: Progress = silent,
) -> list[Explained]:
    """Write out/index.html (and one picture per pair) for the missed positive pairs and the false links.
    progress: one stage, "explaining missed pairs"."""
    out.mkdir(parents=True, exist_ok=True)
    la, lb = file_pairs(links.a, links.b, truth)
    n = max(truth.files, 1)
    linked = set((la * n + lb).tolist())
    fa, fb = np.triu_indices(truth.files, 1)
    same = truth.group[fa] == truth.group[fb]
    positive = same & ~neutral_pairs(fa, fb, truth)
    missed = [(int(x), int(y), "missed") for x, y in zip(fa[positive], fb[positive]) if x * n + y not in linked]
    wrong = ~(truth.group[la] == truth.group[lb]) & ~neutral_pairs(la, lb, truth)
    false = [(int(x), int(y), "false link") for x, y in zip(la[wrong], lb[wrong])]
    files = _file_names(panels, truth)
    todo = missed + false
    found = []
    if not todo:
        (out / "index.html").write_text(_page(found), encoding="utf-8")
        return found
    ra, rb = _closest_frames(panels, truth, [(x, y) for x, y, _ in todo])
    measures = _measure(panels, ra, rb)
    with progress(len(todo), "explaining missed pairs", "pairs") as advance:
        for k, (x, y, kind) in enumerate(todo):
            name = f"pair_{k:04d}.png"
            _strip(folder, panels, int(ra[k]), int(rb[k])).save(out / name)
            found.append(Explained(files[x], files[y], kind, diagnose(measures[k], _thresholds()), name))
            advance(1)
    (out / "index.html").write_text(_page(found), encoding="utf-8")
    return found


def _file_names(panels: Panels, truth: Truth) -> list[str]:
    names = [""] * truth.files
    for r, f in enumerate(truth.file_of):
        names[f] = names[f] or str(panels.paths[r])
    return names


def step_counts(rows: list[Explained]) -> dict[str, int]:
    """How many pairs each step lost (or linked, for false links): "missed (mask)" -> 3."""
    counts: dict[str, int] = {}
    for r in rows:
        key = f"{r.kind} ({r.diagnosis.step})"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _page(rows: list[Explained]) -> str:
    summary = "".join(f"<li>{html.escape(k)}: {v}</li>" for k, v in step_counts(rows).items())
    body = "".join(
        f'<tr><td><b>{html.escape(r.kind)}</b><br>{html.escape(r.file_a)}<br>{html.escape(r.file_b)}<br>'
        f'<b>{html.escape(r.diagnosis.step)}</b>: {html.escape(r.diagnosis.reason)}</td>'
        f'<td><img src="{r.picture}" loading="lazy"></td></tr>'
        for r in rows
    )
    return (
        "<!doctype html><meta charset=utf-8><title>Why pairs were missed</title>"
        "<style>body{font:14px sans-serif;margin:20px} td{vertical-align:top;padding:6px;border-bottom:1px solid #ddd;max-width:340px}</style>"
        "<h1>Missed pairs and false links of the default method</h1>"
        "<p>Each row: the two panels, the drawings the method compared (mask pale green, edges black), "
        "and their edges overlaid (black both, red first only, blue second only).</p>"
        f"<ul>{summary}</ul><table>{body}</table>"
    )
