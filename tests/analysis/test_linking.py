"""Link rules on generated drawings: what must and must not link."""

import functools

import numpy as np
import pytest

from tests import synthetic
from visualdistance.analysis.baselines import BASELINES
from visualdistance.analysis.linking import find_links
from visualdistance.analysis.data import stack_rows
from visualdistance.analysis.presets import COMBINED, ORIGINAL_EDGES, PRESETS, all_signatures, expensive_signatures
from visualdistance.analysis.signatures import PanelView


def describe(images, alphas=None):
    """Signature arrays for a list of RGB images (and their opacities), every signature of every preset
    (the expensive ones too: a run describes those only for the preset that reads them)."""
    sigs, ragged = {}, {}
    for k, img in enumerate(images):
        view = PanelView(img, alpha=None if alphas is None else alphas[k])
        for s in all_signatures() + expensive_signatures(*PRESETS.values()):
            for name, row in s.describe_all(view).items():
                sigs.setdefault(name, []).append(row)
                ragged[name] = s.ragged
    return {k: stack_rows(v, ragged[k]) for k, v in sigs.items()}


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


def _two_views():
    """Four panels: 0-1 close in both views, 0-2 close only in x, 0-3 close only in y."""
    from visualdistance.analysis.image_ops import pack_bits

    x = np.zeros((4, 64), bool)
    y = np.zeros((4, 64), bool)
    x[3, :30] = True  # far from the others in x
    y[2, :30] = True  # far from the others in y
    x[1, 0] = y[1, 0] = True  # a bit off in both
    return {"x": np.stack([pack_bits(r) for r in x]), "y": np.stack([pack_bits(r) for r in y])}


def test_a_rule_links_only_where_the_rules_it_requires_agree():
    from visualdistance.analysis.linking import Preset
    from visualdistance.analysis.rules import Fixed, Hamming, Rule

    both = Rule("both", Hamming("x", "x", False), Fixed(5), requires=(Rule("y", Hamming("y", "y", False), Fixed(5)),))
    links = find_links(_two_views(), np.arange(4), Preset("p", "", (), (both,)))
    assert list(zip(links.a.tolist(), links.b.tolist())) == [(0, 1)]
    # the required metric's distance is recorded on the link
    assert links.distances["y"].tolist() == [1.0]


def test_a_preset_refuses_two_different_metrics_of_one_name_and_nested_requirements():
    from visualdistance.analysis.linking import Preset
    from visualdistance.analysis.rules import Fixed, Hamming, Rule

    with pytest.raises(ValueError):
        Preset("p", "", (), (Rule("a", Hamming("d", "x", False), Fixed(5)), Rule("b", Hamming("d", "y", False), Fixed(5))))
    # the same metric read by two rules is one metric
    same = Hamming("d", "x", False)
    Preset("p", "", (), (Rule("a", same, Fixed(5)), Rule("b", Hamming("e", "y", False), Fixed(5), requires=(Rule("c", same, Fixed(9)),))))
    with pytest.raises(ValueError):
        Rule("a", same, Fixed(5), requires=(Rule("b", same, Fixed(5), requires=(Rule("c", same, Fixed(5)),)),))


def test_a_rule_gate_stops_only_its_own_rule():
    from visualdistance.analysis.linking import Preset
    from visualdistance.analysis.rules import Fixed, Gate, Hamming, Rule

    sigs = _two_views()
    sigs["size"] = np.array([[100], [100], [10], [100]])  # panel 2 fails the gate
    loose_x = Rule("x", Hamming("x", "x", False), Fixed(5), gates=(Gate("size", 0, 50),))
    links = find_links(sigs, np.arange(4), Preset("p", "", (), (loose_x,)))
    assert list(zip(links.a.tolist(), links.b.tolist())) == [(0, 1)]  # 0-2 agree in x, but 2 is gated
    # another rule, without the gate, still links panel 2 where it agrees
    loose_y = Rule("y", Hamming("y", "y", False), Fixed(5))
    links = find_links(sigs, np.arange(4), Preset("p", "", (), (loose_x, loose_y)))
    pairs = dict(zip(zip(links.a.tolist(), links.b.tolist()), links.rule_labels()))
    assert pairs == {(0, 1): "x+y", (0, 3): "y", (1, 3): "y"}


@pytest.mark.parametrize("name", ["drawing", "combined", "original-edges"])
def test_new_panels_against_all_plus_the_earlier_links_are_a_full_relink(name):
    from visualdistance.analysis.linking import find_new_links, merge_links, pairwise
    from visualdistance.analysis.presets import get_preset

    rng = np.random.default_rng(5)
    panels = list(synthetic.planted_corpus(60, seed=3))
    sigs = describe([p.image for p in panels])
    source = np.arange(len(panels))
    source[10:13] = 10  # three frames of one file
    preset = get_preset(name)
    full = find_links(sigs, source, preset)
    fresh = np.zeros(len(panels), bool)
    fresh[rng.choice(len(panels), 15, replace=False)] = True
    old_rows = np.flatnonzero(~fresh)
    before = find_links({k: v[old_rows] for k, v in sigs.items()}, source[old_rows], preset)
    before.a, before.b = old_rows[before.a].astype(np.int32), old_rows[before.b].astype(np.int32)
    both = merge_links([before, find_new_links(sigs, source, preset, fresh)])
    assert pairwise(preset) and len(full) > 0
    assert np.array_equal(both.a, full.a) and np.array_equal(both.b, full.b)
    assert np.array_equal(both.rules, full.rules) and np.array_equal(both.weight, full.weight)
    for m in full.distances:
        assert np.array_equal(both.distances[m], full.distances[m], equal_nan=True), m


def test_a_metric_scaled_by_corpus_means_is_not_pairwise():
    from visualdistance.analysis.linking import pairwise
    from visualdistance.analysis.presets import get_preset

    assert not pairwise(get_preset("original-mixed"))


@functools.cache
def _bordered_sprites():
    """Signatures of 60 panels framed by one border, each with a sprite of its own (some mirrored) that
    covers a good part of it, plus planted reuse and blank panels; and their files (two frames share one).

    The shared frame puts many unrelated pairs near the whole-panel edge thresholds, where a mirrored
    signature described from the flipped image (a few edge pixels off its flipped bits) decides.
    """
    rng = np.random.default_rng(2)  # a seed whose frame leaves pairs on both sides of the edge threshold
    images = []
    for _ in range(60):
        sprite = synthetic.render_sprite(synthetic.random_drawing(rng), int(rng.integers(150, 280)), mirrored=bool(rng.integers(2)))
        images.append(synthetic.place(sprite, at=(int(rng.integers(100, 300)), int(rng.integers(90, 210))), border=2))
    images += [p.image for p in synthetic.planted_corpus(16, seed=19)]
    images += [synthetic.blank_panel(rng), synthetic.blank_panel(rng, mark=True)]
    source = np.arange(len(images))
    source[5:7] = 5  # two frames of one file
    return describe(images), source


def every_pair_measured(sigs, source, preset):
    """The links of `preset` by definition: every pair of panels that pass its gates, from two files,
    measured (no search, no kernel bound) and kept where a rule matched and the mirrored checks hold."""
    from visualdistance.analysis.linking import _pass_mirrored_checks, _passes, measure_links

    rows = np.flatnonzero(_passes(preset.gates, sigs, len(source)))
    a, b = np.triu_indices(len(rows), 1)
    a, b = rows[a], rows[b]
    apart = source[a] != source[b]
    links = measure_links(sigs, a[apart], b[apart], preset)
    return links.take((links.rules != 0) & _pass_mirrored_checks(sigs, links, preset))


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_links_exactly_the_pairs_a_rule_matches(name):
    # The search (kernels, bounds, index) only proposes; a link exists where a rule, as measured,
    # matched: never an empty rule with distances over their thresholds, and nothing missed.
    from visualdistance.analysis.presets import every_pair

    sigs, source = _bordered_sprites()
    for preset in (PRESETS[name], every_pair(PRESETS[name])):
        found = find_links(sigs, source, preset)
        expected = every_pair_measured(sigs, source, preset)
        assert (found.rules != 0).all() and (found.weight >= 0).all()
        assert list(zip(found.a.tolist(), found.b.tolist())) == list(zip(expected.a.tolist(), expected.b.tolist()))
        assert np.array_equal(found.rules, expected.rules) and np.array_equal(found.mirrored, expected.mirrored)
        for k, rule in enumerate(preset.rules):  # a matched rule's own distance is under its threshold
            hit = (found.rules >> k) & 1 == 1
            d, t = found.distances[rule.metric.name][hit], found.thresholds[rule.metric.name][hit]
            assert (d < t).all(), (rule.name, d[d >= t], t[d >= t])


def test_a_metric_that_says_it_is_not_pairwise_makes_its_preset_relink_everything():
    """`pairwise` is what a metric declares, not which class it is: a new corpus-scaled metric says so."""
    from dataclasses import dataclass, fields, replace

    from visualdistance.analysis.linking import pairwise
    from visualdistance.analysis.presets import get_preset
    from visualdistance.analysis.rules import Hamming, Rule

    @dataclass(frozen=True)
    class CorpusScaled(Hamming):
        pairwise = False

    preset = get_preset("original-edges")
    assert pairwise(preset)
    rule = preset.rules[0]
    scaled = Rule(rule.name, CorpusScaled(**{f.name: getattr(rule.metric, f.name) for f in fields(rule.metric)}),
                  rule.threshold)
    assert not pairwise(replace(preset, rules=(scaled,) + preset.rules[1:]))


def test_relink_keeps_the_links_of_unchanged_panels_and_gives_a_full_relink():
    """A panel whose file changed, one removed and new ones: relink gives what linking everything gives."""
    from visualdistance.analysis.data import Panels
    from visualdistance.analysis.linking import relink
    from visualdistance.analysis.presets import get_preset

    images = [p.image for p in synthetic.planted_corpus(40, seed=7)]
    sigs = describe(images)
    n = len(images)

    def panels(rows, sha=lambda r: f"sha{r}"):
        rows = np.asarray(rows)
        ids = np.array([f"{r}.png" for r in rows], dtype=object)
        ints = np.zeros(len(rows), np.int32)
        return Panels(ids, ids.copy(), rows.astype(np.int32), ints, ints - 1, ints - 1, ints, ints,
                      np.array([sha(r) for r in rows], dtype=object), {k: v[rows] for k, v in sigs.items()})

    preset = get_preset("drawing")
    before = panels(np.arange(30))
    earlier_links = find_links(before.signatures, before.source, preset)
    now = panels(np.r_[0:5, 6:n], sha=lambda r: "changed" if r == 7 else f"sha{r}")  # 5 gone, 7 changed, 30.. new
    found = relink(now, preset, before, earlier_links)
    full = find_links(now.signatures, now.source, preset)
    assert (found.gone_panels, found.new_panels) == (2, 1 + n - 30)
    assert 0 < found.kept_links <= len(earlier_links)
    assert np.array_equal(found.links.a, full.a) and np.array_equal(found.links.b, full.b)
    assert np.array_equal(found.links.rules, full.rules) and np.array_equal(found.links.weight, full.weight)


def _rules_within(rules):
    for rule in rules:
        yield rule
        yield from _rules_within(rule.requires)


@pytest.mark.parametrize("name", sorted(PRESETS) + sorted(BASELINES))
def test_every_signature_a_method_reads_is_one_it_describes(name) -> None:
    # Metrics, gates and indexes name signatures by name; a misspelt or dropped one must fail here,
    # not in a run, and a gate's column must be inside its signature's row.
    preset = PRESETS.get(name) or BASELINES[name]
    described = {n for s in preset.signatures for n in s.describe_all_names()}
    rules = list(_rules_within(preset.rules + preset.mirrored_checks))
    read = {n for r in rules for n in r.metric.needs()}
    if preset.index is not None:
        read |= set(preset.index.needs())
    assert read <= described, read - described
    # Report-only distances may read what another method describes: extraction computes them all.
    extracted = {n for s in all_signatures() for n in s.describe_all_names()}
    report = {n for m in preset.report for n in m.needs()}
    assert report <= extracted, report - extracted
    by_name = {s.name: s for s in preset.signatures}
    for gate in preset.gates + tuple(g for r in rules for g in r.gates):
        assert gate.signature in by_name
        columns = by_name[gate.signature].columns
        assert not columns or 0 <= gate.column < len(columns), (gate, columns)
