"""Scoring links and clusters against ground truth (labels), any method alike.

Definitions (the same as ../shared/README.md, so figures compare):
- labels are per file: a link between any frame of one file and any frame of
  another is a link of the two files (frames of one file are never a pair);
- positive pairs: two files of the same group, except where exactly one of
  them is a mirrored copy of the group's drawing;
- neutral pairs (a link between them is neither true nor false): a mirrored
  copy with its original, the listed mirror pairs, and two files of different
  groups with the same non-empty `variant` (one pose with another person
  swapped in, one shape in another colour: whether that is reuse is a
  judgement call);
- pair precision / recall / F1 over all links a method makes;
- mirror recall: the share of listed mirror pairs linked directly;
- blank false links: links that involve a panel labelled blank;
- cluster quality: adjusted Rand index and NMI of the clustering (panels in no
  cluster each count as their own cluster) against the groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualdistance.analysis.data import Links


@dataclass(frozen=True)
class Truth:
    """Ground truth per labelled file: group, variant and flags, the listed mirror pairs, and each panel's file.

    file_of maps a panel row to its file row (frames of an animated file
    share one); None when every panel is a file of its own.
    """

    group: np.ndarray  # int, one per file
    mirrored: np.ndarray  # bool, the file is a mirrored copy of its group's drawing
    blank: np.ndarray  # bool
    mirror_a: np.ndarray  # int, file rows of listed mirror pairs
    mirror_b: np.ndarray
    variant: np.ndarray | None = None  # int per file, -1 for none; same variant, other group: neutral
    file_of: np.ndarray | None = None  # int per panel
    figure_box: np.ndarray | None = None  # (files, 4) float x, y, w, h of the labelled figure, NaN where none

    @property
    def files(self) -> int:
        return len(self.group)

    def panel_groups(self) -> np.ndarray:
        """The group of every panel (its file's)."""
        return self.group if self.file_of is None else self.group[self.file_of]


@dataclass(frozen=True)
class PairScores:
    links: int
    true_links: int
    false_links: int
    neutral_links: int
    positives: int
    precision: float
    recall: float
    f1: float
    mirror_recall: float
    mirror_pairs: int
    blank_false_links: int


def _pair_keys(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    return lo * n + hi


def file_pairs(a: np.ndarray, b: np.ndarray, truth: Truth) -> tuple[np.ndarray, np.ndarray]:
    """Panel links (a, b) as distinct file pairs (lo, hi), lo < hi; links within one file dropped."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    if truth.file_of is not None:
        a, b = truth.file_of[a], truth.file_of[b]
    n = max(truth.files, 1)
    keys = np.unique(_pair_keys(a, b, n)[a != b])
    return keys // n, keys % n


def neutral_pairs(a: np.ndarray, b: np.ndarray, truth: Truth) -> np.ndarray:
    """Which file pairs are neutral: a mirrored copy with its original, a listed mirror pair, one variant."""
    n = max(truth.files, 1)
    same = truth.group[a] == truth.group[b]
    one_mirrored = truth.mirrored[a] != truth.mirrored[b]
    listed = np.isin(_pair_keys(a, b, n), _pair_keys(truth.mirror_a, truth.mirror_b, n))
    neutral = (same & one_mirrored) | listed
    if truth.variant is not None:
        neutral |= ~same & (truth.variant[a] == truth.variant[b]) & (truth.variant[a] >= 0)
    return neutral


def score_pairs(a: np.ndarray, b: np.ndarray, truth: Truth) -> PairScores:
    """Pair precision, recall, F1, mirror recall and blank false links of panel links (a, b), scored per file."""
    a, b = file_pairs(a, b, truth)
    n = max(truth.files, 1)
    keys = _pair_keys(a, b, n)
    same = truth.group[a] == truth.group[b]
    neutral = neutral_pairs(a, b, truth)
    tp = int((same & ~neutral).sum())
    fp = int((~same & ~neutral).sum())
    positives = _positive_pairs(truth)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    mirror_keys = np.unique(_pair_keys(truth.mirror_a, truth.mirror_b, n))
    mirror_hit = np.isin(mirror_keys, keys).sum()
    return PairScores(
        links=len(keys),
        true_links=tp,
        false_links=fp,
        neutral_links=int(neutral.sum()),
        positives=positives,
        precision=precision,
        recall=recall,
        f1=f1,
        mirror_recall=float(mirror_hit / len(mirror_keys)) if len(mirror_keys) else float("nan"),
        mirror_pairs=len(mirror_keys),
        blank_false_links=int((truth.blank[a] | truth.blank[b]).sum()),
    )


def _positive_pairs(truth: Truth) -> int:
    """Same-group pairs minus those with exactly one mirrored member."""
    _, inv = np.unique(truth.group, return_inverse=True)
    size = np.bincount(inv)
    mir = np.bincount(inv, weights=truth.mirrored.astype(float)).astype(np.int64)
    plain = size - mir
    return int((plain * (plain - 1) // 2 + mir * (mir - 1) // 2).sum())


def score_clusters(membership: np.ndarray, truth: Truth) -> dict[str, float]:
    """Adjusted Rand index and NMI of a per-panel membership (-1 = no cluster) against the groups (frames take their file's)."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # heavy: only when scoring

    m = np.asarray(membership).copy()
    lone = m < 0
    m[lone] = m.max(initial=-1) + 1 + np.arange(lone.sum())
    groups = truth.panel_groups()
    return {
        "ari": float(adjusted_rand_score(groups, m)),
        "nmi": float(normalized_mutual_info_score(groups, m)),
        "clusters": int(len(np.unique(membership[membership >= 0]))),
    }


@dataclass(frozen=True)
class SearchAgreement:
    """How a candidate index's links compare with measuring every pair, on one set of panels."""

    every_pair_links: int
    index_links: int
    recall: float  # share of every-pair links the index found too
    extra: int  # index links that every-pair search lacks (none can be: the rules are the same)
    identical: bool  # the same pairs with the same distances


def search_agreement(index: Links, every: Links) -> SearchAgreement:
    """Compare the links of a preset with its index (`index`) and measuring every pair (`every`), same panels."""
    n = int(max(index.a.max(initial=0), index.b.max(initial=0), every.a.max(initial=0), every.b.max(initial=0))) + 1
    ki, ke = _pair_keys(index.a, index.b, n), _pair_keys(every.a, every.b, n)
    found = np.isin(ke, ki)
    identical = len(ki) == len(ke) and bool(found.all()) and all(
        np.array_equal(index.distances[m], every.distances[m], equal_nan=True) for m in every.distances
    )
    return SearchAgreement(len(ke), len(ki), float(found.mean()) if len(ke) else 1.0, int((~np.isin(ki, ke)).sum()), identical)
