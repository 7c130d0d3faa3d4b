"""Link rules: a metric (a distance between two panels' signatures) plus a threshold.

A metric finds every pair under per-panel thresholds in one all-pairs pass
(`all_pairs`) and gives exact distances for listed pairs (`distances`).
A threshold turns the signature arrays into one threshold per panel; a pair is
under the rule when its distance is below the larger of its two panels'
thresholds, as in the original write-up's per-panel scaled threshold.

Signature arrays come in as a dict ``name -> (n, ...) array`` (see `Panels`).

Modules: `metric` (the contract), one per family of distances (`hamming`,
`chamfer`, `colours`), and `rule` (thresholds, gates, rules). Every name is
importable from here.
"""

from visualdistance.analysis.rules.chamfer import AlignmentContrast, EdgeChamfer, ring_offsets
from visualdistance.analysis.rules.colours import ColourShift, ThinColourShift, edge_extents
from visualdistance.analysis.rules.hamming import Hamming, Mixed, mean_pair_hamming
from visualdistance.analysis.rules.metric import Metric, Sigs
from visualdistance.analysis.rules.rule import Fixed, Gate, Rule, Scaled, Threshold

__all__ = ["AlignmentContrast", "ColourShift", "EdgeChamfer", "Fixed", "Gate", "Hamming", "Metric", "Mixed", "Rule",
           "Scaled", "Sigs", "ThinColourShift", "Threshold", "edge_extents", "mean_pair_hamming", "ring_offsets"]
