"""The candidate index's shapes, on generated binary descriptors: near copies of a few thousand random ones."""

from __future__ import annotations

import numpy as np
import pytest

from tests.analysis.test_regions import describe, figure, paste, scene
from visualdistance.analysis import descriptor_index, regions

faiss = pytest.importorskip("faiss")


def near_copies(originals: int, copies: int, flipped: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(descriptors, family): `copies` of each random 256-bit descriptor with `flipped` bits flipped, shuffled."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2, (originals, 256), dtype=np.uint8)
    family = np.repeat(np.arange(originals), copies)
    bits = base[family].copy()
    for row in bits:
        row[rng.choice(256, flipped, replace=False)] ^= 1
    order = rng.permutation(len(bits))
    return np.packbits(bits[order], axis=1), family[order]


@pytest.fixture
def small_lists(monkeypatch):
    # the fixed-length shape at a size a test builds in a second: lists of 40, past 4 * 40**2 = 6,400 descriptors
    monkeypatch.setattr(descriptor_index, "FLAT_UP_TO", 1000)
    monkeypatch.setattr(descriptor_index, "LIST_LENGTH", 40)


def test_the_shape_follows_the_number_of_descriptors(small_lists) -> None:
    few, _ = near_copies(100, 5, 20)
    some, _ = near_copies(1000, 5, 20)
    many, _ = near_copies(3000, 5, 20)
    assert not hasattr(descriptor_index.build(faiss, few), "nprobe")  # 500: exact
    square = descriptor_index.build(faiss, some)  # 5,000: 2 sqrt(n) lists
    assert square.nlist == int(2 * np.sqrt(5000)) and square.nprobe == descriptor_index.NPROBE
    fixed = descriptor_index.build(faiss, many)  # 15,000: lists about 40 long
    assert abs(fixed.nlist - 15000 // 40) <= 0.1 * 15000 // 40 and fixed.nprobe == descriptor_index.FIXED_NPROBE
    assert fixed.ntotal == 15000
    assert [descriptor_index.shape_for(n) for n in (500, 5000, 15000)] == list(descriptor_index.SHAPES)
    assert descriptor_index.in_words(500) == "exact" and "not exact" in descriptor_index.in_words(15000)


def test_fixed_length_lists_find_the_near_copies(small_lists) -> None:
    # Each descriptor's 4 near copies (40 bits apart at most) are its nearest: the index must find most of them.
    descriptors, family = near_copies(3000, 5, 20)
    index = descriptor_index.build(faiss, descriptors)
    queries = np.arange(0, len(descriptors), 7)
    _, found = index.search(descriptors[queries], 5)
    hits = (family[found] == family[queries, None]) & (found != queries[:, None]) & (found >= 0)
    assert hits.sum() / (4 * len(queries)) >= 0.8
    lengths = np.array([index.invlists.list_size(k) for k in range(index.nlist)])
    assert lengths.max() <= 10 * descriptor_index.LIST_LENGTH  # balanced: no list holds a large share


def test_the_index_is_the_same_on_every_build(small_lists) -> None:
    descriptors, _ = near_copies(3000, 5, 20)
    first, again = (descriptor_index.build(faiss, descriptors).search(descriptors[:500], 8) for _ in range(2))
    assert np.array_equal(first[1], again[1]) and np.array_equal(first[0], again[0])


def test_two_level_centroids_split_groups_by_size() -> None:
    descriptors, _ = near_copies(2000, 4, 20)
    coarse, fine = descriptor_index.two_level_centroids(faiss, descriptors, 400)
    assert len(coarse) == 20 and 380 <= len(fine) <= 440
    assert coarse.dtype == fine.dtype == np.uint8 and fine.shape[1] == 32


def test_region_candidates_through_fixed_length_lists(monkeypatch) -> None:
    # The pipeline's own path: generated panels that share a pasted figure are proposed through the fixed shape.
    monkeypatch.setattr(descriptor_index, "FLAT_UP_TO", 100)
    monkeypatch.setattr(descriptor_index, "LIST_LENGTH", 5)
    panels = [describe(paste(scene(80 + k), figure(7, 200 + 20 * k), (40 + 70 * k, 50))) for k in range(3)]
    assert sum(len(regions.distinctive_only(faiss, p).descriptors) for p in panels) > 4 * 5 ** 2
    found = regions.find_region_links(panels)
    region = regions.KINDS.index("region")
    assert {(int(a), int(b)) for a, b, k in zip(found.a, found.b, found.kind) if k == region} == {(0, 1), (0, 2), (1, 2)}


@pytest.mark.parametrize("shape", ["flat", "square root", "fixed length"])
def test_queries_split_over_threads_get_what_one_search_does(small_lists, shape) -> None:
    sizes = {"flat": (150, 5), "square root": (1000, 5), "fixed length": (3000, 5)}
    descriptors, _ = near_copies(*sizes[shape], 20)
    index = descriptor_index.build(faiss, descriptors)
    queries = descriptors[::3]
    one = descriptor_index.search(faiss, index, queries, 8, 1)
    for threads in (2, 3):
        split = descriptor_index.search(faiss, index, queries, 8, threads)
        assert np.array_equal(one[0], split[0]) and np.array_equal(one[1], split[1])


def test_searching_list_by_list_finds_the_same_distances(small_lists) -> None:
    # per_invlist_search visits each list once for every query that probes it; it may order equal distances
    # differently, never find other ones
    descriptors, _ = near_copies(3000, 5, 20)
    index = descriptor_index.build(faiss, descriptors)
    assert index.per_invlist_search
    by_list = descriptor_index.search(faiss, index, descriptors[::5], 8, 1)
    index.per_invlist_search = False
    by_query = descriptor_index.search(faiss, index, descriptors[::5], 8, 1)
    assert np.array_equal(by_list[0], by_query[0])


def test_a_call_with_fewer_queries_than_lists_answers_as_a_long_one(small_lists) -> None:
    # faiss's list-by-list search overruns a table sized by the queries when the lists are more; `search`
    # pads a short call, and the padding must not change any answer
    descriptors, _ = near_copies(3000, 5, 20)
    index = descriptor_index.build(faiss, descriptors)
    assert index.nlist > 20
    long = descriptor_index.search(faiss, index, descriptors[:2000], 8, 1)
    for few in (1, 7, 20):
        short = descriptor_index.search(faiss, index, descriptors[:few], 8, 2)
        assert np.array_equal(short[0], long[0][:few]) and np.array_equal(short[1], long[1][:few])
