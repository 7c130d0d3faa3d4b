"""What a scrape leaves in its folder: checked images under safe names, the pages file, the lock."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from PIL import Image

from visualdistance.loader.files import write_atomic
from visualdistance.loader.images import IMAGE_EXTENSIONS
from visualdistance.loader.locks import exclusive
from visualdistance.loader.scraper.config import FORMAT_EXTENSIONS, LOCK_FILE, ImageRejected, ScrapeLocked


def check_image(body: bytes, content_type: str) -> str:
    """Return the Pillow format of `body` ("GIF", "PNG", ...) or raise :class:`ImageRejected`.

    Both must hold: the server says ``image/*`` and the bytes decode as one of
    the accepted formats.
    """
    if not content_type.startswith("image/"):
        raise ImageRejected(f"not an image (Content-Type {content_type or 'missing'!r})")
    try:
        # `formats` limits which decoders ever see remote bytes.
        with Image.open(io.BytesIO(body), formats=list(FORMAT_EXTENSIONS)) as im:
            fmt = im.format or ""
            im.verify()
    except Exception as exc:  # UnidentifiedImageError, truncated data, decompression bombs, ...
        raise ImageRejected(f"not a valid image ({type(exc).__name__})") from None
    if fmt not in FORMAT_EXTENSIONS:
        raise ImageRejected(f"unsupported image format {fmt!r}")
    return fmt


def image_name(page: int, n: int, url: str, fmt: str) -> str:
    """Local file name ``<page>_<n>.<ext>``; ext from the URL path when whitelisted, else from `fmt`.

    Nothing of the remote name but a whitelisted extension is used, so the
    name cannot point outside the output folder.
    """
    try:
        suffix = PurePosixPath(unquote(urlsplit(url).path)).suffix.lower()
    except ValueError:
        suffix = ""
    ext = suffix.lstrip(".") if suffix in IMAGE_EXTENSIONS else FORMAT_EXTENSIONS[fmt]
    return f"{int(page)}_{int(n)}.{ext}"


def save_image(body: bytes, content_type: str, url: str, out_dir: Path, page: int, n: int) -> str:
    """Validate `body` as an image and write it as ``out_dir/<page>_<n>.<ext>``; returns the name.

    Raises :class:`ImageRejected` (and writes nothing) when it is not an image.
    """
    fmt = check_image(body, content_type)
    name = image_name(page, n, url, fmt)
    write_atomic(Path(out_dir) / name, body)
    return name


def is_complete(record: dict, out_dir: Path) -> bool:
    """True when `record` needs no more work: ok or missing, and every image file is on disk."""
    if record.get("status") not in ("ok", "missing"):
        return False
    return all((Path(out_dir) / name).is_file() for name in record.get("images", []))


class PagesWriter:
    """Appends records to the pages file, one fsynced JSON line each."""

    def __init__(self, path: Path) -> None:
        self._f = open(path, "ab")
        # A run killed mid-write leaves a line without its newline; end it, so
        # the next record does not get glued onto the torn one.
        if self._f.tell() > 0:
            with open(path, "rb") as r:
                r.seek(-1, os.SEEK_END)
                if r.read(1) != b"\n":
                    self._f.write(b"\n")

    def write(self, record: dict) -> None:
        self._f.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> "PagesWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _folder_lock(out_dir: Path):
    """An exclusive lock on ``out_dir/.scrape.lock`` while a scrape runs."""
    return exclusive(out_dir / LOCK_FILE, lambda: ScrapeLocked(f"another scrape is already writing to {out_dir}"))
