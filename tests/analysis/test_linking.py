"""Link rules on generated drawings: what must and must not link."""

import numpy as np
import pytest

from visualdistance.analysis import synthetic
from visualdistance.analysis.linking import find_links
from visualdistance.analysis.presets import COMBINED, ORIGINAL_EDGES, PRESETS, all_signatures
from visualdistance.analysis.signatures import PanelView


def describe(images, alphas=None):
    """Signature arrays for a list of RGB images (and their opacities), every signature of every preset."""
    sigs = {}
    for k, img in enumerate(images):
        view = PanelView(img, alpha=None if alphas is None else alphas[k])
        for s in all_signatures():
            for k, row in s.describe_all(view).items():
                sigs.setdefault(k, []).append(row)
    return {k: np.stack(v) for k, v in sigs.items()}


def links_of(images, preset, source=None, alphas=None):
    n = len(images)
    links = find_links(describe(images, alphas), np.arange(n) if source is None else np.asarray(source), preset)
    return {(int(a), int(b)): k for k, (a, b) in enumerate(zip(links.a, links.b))}, links


def test_recolor_links_by_edge_maps_and_unrelated_does_not(rng, drawing):
    original = synthetic.render(drawing)
    recolored = synthetic.render(synthetic.recolor(drawing, rng))
    unrelated = synthetic.render(synthetic.random_drawing(rng))
    pairs, links = links_of([original, recolored, unrelated], ORIGINAL_EDGES)
    assert (0, 1) in pairs
    assert (0, 2) not in pairs and (1, 2) not in pairs
    k = pairs[(0, 1)]
    assert links.distances["edges"][k] < links.thresholds["edges"][k]
    assert 0 < links.weight[k] <= 1


def test_near_blank_panel_never_links_to_a_busy_one(rng, drawing):
    busy = synthetic.render(drawing)
    images = [busy, synthetic.blank_panel(rng), synthetic.blank_panel(rng, mark=True), synthetic.blank_panel(rng, mark=True)]
    for preset in (COMBINED, ORIGINAL_EDGES):
        pairs, _ = links_of(images, preset)
        assert not any(0 in p for p in pairs), preset.name
    # the default gate keeps blank panels out of the hash rule entirely
    pairs, _ = links_of(images, COMBINED)
    assert pairs == {}


def test_mirrored_copy_links_only_mirrored_and_is_flagged(drawing):
    original = synthetic.render(drawing)
    mirrored = synthetic.render(drawing, mirrored=True)
    # the original method never compares mirror images
    assert links_of([original, mirrored], ORIGINAL_EDGES)[0] == {}
    pairs, links = links_of([original, mirrored], COMBINED)
    assert (0, 1) in pairs
    k = pairs[(0, 1)]
    assert links.mirrored[k]
    # the reported distance is the mirrored one, under the threshold
    assert links.distances["edges"][k] < links.thresholds["edges"][k]


def test_direct_copy_is_not_flagged_mirrored(rng, drawing):
    pairs, links = links_of([synthetic.render(drawing), synthetic.render(synthetic.recolor(drawing, rng))], COMBINED)
    assert not links.mirrored[pairs[(0, 1)]]


def test_same_source_never_links(drawing):
    img = synthetic.render(drawing)
    pairs, _ = links_of([img, img.copy(), img.copy()], COMBINED, source=[7, 7, 8])
    assert (0, 1) not in pairs
    assert (0, 2) in pairs and (1, 2) in pairs


def test_rule_labels_name_the_rules_that_matched(drawing):
    img = synthetic.render(drawing)
    pairs, links = links_of([img, img.copy()], COMBINED)
    assert links.rule_labels()[pairs[(0, 1)]] == "edges+phash"
    assert links.weight[pairs[(0, 1)]] == pytest.approx(1.0)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_links_an_identical_copy(name, drawing):
    img = synthetic.render(drawing)
    pairs, _ = links_of([img, img.copy()], PRESETS[name])
    assert (0, 1) in pairs


def test_distances_measured_while_searching_equal_measuring_again(rng, drawing):
    from visualdistance.analysis.linking import measure_links
    from visualdistance.analysis.presets import DRAWING

    base = synthetic.render_sprite(drawing, 150)
    images = [synthetic.place(base, at=(200 + dx, 150)) for dx in (0, 6, -9)]
    images += [synthetic.place(base, at=(190, 150))[:, ::-1].copy()]
    images += [synthetic.place(synthetic.render_sprite(synthetic.random_drawing(rng), 150)) for _ in range(4)]
    sigs = describe(images)
    found = find_links(sigs, np.arange(len(images)), DRAWING)
    again = measure_links(sigs, found.a, found.b, DRAWING)
    assert len(found.a) >= 6
    for name in found.distances:
        assert np.allclose(found.distances[name], again.distances[name])
    assert np.array_equal(found.mirrored, again.mirrored) and np.allclose(found.weight, again.weight)
