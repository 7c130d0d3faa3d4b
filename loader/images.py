"""Finding image files in a folder and decoding them into RGB panels.

A panel is one frame of one image file, composited on white, as an HxWx3 uint8
array. Every way a file can be bad (unreadable, empty, truncated, not an image,
too large, an unsupported mode) raises `BadImage` with a reason a person can
act on; callers report it and go on with the next file.
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from visualdistance.analysis.image_ops import REPEAT_SHARE, changed_more_than
from visualdistance.loader.names import safe_text
from visualdistance.loader.run_folder.layout import is_run_folder
from visualdistance.loader.pages import MAX_PAGE

IMAGE_EXTENSIONS = frozenset({".gif", ".png", ".jpg", ".jpeg", ".webp", ".bmp"})

#: Frames larger than this many pixels are refused (decompression bombs).
MAX_PIXELS = 60_000_000
#: Animated files with more frames keep only this many (reported, not fatal).
MAX_FRAMES = 1000
#: Frames are shrunk to at most this many pixels on a side before describing:
#: every signature works far below it, and it bounds memory per worker.
WORK_SIDE = 1024
#: Bumped when decoding gives other pixels for some file, so the feature store describes it again.
#: 2: a colour key in a truecolour or grey image is ignored (see to_rgb_and_alpha).
DECODE_VERSION = 2

_PAGE_NAME = re.compile(r"^(\d+)_(\d+)$")

# A damaged file is a bad file with its reason (BadImage), never a line of OpenCV's own on stderr
# ("[ WARN ] PNG input buffer is incomplete"); every process that decodes imports this module.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


class BadImage(Exception):
    """A file that cannot be used as a panel; str(error) is the reason."""


@dataclass(frozen=True)
class ImageFile:
    """An image file found in the folder: absolute path, path relative to the folder, page and position."""

    path: Path
    rel: str
    page: int
    position: int


def parse_page_name(rel: str) -> tuple[int, int]:
    """(page, position) from a name like ``<page>_<n>.<ext>`` (what the scraper writes); (-1, -1) otherwise,
    numbers past MAX_PAGE included (no page is numbered so; panels keep page numbers as 32-bit integers)."""
    m = _PAGE_NAME.match(Path(rel).stem)
    if not m or len(m.group(1)) > 10 or len(m.group(2)) > 10:
        return (-1, -1)
    page, position = int(m.group(1)), int(m.group(2))
    return (page, position) if page <= MAX_PAGE and position <= MAX_PAGE else (-1, -1)


def _natural_key(rel: str) -> list:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", rel)]


def discover(root: Path, exclude: tuple[Path, ...] = ()) -> list[ImageFile]:
    """Image files under `root`, recursively, in natural order (page 2 before page 10).

    Hidden files and folders, anything under `exclude` (the output folder,
    when it lies inside the input) and every run folder (their report images
    are not panels) are skipped.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"not a folder: {root}")
    excluded = {p.resolve() for p in exclude}
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        if is_run_folder(here):
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and (here / d).resolve() not in excluded)
        for name in filenames:
            if name.startswith(".") or Path(name).suffix.lower() not in IMAGE_EXTENSIONS:
                continue
            path = here / name
            rel = path.relative_to(root).as_posix()
            found.append(ImageFile(path, rel, *parse_page_name(rel)))
    found.sort(key=lambda f: _natural_key(f.rel))
    return found


def panel_id(rel: str, frame: int) -> str:
    """The panel id: the relative path (bytes that are not UTF-8 as ``\\xNN``), plus ``#n`` for frame n > 0."""
    base = safe_text(rel)
    return base if frame == 0 else f"{base}#{frame}"


@dataclass(frozen=True)
class DecodedFile:
    """The frames of one file, as RGB arrays, with each frame's original size."""

    frames: list[np.ndarray]
    sizes: list[tuple[int, int]]  # (width, height) before any shrinking
    total_frames: int
    #: per frame, its opacity (HxW uint8) where it has transparent pixels, else None: a sprite's
    #: true outline, which compositing on white hides wherever the sprite itself is white
    alphas: list[np.ndarray | None] | None = None
    #: with repeats collapsed: the frame number of each kept frame, and the last frame it stands for
    #: (the frames in between repeat its picture); None when every frame is kept, numbered from 0
    numbers: list[int] | None = None
    last: list[int] | None = None

    def alpha(self, k: int) -> np.ndarray | None:
        return self.alphas[k] if self.alphas else None

    def frame_numbers(self) -> list[int]:
        """The frame number of each kept frame."""
        return self.numbers if self.numbers is not None else list(range(len(self.frames)))

    def last_frames(self) -> list[int]:
        """The last frame each kept frame stands for (itself, unless repeats were collapsed)."""
        return self.last if self.last is not None else self.frame_numbers()


def decode(data: bytes, first_frame_only: bool = False, collapse_repeats: bool = False) -> DecodedFile:
    """Decode image bytes into RGB frames on white; raises BadImage with the reason.

    collapse_repeats: a frame that repeats the last kept frame's picture (at most
    REPEAT_SHARE of its pixels differ: a blink, a moving mouth) is not kept; the
    kept frame stands for it (see DecodedFile.numbers and .last).
    """
    if not data:
        raise BadImage("empty file")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            im = Image.open(io.BytesIO(data))
        except UnidentifiedImageError:
            raise BadImage("not an image (format not recognised)") from None
        except Image.DecompressionBombError as e:
            raise BadImage(f"too large: {e}") from None
        except Image.DecompressionBombWarning:
            raise BadImage("too large (over Pillow's decompression-bomb limit)") from None
        except Exception as e:  # Pillow raises many types for damaged headers
            raise BadImage(f"unreadable header: {e}") from None
        w, h = im.size
        if w <= 0 or h <= 0:
            raise BadImage(f"no pixels ({w}x{h})")
        if w * h > MAX_PIXELS:
            raise BadImage(f"too large: {w}x{h} pixels is over the {MAX_PIXELS:,} limit")
        try:
            total = getattr(im, "n_frames", 1)
        except Exception:  # counting frames reads them all: a damaged later one (Pillow raises IndexError too)
            total = None
        fast = _decode_with_opencv(data, im) if total == 1 else None
        if fast is not None:
            return DecodedFile([fast[0]], [(w, h)], 1, [fast[1]])
        frames, sizes, alphas, numbers, last = [], [], [], [], []
        repeats = _Repeats(im) if collapse_repeats else None
        try:
            for k, frame in enumerate(ImageSequence.Iterator(im)):
                if k >= MAX_FRAMES or (first_frame_only and k >= 1):
                    break
                if repeats and frames and repeats.redrawn_little(frame):
                    last[-1] = k  # nothing outside a few pixels was redrawn: no pixels needed
                    continue
                rgb, alpha = to_rgb_and_alpha(frame)
                if repeats and frames and repeats.same_picture(rgb, alpha, frames[-1], alphas[-1]):
                    last[-1] = k
                    continue
                if repeats:
                    repeats.kept(frame)
                sizes.append(frame.size)
                frames.append(rgb)
                alphas.append(alpha)
                numbers.append(k)
                last.append(k)
        except BadImage:
            raise
        except Image.DecompressionBombError as e:
            raise BadImage(f"too large: {e}") from None
        except (OSError, SyntaxError, ValueError, EOFError, IndexError) as e:
            if frames and not first_frame_only:
                # A damaged later frame keeps the good ones: they are still panels.
                return _decoded(frames, sizes, total or last[-1] + 1, alphas, numbers, last, collapse_repeats)
            raise BadImage(f"damaged or truncated image data: {e}") from None
    if not frames:
        raise BadImage("no frames")
    return _decoded(frames, sizes, total or last[-1] + 1, alphas, numbers, last, collapse_repeats)


def _decoded(frames, sizes, total, alphas, numbers, last, collapsed: bool) -> DecodedFile:
    return DecodedFile(frames, sizes, total, alphas, numbers if collapsed else None, last if collapsed else None)


class _Repeats:
    """Tells which frames of an animation repeat the last kept frame's picture.

    A GIF frame redraws only its own rectangle (and, when the frame before asks
    to be disposed, that one's): pixels outside the union of those rectangles
    since the kept frame are unchanged, so a small union settles it without
    converting the frame. Otherwise (a GIF frame redrawn whole, APNG, WebP) the
    pixels are compared.
    """

    def __init__(self, im: Image.Image) -> None:
        self.gif = im.format == "GIF"
        self.limit = REPEAT_SHARE * im.size[0] * im.size[1]
        self.box: tuple[int, int, int, int] | None = None  # union of what was redrawn since the kept frame

    def kept(self, frame: Image.Image) -> None:
        """A new picture starts at `frame`; its own rectangle counts when it asks to be disposed."""
        extent = getattr(frame, "dispose_extent", None)
        self.box = extent if extent and getattr(frame, "disposal_method", 0) >= 2 else None

    def redrawn_little(self, frame: Image.Image) -> bool:
        """True when `frame` (a GIF's, not loaded yet) redraws at most REPEAT_SHARE of the panel since the kept frame."""
        extent = getattr(frame, "dispose_extent", None) if self.gif else None
        if not extent:
            self.box = (0, 0) + frame.size  # unknown: compare pixels
            return False
        b = self.box or extent
        self.box = (min(b[0], extent[0]), min(b[1], extent[1]), max(b[2], extent[2]), max(b[3], extent[3]))
        return (self.box[2] - self.box[0]) * (self.box[3] - self.box[1]) <= self.limit

    def same_picture(self, rgb, alpha, kept_rgb, kept_alpha) -> bool:
        """Pixels: at most REPEAT_SHARE of them differ from the kept frame's, opacity included."""
        if (alpha is None) != (kept_alpha is None):
            return False
        if changed_more_than(rgb, kept_rgb, REPEAT_SHARE):
            return False
        return alpha is None or not changed_more_than(alpha, kept_alpha, REPEAT_SHARE)


#: single-frame files OpenCV decodes to the same pixels as Pillow, faster (about 30% for PNG)
_OPENCV_FORMATS = {"PNG", "BMP", "WEBP"}
_OPENCV_MODES = {"RGB", "RGBA", "L", "LA"}


def _decode_with_opencv(data: bytes, im: Image.Image) -> tuple[np.ndarray, np.ndarray | None] | None:
    """(RGB on white, opacity or None) via OpenCV for plain 8-bit PNG/BMP/WebP; None to let Pillow handle the rest.

    Pillow has read the header already (format, mode, size are checked);
    palettes, colour-key transparency, high bit depths and anything unusual
    stay on Pillow's path.
    """
    if im.format not in _OPENCV_FORMATS or im.mode not in _OPENCV_MODES or "transparency" in im.info:
        return None
    a = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if a is None or a.dtype != np.uint8:
        return None  # damaged data or 16-bit: Pillow says what is wrong or converts it
    alpha = None
    if a.ndim == 2:
        rgb = cv2.cvtColor(a, cv2.COLOR_GRAY2RGB)
    elif a.shape[2] == 3:
        rgb = cv2.cvtColor(a, cv2.COLOR_BGR2RGB)
    elif a.shape[2] == 4:
        rgb, alpha = _on_white(cv2.cvtColor(a, cv2.COLOR_BGRA2RGBA))
    else:
        return None
    h, w = rgb.shape[:2]
    if max(h, w) > WORK_SIDE:
        scale = WORK_SIDE / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        alpha = None if alpha is None else cv2.resize(alpha, size, interpolation=cv2.INTER_AREA)
    return rgb, alpha


def _on_white(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """RGBA uint8 -> (RGB composited on white, the opacity where some pixel is transparent, else None)."""
    opacity = np.ascontiguousarray(rgba[..., 3])
    alpha = rgba[..., 3:4].astype(np.float32) / 255.0
    rgb = (rgba[..., :3].astype(np.float32) * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)
    return rgb, (opacity if opacity.min() < 255 else None)


def to_rgb_and_alpha(im: Image.Image) -> tuple[np.ndarray, np.ndarray | None]:
    """Any Pillow mode -> (HxWx3 uint8 RGB with transparency composited on white, shrunk to WORK_SIDE;
    the opacity (HxW uint8) where the image has transparent pixels, else None)."""
    if im.format == "JPEG":
        # Camera-style orientation tags: show the panel the way a viewer would.
        im = ImageOps.exif_transpose(im)
    if max(im.size) > WORK_SIDE:
        im = im.copy()
        im.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BOX)
    mode = im.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return _high_depth_to_rgb(im), None
    # A colour key counts only in a palette image. In a truecolour one it is in practice a
    # converted palette's transparent entry carried over as one exact colour, and compositing
    # it would erase every pixel of that colour from the drawing (black line art, in 41 of
    # sprite_scenes' panels); viewers that honour it are the exception for such files.
    has_alpha = "A" in mode or mode == "PA" or (mode == "P" and "transparency" in im.info)
    try:
        if has_alpha:
            return _on_white(np.asarray(im.convert("RGBA"), dtype=np.uint8))
        # an RGB frame (an animated GIF's after the first) is read as it is: convert() would copy it first
        return np.asarray(im if mode == "RGB" else im.convert("RGB"), dtype=np.uint8), None
    except ValueError as e:
        raise BadImage(f"unsupported colour mode {mode}: {e}") from None


def _high_depth_to_rgb(im: Image.Image) -> np.ndarray:
    """16-bit and float greyscale -> 8-bit RGB, scaled by the range the mode can hold."""
    a = np.asarray(im, dtype=np.float64)
    if im.mode == "F":
        top = 1.0 if a.size and np.nanmax(a) <= 1.0 else 255.0
    elif im.mode == "I":
        top = 65535.0 if a.size and a.max() > 255 else 255.0
    else:
        top = 65535.0
    g = np.clip(np.nan_to_num(a) / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


#: files over this many bytes are refused (counted as read: a device or a file in /proc says 0 in its size)
MAX_FILE_BYTES = 512 * 1024 * 1024

_NOT_REGULAR = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    """What a file that is not a regular file is ("a named pipe"), else None."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _NOT_REGULAR if test(mode)), "not a regular file")


def read_bytes(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes; BadImage for anything else and for files over `max_bytes`.

    A named pipe, a device (a symlink to /dev/zero) or a socket named like an image is refused
    without reading from it: opening a pipe would wait for a writer, reading a device never ends.
    The cap counts the bytes read (at most max_bytes + 1), not what stat says the size is.
    """
    try:
        what = _not_regular(os.stat(path).st_mode)
        if what:
            raise BadImage(f"not a regular file ({what})")
        # O_NONBLOCK: if the name became a pipe since the stat, the open does not wait for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
                     | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)
            what = _not_regular(st.st_mode)
            if what:
                raise BadImage(f"not a regular file ({what})")
            parts, total = [], 0
            want = min(st.st_size, max_bytes) + 1  # the whole file and one more byte in one read, when stat is right
            while total <= max_bytes:
                chunk = os.read(fd, min(max(want, 1 << 16), max_bytes + 1 - total))
                if not chunk:
                    break
                parts.append(chunk)
                total += len(chunk)
        finally:
            os.close(fd)
    except OSError as e:
        raise BadImage(f"cannot read file: {e.strerror or e}") from None
    if total > max_bytes:
        raise BadImage(f"too large: over {max_bytes:,} bytes")
    return parts[0] if len(parts) == 1 else b"".join(parts)
