"""Metrics: the all-pairs search finds exactly the pairs its exact distance puts under the threshold."""

import numpy as np
import pytest

from visualdistance.analysis.image_ops import pack_bits
from visualdistance.analysis.rules import EdgeChamfer


def drawings(rng, n=60, shape=(32, 64)):
    """Sparse edge maps of random strokes, with moved, noisy and mirrored copies planted."""
    maps = np.zeros((n,) + shape, bool)
    for m in maps:
        for _ in range(6):
            y, x = rng.integers(4, shape[0] - 4), rng.integers(4, shape[1] - 12)
            if rng.random() < 0.5:
                m[y, x : x + 8] = True
            else:
                m[y - 3 : y + 4, x] = True
    for k in range(0, 30, 3):
        maps[k + 1] = np.roll(maps[k], 1, axis=1) ^ (rng.random(shape) < 0.003)
        maps[k + 2] = maps[k][:, ::-1]
    sigs = {
        "e": np.stack([pack_bits(m) for m in maps]),
        "e_mirror": np.stack([pack_bits(m[:, ::-1]) for m in maps]),
    }
    return maps, sigs


@pytest.mark.parametrize("slack", [0, 1])
def test_edge_chamfer_search_finds_every_pair_under_the_threshold(rng, slack):
    _, sigs = drawings(rng)
    n = len(sigs["e"])
    metric = EdgeChamfer("d", "e", reach=1, tau=3, mirror=True, shape=(32, 64), slack=slack)
    thresholds = np.full(n, 0.35)
    a, b, direct, mirrored = metric.search(sigs, thresholds, np.arange(n))
    ia, ib = np.triu_indices(n, 1)
    d, dm = metric.distances(sigs, ia, ib)
    want = np.minimum(d, dm) < 0.35
    assert want.sum() >= 20
    assert list(zip(a, b)) == list(zip(ia[want], ib[want]))
    # the search hands over the same distances the exact measure gives
    assert np.allclose(direct, d[want]) and np.allclose(mirrored, dm[want])


@pytest.mark.parametrize("first, named", [(0, 60), (15, 30)])
def test_edge_chamfer_search_among_candidate_pairs_is_the_search_of_every_pair_restricted_to_them(rng, first, named):
    """An index's candidate pairs: every row named (its first round) or a few rows (its later ones, where only
    those rows are dilated) give the pairs and distances every-pair search gives among them."""
    _, sigs = drawings(rng, shape=(32, 64))
    n = len(sigs["e"])
    metric = EdgeChamfer("d", "e", reach=1, tau=3, mirror=True, shape=(32, 64), slack=1)
    thresholds = rng.uniform(0.2, 0.4, n)
    source = np.arange(n) // 2  # frames of one file never link
    a, b, direct, mirrored = metric.search(sigs, thresholds, source)
    ia, ib = np.triu_indices(n, 1)
    # pairs among rows first .. first + named - 1 (copies are planted in rows 0-29), not all of them
    asked = (ia >= first) & (ib < first + named) & ((ia + ib) % 3 > 0)
    ca, cb = ia[asked], ib[asked]
    got = metric.search(sigs, thresholds, source, (ca, cb))
    want = np.isin(a.astype(np.int64) * n + b, ca * n + cb)
    assert want.sum() >= 5 and len(np.unique(np.concatenate([ca, cb]))) == named
    for g, w in zip(got, (a, b, direct, mirrored)):
        assert np.array_equal(g, w[want])


def test_slack_forgives_lines_moved_by_one_pixel():
    base = np.zeros((32, 64), bool)
    base[8, 10:50] = True
    base[8:28, 30] = True
    moved = base.copy()
    moved[8, 10:30] = False
    moved[9, 10:30] = True  # half of one line redrawn a pixel lower
    sigs = {"e": np.stack([pack_bits(base), pack_bits(moved)])}
    a, b = np.array([0]), np.array([1])
    strict = EdgeChamfer("d", "e", mirror=False, shape=(32, 64), slack=0).distances(sigs, a, b)[0]
    lenient = EdgeChamfer("d", "e", mirror=False, shape=(32, 64), slack=1).distances(sigs, a, b)[0]
    assert strict[0] > 0.1
    assert lenient[0] == 0.0


def test_edge_chamfer_rejects_slack_as_large_as_tau():
    with pytest.raises(ValueError):
        EdgeChamfer("d", "e", tau=2, slack=2)


def test_colour_shift_is_total_variation_and_its_search_matches_it(rng):
    from visualdistance.analysis.rules import ColourShift

    hist = rng.random((70, 64)).astype(np.float32) ** 8
    hist /= hist.sum(axis=1, keepdims=True)
    hist[1] = hist[0]
    hist[2] = np.roll(hist[0], 32)  # the same amounts in other colours
    sigs = {"h": hist}
    metric = ColourShift("colours", "h")
    d, dm = metric.distances(sigs, np.array([0, 0]), np.array([1, 2]))
    assert d[0] == 0.0 and np.array_equal(d, dm)
    assert np.isclose(d[1], 0.5 * np.abs(hist[0] - hist[2]).sum())
    source = np.arange(70)
    source[3] = source[4]
    a, b = metric.all_pairs(sigs, np.full(70, 0.6), source)
    ia, ib = np.triu_indices(70, 1)
    full = metric.distances(sigs, ia, ib)[0]
    want = (full < 0.6) & (source[ia] != source[ib])
    assert 5 < want.sum() < len(ia)
    assert list(zip(a, b)) == list(zip(ia[want], ib[want]))
