"""Thumbnails of the panels a report shows: one file per panel (per frame shown), named by its id and content,
made once and kept across builds; a placeholder for an image that cannot be read."""

from __future__ import annotations

import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from visualdistance.analysis.data import Panels
from visualdistance.loader.files import write_atomic
from visualdistance.loader.images import BadImage, decode, read_bytes
from visualdistance.loader.progress import Progress

THUMB_SIDE = 160
THUMB_EXT = ".webp"
MISSING_THUMB = "missing.png"


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


def make_all(
    panels: Panels,
    rows: np.ndarray,
    images: Path,
    folder: Path,
    workers: int | None,
    progress: Progress,
) -> tuple[dict[int, str], int, int, list[str], list[str]]:
    """Thumbnail per shown panel: existing ones are kept, the rest made per source file (all its frames at once).
    progress: one stage, "thumbnails", counting the panels shown (the kept ones at once)."""
    names = {int(r): thumb_name(str(panels.ids[r]), str(panels.sha256[r])) for r in rows.tolist()}
    todo: dict[str, list[int]] = {}
    for r, name in names.items():
        if not (folder / name).exists():
            todo.setdefault(str(panels.paths[r]), []).append(r)
    reused = len(names) - sum(len(v) for v in todo.values())

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
    with progress(len(names), "thumbnails", "panels") as advance, \
            ThreadPoolExecutor(max_workers=workers or min(8, os.cpu_count() or 1)) as pool:
        if reused:
            advance(reused)
        for rs, error, sha in pool.map(one, todo.items()):
            if error is not None:
                for r in rs:
                    missing.append(str(panels.ids[r]))
                    names[r] = MISSING_THUMB
            else:
                made += len(rs)
                changed.extend(str(panels.ids[r]) for r in rs if panels.sha256[r] and sha != panels.sha256[r])
            advance(len(rs))
    if missing:
        _missing_thumb(folder / MISSING_THUMB)
    return names, made, reused, sorted(missing), sorted(changed)
