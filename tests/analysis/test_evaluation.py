import numpy as np
import pytest

from visualdistance.analysis.evaluation import Truth, score_clusters, score_pairs


def truth():
    # groups: {0,1,2} with 2 a mirrored copy, {3,4}, 5 alone, 6 blank; (5, 3) a listed mirror pair
    return Truth(
        group=np.array([0, 0, 0, 1, 1, 2, 3]),
        mirrored=np.array([0, 0, 1, 0, 0, 0, 0], bool),
        blank=np.array([0, 0, 0, 0, 0, 0, 1], bool),
        mirror_a=np.array([5]),
        mirror_b=np.array([3]),
    )


def test_pair_scores_follow_the_shared_definitions():
    # true: (0,1); neutral: (0,2) one mirrored, (3,5) listed mirror pair; false: (1,3), (4,6)
    s = score_pairs(np.array([0, 2, 5, 3, 6]), np.array([1, 0, 3, 1, 4]), truth())
    assert (s.true_links, s.false_links, s.neutral_links) == (1, 2, 2)
    assert s.positives == 2  # (0,1) and (3,4)
    assert s.precision == pytest.approx(1 / 3)
    assert s.recall == pytest.approx(1 / 2)
    assert s.f1 == pytest.approx(0.4)
    assert s.mirror_recall == 1.0
    assert s.blank_false_links == 1


def test_duplicate_and_reversed_links_count_once():
    s = score_pairs(np.array([0, 1, 0]), np.array([1, 0, 1]), truth())
    assert s.links == 1 and s.true_links == 1


def test_same_variant_of_another_group_is_neutral():
    # 1 and 5 share a variant (a person swapped in one pose): a link between them is neither true nor false
    t = Truth(**{**truth().__dict__, "variant": np.array([-1, 0, -1, -1, -1, 0, -1])})
    s = score_pairs(np.array([1, 0]), np.array([5, 4]), t)
    assert (s.true_links, s.false_links, s.neutral_links) == (0, 1, 1)
    # without the column the same link is false
    assert score_pairs(np.array([1]), np.array([5]), truth()).false_links == 1


def test_frames_count_for_their_file():
    # panels 0,1 are frames of file 0, panel 2 is file 1 (same group), panel 3 is file 2 (other group)
    t = Truth(
        group=np.array([0, 0, 1]),
        mirrored=np.zeros(3, bool),
        blank=np.zeros(3, bool),
        mirror_a=np.empty(0, np.int64),
        mirror_b=np.empty(0, np.int64),
        file_of=np.array([0, 0, 1, 2]),
    )
    # two frames linked to file 1 are one true file pair; frames of one file linked together are no pair
    s = score_pairs(np.array([0, 1, 0]), np.array([2, 2, 1]), t)
    assert (s.links, s.true_links, s.false_links, s.positives) == (1, 1, 0, 1)
    assert s.recall == 1.0
    assert score_pairs(np.array([1]), np.array([3]), t).false_links == 1


def test_cluster_scores():
    t = truth()
    perfect = np.array([0, 0, 0, 1, 1, -1, -1])
    assert score_clusters(perfect, t)["ari"] == pytest.approx(1.0)
    assert score_clusters(np.full(7, -1), t)["ari"] < 0.5
