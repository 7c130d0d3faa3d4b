import numpy as np
import pytest

from visualdistance.analysis.communities import detect, relabel


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
    c = detect(n, a, b, w, algorithm=algorithm)
    assert c.n_clusters == 4
    for g in range(4):
        ids = np.unique(c.membership[truth == g])
        assert len(ids) == 1 and ids[0] >= 0
    assert (c.membership[truth == -1] == -1).all()
    assert list(c.sizes()) == sorted(c.sizes(), reverse=True)
    assert c.modularity > 0.5


def test_same_seed_same_clusters_and_cpm(rng):
    n, a, b, w, _ = planted_graph(rng)
    one = detect(n, a, b, w, algorithm="leiden", objective="cpm", resolution=0.5, seed=3)
    two = detect(n, a, b, w, algorithm="leiden", objective="cpm", resolution=0.5, seed=3)
    assert np.array_equal(one.membership, two.membership) and one.run_id == two.run_id
    assert one.params["objective"] == "cpm"


def test_no_links_no_clusters():
    c = detect(5, np.empty(0, int), np.empty(0, int))
    assert c.n_clusters == 0 and (c.membership == -1).all()


def test_relabel_orders_by_size_and_drops_singletons():
    assert relabel(np.array([7, 7, 3, 9, 9, 9, 4])).tolist() == [1, 1, -1, 0, 0, 0, -1]


def test_unknown_algorithm_is_refused():
    with pytest.raises(ValueError, match="unknown algorithm"):
        detect(2, np.array([0]), np.array([1]), algorithm="kmeans")
