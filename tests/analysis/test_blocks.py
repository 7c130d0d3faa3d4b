"""Linking in blocks gives find_links's links, field for field, for every pairwise preset, with and without an
index, with frames of one file across a block's edge, and for a relink's new panels."""

from functools import partial

import numpy as np
import pytest

from tests import synthetic
from tests.analysis.test_linking import describe
from visualdistance.analysis import blocks as blocks_module
from visualdistance.analysis.blocks import blocked_links, every_pair_tasks, link_block, run_here, split
from visualdistance.analysis.linking import find_links, pairwise
from visualdistance.analysis.presets import DRAWING, PRESETS, indexed


@pytest.fixture(scope="module")
def planted():
    """60 generated panels (groups of redraws, recolours and mirrored copies); rows 10-12 and 29-31 are frames
    of one file each, the second across the edge of a block of 15 rows."""
    panels = list(synthetic.planted_corpus(60, seed=3))
    source = np.arange(len(panels))
    source[10:13] = 10
    source[29:32] = 29
    return describe([p.image for p in panels]), source


def assert_same_links(got, want) -> None:
    assert np.array_equal(got.a, want.a) and np.array_equal(got.b, want.b)
    assert got.a.dtype == want.a.dtype and got.b.dtype == want.b.dtype
    for field in ("rules", "mirrored", "weight"):
        assert np.array_equal(getattr(got, field), getattr(want, field)), field
        assert getattr(got, field).dtype == getattr(want, field).dtype, field
    assert (got.rule_names, got.rule_metrics) == (want.rule_names, want.rule_metrics)
    for table in ("distances", "thresholds"):
        g, w = getattr(got, table), getattr(want, table)
        assert list(g) == list(w), table
        for m in w:
            assert np.array_equal(g[m], w[m], equal_nan=True) and g[m].dtype == w[m].dtype, (table, m)


@pytest.mark.parametrize("name", [n for n, p in PRESETS.items() if pairwise(p)])
@pytest.mark.parametrize("size", [15, 1000])
def test_every_pairwise_preset_links_the_same_in_blocks(planted, name, size):
    sigs, source = planted
    preset = PRESETS[name]
    want = find_links(sigs, source, preset)
    got = blocked_links(sigs, source, preset, partial(run_here, preset=preset), size=size)
    assert len(want) > 0
    assert_same_links(got, want)


def test_the_index_path_links_the_same_in_blocks(planted):
    sigs, source = planted
    preset = indexed(DRAWING)
    assert_same_links(blocked_links(sigs, source, preset, partial(run_here, preset=preset), size=15),
                      find_links(sigs, source, preset))


def test_a_task_of_candidate_pairs_reads_only_the_panels_they_name(planted, monkeypatch):
    sigs, source = planted
    preset = indexed(DRAWING)
    blocks = split(sigs, source, preset, size=22)
    pairs = (np.array([5, 21, 21, 21]), np.array([40, 22, 23, 24]))  # rows of the whole table, across blocks 0 and 1
    seen = []
    real = blocks_module.links_among
    monkeypatch.setattr(blocks_module, "links_among", lambda s, src, p, pr=None: seen.append(len(src)) or real(s, src, p, pr))
    links, _, _ = link_block(blocks[0], blocks[1], preset, pairs)
    assert seen == [6]  # rows 5, 21, 22, 23, 24 and 40 of the blocks' 44
    whole, keep = real(sigs, source, preset, pairs)
    assert len(links) == 3 and np.array_equal(links.a, whole.a[keep]) and np.array_equal(links.b, whole.b[keep])


def test_a_relinks_new_panels_link_the_same_in_blocks_and_earlier_blocks_are_not_paired(planted):
    sigs, source = planted
    relink_source = source.copy()
    relink_source[:40] = -1  # the earlier panels, as find_new_links marks them
    for preset in (DRAWING, indexed(DRAWING)):
        assert_same_links(blocked_links(sigs, relink_source, preset, partial(run_here, preset=preset), size=15),
                          find_links(sigs, relink_source, preset))
    blocks = split(sigs, relink_source, DRAWING, 15)
    assert len(blocks) == 4 and len(every_pair_tasks(blocks)) == 10 - 3  # three pairs of earlier-only blocks


def test_nothing_linked_is_the_same_empty_table(planted):
    sigs, source = planted
    one = np.zeros_like(source)  # all one file: no pair may link
    assert_same_links(blocked_links(sigs, one, DRAWING, partial(run_here, preset=DRAWING), size=15),
                      find_links(sigs, one, DRAWING))


def test_a_preset_that_needs_every_panel_at_once_is_not_linked_in_blocks(planted):
    # original-mixed scales by corpus means; drawing-regions' evidence rests on one index of every panel's keypoints
    sigs, source = planted
    names = [n for n, p in PRESETS.items() if not pairwise(p)]
    assert {"original-mixed", "drawing-regions"} <= set(names)
    for name in names:
        assert blocked_links(sigs, source, PRESETS[name], partial(run_here, preset=PRESETS[name])) is None
