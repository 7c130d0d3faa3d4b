"""Scoring linking methods against labelled art: what `visualdistance eval` measures.

`scores`: pair and cluster scores of any links against ground truth (`Truth`), and how a candidate
index's links agree with measuring every pair. `methods`: every method scored side by side on one
set, with its cost and the write-up's clustering baselines. Pure: arrays and presets in, figures out.

The names of `scores` are importable from here; `methods` (which imports every preset) is imported
by name where it is used.
"""

from visualdistance.analysis.evaluation.scores import (
    PairScores,
    SearchAgreement,
    Truth,
    file_pairs,
    neutral_pairs,
    score_clusters,
    score_pairs,
    search_agreement,
)

__all__ = ["PairScores", "SearchAgreement", "Truth", "file_pairs", "neutral_pairs", "score_clusters", "score_pairs",
           "search_agreement"]
