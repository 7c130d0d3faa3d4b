"""The candidate index: it finds what measuring every pair finds, on generated drawings."""

from dataclasses import replace

import numpy as np
import pytest

from tests import synthetic
from tests.analysis.test_linking import describe
from visualdistance.analysis.evaluation import search_agreement
from visualdistance.analysis.image_ops import pack_bits
from visualdistance.analysis.linking import find_links, find_new_links
from visualdistance.analysis.presets import DRAWING as PRESET, every_pair, indexed
from visualdistance.analysis.search import NeighbourIndex, edge_density_vectors

DRAWING = indexed(PRESET)  # these sets are smaller than the preset's index waits for


def _planted(n: int, seed: int):
    panels = list(synthetic.planted_corpus(n, seed=seed, group_share=0.5))
    return describe([p.image for p in panels]), np.arange(len(panels))


@pytest.fixture(scope="module")
def planted():
    return _planted(120, seed=4)


def test_index_finds_every_link_that_measuring_every_pair_finds(planted):
    sigs, source = planted
    # a small k, so the index proposes far fewer pairs than there are
    preset = replace(DRAWING, index=replace(DRAWING.index, k=6))
    every = find_links(sigs, source, every_pair(preset))
    indexed = find_links(sigs, source, preset)
    assert len(every) > 20 and every.mirrored.any()  # the set has reuse, mirrored copies included
    agreement = search_agreement(indexed, every)
    assert agreement.identical, agreement


def test_a_drawing_reused_more_often_than_k_keeps_every_link(rng):
    base = synthetic.random_drawing(rng)
    copies = [synthetic.render(synthetic.recolor(base, rng)) for _ in range(14)]
    others = [synthetic.render(synthetic.random_drawing(rng)) for _ in range(10)]
    sigs, source = describe(copies + others), np.arange(24)
    every = find_links(sigs, source, every_pair(DRAWING))
    within = {(int(a), int(b)) for a, b in zip(every.a, every.b) if b < 14}
    assert len(within) == 14 * 13 // 2  # every copy links every other copy

    index = replace(DRAWING.index, k=4)
    widened = find_links(sigs, source, replace(DRAWING, index=index))
    assert search_agreement(widened, every).identical
    # without asking again for more neighbours, 4 per copy cannot hold 13 partners
    cut = find_links(sigs, source, replace(DRAWING, index=replace(index, widen_at=np.inf)))
    assert search_agreement(cut, every).recall < 0.9


def test_new_panels_against_all_find_the_same_links_through_the_index(planted):
    sigs, source = planted
    preset = replace(DRAWING, index=replace(DRAWING.index, k=6))
    full = find_links(sigs, source, preset)
    fresh = np.zeros(len(source), bool)
    fresh[-40:] = True
    new = find_new_links(sigs, source, preset, fresh)
    involve = fresh[full.a] | fresh[full.b]
    assert {(a, b) for a, b in zip(new.a, new.b)} == {(a, b) for a, b in zip(full.a[involve], full.b[involve])}


def test_frames_of_one_file_are_never_candidates(rng):
    drawing = synthetic.random_drawing(rng)
    frames = [synthetic.render(drawing), synthetic.render(synthetic.recolor(drawing, rng))]
    sigs = describe(frames + [synthetic.render(drawing)])
    neighbours = DRAWING.index.build(sigs)
    a, b = neighbours.pairs(np.arange(3), 5, np.array([7, 7, 8]))
    assert set(zip(a.tolist(), b.tolist())) == {(0, 2), (1, 2)}


def test_edge_density_vectors_are_unit_length_and_blank_maps_are_zero():
    maps = np.zeros((3, 128, 128), bool)
    maps[0, 20:100, 30] = True  # a vertical line
    maps[1, 20:100, 31] = True  # the same line a pixel over
    bits = np.stack([pack_bits(m) for m in maps])
    v = edge_density_vectors(bits, (128, 128), 8, 0.5)
    assert v.shape == (3, 64) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v[:2], axis=1), 1) and not v[2].any()
    assert v[0] @ v[1] > 0.99  # a line moved by a pixel barely moves its ink between cells
    with pytest.raises(ValueError, match="grid"):
        edge_density_vectors(bits, (128, 128), 7, 0.5)


def test_the_index_is_described_in_words():
    text = NeighbourIndex(k=16).describe()
    assert "nearest 16" in text and "8x8" in text and "10,000" in text


def test_fewer_drawings_than_the_index_waits_for_are_all_compared(planted):
    sigs, source = planted
    small = replace(DRAWING, index=replace(DRAWING.index, k=1, widen_at=np.inf))
    waiting = replace(small, index=replace(small.index, from_drawings=10**6))
    every = find_links(sigs, source, every_pair(PRESET))
    assert search_agreement(find_links(sigs, source, waiting), every).identical
    assert search_agreement(find_links(sigs, source, small), every).recall < 1  # one neighbour is not enough


class EveryOtherPair:
    """A candidate search of its own: proposes only pairs of rows of the same parity (and says how it went)."""

    def __init__(self):
        self.asked = []

    def describe(self) -> str:
        return "pairs of rows of the same parity"

    def needs(self) -> tuple[str, ...]:
        return ()

    def used_for(self, n: int) -> bool:
        return True

    def candidates(self, sigs, source, linked):
        n = len(source)
        a, b = np.triu_indices(n, 1)
        keep = (a % 2 == b % 2) & (source[a] != source[b])
        self.asked.append(int(keep.sum()))
        return linked(a[keep], b[keep])


def test_linking_calls_any_candidate_search_and_keeps_only_the_links_among_its_pairs(planted):
    from visualdistance.analysis.search import CandidateSearch

    sigs, source = planted
    search = EveryOtherPair()
    assert isinstance(search, CandidateSearch) and isinstance(DRAWING.index, CandidateSearch)
    every = find_links(sigs, source, every_pair(PRESET))
    found = find_links(sigs, source, replace(PRESET, index=search))
    assert search.asked and len(found) > 0
    same_parity = every.a % 2 == every.b % 2
    assert found.a.tolist() == every.a[same_parity].tolist() and found.b.tolist() == every.b[same_parity].tolist()
