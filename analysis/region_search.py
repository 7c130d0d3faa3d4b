"""Region links as a preset's: which panels share a figure (or only a room), as rows of `Links`.

A preset with a `RegionSearch` (`Preset.regions`) links panels by the drawing
rules and, besides, by `analysis/regions.py`'s local features: a pair the rules
link keeps its whole-drawing kind; a pair only the region search links is added
with kind "region" (a figure in both panels) or "background" (a shared room),
the matched box in each panel, the transform's scale and the share of each
panel the box covers (`Links.box_a`, ...). Background links are kept for people
and the graph; they are never reuse (`Links.reuse`).

Arrays in, arrays out: the keypoint rows come from the `RegionKeypoints`
signature, one variable-length row per panel.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from visualdistance.analysis import regions
from visualdistance.analysis.data import BOX, LINK_KINDS, Links
from visualdistance.analysis.region_diagnosis import RegionDiagnosis, diagnose_pairs
from visualdistance.analysis.rules import Sigs
from visualdistance.analysis.signatures.regions import RegionKeypoints, features_from_row


@dataclass(frozen=True)
class RegionSearch:
    """How a preset finds region links: the keypoint signature it reads (regions.find_region_links does the rest).

    pairwise is False: every panel's descriptors share one index (an inverted file past
    descriptor_index.FLAT_UP_TO descriptors, trained on a sample of them all) and each descriptor keeps
    its nearest few, so a new panel can change the evidence of any pair; incremental runs
    link everything again rather than differ from a fresh run.
    """

    keypoints: RegionKeypoints = RegionKeypoints()
    pairwise = False

    def needs(self) -> tuple[str, ...]:
        return (self.keypoints.name,)

    def signatures(self) -> tuple[RegionKeypoints, ...]:
        """The signatures it reads, which a preset with this search describes (Preset adds them to its own)."""
        return (self.keypoints,)

    def describe(self) -> str:
        return (f"regions: ORB keypoints ({self.keypoints.keypoints} a picture and its mirror image) proposed by a faiss "
                f"binary index, a RANSAC similarity transform with at least {regions.MIN_INLIERS} inliers, scale "
                f"{regions.SCALES[0]:g}-{regions.SCALES[1]:g}, and the edges agreeing under it; over half of both panels, of one that shows "
                f"more besides, or in place, a background")

    def features(self, sigs: Sigs, rows: np.ndarray) -> list[regions.RegionFeatures]:
        """The region features of some panel rows, from their keypoint signature."""
        table = sigs[self.keypoints.name]
        return [features_from_row(table.row(int(i))) for i in rows]

    def find(self, sigs: Sigs, source: np.ndarray, active: np.ndarray) -> regions.RegionLinks:
        """Region and background links (panel rows, a < b) among the `active` panels ((n,) bool), never two frames of
        one file (`source`)."""
        idx = np.flatnonzero(active)
        found = regions.find_region_links(self.features(sigs, idx))
        found.a, found.b = idx[found.a].astype(np.int32), idx[found.b].astype(np.int32)
        return take_regions(found, np.asarray(source)[found.a] != np.asarray(source)[found.b])


    def diagnose(self, sigs: Sigs, active: np.ndarray, a: np.ndarray, b: np.ndarray,
                 boxes: np.ndarray | None = None) -> list[RegionDiagnosis]:
        """Why each pair of panel rows (a, b) got its region link or not, the search replayed as `find` runs it over
        the `active` panels ((n,) bool); boxes: (k, 2, 4) the figure boxes (region_diagnosis.diagnose_pairs). A
        pair with a panel the search never saw (it fails the preset's gates) is diagnosed at "gate"."""
        idx = np.flatnonzero(active)
        at = np.searchsorted(idx, np.stack([a, b], axis=1))
        searched = np.asarray(active)[a] & np.asarray(active)[b]
        found = iter(diagnose_pairs(self.features(sigs, idx), at[searched],
                                    None if boxes is None else np.asarray(boxes)[searched]))
        unseen = RegionDiagnosis("gate", "the region search never saw the pair: a panel fails the preset's gates "
                                         "(too little drawing)")
        return [next(found) if s else unseen for s in searched.tolist()]


def take_regions(found: regions.RegionLinks, rows: np.ndarray) -> regions.RegionLinks:
    """The region links at `rows` (a bool mask or indices), every field kept."""
    return regions.RegionLinks(**{f.name: getattr(found, f.name)[rows] for f in fields(found)})


def region_weight(inliers: np.ndarray) -> np.ndarray:
    """A region link's weight in [0, 1] as `Links.weight` means it: 0 at the inliers a match needs
    (regions.MIN_INLIERS), 0.5 at twice that, towards 1 with more."""
    inliers = np.asarray(inliers, np.float64)
    return np.clip(1 - regions.MIN_INLIERS / np.maximum(inliers, 1), 0, 1).astype(np.float32)


def as_links(found: regions.RegionLinks, like: Links) -> Links:
    """Region links as `Links` with `like`'s rules and metrics: no rule matched and no distance measured
    (NaN), the kind, boxes, scale and shares the region search found, mirrored as it matched."""
    n = len(found)
    unknown = lambda: np.full(n, np.nan, np.float32)  # noqa: E731
    kind = np.array([LINK_KINDS.index(regions.KINDS[k]) for k in found.kind.tolist()], np.int8)
    box = lambda b: {k: b[:, j].astype(np.float32) for j, k in enumerate(BOX)}  # noqa: E731
    return Links(found.a.astype(np.int32), found.b.astype(np.int32), {m: unknown() for m in like.distances},
                 {m: unknown() for m in like.thresholds}, np.zeros(n, np.uint32), found.mirrored.astype(bool),
                 region_weight(found.inliers), like.rule_names, like.rule_metrics, kind=kind,
                 box_a=box(found.box_a.reshape(n, 4)), box_b=box(found.box_b.reshape(n, 4)),
                 scale=found.scale.astype(np.float32), share_a=found.share_a.astype(np.float32),
                 share_b=found.share_b.astype(np.float32))


def region_only(found: regions.RegionLinks, whole: Links, n: int) -> regions.RegionLinks:
    """The region links of pairs the whole-drawing links lack (n: panels): a pair the rules link keeps their kind."""
    linked = whole.a.astype(np.int64) * n + whole.b
    return take_regions(found, ~np.isin(found.a.astype(np.int64) * n + found.b, linked))
