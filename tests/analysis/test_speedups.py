"""Faster forms of per-picture steps give exactly the numbers of the plain forms they replaced (issue 22)."""

import cv2
import numpy as np
import pytest

from tests import synthetic
from visualdistance.analysis.content import mask
from visualdistance.analysis.image_ops import changed_more_than, changed_share
from visualdistance.analysis.kernels import in_sorted, unique_sorted


def _changed_share_plain(a, b):
    if a.shape != b.shape:
        return 1.0
    differ = a != b
    if differ.ndim == 3:
        differ = differ.any(axis=2)
    return float(np.count_nonzero(differ)) / max(differ.size, 1)


def _without_specks_plain(m):
    """The mask less its 8-connected groups of under 3 pixels, every group labelled."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(m.astype(np.uint8), connectivity=8)
    big = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] >= 3)
    return np.isin(labels, big[big > 0])


def _uniform_runs_plain(lines, tol):
    runs = []
    for line in lines:
        colour = np.median(line, axis=0)
        if np.abs(line.astype(np.int16) - colour.astype(np.int16)).max() > tol:
            break
        if runs and np.abs(runs[-1][1].astype(np.int16) - colour.astype(np.int16)).max() <= tol:
            runs[-1] = (runs[-1][0] + 1, runs[-1][1])
        else:
            runs.append((1, colour))
    return runs


@pytest.mark.parametrize("shape", [(45, 65, 3), (45, 65), (45, 65, 4), (1, 1, 3), (0, 5, 3), (30, 20, 1)])
def test_changed_share_is_the_plain_count(shape):
    rng = np.random.default_rng(len(shape) + shape[0])
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    for changed in (0, 1, 7, a.size):
        b = a.copy().ravel()
        b[rng.choice(b.size, size=min(changed, b.size), replace=False)] ^= np.uint8(1 << int(rng.integers(0, 8)))
        b = b.reshape(shape)
        assert changed_share(a, b) == _changed_share_plain(a, b)
    assert changed_share(a, a[:, ::-1]) == _changed_share_plain(a, a[:, ::-1])  # a view, not contiguous
    assert changed_share(a, np.zeros((2, 2), np.uint8)) == 1.0


@pytest.mark.parametrize("shape", [(45, 65, 3), (45, 65), (45, 65, 4), (1, 1, 3), (0, 5, 3), (30, 20, 1),
                                   (200, 30, 3), (130, 7)])  # several bands of rows (image_ops.BAND_ROWS), a short last one
def test_changed_more_than_is_the_plain_share_against_the_limit(shape):
    """Told from the differing bytes where their bounds settle it, exactly where they do not: changes in one
    channel of a pixel or in all of them, limits just under, at and over the exact share."""
    rng = np.random.default_rng(len(shape) + shape[0] + 1)
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    pixels = shape[0] * shape[1]
    if pixels == 0:
        assert not changed_more_than(a, a.copy(), 0.0)
        return
    for changed in (0, 1, 7, 40, pixels):
        for every_channel in (False, True):
            b = a.copy().reshape(pixels, -1)
            rows = rng.choice(len(b), size=min(changed, len(b)), replace=False)
            b[rows, slice(None) if every_channel else 0] ^= np.uint8(1 << int(rng.integers(0, 8)))
            b = b.reshape(shape)
            exact = _changed_share_plain(a, b)
            for limit in (exact - 1e-9, exact, exact + 1e-9, 0.005, 0.0):
                assert changed_more_than(a, b, limit) == (exact > limit), (changed, every_channel, limit)
    assert changed_more_than(a, np.zeros((2, 2), np.uint8), 0.5)


@pytest.mark.parametrize("density", [0.03, 0.15, 0.4, 0.7])
def test_without_specks_is_the_plain_labelling(density):
    """Specks told by neighbour counts are the groups of one or two pixels labelling finds, edges and corners included."""
    rng = np.random.default_rng(int(density * 100))
    for _ in range(40):
        m = rng.random((int(rng.integers(3, 60)), int(rng.integers(3, 80)))) < density
        assert np.array_equal(mask._without_specks(m), _without_specks_plain(m))


def test_uniform_runs_are_the_plain_runs():
    rng = np.random.default_rng(5)
    for k in range(60):
        drawing = synthetic.random_drawing(rng)
        img = synthetic.render(drawing, (int(rng.integers(60, 300)), int(rng.integers(60, 300))))
        if k % 3 == 0:  # a page margin and a frame line
            img[:4], img[-4:], img[:, :4], img[:, -4:] = 255, 255, 255, 255
            img[4:6, 4:-4], img[-6:-4, 4:-4], img[4:-4, 4:6], img[4:-4, -6:-4] = 0, 0, 0, 0
        if k % 4 == 1:  # a noisy margin: lines within tol of their median, and lines spanning tol to 3 tol
            noise = rng.integers(-int(k % 3 + 1) * 12, int(k % 3 + 1) * 12 + 1, img[:8].shape)
            img[:8] = np.clip(img[:8].astype(int) // 2 + 64 + noise, 0, 255)
        depth = max(3, int(round(mask.FRAME_DEPTH * min(img.shape[:2]))))
        for lines in (img[:depth], img[:, :depth].transpose(1, 0, 2), img[::-1][:depth]):
            got, want = mask._uniform_runs(lines, 24), _uniform_runs_plain(lines, 24)
            assert len(got) == len(want)
            for (n1, c1), (n2, c2) in zip(got, want):
                assert n1 == n2 and np.array_equal(c1, c2)


@pytest.mark.parametrize("size", [0, 1, 7, 5000])
def test_unique_sorted_and_in_sorted_are_numpys_unique_and_isin(size):
    rng = np.random.default_rng(size)
    values = rng.integers(-50, 10_000, size, dtype=np.int64)
    known = unique_sorted(rng.integers(0, 8_000, size // 2, dtype=np.int64))
    assert np.array_equal(known, np.unique(known))
    assert np.array_equal(unique_sorted(values), np.unique(values))
    assert np.array_equal(in_sorted(values, known), np.isin(values, known))
    assert np.array_equal(in_sorted(values, known[:0]), np.zeros(size, bool))
