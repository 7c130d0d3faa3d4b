"""Scoring links and clusters against ground truth (labels), any method alike.

Definitions (the same as ../shared/README.md, so figures compare):
- positive pairs: two panels of the same group, except where exactly one of
  them is a mirrored copy of the group's drawing (those pairs, and the listed
  mirror pairs, are neutral: a link between them is neither true nor false);
- pair precision / recall / F1 over all links a method makes;
- mirror recall: the share of listed mirror pairs linked directly;
- blank false links: links that involve a panel labelled blank;
- cluster quality: adjusted Rand index and NMI of the clustering (panels in no
  cluster each count as their own cluster) against the groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Truth:
    """Ground truth aligned with the panels: group label per panel, flags and mirror pairs."""

    group: np.ndarray  # int, one per panel
    mirrored: np.ndarray  # bool, the panel is a mirrored copy of its group's drawing
    blank: np.ndarray  # bool
    mirror_a: np.ndarray  # int, panel rows of listed mirror pairs
    mirror_b: np.ndarray


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


def score_pairs(n: int, a: np.ndarray, b: np.ndarray, truth: Truth) -> PairScores:
    """Pair precision, recall, F1, mirror recall and blank false links of links (a, b)."""
    a = np.asarray(a, np.int64)
    b = np.asarray(b, np.int64)
    keys = np.unique(_pair_keys(a, b, n))
    a, b = keys // n, keys % n
    same = truth.group[a] == truth.group[b]
    one_mirrored = truth.mirrored[a] != truth.mirrored[b]
    listed = np.isin(keys, _pair_keys(truth.mirror_a, truth.mirror_b, n))
    neutral = (same & one_mirrored) | listed
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
    """Adjusted Rand index and NMI of a membership (-1 = no cluster) against the groups."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # heavy: only when scoring

    m = np.asarray(membership).copy()
    lone = m < 0
    m[lone] = m.max(initial=-1) + 1 + np.arange(lone.sum())
    return {
        "ari": float(adjusted_rand_score(truth.group, m)),
        "nmi": float(normalized_mutual_info_score(truth.group, m)),
        "clusters": int(len(np.unique(membership[membership >= 0]))),
    }
