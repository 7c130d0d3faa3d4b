import numpy as np
import pytest

from visualdistance.analysis.image_ops import pack_bits, unpack_bits
from visualdistance.analysis.kernels import hamming_links, pair_distances, tile_counts


def random_maps(rng, n, shape=(40, 40), copies=20):
    """Random bit maps, with noisy copies and noisy mirrored copies planted."""
    dens = rng.uniform(0.03, 0.3, n)
    maps = rng.random((n,) + shape) < dens[:, None, None]
    for k in range(0, 3 * copies, 3):
        maps[k + 1] = maps[k] ^ (rng.random(shape) < 0.02)
        maps[k + 2] = maps[k][:, ::-1] ^ (rng.random(shape) < 0.02)
    bits = np.stack([pack_bits(m) for m in maps])
    mirror = np.stack([pack_bits(m[:, ::-1]) for m in maps])
    return maps, bits, mirror


def brute_force(bits, mirror, thr, source, use_mirror):
    d = np.bitwise_count(bits[:, None, :] ^ bits[None, :, :]).sum(-1)
    dm = np.bitwise_count(bits[:, None, :] ^ mirror[None, :, :]).sum(-1)
    t = np.maximum(thr[:, None], thr[None, :])
    ok = (np.minimum(d, dm) if use_mirror else d) < t
    ok &= source[:, None] != source[None, :]
    a, b = np.nonzero(np.triu(ok, 1))
    return a, b, d[a, b] >= t[a, b]


@pytest.mark.parametrize("use_mirror", [False, True])
@pytest.mark.parametrize("shape", [None, (40, 40)])
def test_hamming_links_equals_brute_force(rng, use_mirror, shape):
    maps, bits, mirror = random_maps(rng, 400)
    counts = maps.sum(axis=(1, 2))
    thr = np.minimum(0.95 * counts, 300.0)
    source = np.arange(400)
    source[1] = source[0]  # a planted copy from the same file must not link
    a, b, m = hamming_links(bits, thr, mirror if use_mirror else None, source, shape=shape)
    ea, eb, em = brute_force(bits, mirror, thr, source, use_mirror)
    assert len(ea) > 10
    assert list(zip(a, b)) == list(zip(ea, eb))
    assert np.array_equal(m, em)
    assert (0, 1) not in set(zip(a.tolist(), b.tolist()))


def mirrors_unlike_flipped_bits(rng, pairs=30, shape=(40, 40)):
    """Rows whose mirrored signatures are not their flipped bits, as when the mirror is described
    from the flipped image: (bits, mirror, what links). Per pair (a, b), a < b, b has fewer set bits:
    - "links": b is a's drawing flipped, and b's mirror is a's drawing, while a's mirror is unrelated;
    - "does not": a's mirror is b, but b's mirror is unrelated (only the other orientation matches);
    - "sparse": as "links", with most of b's own bits missing, so b's count is far from a's.
    """
    def drop(m, k):  # m with k of its set pixels cleared
        out = m.copy()
        on = np.flatnonzero(out)
        out.flat[rng.choice(on, k, replace=False)] = False
        return out

    def unrelated():
        return rng.random(shape) < 0.2

    bits, mirror, expected = [], [], []
    for p in range(pairs):
        m = rng.random(shape) < 0.2
        kind = ("links", "does not", "sparse")[p % 3]
        b_bits = drop(m[:, ::-1], 200 if kind == "sparse" else 10)
        if kind == "does not":
            rows = [(m, m[:, ::-1]), (b_bits, unrelated())]
        else:
            rows = [(m, unrelated()), (b_bits, drop(m, 10))]
        for own, mir in rows:
            bits.append(pack_bits(own))
            mirror.append(pack_bits(mir))
        expected.append(kind != "does not")
    return np.stack(bits), np.stack(mirror), expected


@pytest.mark.parametrize("shape", [None, (40, 40)])
def test_hamming_links_compare_a_with_the_mirror_of_b_as_pair_distances_does(rng, shape):
    # The kernel walks rows sorted by their counts; whichever it meets first, a mirrored pair is
    # the one `pair_distances` measures: a against the mirror of b (a < b), never the other way.
    bits, mirror, expected = mirrors_unlike_flipped_bits(rng)
    thr = np.full(len(bits), 100.0)
    a, b, m = hamming_links(bits, thr, mirror, shape=shape)
    ea, eb, em = brute_force(bits, mirror, thr, np.arange(len(bits)), True)
    assert list(zip(a, b)) == list(zip(ea, eb))
    assert np.array_equal(m, em)
    assert {(2 * p, 2 * p + 1) for p, ok in enumerate(expected) if ok} <= set(zip(a.tolist(), b.tolist()))
    assert not {(2 * p, 2 * p + 1) for p, ok in enumerate(expected) if not ok} & set(zip(a.tolist(), b.tolist()))
    direct, mirrored = pair_distances(bits, a, b), pair_distances(bits, a, b, mirror)
    assert (np.minimum(direct, mirrored) < 100).all()  # every pair found is under the threshold as measured


def test_rows_with_many_partners_are_all_kept(rng):
    # 150 near-identical maps: every row has over 64 partners (the kernel's first buffer).
    base = rng.random((32, 32)) < 0.2
    maps = np.stack([base ^ (rng.random((32, 32)) < 0.005) for _ in range(150)])
    bits = np.stack([pack_bits(m) for m in maps])
    a, b, _ = hamming_links(bits, np.full(150, 100.0), shape=(32, 32))
    assert len(a) == 150 * 149 // 2


def test_weighted_segments_match_definition(rng):
    _, bits, _ = random_maps(rng, 120, shape=(16, 16))
    seg, w = np.array([0, 2, 4]), np.array([1.0, 0.25])
    thr = np.full(120, 60.0)
    a, b, _ = hamming_links(bits, thr, segments=seg, weights=w)
    full = np.bitwise_count(bits[:, None, :] ^ bits[None, :, :])
    d = full[..., :2].sum(-1) + 0.25 * full[..., 2:].sum(-1)
    ea, eb = np.nonzero(np.triu(d < 60.0, 1))
    assert list(zip(a, b)) == list(zip(ea, eb))
    assert np.allclose(pair_distances(bits, a, b, segments=seg, weights=w), d[a, b])


def test_tile_counts_bound_the_distance(rng):
    maps, bits, _ = random_maps(rng, 50, shape=(30, 30), copies=5)
    tiles = tile_counts(bits, (30, 30), 7).astype(int)
    expect = np.zeros((50, 5, 5), int)
    for y in range(30):
        for x in range(30):
            expect[:, y // 7, x // 7] += maps[:, y, x]
    assert np.array_equal(tiles[:, :25], expect.reshape(50, -1))
    d = np.bitwise_count(bits[:, None, :] ^ bits[None, :, :]).sum(-1)
    lower = np.abs(tiles[:, None, :] - tiles[None, :, :]).sum(-1)
    assert (lower <= d).all()


def test_pack_unpack_round_trip(rng):
    m = rng.random((37, 23)) < 0.5
    assert np.array_equal(unpack_bits(pack_bits(m), m.shape), m)


def test_fewer_than_two_rows():
    a, b, m = hamming_links(np.zeros((1, 2), np.uint64), np.ones(1))
    assert len(a) == len(b) == len(m) == 0


# ------------------------------------------------------------ aligned chamfer


def _shifted(m, dx, dy):
    """m moved dx pixels right and dy down, zero-filled (pixels moved off the map are lost)."""
    out = np.zeros_like(m)
    h, w = m.shape
    out[max(0, dy) : h + min(0, dy), max(0, dx) : w + min(0, dx)] = m[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx)]
    return out


def _dilated(m, r):
    out = m.copy()
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            out |= _shifted(m, dx, dy)
    return out


def reference_chamfer(ea, eb, reach, radii, exact):
    """The aligned truncated chamfer distance written out with whole-array numpy."""
    best = max(((ea & _shifted(eb, dx, dy)).sum(), -k) for k, (dx, dy) in enumerate(
        (dx, dy) for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)))
    dx, dy = [(dx, dy) for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)][-best[1]]
    eb_moved = _shifted(eb, dx, dy)
    total = ea.sum() + eb.sum()
    shares = [(ea.sum() + eb.sum() - 2 * (ea & eb_moved).sum()) / total] if exact else []
    for r in radii:
        unexplained = ea.sum() - (ea & _shifted(_dilated(eb, r), dx, dy)).sum()
        unexplained += eb.sum() - (eb_moved & _dilated(ea, r)).sum()
        shares.append(unexplained / total)
    return float(np.mean(shares))


@pytest.mark.parametrize("exact,radii", [(True, (1, 2)), (False, (1, 2)), (False, (2,))])
def test_aligned_chamfer_matches_its_definition(rng, exact, radii):
    from visualdistance.analysis.image_ops import dilate_bits
    from visualdistance.analysis.kernels import aligned_chamfer

    shape = (24, 64)
    maps = rng.random((30,) + shape) < 0.08
    maps[1] = _shifted(maps[0], 1, -1) ^ (rng.random(shape) < 0.01)  # a moved, noisy copy
    bits = np.stack([pack_bits(m) for m in maps])
    dilated = np.stack([dilate_bits(bits, shape, r) for r in radii])
    a, b = np.triu_indices(30, 1)
    got = aligned_chamfer(bits, dilated, a, b, shape, reach=1, exact=exact)
    want = [reference_chamfer(maps[i], maps[j], 1, radii, exact) for i, j in zip(a, b)]
    assert np.allclose(got, want)
    assert got[0] < 0.1 < np.median(got)  # the moved copy is close, random maps are not


@pytest.mark.parametrize("shape,tile", [((40, 40), 2), ((128, 128), 7), ((100, 100), 5), ((33, 64), 3)])
def test_merged_tiles_equal_counting_at_twice_the_tile(rng, shape, tile):
    from visualdistance.analysis.kernels import _merge_tiles

    bits = np.stack([pack_bits(m) for m in rng.random((20,) + shape) < 0.3])
    assert np.array_equal(_merge_tiles(tile_counts(bits, shape, tile), shape, tile), tile_counts(bits, shape, 2 * tile))
