import numpy as np
import pytest

from visualdistance.analysis.communities import ALGORITHMS, cluster_run_id, greedy_modularity, leiden, relabel


def planted_graph(rng, groups=(5, 4, 3, 3), singletons=6, noise=3):
    """Cliques of the given sizes, a few weak links between them, some isolated panels."""
    a, b, w, truth, start = [], [], [], [], 0
    for g, size in enumerate(groups):
        members = np.arange(start, start + size)
        for i in members:
            for j in members[members > i]:
                a.append(i), b.append(j), w.append(0.9)
        truth += [g] * size
        start += size
    n = start + singletons
    for _ in range(noise):
        i, j = sorted(rng.choice(start, 2, replace=False))
        a.append(i), b.append(j), w.append(0.05)
    truth += [-1] * singletons
    return n, np.array(a), np.array(b), np.array(w), np.array(truth)


@pytest.mark.parametrize("algorithm", ["leiden", "greedy"])
def test_clusters_equal_planted_groups(rng, algorithm):
    n, a, b, w, truth = planted_graph(rng)
    c = ALGORITHMS[algorithm](n, a, b, w)
    assert c.n_clusters == 4
    for g in range(4):
        ids = np.unique(c.membership[truth == g])
        assert len(ids) == 1 and ids[0] >= 0
    assert (c.membership[truth == -1] == -1).all()
    assert list(c.sizes()) == sorted(c.sizes(), reverse=True)
    assert c.modularity > 0.5


def test_the_seed_decides_among_equally_good_partitions_and_the_same_seed_repeats():
    """A ring of equal links has many best partitions: which one Leiden returns is the seed's choice."""
    n = 30
    a = np.arange(n)
    b = (a + 1) % n
    found = {s: leiden(n, a, b, seed=s) for s in range(6)}
    assert len({tuple(c.membership) for c in found.values()}) > 1
    again = leiden(n, a, b, seed=3)
    assert np.array_equal(again.membership, found[3].membership) and again.run_id == found[3].run_id


def test_cpm_asks_for_the_density_its_resolution_gives(rng):
    """Links of weight 0.9 inside planted groups: modularity finds the groups; CPM finds them at a low
    resolution and none at one above what any group's links weigh."""
    n, a, b, w, truth = planted_graph(rng)
    assert leiden(n, a, b, w, objective="modularity").n_clusters == 4
    low = leiden(n, a, b, w, objective="cpm", resolution=0.5)
    assert low.n_clusters == 4 and low.params["objective"] == "cpm" and low.params["resolution"] == 0.5
    assert leiden(n, a, b, w, objective="cpm", resolution=0.99).n_clusters == 0


def test_greedy_has_no_seed_to_record():
    c = greedy_modularity(4, np.array([0, 2]), np.array([1, 3]))
    assert c.params == {"algorithm": "greedy"} and c.n_clusters == 2


def test_a_run_id_changes_with_the_parameters_the_panels_and_the_result():
    m = np.array([0, 0, 1, 1], np.int32)
    ids = np.array(["a", "b", "c", "d"], object)
    one = cluster_run_id({"algorithm": "leiden"}, m, ids)
    assert one == cluster_run_id({"algorithm": "leiden"}, m.copy(), ids.copy())
    assert one != cluster_run_id({"algorithm": "greedy"}, m, ids)
    assert one != cluster_run_id({"algorithm": "leiden"}, m, np.array(["a", "b", "c", "e"], object))
    assert one != cluster_run_id({"algorithm": "leiden"}, m[::-1].copy(), ids)


def test_no_links_no_clusters():
    c = leiden(5, np.empty(0, int), np.empty(0, int))
    assert c.n_clusters == 0 and (c.membership == -1).all()


def test_relabel_orders_by_size_and_drops_singletons():
    assert relabel(np.array([7, 7, 3, 9, 9, 9, 4])).tolist() == [1, 1, -1, 0, 0, 0, -1]


def test_unknown_objective_is_refused():
    with pytest.raises(ValueError, match="unknown objective"):
        leiden(2, np.array([0]), np.array([1]), objective="kmeans")


def test_coherence_gives_each_clusters_weakest_necessary_link_and_its_linked_share():
    from visualdistance.analysis.communities import coherence, is_loose

    # cluster 0: a triangle (every pair linked); cluster 1: a chain held by one weak link; panel 5 unclustered
    membership = np.array([0, 0, 0, 1, 1, -1, 1, 1])
    a = np.array([0, 0, 1, 3, 4, 6, 0])
    b = np.array([1, 2, 2, 4, 6, 7, 5])
    w = np.array([0.9, 0.8, 0.3, 0.7, 0.05, 0.6, 0.9])
    weakest, density = coherence(membership, a, b, w)
    # the triangle needs only its two strongest links; the chain needs all three, its weakest is 0.05
    assert weakest.tolist() == [0.8, 0.05]
    assert np.allclose(density, [1.0, 3 / 6])
    assert is_loose(weakest, density, np.array([3, 4])).tolist() == [False, True]
    # a cluster whose links do not join all its members is not one piece
    weakest, _ = coherence(np.array([0, 0, 0, 0]), np.array([0, 2]), np.array([1, 3]), np.array([0.9, 0.9]))
    assert weakest.tolist() == [0.0]
