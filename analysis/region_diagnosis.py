"""Why a pair of panels got (or did not get) a region link: the region search replayed step by step.

`diagnose_pairs` runs analysis/regions' own pieces (`distinctive_only`,
`proposals`, `verify_steps`) for chosen pairs and records the figures at each
step, in the order a pair passes them:

    keypoints           ORB keypoints found inside each panel's figure box (labelled, else the whole panel):
                        a match needs regions.MIN_INLIERS inliers, each a keypoint
    repeated keypoints  those left once keypoints that repeat in their own picture are dropped
    correspondences     the two panels' correspondences on their own: for each descriptor its nearest
                        descriptor of the other panel, if among its NEIGHBOURS nearest and within
                        MAX_HAMMING bits (this search's stand-in for Lowe's ratio test); a pair needs
                        MIN_CORRESPONDENCES to be tried
    index               what the index of all panels proposed for the pair: fewer when other panels'
                        descriptors were nearer (each keeps its NEIGHBOURS nearest), or when the index is
                        an inverted file (past descriptor_index.FLAT_UP_TO descriptors) that missed some; a pair is lost
                        here when it was no candidate, or when its own correspondences (verified the same
                        way) would link and the fewer the index proposed do not
    inliers, transform, edge agreement
                        regions.verify_steps: RANSAC's inliers, the scale within SCALES, the edges agreeing
    background          the match is a shared room (over half a panel, or in place): never reuse

`region_picture` draws a diagnosis: the two panels, their figure boxes, the keypoints and the
correspondences. Pure: RegionFeatures and arrays in, RegionDiagnosis and an RGB array out.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from visualdistance.analysis import descriptor_index, image_ops, regions
from visualdistance.analysis.regions import Correspondences, RegionFeatures, Verification

#: where a pair stops, in the order it passes the steps ("gate": the region search never saw the pair; "linked":
#: a region link)
REGION_STEPS = ("gate", "keypoints", "repeated keypoints", "correspondences", "index", "inliers", "transform",
                "edge agreement", "background", "linked")


@dataclass(frozen=True)
class Attempt:
    """One orientation of a pair replayed: panel `query` of the pair (0: a, 1: b; its mirror image when
    `mirrored`) looked up against the other panel.

    keypoints, kept: per panel of the pair (a, b), the keypoints found inside its figure box (in the picture
    this orientation reads: the query's mirror image when mirrored), and of those the ones the repeated-pattern
    filter keeps. alone: the two panels' correspondences on their own; alone_verification: regions.verify_steps on
    them (None under MIN_CORRESPONDENCES). proposed: the correspondences the search's index proposed (None: under
    MIN_CORRESPONDENCES, the pair was no candidate this way); verification: regions.verify_steps on them (None when
    not proposed): what the search did.
    """

    query: int
    mirrored: bool
    keypoints: tuple[int, int]
    kept: tuple[int, int]
    alone: int
    alone_verification: Verification | None
    proposed: Correspondences | None
    verification: Verification | None

    @property
    def step(self) -> str:
        """The step this orientation stopped at (one of REGION_STEPS)."""
        v = self.verification
        if v is not None and v.match is not None:
            return "linked" if v.step == "region" else v.step
        if min(self.keypoints) < regions.MIN_INLIERS:
            return "keypoints"
        if min(self.kept) < regions.MIN_INLIERS:
            return "repeated keypoints"
        if self.alone < regions.MIN_CORRESPONDENCES:
            return "correspondences"
        if v is None or self.index_lost:
            return "index"
        return v.step

    @property
    def index_lost(self) -> bool:
        """The two panels on their own make a region link that the index's fewer correspondences do not."""
        alone = self.alone_verification
        return alone is not None and alone.step == "region" and (self.verification is None or self.verification.match is None)

    @property
    def inliers(self) -> int:
        return int(self.verification.inliers.sum()) if self.verification is not None else 0


@dataclass(frozen=True)
class RegionDiagnosis:
    """The step that lost a pair (one of REGION_STEPS, or "gate": the region search never saw it), a
    sentence a person can check against the picture, and the orientation it describes (None for "gate")."""

    step: str
    reason: str
    attempt: Attempt | None = None


def diagnose_pair(a: RegionFeatures, b: RegionFeatures, figure_box_a=None, figure_box_b=None) -> RegionDiagnosis:
    """The region search replayed for two panels on their own (their index holds only them, and is exact).

    figure_box_a, figure_box_b: (x, y, w, h) of the figure in each panel's own pixels, or None (the whole panel).
    """
    boxes = np.array([[_box(figure_box_a), _box(figure_box_b)]], np.float64)
    return diagnose_pairs([a, b], np.array([[0, 1]]), boxes)[0]


def diagnose_pairs(features: list[RegionFeatures], pairs: np.ndarray, boxes: np.ndarray | None = None) -> list[RegionDiagnosis]:
    """The region search replayed for some pairs of panels, as it ran over all of `features`.

    pairs: (k, 2) rows of features (two different panels each). boxes: (k, 2, 4) each pair's figure boxes,
    x, y, w, h in each panel's own pixels (NaN, or boxes None: the whole panel). The candidates are those of
    one index of every panel, built as `regions.candidate_matches` builds it; each pair's correspondences on
    its own (an exact index of its two panels) are measured besides, so a pair the shared index lost says so.
    """
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    boxes = np.full((len(pairs), 2, 4), np.nan) if boxes is None else np.asarray(boxes, np.float64)
    with regions.one_thread() as faiss:
        kept = [regions.distinctive_only(faiss, f) for f in features]
        proposed = {(c.src, c.dst, c.mirrored): c for c in regions.proposals(faiss, kept)}
        index = descriptor_index.in_words(sum(len(f.descriptors) for f in kept))
        out = []
        for (a, b), box in zip(pairs.tolist(), boxes):
            lo, hi = sorted((a, b))
            # the pair on its own: the same proposals, in the same order of panels, every count kept
            alone = {(lo if c.src == 0 else hi, hi if c.dst == 1 else lo, c.mirrored): c
                     for c in regions.proposals(faiss, [kept[lo], kept[hi]], least=1)}
            attempts = [_attempt(features, kept, (a, b), box, key, alone.get(key), proposed.get(key))
                        for key in ((lo, hi, False), (lo, hi, True), (hi, lo, True))]
            out.append(_diagnosis(attempts, len(features), index))
    return out


def _box(box) -> np.ndarray:
    return np.full(4, np.nan) if box is None else np.asarray(box, np.float64)


def _attempt(features, kept, pair, boxes, key, alone: Correspondences | None, proposed: Correspondences | None) -> Attempt:
    """One orientation (key: query row, other row, mirrored) of the pair (rows a, b) replayed."""
    query, other, mirrored = key
    sides = [(row, mirrored and row == query) for row in pair]
    found = tuple(_inside(_points(features[row], flip), features[row], box, flip) for (row, flip), box in zip(sides, boxes))
    left = tuple(_inside(_points(kept[row], flip), kept[row], box, flip) for (row, flip), box in zip(sides, boxes))
    verify = lambda c: regions.verify_steps(c, features[query], features[other]) if c is not None else None  # noqa: E731
    enough = alone if alone is not None and len(alone.src_points) >= regions.MIN_CORRESPONDENCES else None
    return Attempt(pair.index(query), mirrored, found, left, 0 if alone is None else len(alone.src_points), verify(enough),
                   proposed, verify(proposed))


def _points(f: RegionFeatures, mirrored: bool) -> np.ndarray:
    return f.points_mirror if mirrored else f.points


def _inside(points: np.ndarray, f: RegionFeatures, box: np.ndarray, mirrored: bool) -> int:
    """How many of the picture's keypoints (working pixels; of its mirror image when mirrored) fall in box
    (x, y, w, h, the panel's own pixels; NaN: the whole panel)."""
    if np.isnan(box).any():
        return len(points)
    panel = panel_points(points, f, mirrored)
    x, y, w, h = box
    return int(np.sum((panel[:, 0] >= x) & (panel[:, 0] <= x + w) & (panel[:, 1] >= y) & (panel[:, 1] <= y + h)))


def panel_points(points: np.ndarray, f: RegionFeatures, mirrored: bool) -> np.ndarray:
    """Keypoints in working pixels (of the mirror image when mirrored) -> the panel's own pixels."""
    out = np.asarray(points, np.float64).reshape(-1, 2).copy()
    if mirrored:
        out[:, 0] = f.work_size[0] - out[:, 0]  # the mirror image's x, as regions._match flips it back
    return out / f.scale


def _diagnosis(attempts: list[Attempt], panels: int, index: str) -> RegionDiagnosis:
    """The orientation the search would keep (the stronger match, as find_region_links keeps it), else one the
    two panels alone would link, else the one that went furthest; with the sentence for its step."""
    matched = [at for at in attempts if at.verification is not None and at.verification.match is not None]
    if matched:
        best = matched[0]
        for at in matched[1:]:
            if regions.stronger(best.verification.match, at.verification.match) is at.verification.match:
                best = at
    else:
        # an orientation the two panels alone would link is the one that tells what lost the pair (the index)
        best = max(attempts, key=lambda at: (at.index_lost, REGION_STEPS.index(at.step), at.inliers, at.alone))
    return RegionDiagnosis(best.step, _reason(best, panels, index), best)


def _reason(at: Attempt, panels: int, index: str) -> str:
    """A sentence for the step `at` stopped at, with its figures."""
    step, v = at.step, at.verification
    way = " (mirrored)" if at.mirrored else ""
    if step == "keypoints":
        return (f"{at.keypoints[0]} and {at.keypoints[1]} ORB keypoints inside the figure{way}: a match needs "
                f"{regions.MIN_INLIERS} inliers, each a keypoint (a figure too small or too plain)")
    if step == "repeated keypoints":
        return (f"of {at.keypoints[0]} and {at.keypoints[1]} keypoints inside the figure{way}, {at.kept[0]} and "
                f"{at.kept[1]} are left once those that repeat in their own picture are dropped (a pattern matches "
                f"every copy of itself); a match needs {regions.MIN_INLIERS} inliers")
    if step == "correspondences":
        return (f"{at.alone} correspondences{way} ({at.kept[0]} and {at.kept[1]} keypoints in the figure): each "
                f"descriptor's nearest of the other panel among its {regions.NEIGHBOURS} nearest and within "
                f"{regions.MAX_HAMMING} bits, this search's ratio test; a pair needs {regions.MIN_CORRESPONDENCES}")
    if step == "index":
        alone = at.alone_verification
        would = (f", which link ({int(alone.inliers.sum())} inliers, scale {alone.scale:.2f})" if at.index_lost
                 else "")
        got = (f"{len(at.proposed.src_points)} of them, which stop at {at.verification.step}" if at.proposed is not None
               else f"under {regions.MIN_CORRESPONDENCES}")
        return (f"{at.alone} correspondences{way} between the two panels on their own{would}, but the index of all "
                f"{panels} panels ({index}) proposed {got}: each descriptor keeps its {regions.NEIGHBOURS} nearest, "
                "and other panels' were nearer" + ("" if index == "exact" else " or in lists it did not visit"))
    tried = f"{at.inliers} RANSAC inliers of {len(at.proposed.src_points)} correspondences{way}"
    if step == "inliers":
        return f"{tried}: a match needs {regions.MIN_INLIERS}"
    if step == "transform":
        return (f"{tried}, at scale {v.scale:.2f}: outside {regions.SCALES[0]:g}-{regions.SCALES[1]:g}, "
                "the sizes a redrawn figure has")
    if step == "edge agreement":
        return f"{tried}, scale {v.scale:.2f}, but the edges do not agree under the transform: " + _disagreement(v)
    m = v.match
    shares = f"the box covers {m.share_src:.0%} and {m.share_dst:.0%} of the panels"
    if step == "background":
        wide = np.array([m.share_src, m.share_dst]) > regions.BACKGROUND_SHARE
        why = (f"over {regions.BACKGROUND_SHARE:.0%} of both panels" if wide.all() else
               f"over {regions.BACKGROUND_SHARE:.0%} of a panel that shows more besides, or at the same place and size in both"
               if wide.any() else "at the same place and size in both")
        return f"{tried}, scale {v.scale:.2f}, edges agreeing {m.agreeing:.0f} px {why} ({shares}): a shared room, never reuse"
    return f"a region: {tried}, scale {v.scale:.2f}, edges agreeing {m.agreeing:.0f} px; {shares}"


def _disagreement(v: Verification) -> str:
    g = v.agreement
    if g.inside < regions.MIN_INSIDE_AGREEMENT:
        return (f"{g.inside:.0%} of the edges inside the inliers' box agree (a match needs "
                f"{regions.MIN_INSIDE_AGREEMENT:.0%})")
    if g.agreeing < regions.MIN_AGREEING or g.share < regions.MIN_REGION_AGREEMENT:
        return (f"the agreeing region has {g.agreeing:.0f} px of edges (needs {regions.MIN_AGREEING}), "
                f"{g.share:.0%} of the edges in its box (needs {regions.MIN_REGION_AGREEMENT:.0%})")
    return (f"they agree as well moved {regions.SHIFT_PX} edge pixels ({g.moved:.0%} of the agreement in place; "
            f"a figure stays under {regions.TEXTURE_AGREEMENT:.0%}) and both panels' edges are dense there "
            f"({regions.TEXTURE_DENSITY:.0%} of the box or more near an edge): a texture, not a figure")


# ------------------------------------------------------------ pictures

WIDTH = 320  # each panel's width in a picture
GAP = 6
FIGURE = (40, 170, 40)  # the labelled figure box
KEPT, DROPPED = (255, 140, 0), (150, 150, 150)  # keypoints kept / dropped as repeated
PROPOSED, INLIER = (170, 195, 255), (220, 0, 0)  # correspondences, RANSAC's inliers
MATCHED = (200, 0, 200)  # the matched region


def side_by_side(rgbs: list[np.ndarray], width: int = WIDTH) -> tuple[np.ndarray, list[tuple[float, int]]]:
    """Panels (RGB) resized to `width` and set side by side on white, top-aligned; and for each its
    (scale from its own pixels, x offset) in the picture."""
    tiles = [image_ops.resize(rgb, (width, max(1, round(width * rgb.shape[0] / rgb.shape[1])))) for rgb in rgbs]
    out = np.full((max(t.shape[0] for t in tiles), len(tiles) * (width + GAP) - GAP, 3), 255, np.uint8)
    places = []
    for k, (rgb, tile) in enumerate(zip(rgbs, tiles)):
        out[:tile.shape[0], k * (width + GAP):k * (width + GAP) + width] = tile
        places.append((width / rgb.shape[1], k * (width + GAP)))
    return out, places


def outline(picture: np.ndarray, box, place: tuple[float, int], colour, thickness: int = 2) -> None:
    """Draws box (x, y, w, h in the panel's own pixels; NaN: nothing) on the picture at the panel's place."""
    if box is None or np.isnan(np.asarray(box, np.float64)).any():
        return
    scale, dx = place
    x, y, w, h = (float(v) * scale for v in box)
    cv2.rectangle(picture, (round(x) + dx, round(y)), (round(x + w) + dx, round(y + h)), colour, thickness)


def caption(picture: np.ndarray, text: str, height: int = 18) -> np.ndarray:
    """The picture with a line of text under it."""
    out = np.concatenate([picture, np.full((height, picture.shape[1], 3), 255, np.uint8)])
    cv2.putText(out, text, (4, out.shape[0] - 5), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    return out


def region_picture(rgb_a: np.ndarray, rgb_b: np.ndarray, d: RegionDiagnosis, features: tuple[RegionFeatures, RegionFeatures],
                   figure_boxes=(None, None)) -> np.ndarray:
    """The two panels side by side, showing what the diagnosis counted: each labelled figure box (green), the
    keypoints (orange, grey where dropped as repeated), the proposed correspondences (pale blue lines), RANSAC's
    inliers (red lines) and the matched region (magenta); the step under it."""
    picture, places = side_by_side([rgb_a, rgb_b])
    at = d.attempt
    if at is not None:
        flips = [at.mirrored and k == at.query for k in (0, 1)]
        for f, flip, place in zip(features, flips, places):
            _dots(picture, panel_points(_points(f, flip), f, flip), place, DROPPED)
        with regions.one_thread() as faiss:
            for f, flip, place in zip(features, flips, places):
                _dots(picture, panel_points(_points(regions.distinctive_only(faiss, f), flip), f, flip), place, KEPT)
        if at.proposed is not None:
            _correspondences(picture, at, features, places)
    match = at.verification.match if at is not None and at.verification is not None else None
    if match is not None:
        for box, place in zip((match.box_src, match.box_dst) if at.query == 0 else (match.box_dst, match.box_src), places):
            outline(picture, box, place, MATCHED, 3)
    for box, place in zip(figure_boxes, places):
        outline(picture, box, place, FIGURE)
    return caption(picture, f"regions: {d.step}")


def _dots(picture: np.ndarray, points: np.ndarray, place: tuple[float, int], colour) -> None:
    scale, dx = place
    for x, y in (points * scale).round().astype(int).tolist():
        cv2.circle(picture, (x + dx, y), 2, colour, -1)


def _correspondences(picture: np.ndarray, at: Attempt, features, places) -> None:
    """Lines between the proposed correspondences, RANSAC's inliers on top."""
    q, o = at.query, 1 - at.query
    ends = {q: panel_points(at.proposed.src_points, features[q], at.mirrored),
            o: panel_points(at.proposed.dst_points, features[o], False)}
    inliers = at.verification.inliers
    for keep, colour in ((~inliers, PROPOSED), (inliers, INLIER)):
        (sa, xa), (sb, xb) = places
        for (x0, y0), (x1, y1) in zip(ends[0][keep].tolist(), ends[1][keep].tolist()):
            cv2.line(picture, (round(x0 * sa) + xa, round(y0 * sa)), (round(x1 * sb) + xb, round(y1 * sb)), colour, 1,
                     cv2.LINE_AA)
