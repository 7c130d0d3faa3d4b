"""Small pure image operations shared by the signatures (numpy in, numpy out)."""

from __future__ import annotations

import math

import cv2
import numpy as np


def to_grey(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB -> HxW uint8 luminance (ITU-R 601, as Pillow's "L")."""
    return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)


def resize(image: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Resize to size x size (or (width, height)) with area averaging.

    Area averaging is what a person's eye does when shrinking line art: thin
    lines fade rather than vanish or alias, so edge maps stay stable.
    """
    wh = (size, size) if isinstance(size, int) else size
    image = np.ascontiguousarray(image)
    if image.shape[1] == wh[0] and image.shape[0] == wh[1]:
        return image
    shrinking = image.shape[0] >= wh[1] and image.shape[1] >= wh[0]
    return cv2.resize(image, wh, interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


#: an image shrunk in two steps ends at least this many pixels across (see shrink)
TWO_STEP_MIN_SIDE = 32


def shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """image area-averaged to size (width, height), in two steps where a whole factor fits.

    OpenCV averages whole k x k blocks several times faster than boxes of a
    fractional size, so an image whose sides share a factor k (650 x 450: 2)
    is first shrunk by k, then by the 2x or more that is left. The blocks tile
    the image, so every pixel of the result covers the same part of it, but a
    block on a box's boundary counts whole: edges come out a little softer
    (mean change under one level in 255). The small greyscale images of the
    hashes and the write-up's edge maps are made this way; the drawing's
    working image is not: its thin edges moved enough to cost recoloured,
    moved copies their match (bench/RESULTS.md). Never with under 2x left,
    nor for a result under TWO_STEP_MIN_SIDE across (a banner's lettering is
    a pixel tall there), where the softening moved lines most.
    """
    h, w = image.shape[:2]
    k = block_factor(w, h, size)
    if k >= 2:
        image = cv2.resize(np.ascontiguousarray(image), (w // k, h // k), interpolation=cv2.INTER_AREA)
    return cv2.resize(np.ascontiguousarray(image), size, interpolation=cv2.INTER_AREA)


def block_factor(w: int, h: int, size: tuple[int, int]) -> int:
    """The largest whole k that divides both w and h and leaves them at least twice `size`; 1 when none does
    or `size` is a banner's."""
    if min(size) < TWO_STEP_MIN_SIDE:
        return 1
    most = int(min(w / size[0], h / size[1]) / 2)
    common = math.gcd(w, h)
    return next((k for k in range(most, 1, -1) if common % k == 0), 1)


#: OpenCV threads per describing process. Not 1, although there is a process per core: OpenCV's
#: Canny run as one stripe (one thread) overruns its hysteresis stack on some dense edge maps
#: (a brick wall at 100x100: 58% edge pixels) and corrupts the heap, in 4.12 to 5.1 alike;
#: split in two stripes it does not. Two threads cost about 0.3 ms a panel.
OPENCV_THREADS = 2


def limit_opencv_threads() -> int:
    """Set OpenCV's threads for a process that describes panels (see OPENCV_THREADS); returns the old setting."""
    old = cv2.getNumThreads()
    cv2.setNumThreads(OPENCV_THREADS)
    return old


def canny(grey: np.ndarray, low: float, high: float) -> np.ndarray:
    """Canny edge map as a bool array (OpenCV, 3x3 Sobel, L1 gradient)."""
    return cv2.Canny(np.ascontiguousarray(grey), low, high) > 0


def pack_bits(mask: np.ndarray) -> np.ndarray:
    """Bool array (any shape) -> 1-D uint64 words, little-endian bit order, zero padded.

    Packing to 64-bit words lets the all-pairs kernels XOR and popcount 64
    pixels per instruction.
    """
    flat = np.packbits(np.asarray(mask, dtype=bool).ravel(), bitorder="little")
    pad = (-len(flat)) % 8
    if pad:
        flat = np.concatenate([flat, np.zeros(pad, np.uint8)])
    return flat.view(np.uint64)


def unpack_bits(words: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of `pack_bits`: uint64 words -> bool array of `shape`."""
    n = int(np.prod(shape))
    bits = np.unpackbits(np.ascontiguousarray(words).view(np.uint8), bitorder="little", count=n)
    return bits.reshape(shape).astype(bool)



def dilate_bits(bits: np.ndarray, shape: tuple[int, int], radius: int, out: np.ndarray | None = None) -> np.ndarray:
    """Rows of packed (h, w) bit maps, each dilated by a (2r+1) square: every set bit grows to its neighbours.
    out: a C-contiguous array of bits' shape and dtype (uint64 words, as pack_bits makes them) to write them into."""
    if radius <= 0:
        if out is None:
            return bits.copy()
        out[:] = bits
        return out
    h, w = shape
    if w % 64 == 0 and len(bits):
        from visualdistance.analysis.kernels import dilate_packed  # compiled, bit-parallel

        return dilate_packed(bits, shape, radius, out)
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    out = np.empty_like(bits) if out is None else out
    for k, row in enumerate(bits):
        m = unpack_bits(row, shape).astype(np.uint8)
        out[k] = pack_bits(cv2.dilate(m, kernel) > 0)
    return out


#: Two frames of one animation show the same picture when at most this share of their pixels
#: differ: a blinking eye or a moving mouth (a few hundred of a panel's 300,000 pixels) stays
#: one picture; a cut, a pan or a character walking in changes far more. At this share every
#: signature's working image (100-128 px) moves by well under a pixel's worth of edges.
REPEAT_SHARE = 0.005


def changed_share(a: np.ndarray, b: np.ndarray) -> float:
    """The share of pixels (HxW or HxWxC arrays of one shape) where a and b differ in any channel; 1.0 for other shapes."""
    if a.shape != b.shape:
        return 1.0
    pixels = max(a.shape[0] * a.shape[1], 1) if a.ndim >= 2 else max(a.size, 1)
    if a.dtype == np.uint8 and b.dtype == np.uint8 and a.ndim in (2, 3) and a.size:
        # OpenCV's difference, then a bitwise OR over the channels: a tenth of the time of
        # (a != b).any(axis=2), whose reduction over an axis of 3 numpy does slowly (4 ms a 650x450 frame)
        d = cv2.absdiff(np.ascontiguousarray(a), np.ascontiguousarray(b))
        if d.ndim == 3:
            d = np.bitwise_or.reduce(d, axis=2) if d.shape[2] != 3 else d[..., 0] | d[..., 1] | d[..., 2]
        return float(np.count_nonzero(d)) / pixels
    differ = a != b
    if differ.ndim == 3:
        differ = differ.any(axis=2)
    return float(np.count_nonzero(differ)) / max(differ.size, 1)


#: rows compared at a time by changed_more_than
BAND_ROWS = 64


def changed_more_than(a: np.ndarray, b: np.ndarray, share: float) -> bool:
    """changed_share(a, b) > share, most often told from the count of bytes that differ.

    A pixel differs when any of its channels does, so the pixels that differ are at least a channel's
    share of the differing bytes and at most all of them. Animation frames mostly differ by far more or
    far less than `share` (a moving figure, a blink), and counting bytes is a quarter of the time of
    combining each pixel's channels; only a count between the two bounds needs the exact share.
    """
    if a.shape != b.shape or a.dtype != np.uint8 or b.dtype != np.uint8 or a.ndim not in (2, 3) or not a.size:
        return changed_share(a, b) > share
    pixels = a.shape[0] * a.shape[1]
    channels = 1 if a.ndim == 2 else a.shape[2]
    ra, rb = (np.ascontiguousarray(x).reshape(x.shape[0], -1) for x in (a, b))  # one channel, whole rows
    # Counted a band of rows at a time: a frame where a figure moved differs by more than `share` within
    # the first band or two, and the rest need not be read. The decision is the one the whole count gives.
    # (The same division changed_share makes, on a count at least (at most) the pixels that differ.)
    differing = 0
    for top in range(0, len(ra), BAND_ROWS):
        differing += cv2.countNonZero(cv2.absdiff(ra[top : top + BAND_ROWS], rb[top : top + BAND_ROWS]))
        if float(-(-differing // channels)) / pixels > share:
            return True
    if float(differing) / pixels <= share:
        return False
    return changed_share(a, b) > share
