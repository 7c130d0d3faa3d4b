"""All-pairs kernels over packed bit signatures, compiled with numba.

Python never loops over pairs: one compiled, parallel call walks every pair on
all cores. What makes it fast enough for 10,000 panels (50 million pairs) in
well under a second on two cores:

- Lower bounds before exact distances. For a bit map, the number of set bits
  in each tile of a grid differs by at most the Hamming distance inside that
  tile, so sum_tiles |count_i - count_j| <= d(i, j). A coarse (10x10 tiles)
  and a fine (20x20) grid of counts reject almost every unrelated pair after
  comparing a few hundred bytes, which a single SAD instruction per 64 bytes
  does (`_sad64`). Only the survivors get the exact XOR + popcount.
- Rows sorted by their number of set bits: |c_i - c_j| <= d(i, j), so the
  columns a row can possibly match form a prefix, and the rest is skipped.
- Cache blocking: rows are compared block against block so both stay in cache.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

_BLOCK = 128  # rows per cache block
_LANES = 64  # bytes compared by one _sad64 call
_INITIAL_CAP = 64  # partners kept per row before that row is recomputed with more room


@intrinsic
def _popcount64(typingctx, x):
    """LLVM's ctpop on one 64-bit word (POPCNT on x86-64, vectorised in loops)."""
    sig = types.uint64(types.uint64)

    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.ctpop", [ir.IntType(64)])
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def _sad64(typingctx, x, xi, xo, y, yi, yo):
    """Sum of |x[xi, xo:xo+64] - y[yi, yo:yo+64]| for 2-D C-contiguous uint8 arrays.

    Written as one 64-lane vector reduction (zero-extend, subtract, abs, add),
    which LLVM turns into (V)PSADBW on x86 and UABD/UADALP on ARM.
    """
    sig = types.int64(x, xi, xo, y, yi, yo)
    vec8 = ir.VectorType(ir.IntType(8), _LANES)
    vec32 = ir.VectorType(ir.IntType(32), _LANES)

    def codegen(context, builder, signature, args):
        xa, xiv, xov, ya, yiv, yov = args
        xt, _, _, yt, _, _ = signature.args

        def lane_ptr(arrty, arr, row, col):
            a = context.make_array(arrty)(context, builder, arr)
            stride = builder.extract_value(a.strides, 0)
            base = builder.ptrtoint(a.data, ir.IntType(64))
            off = builder.add(builder.mul(row, stride), col)
            return builder.inttoptr(builder.add(base, off), vec8.as_pointer())

        vx = builder.load(lane_ptr(xt, xa, xiv, xov), align=1)
        vy = builder.load(lane_ptr(yt, ya, yiv, yov), align=1)
        diff = builder.sub(builder.zext(vx, vec32), builder.zext(vy, vec32))
        abs_fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(vec32, [vec32, ir.IntType(1)]), f"llvm.abs.v{_LANES}i32"
        )
        sum_fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.IntType(32), [vec32]), f"llvm.vector.reduce.add.v{_LANES}i32"
        )
        total = builder.call(sum_fn, [builder.call(abs_fn, [diff, ir.Constant(ir.IntType(1), 0)])])
        return builder.sext(total, ir.IntType(64))

    return sig, codegen


@njit(cache=True, nogil=True, inline="always")
def _tile_bound(x, i, y, j, limit):
    """Lower bound on a Hamming distance from padded tile counts, abandoned once >= limit."""
    acc = 0
    for o in range(0, x.shape[1], _LANES):
        acc += _sad64(x, i, o, y, j, o)
        if acc >= limit:
            break
    return acc


@njit(cache=True, nogil=True, inline="always")
def _distance(x, y, seg, weights):
    """sum_k weights[k] * popcount(x ^ y) over words seg[k]:seg[k+1]."""
    total = 0.0
    for s in range(seg.shape[0] - 1):
        acc = 0
        for q in range(seg[s], seg[s + 1]):
            acc += _popcount64(x[q] ^ y[q])
        total += weights[s] * acc
    return total


@njit(cache=True, nogil=True, inline="always")
def _under(i, j, bits, c1, c2, other, o1, o2, seg, weights, t):
    """True when the distance from row i of `bits` to row j of `other` is < t."""
    w0 = weights[0]
    if c1.shape[1] > 0:
        if w0 * _tile_bound(c1, i, o1, j, t / w0) >= t:
            return False
        if w0 * _tile_bound(c2, i, o2, j, t / w0) >= t:
            return False
    return _distance(bits[i], other[j], seg, weights) < t


@njit(cache=True, nogil=True, inline="always")
def _record(n_found, partner, via_mirror, r, j, mirrored):
    """Note partner j of listed row r; rows past their buffer keep counting, to be rerun with more room."""
    q = n_found[r]
    if q < partner.shape[1]:
        partner[r, q] = j
        via_mirror[r, q] = mirrored
    n_found[r] = q + 1


@njit(cache=True, parallel=True, nogil=True)
def _pairs_kernel(rows, bits, c1, c2, mbits, m1, m2, use_mirror, seg, weights, counts, thr, source, hi, cap, orig, slack):
    """For each row i in `rows`: partners j in (i, hi[i]) with min(d, d_mirror) < max(thr_i, thr_j).

    d_mirror compares the row that comes first in the caller's order (`orig`: each sorted row's
    original index) with the other's mirror, as `pair_distances` measures it: a mirrored signature
    is described from the flipped image, not flipped bits, so the two orientations can differ, and
    a mirror can have a few more or fewer set bits: `slack` is the most a row's count and its
    mirror's differ by, so the count bound stays a bound for mirrored comparisons.

    Returns per listed row the number of partners, and up to `cap` of them
    (column index, and whether only the mirrored comparison matched).
    """
    n_rows = rows.shape[0]
    n_found = np.zeros(n_rows, np.int64)
    partner = np.empty((n_rows, cap), np.int32)
    via_mirror = np.zeros((n_rows, cap), np.bool_)
    w0 = weights[0]
    n_blocks = (n_rows + _BLOCK - 1) // _BLOCK
    for k in prange(n_blocks):
        # Early blocks have the longest rows (triangle); interleaving blocks
        # from both ends gives every thread's contiguous share the same work.
        blk = k // 2 if k % 2 == 0 else n_blocks - 1 - k // 2
        r0 = blk * _BLOCK
        r1 = min(r0 + _BLOCK, n_rows)
        j_lo = rows[r0] + 1
        j_hi = 0
        for r in range(r0, r1):
            j_hi = max(j_hi, hi[rows[r]])
        for j0 in range(j_lo, j_hi, _BLOCK):
            for r in range(r0, r1):
                i = rows[r]
                ci = counts[i]
                ti = thr[i]
                for j in range(max(j0, i + 1), min(j0 + _BLOCK, hi[i])):
                    if source[j] == source[i]:
                        continue
                    t = max(ti, thr[j])
                    gap = w0 * (counts[j] - ci)
                    if gap >= t + w0 * slack:
                        continue
                    direct = gap < t and _under(i, j, bits, c1, c2, bits, c1, c2, seg, weights, t)
                    mirrored = False
                    if use_mirror and not direct:
                        if orig[i] < orig[j]:
                            mirrored = _under(i, j, bits, c1, c2, mbits, m1, m2, seg, weights, t)
                        else:
                            mirrored = _under(i, j, mbits, m1, m2, bits, c1, c2, seg, weights, t)
                    if direct or mirrored:
                        _record(n_found, partner, via_mirror, r, j, mirrored)
    return n_found, partner, via_mirror


@njit(cache=True, parallel=True, nogil=True)
def _tile_counts_kernel(bits, h, w, tile, out):
    """Count set bits per tile: each row's tile spans become word masks, so a tile row is 1-2 popcounts."""
    tw = (w + tile - 1) // tile
    n_bits = bits.shape[1] * 64
    for r in prange(bits.shape[0]):
        row = bits[r]
        for y in range(h):
            ty = y // tile
            base = y * w
            for tx in range(tw):
                lo = base + tx * tile
                hi = min(base + min((tx + 1) * tile, w), n_bits)
                acc = 0
                while lo < hi:
                    q = lo // 64
                    start = lo % 64
                    stop = min(64, start + (hi - lo))
                    width = stop - start
                    mask = np.uint64(0xFFFFFFFFFFFFFFFF) if width == 64 else ((np.uint64(1) << np.uint64(width)) - np.uint64(1))
                    acc += int(_popcount64((row[q] >> np.uint64(start)) & mask))
                    lo += width
                cell = ty * tw + tx
                total = out[r, cell] + acc
                out[r, cell] = 255 if total > 255 else total


@njit(cache=True, nogil=True, inline="always")
def _sad(x, i, y, j):
    """Full sum of |x[i] - y[j]| over padded uint8 tile counts."""
    acc = 0
    for o in range(0, x.shape[1], _LANES):
        acc += _sad64(x, i, o, y, j, o)
    return acc


@njit(cache=True, nogil=True, inline="always")
def _unexplained(x, y_dilated):
    """popcount(x & ~y_dilated): bits of x with no bit of y within the dilation radius."""
    acc = 0
    for q in range(x.shape[0]):
        acc += _popcount64(x[q] & ~y_dilated[q])
    return acc


@njit(cache=True, nogil=True, inline="always")
def _chamfer_under(i, j, E, D, e1, e2, d1, d2, OE, OD, o1, o2, od1, od2, ci, cj, dc, limit):
    """True when sum over radii r of (|E_i \\ OD_r,j| + |OE_j \\ D_r,i|) < limit (O = j's orientation).

    D[r] are the edges dilated by successive radii. Tile bounds first, coarse
    grid then fine: per radius, sum over tiles of max(0, e_ik - d_jk) is at
    most the unexplained count and equals (SAD(e_i, d_j) + c_i - dc_j) / 2.
    """
    radii = D.shape[0]
    if e1.shape[1] > 0:
        for level in range(2):
            lb = 0
            for r in range(radii):
                if level == 0:
                    lb += _sad(e1, i, od1[r], j) + _sad(o1, j, d1[r], i)
                else:
                    lb += _sad(e2, i, od2[r], j) + _sad(o2, j, d2[r], i)
                lb += ci - dc[r, j] + cj - dc[r, i]
                if lb >= 2 * limit:
                    return False
    total = 0
    for r in range(radii):
        total += _unexplained(E[i], OD[r, j]) + _unexplained(OE[j], D[r, i])
        if total >= limit:
            return False
    return True


@njit(cache=True, parallel=True, nogil=True)
def _chamfer_kernel(rows, E, D, e1, e2, d1, d2, ME, MD, m1, m2, md1, md2, use_mirror, counts, dcounts, thr, source, cap):
    """For each listed row i: partners j > i whose mean unexplained-edge ratio is < max(thr_i, thr_j).

    ratio_r(i, j) = (|E_i \\ D_r,j| + |E_j \\ D_r,i|) / (|E_i| + |E_j|), averaged
    over the dilations D_r; the mirrored comparison uses j's mirrored maps.
    Tile arrays: e1/e2 (n, k) of the edges, d1/d2 (radii, n, k) of the dilations.
    """
    n = E.shape[0]
    radii = D.shape[0]
    n_rows = rows.shape[0]
    n_found = np.zeros(n_rows, np.int64)
    partner = np.empty((n_rows, cap), np.int32)
    via_mirror = np.zeros((n_rows, cap), np.bool_)
    n_blocks = (n_rows + _BLOCK - 1) // _BLOCK
    for k in prange(n_blocks):
        blk = k // 2 if k % 2 == 0 else n_blocks - 1 - k // 2
        r0 = blk * _BLOCK
        r1 = min(r0 + _BLOCK, n_rows)
        for j0 in range(rows[r0] + 1, n, _BLOCK):
            for r in range(r0, r1):
                i = rows[r]
                ci = counts[i]
                for j in range(max(j0, i + 1), min(j0 + _BLOCK, n)):
                    if source[j] == source[i]:
                        continue
                    cj = counts[j]
                    limit = max(thr[i], thr[j]) * (ci + cj) * radii
                    direct = _chamfer_under(i, j, E, D, e1, e2, d1, d2, E, D, e1, e2, d1, d2, ci, cj, dcounts, limit)
                    mirrored = False
                    if use_mirror and not direct:
                        mirrored = _chamfer_under(i, j, E, D, e1, e2, d1, d2, ME, MD, m1, m2, md1, md2, ci, cj, dcounts, limit)
                    if direct or mirrored:
                        _record(n_found, partner, via_mirror, r, j, mirrored)
    return n_found, partner, via_mirror


@njit(cache=True, parallel=True, nogil=True)
def _chamfer_pairs_kernel(a, b, E, D, e1, e2, d1, d2, ME, MD, m1, m2, md1, md2, use_mirror, counts, dcounts, thr, source):
    """_chamfer_kernel's test on listed pairs only: per pair 0 (no), 1 (direct) or 2 (mirrored only)."""
    radii = D.shape[0]
    out = np.zeros(a.shape[0], np.uint8)
    for p in prange(a.shape[0]):
        i, j = a[p], b[p]
        if i == j or source[i] == source[j]:
            continue
        ci, cj = counts[i], counts[j]
        limit = max(thr[i], thr[j]) * (ci + cj) * radii
        if _chamfer_under(i, j, E, D, e1, e2, d1, d2, E, D, e1, e2, d1, d2, ci, cj, dcounts, limit):
            out[p] = 1
        elif use_mirror and _chamfer_under(i, j, E, D, e1, e2, d1, d2, ME, MD, m1, m2, md1, md2, ci, cj, dcounts, limit):
            out[p] = 2
    return out


def tile_counts(bits: np.ndarray, shape: tuple[int, int], tile: int) -> np.ndarray:
    """Set bits per tile x tile block of each packed (h, w) bit map -> (n, k) uint8.

    k is the number of tiles rounded up to a multiple of 64 (zero padding), so
    rows can be compared 64 bytes at a time. Counts saturate at 255, which
    keeps them valid lower bounds.
    """
    h, w = shape
    k = -(-h // tile) * -(-w // tile)
    out = np.zeros((len(bits), -(-k // _LANES) * _LANES), np.uint8)
    _tile_counts_kernel(np.ascontiguousarray(bits, dtype=np.uint64), h, w, tile, out)
    return out


@njit(cache=True, parallel=True, nogil=True)
def _dilate_rows_kernel(bits, h, k, radius, out):
    """Square dilation of (h, 64k) bit maps: OR of the row shifted +-1..r bits, then of rows +-r."""
    for p in prange(bits.shape[0]):
        wide = np.empty(h * k, np.uint64)
        src = bits[p]
        for y in range(h):
            for q in range(k):
                acc = src[y * k + q]
                for d in range(1, radius + 1):
                    # pixel x takes its neighbours x-d and x+d
                    left = src[y * k + q] << np.uint64(d)
                    if q > 0:
                        left |= src[y * k + q - 1] >> np.uint64(64 - d)
                    right = src[y * k + q] >> np.uint64(d)
                    if q < k - 1:
                        right |= src[y * k + q + 1] << np.uint64(64 - d)
                    acc |= left | right
                wide[y * k + q] = acc
        for y in range(h):
            for q in range(k):
                acc = np.uint64(0)
                for yy in range(max(0, y - radius), min(h, y + radius + 1)):
                    acc |= wide[yy * k + q]
                out[p, y * k + q] = acc


def dilate_packed(bits: np.ndarray, shape: tuple[int, int], radius: int, out: np.ndarray | None = None) -> np.ndarray:
    """Rows of packed (h, w) bit maps dilated by a (2r+1) square, with w a multiple of 64 (bit-parallel).
    out: a C-contiguous uint64 array of bits' shape to write them into."""
    h, w = shape
    if w % 64 or radius >= 64:
        raise ValueError("dilate_packed needs map widths in multiples of 64 and radius < 64")
    out = np.empty_like(bits, dtype=np.uint64) if out is None else out
    if radius <= 0:
        out[:] = bits
        return out
    _dilate_rows_kernel(np.ascontiguousarray(bits, np.uint64), h, w // 64, radius, out)
    return out


def _tile_pyramid(bits: np.ndarray, shape: tuple[int, int] | None) -> tuple[np.ndarray, np.ndarray]:
    """Coarse (about 10x10) and fine (about 20x20) tile counts, or empty arrays without a shape."""
    if shape is None:
        none = np.zeros((len(bits), 0), np.uint8)
        return none, none
    tile = max(1, -(-max(shape) // 20))
    fine = tile_counts(bits, shape, tile)
    return _merge_tiles(fine, shape, tile), fine


def _merge_tiles(counts: np.ndarray, shape: tuple[int, int], tile: int) -> np.ndarray:
    """Counts per 2x2 block of tiles (tile_counts at 2 x tile, without reading the bits again)."""
    h, w = shape
    th, tw = -(-h // tile), -(-w // tile)
    grid = counts[:, : th * tw].reshape(len(counts), th, tw).astype(np.uint16)
    grid = np.pad(grid, ((0, 0), (0, th % 2), (0, tw % 2)))
    merged = grid[:, 0::2, 0::2] + grid[:, 1::2, 0::2] + grid[:, 0::2, 1::2] + grid[:, 1::2, 1::2]
    k = merged.shape[1] * merged.shape[2]
    out = np.zeros((len(counts), -(-k // _LANES) * _LANES), np.uint8)
    out[:, :k] = np.minimum(merged.reshape(len(counts), k), 255)  # saturated like tile_counts: still a lower bound
    return out


def _stacked_pyramid(stack: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Tile pyramids of a (radii, n, w) stack of maps, as (radii, n, k) arrays per level."""
    levels = [_tile_pyramid(maps, shape) for maps in stack]
    return np.ascontiguousarray(np.stack([c for c, _ in levels])), np.ascontiguousarray(np.stack([f for _, f in levels]))


def _row_limits(counts: np.ndarray, thr: np.ndarray) -> np.ndarray:
    """For rows sorted by count, the exclusive upper column index each row must visit.

    Row i needs column j > i only if c_j - c_i < max(t_i, t_j), i.e. if
    c_j < c_i + t_i or c_j - t_j < c_i. The first is a prefix of the sorted
    columns; for the second, the suffix minimum of c - t gives the last column
    that can possibly satisfy it. The union of both prefixes is all we visit.
    """
    c = counts.astype(np.float64)
    t = thr.astype(np.float64)
    by_own = np.searchsorted(c, c + t, side="left")
    suffix_min = np.minimum.accumulate((c - t)[::-1])[::-1]
    by_theirs = np.searchsorted(suffix_min, c, side="left")
    return np.maximum(by_own, by_theirs).astype(np.int64)


def hamming_links(
    bits: np.ndarray,
    thresholds: np.ndarray,
    mirror_bits: np.ndarray | None = None,
    source: np.ndarray | None = None,
    segments: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    shape: tuple[int, int] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair whose distance is under the larger of the two rows' thresholds.

    bits: (n, w) uint64 packed signatures. thresholds: (n,) per-row thresholds;
    a pair (i, j), i < j, links when min(d, d_mirror) < max(t_i, t_j), d_mirror
    being the distance from i to the mirror of j (what `pair_distances` measures;
    not always the one from the mirror of i to j, since mirrored signatures are
    described from the flipped image). mirror_bits: the mirrored signatures (same shape) or None. source:
    (n,) ints; pairs from the same source (frames of one file) never link.
    segments/weights: the distance is sum_k weights[k] * hamming over words
    segments[k]:segments[k+1]; by default one segment of weight 1 (plain
    Hamming). shape: the (h, w) of the bit map in the first segment when it is
    an image; it turns on the tile-count bounds that make large maps fast.

    Returns (a, b, mirrored): a < b as row indices, sorted; mirrored is True
    where only the mirrored comparison is under the threshold.
    """
    n = len(bits)
    if n < 2:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, bool)
    bits = np.ascontiguousarray(bits, dtype=np.uint64)
    seg = np.array([0, bits.shape[1]], np.int64) if segments is None else np.asarray(segments, np.int64)
    w = np.ones(len(seg) - 1) if weights is None else np.asarray(weights, np.float64)
    # Sorting by the first segment's count makes its weighted difference a
    # lower bound that only grows along a row.
    counts = np.bitwise_count(bits[:, seg[0] : seg[1]]).sum(axis=1, dtype=np.int64)
    order = np.argsort(counts, kind="stable")
    s_bits = bits[order]
    use_mirror = mirror_bits is not None
    s_mirror = np.ascontiguousarray(mirror_bits, dtype=np.uint64)[order] if use_mirror else s_bits
    tiles = _tile_pyramid(s_bits[:, seg[0] : seg[1]], shape)
    mtiles = _tile_pyramid(s_mirror[:, seg[0] : seg[1]], shape) if use_mirror else tiles
    s_counts = counts[order]
    s_thr = np.asarray(thresholds, dtype=np.float64)[order]
    s_source = (np.arange(n) if source is None else np.asarray(source))[order].astype(np.int64)
    # a mirror's count differs from its row's by at most `slack`, which widens the count bounds by as much
    slack = 0
    if use_mirror:
        m_counts = np.bitwise_count(np.asarray(mirror_bits)[:, seg[0] : seg[1]]).sum(axis=1, dtype=np.int64)
        slack = int(np.abs(m_counts - counts).max())
    hi = _row_limits(s_counts, s_thr / w[0] + slack)
    s_orig = order.astype(np.int64)

    def run(rows: np.ndarray, cap: int):
        return _pairs_kernel(
            rows, s_bits, *tiles, s_mirror, *mtiles, use_mirror, seg, w, s_counts, s_thr, s_source, hi, cap, s_orig, float(slack)
        )

    a, b, mirrored = _collect(n, run)
    return _sorted_pairs(order[a], order[b], mirrored)


def _collect(n: int, run) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run a pairs kernel over all rows, then again with more room for rows that overflowed.

    `run(rows, cap)` returns (n_found, partner, via_mirror) per listed row.
    Rare rows with many partners (a drawing reused over and over) are
    recomputed alone with room for all of them.
    """
    rows = np.arange(n, dtype=np.int64)
    n_found, partner, via_mirror = run(rows, _INITIAL_CAP)
    full = n_found > _INITIAL_CAP
    keep = np.arange(_INITIAL_CAP)[None, :] < np.minimum(n_found, _INITIAL_CAP)[:, None]
    keep[full] = False
    i_parts = [np.repeat(rows, keep.sum(axis=1))]
    j_parts = [partner[keep]]
    m_parts = [via_mirror[keep]]
    if full.any():
        busy = rows[full]
        n2, p2, v2 = run(busy, int(n_found[full].max()))
        keep2 = np.arange(p2.shape[1])[None, :] < n2[:, None]
        i_parts.append(np.repeat(busy, n2))
        j_parts.append(p2[keep2])
        m_parts.append(v2[keep2])
    return np.concatenate(i_parts), np.concatenate(j_parts).astype(np.int64), np.concatenate(m_parts)


def _sorted_pairs(a: np.ndarray, b: np.ndarray, mirrored: np.ndarray):
    a, b = np.minimum(a, b), np.maximum(a, b)
    srt = np.lexsort((b, a))
    return a[srt].astype(np.int32), b[srt].astype(np.int32), mirrored[srt]


def chamfer_links(
    edges: np.ndarray,
    dilated: np.ndarray,
    thresholds: np.ndarray,
    shape: tuple[int, int],
    mirror_edges: np.ndarray | None = None,
    mirror_dilated: np.ndarray | None = None,
    source: np.ndarray | None = None,
    pairs: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair whose edges explain each other: mean unexplained ratio < threshold.

    edges: (n, w) packed bit maps of `shape`; dilated: (n, w) or (radii, n, w)
    the same maps dilated (by increasing radii, widest last).
    ratio_r(i, j) = (|E_i & ~D_r,j| + |E_j & ~D_r,i|) / (|E_i| + |E_j|), the
    share of edge pixels with no edge of the other panel within radius r,
    averaged over the radii; a pair links when it is under max(t_i, t_j) of
    the per-row `thresholds`. With the mirrored maps, i is also compared with
    the mirror of j. source: pairs from one source never link. pairs: (a, b)
    candidate pairs (from an index) to test instead of all pairs.
    Returns (a, b, mirrored) as hamming_links does.
    """
    n = len(edges)
    if n < 2:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, bool)
    stack = lambda d: np.ascontiguousarray(d if d.ndim == 3 else d[None], np.uint64)  # noqa: E731
    E = np.ascontiguousarray(edges, np.uint64)
    D = stack(dilated)
    use_mirror = mirror_edges is not None
    ME = np.ascontiguousarray(mirror_edges, np.uint64) if use_mirror else E
    MD = stack(mirror_dilated) if use_mirror else D
    tiles = _tile_pyramid(E, shape), _stacked_pyramid(D, shape)
    mtiles = (_tile_pyramid(ME, shape), _stacked_pyramid(MD, shape)) if use_mirror else tiles
    counts = np.bitwise_count(E).sum(axis=1, dtype=np.int64)
    dcounts = np.bitwise_count(D).sum(axis=2, dtype=np.int64)  # mirroring keeps counts
    src = (np.arange(n) if source is None else np.asarray(source)).astype(np.int64)
    thr = np.broadcast_to(np.asarray(thresholds, np.float64), (n,)).copy()
    if pairs is not None:
        a, b = (np.asarray(x, np.int64) for x in pairs)
        found = _chamfer_pairs_kernel(
            a, b, E, D, *tiles[0], *tiles[1], ME, MD, *mtiles[0], *mtiles[1], use_mirror, counts, dcounts, thr, src
        )
        keep = found > 0
        return _sorted_pairs(a[keep], b[keep], found[keep] == 2)

    def run(rows: np.ndarray, cap: int):
        return _chamfer_kernel(
            rows, E, D, *tiles[0], *tiles[1], ME, MD, *mtiles[0], *mtiles[1],
            use_mirror, counts, dcounts, thr, src, cap,
        )

    return _sorted_pairs(*_collect(n, run))


@njit(cache=True, nogil=True, inline="always")
def _shift_rows(y, h, k, dx, out):
    """out = y with every row of a (h, 64k) bit map moved dx pixels (bit b of word q is pixel 64q + b)."""
    for r in range(h):
        for q in range(k):
            w = y[r * k + q]
            if dx > 0:
                v = w << np.uint64(dx)
                if q > 0:
                    v |= y[r * k + q - 1] >> np.uint64(64 - dx)
            elif dx < 0:
                v = w >> np.uint64(-dx)
                if q < k - 1:
                    v |= y[r * k + q + 1] << np.uint64(64 + dx)
            else:
                v = w
            out[r * k + q] = v


@njit(cache=True, nogil=True, inline="always")
def _overlap(x, shifted, h, k, dy):
    """popcount(x & shifted moved dy rows down)."""
    acc = 0
    for r in range(max(0, dy), min(h, h + dy)):
        src = r - dy
        for q in range(k):
            acc += _popcount64(x[r * k + q] & shifted[src * k + q])
    return acc


@njit(cache=True, nogil=True, inline="always")
def _visible(shifted, h, k, dy):
    """Set bits of a map (already moved along its rows) that stay on the canvas when moved dy rows down."""
    acc = 0
    for src in range(max(0, -dy), min(h, h - dy)):
        for q in range(k):
            acc += _popcount64(shifted[src * k + q])
    return acc


@njit(cache=True, nogil=True, inline="always")
def _in_window(x, h, k, dx, dy):
    """Set bits of a map inside the part of the canvas that another map moved (dx, dy) still covers."""
    x0, x1 = max(0, dx), min(64 * k, 64 * k + dx)
    acc = 0
    for r in range(max(0, dy), min(h, h + dy)):
        for q in range(k):
            lo, hi = max(x0 - 64 * q, 0), min(x1 - 64 * q, 64)
            if hi <= lo:
                continue
            mask = np.uint64(0xFFFFFFFFFFFFFFFF) if hi - lo == 64 else ((np.uint64(1) << np.uint64(hi - lo)) - np.uint64(1)) << np.uint64(lo)
            acc += _popcount64(x[r * k + q] & mask)
    return acc


@njit(cache=True, nogil=True, inline="always")
def _chamfer_at(E, D, OE, OD, counts, ocounts, i, j, h, k, dx, dy, exact, s, t, clip):
    """Share of edge pixels unexplained with b moved (dx, dy), averaged over the dilations D[r]
    (and radius 0 when `exact`). s, t: scratch rows. clip: b's pixels moved off the canvas are not
    counted (they had no chance to be explained), nor a's outside what b still covers."""
    radii = D.shape[0]
    _shift_rows(OE[j], h, k, dx, t)  # b's edges, moved once for every radius
    ai, bj = counts[i], ocounts[j]
    if clip:
        bj = _visible(t, h, k, dy)
        ai = _in_window(E[i], h, k, dx, dy)
    total = ai + bj
    unexplained = 0
    if exact:
        unexplained = total - 2 * _overlap(E[i], t, h, k, dy)
    for r in range(radii):
        _shift_rows(OD[r, j], h, k, dx, s)
        unexplained += ai - _overlap(E[i], s, h, k, dy)
        unexplained += bj - _overlap(D[r, i], t, h, k, dy)
    return unexplained / max(total, 1) / (radii + exact)


@njit(cache=True, parallel=True, nogil=True)
def _aligned_chamfer_kernel(E, D, OE, OD, counts, ocounts, a, b, h, k, reach, exact):
    """Per pair: move b (up to reach pixels) to where most edge pixels coincide, then
    average over the dilations D[r] (and radius 0 when `exact`) the share of edge pixels unexplained."""
    n = a.shape[0]
    out = np.empty(n, np.float64)
    for p in prange(n):
        i = a[p]
        j = b[p]
        s = np.empty(E.shape[1], np.uint64)
        best, bdx, bdy = -1, 0, 0
        for dx in range(-reach, reach + 1):
            _shift_rows(OE[j], h, k, dx, s)
            for dy in range(-reach, reach + 1):
                o = _overlap(E[i], s, h, k, dy)
                if o > best:
                    best, bdx, bdy = o, dx, dy
        out[p] = _chamfer_at(E, D, OE, OD, counts, ocounts, i, j, h, k, bdx, bdy, exact, s, np.empty_like(s), False)
    return out


@njit(cache=True, parallel=True, nogil=True)
def _offset_chamfer_kernel(E, D, OE, OD, counts, ocounts, a, b, h, k, offsets, exact):
    """Per pair: the smallest chamfer distance with b moved by each of `offsets` ((m, 2) dx, dy)."""
    n = a.shape[0]
    out = np.empty(n, np.float64)
    for p in prange(n):
        s = np.empty(E.shape[1], np.uint64)
        t = np.empty(E.shape[1], np.uint64)
        best = np.inf
        for q in range(offsets.shape[0]):
            d = _chamfer_at(E, D, OE, OD, counts, ocounts, a[p], b[p], h, k, offsets[q, 0], offsets[q, 1], exact, s, t, True)
            best = min(best, d)
        out[p] = best
    return out


def aligned_chamfer(
    edges: np.ndarray,
    dilated: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    shape: tuple[int, int],
    reach: int,
    other: np.ndarray | None = None,
    other_dilated: np.ndarray | None = None,
    exact: bool = True,
) -> np.ndarray:
    """Truncated chamfer distance of listed pairs after aligning them, in [0, 1].

    b is moved by whole pixels (up to `reach` each way) to where the most edge
    pixels coincide exactly; then for each radius r the share of edge pixels
    (of both maps) with no edge of the other within r is averaged over the
    radii: 0 (when `exact`) and those `dilated` holds. With radii 0 .. tau-1
    that is the mean distance from an edge pixel to the nearest edge of the
    other drawing, capped at tau pixels, over tau: 0 for identical edges,
    1 when nothing lines up. edges: (n, w) packed maps of `shape`;
    dilated: (radii, n, w) the maps dilated by increasing radii. `other` /
    `other_dilated` hold b's rows when they differ (mirrored maps). Map
    widths must be multiples of 64.
    """
    if len(a) == 0:
        return np.empty(0, np.float64)
    maps = _chamfer_maps(edges, dilated, other, other_dilated, shape)
    return _aligned_chamfer_kernel(*maps, np.asarray(a, np.int64), np.asarray(b, np.int64), shape[0], shape[1] // 64, reach, bool(exact))


def _chamfer_maps(edges, dilated, other, other_dilated, shape) -> tuple:
    """The chamfer kernels' map arguments: a's edges and dilations, b's (a's unless given), and both edge counts."""
    if shape[1] % 64:
        raise ValueError(f"chamfer comparisons need map widths in multiples of 64, got {shape[1]}")
    other = edges if other is None else other
    other_dilated = dilated if other_dilated is None else other_dilated
    return (
        np.ascontiguousarray(edges, np.uint64), np.ascontiguousarray(dilated, np.uint64),
        np.ascontiguousarray(other, np.uint64), np.ascontiguousarray(other_dilated, np.uint64),
        np.bitwise_count(edges).sum(axis=1, dtype=np.int64), np.bitwise_count(other).sum(axis=1, dtype=np.int64),
    )


def offset_chamfer(
    edges: np.ndarray,
    dilated: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    shape: tuple[int, int],
    offsets: np.ndarray,
    other: np.ndarray | None = None,
    other_dilated: np.ndarray | None = None,
    exact: bool = True,
) -> np.ndarray:
    """The smallest truncated chamfer distance of listed pairs with b moved by each of `offsets`.

    offsets: (m, 2) whole-pixel moves (dx, dy), |dx| < 64. The same measure as
    `aligned_chamfer`, taken where the two drawings were *not* aligned: how
    well b matches a anywhere but in place. Only the part of the canvas both
    cover counts (b's pixels moved off it and a's where b moved away are left
    out), so a texture filling the canvas does not look distinctive through
    what the move pushed out. Arguments as for `aligned_chamfer`.
    """
    offsets = np.ascontiguousarray(offsets, np.int64).reshape(-1, 2)
    if len(offsets) == 0 or np.abs(offsets[:, 0]).max() >= 64:
        raise ValueError(f"offsets must be a non-empty list of moves under 64 px across, got {offsets.tolist()}")
    if len(a) == 0:
        return np.empty(0, np.float64)
    maps = _chamfer_maps(edges, dilated, other, other_dilated, shape)
    return _offset_chamfer_kernel(*maps, np.asarray(a, np.int64), np.asarray(b, np.int64), shape[0], shape[1] // 64, offsets, bool(exact))


def pair_distances(
    bits: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    other: np.ndarray | None = None,
    segments: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Exact distance for listed pairs: sum_k w_k * popcount(bits[a] ^ other[b]) per segment.

    `other` defaults to `bits` (pass the mirrored rows for mirrored distances).
    Vectorised over pairs in chunks so memory stays bounded for long lists.
    """
    other = bits if other is None else other
    seg = np.array([0, bits.shape[1]], np.int64) if segments is None else np.asarray(segments, np.int64)
    w = np.ones(len(seg) - 1) if weights is None else np.asarray(weights, np.float64)
    out = np.empty(len(a), np.float64)
    step = 32768
    for s in range(0, len(a), step):
        x = np.bitwise_count(bits[a[s : s + step]] ^ other[b[s : s + step]])
        out[s : s + step] = sum(w[k] * x[:, seg[k] : seg[k + 1]].sum(axis=1) for k in range(len(w)))
    return out


def unique_sorted(values: np.ndarray) -> np.ndarray:
    """np.unique(values) for 1-D integer arrays, by one sort.

    numpy 2.3+ answers a plain np.unique with a hash table that is about 50x
    slower than sorting for the millions of pair keys linking handles.
    """
    values = np.sort(np.asarray(values), kind="stable")
    if len(values) < 2:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def in_sorted(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    """np.isin(values, sorted_unique) for 1-D integer arrays when the second is sorted and unique (as
    unique_sorted gives it): a binary search each, where np.isin builds a hash table of both (see unique_sorted)."""
    values = np.asarray(values)
    if not len(sorted_unique):
        return np.zeros(values.shape, bool)
    at = np.minimum(np.searchsorted(sorted_unique, values), len(sorted_unique) - 1)
    return sorted_unique[at] == values
