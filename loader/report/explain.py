"""`eval --explain`: a page of the pairs a drawing method missed (and its false links), each with the
two images, the drawings it compared and the step that lost the pair (see analysis.explain); for a
method with a region search also the step of the region search that lost it, drawn over the two
panels (see analysis.region_diagnosis)."""

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
from visualdistance.analysis.linking import Preset, gated
from visualdistance.analysis.region_diagnosis import RegionDiagnosis, region_picture
from visualdistance.analysis.report import xor_rgb
from visualdistance.analysis.shared_rooms import FIGURE_KEPT, least_kept
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
    regions: RegionDiagnosis | None = None  # the region search's, for a method that has one
    region_picture: str | None = None  # file name of its picture
    room: str | None = None  # for a false link of the rules, with a region search: what the shared-room test found


def _panel(folder: Path, panels: Panels, r: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Panel row r's RGB frame and its alpha (None: opaque); a grey square when its file cannot be read."""
    try:
        decoded = decode(read_bytes(folder / panels.paths[r]))
        return decoded.frames[int(panels.frame[r])], decoded.alpha(int(panels.frame[r]))
    except (BadImage, IndexError):
        return np.full((TILE, TILE, 3), 200, np.uint8), None


def _strip(folder: Path, panels: Panels, rules: DrawingRules, ra: int, rb: int) -> Image.Image:
    """The two panels, the drawings the method compared, and their edges overlaid (red: a only, blue: b only)."""
    chamfer = rules.chamfer
    tiles, drawings = [], []
    for r in (ra, rb):
        rgb, alpha = _panel(folder, panels, r)
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
    """Write out/index.html (and one picture per pair, two with a region search) for the positive pairs `preset`
    missed and its false links (`links`: what it linked; only its reuse links count). progress: one stage,
    "explaining missed pairs"."""
    rules = DrawingRules.of(preset)
    out.mkdir(parents=True, exist_ok=True)
    files = _file_names(panels, truth)
    todo = pairs_to_explain(links.take(links.reuse()), truth)
    found = []
    if not todo:
        write_atomic(out / "index.html", _page(found, preset.name))
        return found
    ra, rb = closest_frames(rules.chamfer, panels.signatures, truth, [(x, y) for x, y, _ in todo])
    measures = rules.measure(panels.signatures, ra, rb)
    thresholds = rules.thresholds()
    regions = _region_diagnoses(panels, truth, preset, ra, rb)
    rooms = _room_checks(panels, truth, preset, links, ra, rb, todo)
    with progress(len(todo), "explaining missed pairs", "pairs") as advance:
        for k, (x, y, kind) in enumerate(todo):
            name = f"pair_{k:04d}.png"
            write_atomic(out / name, _png(_strip(folder, panels, rules, int(ra[k]), int(rb[k]))))
            region_name = None
            if regions[k] is not None:
                region_name = f"pair_{k:04d}_regions.png"
                write_atomic(out / region_name, _png(_region_strip(folder, panels, truth, preset, int(ra[k]), int(rb[k]), regions[k])))
            found.append(Explained(files[x], files[y], kind, diagnose(measures[k], thresholds), name, regions[k], region_name,
                                   rooms[k]))
            advance(1)
    write_atomic(out / "index.html", _page(found, preset.name))
    return found


def _region_diagnoses(panels: Panels, truth: Truth, preset: Preset, ra: np.ndarray, rb: np.ndarray) -> list:
    """The region search's diagnosis of each pair of panel rows (None each without a region search), with the
    labelled figure boxes where the labels give them."""
    if preset.regions is None:
        return [None] * len(ra)
    boxes = None if truth.figure_box is None else np.stack([truth.figure_box[truth.file_of[ra]],
                                                           truth.figure_box[truth.file_of[rb]]], axis=1)
    active = gated(panels.signatures, len(panels), preset)
    return preset.regions.diagnose(panels.signatures, active, ra, rb, boxes)


def _room_checks(panels: Panels, truth: Truth, preset: Preset, links: Links, ra: np.ndarray, rb: np.ndarray,
                 todo: list[tuple[int, int, str]]) -> list[str | None]:
    """For each false link of the rules (todo: file pairs and "missed" / "false link"; ra, rb: their panel rows),
    with a region search: why the shared-room test left it a reuse link (analysis/shared_rooms.py); None for
    every other row."""
    ruled = links.take(links.rules != 0)
    file_of = truth.file_of if truth.file_of is not None else np.arange(len(panels))
    by_rules = set(zip(file_of[ruled.a].tolist(), file_of[ruled.b].tolist()))
    rows = [k for k, (x, y, kind) in enumerate(todo) if kind == "false link" and ((x, y) in by_rules or (y, x) in by_rules)]
    checks: list[str | None] = [None] * len(todo)
    if preset.regions is None or not rows:
        return checks
    found = preset.regions.find(panels.signatures, panels.source, gated(panels.signatures, len(panels), preset))
    a, b = np.minimum(ra[rows], rb[rows]), np.maximum(ra[rows], rb[rows])
    kept = least_kept(a, b, ruled, found, lambda r: preset.regions.features(panels.signatures, r), panels.source)
    for k, share in zip(rows, kept.tolist()):
        checks[k] = ("neither panel shows a figure the region search found in a third scene, the two share one, or "
                     "nothing around the figure agrees (no room to share): nothing says they share only a room"
                     if share != share else
                     f"the other panel keeps {share:.2f} of a figure one of them shows in a third scene "
                     f"(a shared room keeps under {FIGURE_KEPT:.2f})")
    return checks


def _region_strip(folder: Path, panels: Panels, truth: Truth, preset: Preset, ra: int, rb: int,
                  d: RegionDiagnosis) -> Image.Image:
    """The two panels with what the region search found in them (region_diagnosis.region_picture)."""
    boxes = (None, None) if truth.figure_box is None else tuple(truth.figure_box[truth.file_of[r]] for r in (ra, rb))
    features = preset.regions.features(panels.signatures, [ra, rb])
    rgbs = [_panel(folder, panels, r)[0] for r in (ra, rb)]
    return Image.fromarray(region_picture(rgbs[0], rgbs[1], d, tuple(features), boxes))


def _file_names(panels: Panels, truth: Truth) -> list[str]:
    names = [""] * truth.files
    for r, f in enumerate(truth.file_of):
        names[f] = names[f] or str(panels.paths[r])
    return names


def step_counts(rows: list[Explained]) -> dict[str, int]:
    """How many pairs each step lost (or linked, for false links): "missed (mask)" -> 3; with a region search
    also its step: "missed, regions (inliers)" -> 2."""
    counts: dict[str, int] = {}
    for r in rows:
        keys = [f"{r.kind} ({r.diagnosis.step})"] + ([f"{r.kind}, regions ({r.regions.step})"] if r.regions else [])
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def _page(rows: list[Explained], method: str) -> str:
    summary = "".join(f"<li>{html.escape(k)}: {v}</li>" for k, v in step_counts(rows).items())
    body = "".join(
        f'<tr><td><b>{html.escape(r.kind)}</b><br>{html.escape(r.file_a)}<br>{html.escape(r.file_b)}<br>'
        f'<b>{html.escape(r.diagnosis.step)}</b>: {html.escape(r.diagnosis.reason)}{_region_cell(r)}</td>'
        f'<td><img src="{r.picture}" loading="lazy">'
        + (f'<br><img src="{r.region_picture}" loading="lazy">' if r.region_picture else "")
        + "</td></tr>"
        for r in rows
    )
    regions = any(r.regions for r in rows)
    return (
        "<!doctype html><meta charset=utf-8><title>Why pairs were missed</title>"
        "<style>body{font:14px sans-serif;margin:20px} td{vertical-align:top;padding:6px;border-bottom:1px solid #ddd;max-width:340px}</style>"
        f"<h1>Missed pairs and false links of {html.escape(method)}</h1>"
        "<p>Each row: the two panels, the drawings the method compared (mask pale green, edges black), "
        "and their edges overlaid (black both, red first only, blue second only).</p>"
        + ("<p>Below, the region search: each panel's labelled figure box (green), its keypoints (orange; grey where "
           "dropped as repeated in the picture), the correspondences proposed (pale blue lines), RANSAC's inliers (red "
           "lines) and the matched region (magenta).</p>" if regions else "")
        + f"<ul>{summary}</ul><table>{body}</table>"
    )


def _region_cell(r: Explained) -> str:
    if r.regions is None:
        return ""
    room = f"<br><b>shared-room test</b>: {html.escape(r.room)}" if r.room else ""
    return f"<br><b>regions: {html.escape(r.regions.step)}</b>: {html.escape(r.regions.reason)}{room}"
