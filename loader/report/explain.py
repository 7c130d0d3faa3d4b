"""`eval --explain`: a page of the pairs a drawing method missed (and its false links), each with the
two images, the drawings it compared and the step that lost the pair (see analysis.explain)."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from visualdistance.analysis.content import find_drawing
from visualdistance.analysis.data import Links, Panels
from visualdistance.analysis.evaluation import Truth
from visualdistance.analysis.explain import Diagnosis, DrawingRules, closest_frames, diagnose, drawing_picture, pairs_to_explain
from visualdistance.analysis.image_ops import unpack_bits
from visualdistance.analysis.linking import Preset
from visualdistance.analysis.report import xor_rgb
from visualdistance.loader.files import write_atomic
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


def _strip(folder: Path, panels: Panels, rules: DrawingRules, ra: int, rb: int) -> Image.Image:
    """The two panels, the drawings the method compared, and their edges overlaid (red: a only, blue: b only)."""
    chamfer = rules.chamfer
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
        drawings.append(find_drawing(rgb, chamfer.shape[0], alpha))  # the canvas the chamfer compares
    ea, eb = (unpack_bits(panels.signatures[chamfer.signature][r], chamfer.shape) for r in (ra, rb))
    tiles += [Image.fromarray(drawing_picture(d)) for d in drawings] + [Image.fromarray(xor_rgb(ea, eb))]
    strip = Image.new("RGB", (len(tiles) * (TILE + 6), TILE), "white")
    for k, t in enumerate(tiles):
        strip.paste(t, (k * (TILE + 6), 0))
    return strip


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def explain(
    folder: Path,
    panels: Panels,
    truth: Truth,
    links: Links,
    preset: Preset,
    out: Path,
    progress: Progress = silent,
) -> list[Explained]:
    """Write out/index.html (and one picture per pair) for the positive pairs `preset` missed and its false
    links (`links`: what it linked). progress: one stage, "explaining missed pairs"."""
    rules = DrawingRules.of(preset)
    out.mkdir(parents=True, exist_ok=True)
    files = _file_names(panels, truth)
    todo = pairs_to_explain(links, truth)
    found = []
    if not todo:
        write_atomic(out / "index.html", _page(found))
        return found
    ra, rb = closest_frames(rules.chamfer, panels.signatures, truth, [(x, y) for x, y, _ in todo])
    measures = rules.measure(panels.signatures, ra, rb)
    thresholds = rules.thresholds()
    with progress(len(todo), "explaining missed pairs", "pairs") as advance:
        for k, (x, y, kind) in enumerate(todo):
            name = f"pair_{k:04d}.png"
            write_atomic(out / name, _png(_strip(folder, panels, rules, int(ra[k]), int(rb[k]))))
            found.append(Explained(files[x], files[y], kind, diagnose(measures[k], thresholds), name))
            advance(1)
    write_atomic(out / "index.html", _page(found))
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
