"""Partial reuse: a drawn figure that appears inside two panels, found by local features.

Whole-panel signatures cannot see a sprite pasted into a new scene at another
place and size: the figure is a small part of either panel. Here each panel is
described by ORB keypoints (on its picture and on its mirror image) and a coarse
edge map; the data's path is

    describe_regions (one panel)  ->  RegionFeatures
    candidate_matches (all panels, a faiss binary index)  ->  Correspondences per pair
    verify (one pair: a similarity transform by RANSAC, then an edge test)  ->  RegionMatch
    find_region_links (all of it)  ->  RegionLinks

A match is evidence of reuse only when the two panels' edges agree over a
figure-sized region under the transform. Where they agree over most of the
panel the pair shares its background (a room drawn once, with other figures in
front), which is a link of its own kind, never reuse. A flat area has no
keypoints and no edges, so it is evidence of neither.

Everything here takes numpy arrays and returns numpy arrays; OpenCV and faiss
do the work (ORB, a binary nearest-neighbour index, RANSAC).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

import cv2
import numpy as np

from visualdistance.analysis import descriptor_index, image_ops

#: Keypoints are found on the panel resized so its long side is this many pixels: a 650 px comic
#: panel keeps its line detail, a 64 px sprite is enlarged enough for ORB's 31 px patches.
WORK_SIDE = 640
MAX_UPSCALE = 4.0
KEYPOINTS = 1000  # per picture (and as many again on its mirror image)
#: The edge map the agreement test reads, long side in pixels (a third of the working size:
#: measured on sprite_scenes, F1 0.85 against 0.87 at full size, at a ninth of the bits).
EDGE_SIDE = 216
EDGE_LOW, EDGE_HIGH = 80, 160

#: Candidate correspondences: the nearest descriptors of other panels within this Hamming
#: distance (of 256 bits).
NEIGHBOURS = 8
MAX_HAMMING = 64
REPEAT_PX = 8.0  # working pixels: nearer keypoints are one feature found twice
REPEAT_NEIGHBOURS = 4
REPEAT_COPIES = 1  # other copies that make a keypoint a pattern's (2 or 3: more false links, see RESULTS)
REPEAT_HAMMING = 64
RANSAC_PX = 4.0  # reprojection error in working pixels
#: What a verified figure match needs (sprite_scenes, see bench/RESULTS.md): this many RANSAC
#: inliers, a scale a redraw can have, and under the transform the edges must agree over a
#: region holding at least MIN_AGREEING edge pixels (working pixels of edge length; a face or a
#: word of a speech bubble is less), with most of the edges inside the inliers' box agreeing.
MIN_INLIERS = 20
#: RANSAC is tried only on a pair with this many correspondences: its inliers are some of them, so a pair with
#: fewer could never have MIN_INLIERS (trying them cost a fifth of linking, and changed no link).
MIN_CORRESPONDENCES = MIN_INLIERS
SCALES = (0.5, 2.0)
MIN_AGREEING = 1000
MIN_INSIDE_AGREEMENT = 0.8
MIN_REGION_AGREEMENT = 0.4
#: A texture (foliage, water, a painted room's stamped leaves) agrees with itself moved: a match is no figure
#: when its edges, with the transform moved SHIFT_PX edge-map pixels (about 4% of the panel) in any of eight
#: directions, still agree over its region at TEXTURE_AGREEMENT of what they agree in place, and both
#: panels' edges are dense there (TEXTURE_DENSITY of the box within one edge pixel of an edge). Both,
#: because a figure in front of a dense background (a sea of swirls, a starfield) also agrees moved,
#: through the background's edges: its own are sparse (bench/RESULTS.md).
SHIFT_PX = 8
TEXTURE_AGREEMENT = 0.9
TEXTURE_DENSITY = 0.7
#: edges within one edge-map pixel of each other agree (the kernel every agreement dilates by)
NEAR = np.ones((3, 3), np.uint8)
#: Agreement over a region wider than this share of both panels is a shared background ...
BACKGROUND_SHARE = 0.5
#: ... and so it is over this share of one panel, unless that panel shows the region alone: the box, grown by
#: ALONE_MARGIN of the panel's sides (the region's outermost edges are trimmed), holds ALONE of the panel's edges.
#: A sprite's own file is all figure, and the scene it is pasted into shows it small: reuse, not a room
#: (bench/RESULTS.md).
ALONE = 0.9
ALONE_MARGIN = 0.04
#: So is a region found at the same place and size in both panels (a room seen between other
#: figures: sprite_scenes' background-only pairs). A figure reused in a new scene has moved; one
#: pasted at the very same spot over another background is missed for it (1 of 125 sprite_scenes pairs).
SAME_PLACE = 0.02  # of the panel's width and height
SAME_SIZE = 0.03

KINDS = ("region", "background")


@dataclass
class RegionFeatures:
    """One panel's local features.

    points, descriptors: ORB keypoints in working pixels ((m, 2) float32) and their 256-bit
    descriptors ((m, 32) uint8); points_mirror, descriptors_mirror: the same on the mirror
    image, in its own (flipped) coordinates. scale: working pixels per pixel of the panel in its file.
    work_size: (width, height) of the working image. edges: the edge map at EDGE_SIDE
    ((h, w) bool), or its bits packed (np.packbits) when edge_shape gives its (h, w): read it through
    `edge_map`. distinctive, distinctive_mirror: which keypoints are not a repeated pattern's
    ((m,) bool, see `_distinctive`), found once when the panel is described; None: not known yet.
    """

    points: np.ndarray
    descriptors: np.ndarray
    points_mirror: np.ndarray
    descriptors_mirror: np.ndarray
    scale: float
    work_size: tuple[int, int]
    edges: np.ndarray
    distinctive: np.ndarray | None = None
    distinctive_mirror: np.ndarray | None = None
    edge_shape: tuple[int, int] | None = None

    @property
    def panel_size(self) -> np.ndarray:
        """(width, height) of the panel in its file's own pixels, float64: what every box is measured in."""
        return np.array(self.work_size, np.float64) / self.scale

    def edge_map(self) -> np.ndarray:
        """The edge map, (h, w) bool. Stored rows keep it packed: unpacked, every panel's map held at once
        while linking was 46 KB a picture (0.57 GB at 12,000 pictures), and only verified pairs read one."""
        if self.edge_shape is None:
            return self.edges
        h, w = self.edge_shape
        return np.unpackbits(self.edges, count=h * w).reshape(h, w).view(bool)


def working_size(width: int, height: int, work_side: int = WORK_SIDE) -> tuple[tuple[int, int], float]:
    """The working image's (width, height) and its scale for a panel of width x height."""
    scale = min(work_side / max(width, height), MAX_UPSCALE)
    return (max(1, round(width * scale)), max(1, round(height * scale))), scale


def describe_regions(grey: np.ndarray, keypoints: int = KEYPOINTS, work_side: int = WORK_SIDE,
                     edge_side: int = EDGE_SIDE, file_width: int | None = None) -> RegionFeatures:
    """A panel's grey image (HxW uint8) -> its keypoints, mirrored keypoints and coarse edge map. file_width: the
    panel's width in its file when `grey` was shrunk from it; the features' scale (so every box) is in its pixels."""
    (w, h), scale = working_size(grey.shape[1], grey.shape[0], work_side)
    work = image_ops.resize(grey, (w, h))
    orb = cv2.ORB_create(nfeatures=keypoints)
    points, descriptors, found = _keypoints(orb, work)
    points_m, descriptors_m, source = _mirrored_keypoints(orb, work, found)
    edge_scale = edge_side / max(w, h)
    small = image_ops.resize(work, (max(1, round(w * edge_scale)), max(1, round(h * edge_scale))))
    if file_width:
        scale *= grey.shape[1] / file_width
    # Which keypoints repeat in the picture depends on it alone: found here, once, not by every run that links.
    # A patch that repeats in the picture repeats, mirrored, in its mirror image: the mirror side keeps the
    # keypoints the picture keeps (one test, not two: it was a quarter of describing).
    with one_thread() as faiss:
        keep = _distinctive(faiss, points, descriptors)
    keep_m = keep[source]
    return RegionFeatures(points, descriptors, points_m, descriptors_m, scale, (w, h),
                          image_ops.canny(small, EDGE_LOW, EDGE_HIGH), keep, keep_m)


def _keypoints(orb: cv2.ORB, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    found, descriptors = orb.detectAndCompute(image, None)
    points, descriptors = _as_arrays(found, descriptors)
    return points, descriptors, list(found) if len(points) else []


def _as_arrays(keypoints, descriptors) -> tuple[np.ndarray, np.ndarray]:
    """ORB's keypoints and descriptors (None when it found none) as ((m, 2) float32 points, (m, 32) uint8)."""
    if descriptors is None:
        return np.empty((0, 2), np.float32), np.empty((0, 32), np.uint8)
    return np.array([k.pt for k in keypoints], np.float32).reshape(-1, 2), descriptors


def _mirrored_keypoints(orb: cv2.ORB, image: np.ndarray, found: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mirror image's keypoints, descriptors and which of `found` each one is (int64 indices), described at
    the picture's own keypoints flipped.

    Corners and their strength are the same in a mirror image, so finding them again (the costlier half of
    ORB) finds these same keypoints (every one, with the same descriptor but for a bit in a few, on the test's
    scene). A keypoint found on pyramid level l, whose image is round(w / f^l) wide (f: the scale factor), flips
    within that level's image; its orientation angle a mirrors to 180 - a."""
    if not found:
        return (*_as_arrays(found, None), np.empty(0, np.int64))
    w, factor = image.shape[1], orb.getScaleFactor()
    flipped = []
    for i, k in enumerate(found):
        scale = factor ** k.octave
        x = (round(w / scale) - 1) * scale - k.pt[0]
        # class_id carries the keypoint's number through `compute`, which may drop some
        flipped.append(cv2.KeyPoint(x, k.pt[1], k.size, (180.0 - k.angle) % 360.0, k.response, k.octave, i))
    described, descriptors = orb.compute(np.ascontiguousarray(image[:, ::-1]), flipped)
    return (*_as_arrays(described, descriptors), np.array([k.class_id for k in described], np.int64).reshape(-1))


@dataclass
class Correspondences:
    """Proposed point matches of one ordered pair: src's points (mirrored or not) -> dst's points."""

    src: int
    dst: int
    mirrored: bool
    src_points: np.ndarray  # (k, 2) float32, working pixels of src (of its mirror image when mirrored)
    dst_points: np.ndarray  # (k, 2) float32, working pixels of dst


def candidate_matches(features: list[RegionFeatures]) -> list[Correspondences]:
    """Every pair of panels with enough similar descriptors, and those descriptors' points.

    One faiss binary index holds every panel's descriptors; each panel's descriptors and its
    mirror image's are looked up in it, so a panel is only ever compared with the panels its
    descriptors lead to, never with every panel.
    """
    return list(each_candidate(features))


def each_candidate(features: list[RegionFeatures]) -> Iterator[Correspondences]:
    """`candidate_matches` one pair at a time, in its order: a corpus's pairs are not all held at once."""
    with one_thread() as faiss:
        yield from proposals(faiss, features)


#: threads that answer the index's queries: each query is answered alone, so any count gives the same neighbours
SEARCH_THREADS = os.cpu_count() or 1


@contextmanager
def one_thread():
    """faiss (imported here: the CLI's --help and describing without region keypoints do not need it), on one
    thread while inside.

    One thread while the index is built: it (and so every candidate) is then the same on every run, and
    faiss's threads spin against the describing workers on a busy machine (4x slower measured). Its queries
    are split over SEARCH_THREADS threads (`descriptor_index.search`).
    """
    with _faiss_threads(1) as faiss:
        yield faiss


@contextmanager
def _faiss_threads(threads: int):
    """faiss on `threads` OpenMP threads while inside, its own count restored after."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(threads)
    try:
        yield faiss
    finally:
        faiss.omp_set_num_threads(before)


def proposals(faiss, features: list[RegionFeatures], least: int = MIN_CORRESPONDENCES) -> Iterator[Correspondences]:
    """The correspondences of every ordered pair (direct, and mirrored from either side) that has at least
    `least`, found in one index of the panels' distinctive descriptors (`distinctive_only`'s), one pair at a
    time: a corpus's pairs are not all held at once.

    The distinctive keypoints are gathered once into the index and one array of points; the queries are
    gathered a block of panels at a time. Copies of every panel's distinctive keypoints, and whole arrays
    of queries, held at once, were most of what linking added to memory at 10,000 files."""
    kept = [_distinctive_masks(faiss, f) for f in features]
    counts = np.array([int(k.sum()) for k, _ in kept], np.int64)
    if counts.sum() == 0:  # no panel kept a distinctive keypoint
        return
    owner = np.repeat(np.arange(len(features), dtype=np.int32), counts)
    points, descriptors = _kept_keypoints(features, kept, range(len(features)), False, counts)
    index = descriptor_index.build(faiss, descriptors)
    del descriptors  # the index holds its own copy; the queries are gathered again a block at a time
    for mirrored in (False, True):
        yield from _pairs_from_neighbours(faiss, index, features, kept, owner, points, mirrored, least)


def _distinctive_masks(faiss, f: RegionFeatures) -> tuple[np.ndarray, np.ndarray]:
    """Which of f's keypoints, and of its mirror image's, are distinctive: as described (the mirror side keeps the
    picture's own), or, for features built without them, found now, each side by its own test (nothing then
    says which picture keypoint a mirror keypoint is)."""
    keep = _distinctive(faiss, f.points, f.descriptors) if f.distinctive is None else f.distinctive
    keep_m = (_distinctive(faiss, f.points_mirror, f.descriptors_mirror) if f.distinctive_mirror is None
              else f.distinctive_mirror)
    return keep, keep_m


def _gathered(parts: Iterable[np.ndarray], counts: np.ndarray, shape: tuple, dtype) -> np.ndarray:
    """The parts (counts[i] rows each) end to end in one array, filled part by part: never a list of them all
    and their concatenation at once."""
    out = np.empty((int(counts.sum()),) + shape, dtype)
    at = 0
    for part in parts:
        out[at:at + len(part)] = part
        at += len(part)
    return out


def distinctive_only(faiss, f: RegionFeatures) -> RegionFeatures:
    """f without the keypoints whose descriptor repeats elsewhere in the same picture (as described, or found now)."""
    keep, keep_m = _distinctive_masks(faiss, f)
    return RegionFeatures(f.points[keep], f.descriptors[keep], f.points_mirror[keep_m], f.descriptors_mirror[keep_m],
                          f.scale, f.work_size, f.edges, np.ones(int(keep.sum()), bool), np.ones(int(keep_m.sum()), bool),
                          f.edge_shape)


def _distinctive(faiss, points: np.ndarray, descriptors: np.ndarray) -> np.ndarray:
    """Per keypoint: fewer than REPEAT_COPIES other keypoints of the picture, REPEAT_PX or more away, have a descriptor within REPEAT_HAMMING.

    A window in a row of windows, a leaf of foliage, a brick: a repeated element matches every
    copy of itself, in this picture and in any other that has the pattern, so it is no evidence
    that two pictures share a drawing (the ratio test's reasoning, applied within a picture).
    """
    m = len(descriptors)
    if m < 2:
        return np.ones(m, bool)
    index = faiss.IndexBinaryFlat(256)
    index.add(descriptors)
    k = min(REPEAT_NEIGHBOURS, m)
    distance, neighbour = index.search(descriptors, k)
    far = np.linalg.norm(points[neighbour] - points[:, None, :], axis=2) >= REPEAT_PX
    return ((distance <= REPEAT_HAMMING) & far).sum(axis=1) < REPEAT_COPIES


def _pairs_from_neighbours(faiss, index, features, kept, owner, points, mirrored: bool, least: int) -> Iterator[Correspondences]:
    side = 1 if mirrored else 0
    per_panel = np.array([int(k[side].sum()) for k in kept], np.int64)
    q_owner = np.repeat(np.arange(len(features), dtype=np.int32), per_panel)
    n = len(features)
    # A block of whole panels' queries at a time. All queries at once held NEIGHBOURS results each, and every
    # correspondence of every pair, before the pairs were formed (5.2 GB at 12,000 pictures). A pair's
    # correspondences all come from its src panel's queries, so a block holds its pairs whole; each query is
    # answered on its own, so the blocks give exactly the pairs, in the same order, as one search.
    # a block gives each search thread at least as many queries as the index has lists (a shorter call is padded)
    for lo, hi in _panel_blocks(q_owner, max(QUERY_BLOCK, SEARCH_THREADS * descriptor_index.fewest_queries(index))):
        block = range(int(q_owner[lo]), int(q_owner[hi - 1]) + 1)
        q_points, queries = _kept_keypoints(features, kept, block, mirrored, per_panel)
        query, neighbour, src, dst = _near_other_panels(faiss, index, queries, lo, q_owner, owner, mirrored, n)
        pair = src.astype(np.int64) * n + dst
        order = np.argsort(pair, kind="stable")
        keys, starts, counts = np.unique(pair[order], return_index=True, return_counts=True)
        enough = counts >= least
        for key, start, count in zip(keys[enough].tolist(), starts[enough].tolist(), counts[enough].tolist()):
            rows = order[start:start + count]
            s, d = divmod(key, n)
            yield Correspondences(s, d, mirrored, q_points[query[rows] - lo], points[neighbour[rows]])


def _kept_keypoints(features, kept, block: range, mirrored: bool, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinctive points and descriptors (of the mirror images when mirrored) of the panels in `block`, end
    to end; counts: each panel's distinctive keypoints on that side."""
    side = 1 if mirrored else 0
    pick = (lambda f: (f.points_mirror, f.descriptors_mirror)) if mirrored else (lambda f: (f.points, f.descriptors))
    parts = [(pick(features[i]), kept[i][side]) for i in block]
    return (_gathered((p[m] for (p, _), m in parts), counts[block.start:block.stop], (2,), np.float32),
            _gathered((d[m] for (_, d), m in parts), counts[block.start:block.stop], (32,), np.uint8))


#: queries searched at once, at least (see _pairs_from_neighbours)
QUERY_BLOCK = 1 << 18


def _panel_blocks(owner: np.ndarray, size: int) -> Iterator[tuple[int, int]]:
    """(lo, hi) ranges of `owner` (panel numbers, ascending) of about `size` entries each, cut only where a panel starts."""
    starts = np.flatnonzero(np.diff(owner, prepend=-1))
    lo = 0
    while lo < len(owner):
        k = int(np.searchsorted(starts, lo + size))
        hi = int(starts[k]) if k < len(starts) else len(owner)
        yield lo, hi
        lo = hi


def _near_other_panels(faiss, index, queries, first, q_owner, owner, mirrored: bool, n: int):
    """(query, neighbour, src panel, dst panel) of one block of queries (numbered from `first`): each query's
    nearest descriptor in each other panel among its NEIGHBOURS nearest, within MAX_HAMMING."""
    distance, neighbour = descriptor_index.search(faiss, index, queries, NEIGHBOURS, SEARCH_THREADS)
    query = np.repeat(np.arange(first, first + len(queries), dtype=np.int64), NEIGHBOURS)
    neighbour, distance = neighbour.ravel(), distance.ravel()
    ok = (neighbour >= 0) & (distance <= MAX_HAMMING)
    query, neighbour = query[ok], neighbour[ok]
    src, dst = q_owner[query], owner[neighbour]
    # A direct pair is proposed from its lower panel only; a mirrored one from both sides, since
    # the mirror image of either panel may be the one that matches.
    keep = src != dst if mirrored else src < dst
    query, neighbour, src, dst = query[keep], neighbour[keep], src[keep], dst[keep]
    # One correspondence per (query descriptor, panel): its nearest descriptor there (search order).
    _, first_seen = np.unique(query * n + dst, return_index=True)
    # indices of descriptors and panels fit 32 bits; the pairs of a large corpus are many
    return (query[first_seen].astype(np.int32), neighbour[first_seen].astype(np.int32), src[first_seen],
            dst[first_seen].astype(np.int32))


@dataclass
class RegionMatch:
    """A verified match of one pair: what is shared and where.

    kind: "region" (a figure) or "background". box_src, box_dst: (x, y, w, h) of the agreeing
    region in each panel's own pixels. scale: size in dst / size in src. share_src, share_dst:
    the share of each panel's area the box covers. inliers: RANSAC inliers. agreeing: edge
    length (working pixels) that agrees under the transform.
    """

    src: int
    dst: int
    kind: str
    mirrored: bool
    box_src: np.ndarray
    box_dst: np.ndarray
    scale: float
    share_src: float
    share_dst: float
    inliers: int
    agreeing: float


def verify(c: Correspondences, src: RegionFeatures, dst: RegionFeatures) -> RegionMatch | None:
    """A similarity transform fitted to the correspondences by RANSAC, then the edge test; None if either fails."""
    return verify_steps(c, src, dst).match


#: verify's steps, in order: where a pair's correspondences stop (or the kind of match they make)
VERIFY_STEPS = ("inliers", "transform", "edge agreement") + KINDS


@dataclass
class Verification:
    """How far `verify` got with one ordered pair's correspondences, and its figures on the way.

    step: the first of VERIFY_STEPS the pair failed ("inliers", "transform", "edge agreement"), or
    the kind of its match ("region", "background"). inliers: (k,) bool over the correspondences,
    RANSAC's inliers (all False when it fitted no transform). scale: the transform's (NaN when
    none). agreement: the edge test's figures (None when not reached). match: the verified match.
    """

    step: str
    inliers: np.ndarray
    scale: float = float("nan")
    agreement: "Agreement | None" = None
    match: RegionMatch | None = None


def verify_steps(c: Correspondences, src: RegionFeatures, dst: RegionFeatures) -> Verification:
    """`verify`, step by step: RANSAC's inliers, the transform's scale, the edge test, then the kind."""
    transform, inliers = cv2.estimateAffinePartial2D(
        c.src_points, c.dst_points, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX, maxIters=2000)
    if transform is None:
        return Verification("inliers", np.zeros(len(c.src_points), bool))
    inliers = inliers.ravel().astype(bool)
    scale = float(np.hypot(transform[0, 0], transform[0, 1])) * src.scale / dst.scale
    if inliers.sum() < MIN_INLIERS:
        return Verification("inliers", inliers, scale)
    if not SCALES[0] <= scale <= SCALES[1]:
        return Verification("transform", inliers, scale)
    agreement = _edge_agreement(transform, c.mirrored, src, dst, c.dst_points[inliers])
    if agreement.region is None:
        return Verification("edge agreement", inliers, scale, agreement)
    match = _match(c, src, dst, transform, agreement.region, int(inliers.sum()), agreement.agreeing, scale)
    return Verification(match.kind, inliers, scale, agreement, match)


@dataclass(frozen=True)
class Agreement:
    """The edge test's figures for one transform.

    inside: the share of dst's edges inside the inliers' box that src's edges agree with (a match
    needs MIN_INSIDE_AGREEMENT). agreeing: the agreeing region's edge length in working pixels
    (needs MIN_AGREEING); share: the share of the edges in that region's box that agree (needs
    MIN_REGION_AGREEMENT); both NaN when the test stopped before. moved: the best agreement in that
    box with the transform moved SHIFT_PX edge pixels, over the agreement in place (a texture reaches
    TEXTURE_AGREEMENT, with both panels' edges dense there); NaN when not reached or the edges are
    sparse. region: the region of dst (working pixels, x0, y0, x1, y1) when the test passed, else None.
    """

    inside: float
    agreeing: float = float("nan")
    share: float = float("nan")
    moved: float = float("nan")
    region: np.ndarray | None = None


def _edge_agreement(transform, mirrored, src, dst, dst_inliers) -> Agreement:
    """Where src's edges, moved by the transform, agree with dst's, and how much (see Agreement)."""
    src_edges, dst_edges = src.edge_map(), dst.edge_map()
    f_src = src_edges.shape[1] / src.work_size[0]
    f_dst = dst_edges.shape[1] / dst.work_size[0]
    # The transform maps src working pixels to dst working pixels; restate it between edge maps.
    m = transform.astype(np.float64).copy()
    m[:, :2] *= f_dst / f_src
    m[:, 2] *= f_dst
    edges_src = src_edges[:, ::-1] if mirrored else src_edges
    h, w = dst_edges.shape
    moved = cv2.warpAffine(edges_src.astype(np.uint8), m, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
    near = cv2.dilate(moved, NEAR) > 0
    agree = dst_edges & near
    lo = np.floor(np.percentile(dst_inliers, 2, axis=0) * f_dst).astype(int)
    hi = np.ceil(np.percentile(dst_inliers, 98, axis=0) * f_dst).astype(int) + 1
    inside = (slice(lo[1], hi[1]), slice(lo[0], hi[0]))
    agreeing_inside, edges_inside = agree[inside].sum(), max(dst_edges[inside].sum(), 1)
    inside_share = float(agreeing_inside / edges_inside)
    if agreeing_inside < MIN_INSIDE_AGREEMENT * edges_inside:
        return Agreement(inside_share)
    # The agreeing region: connected agreeing edges (bridging gaps of a few pixels) that reach the box.
    _, label = cv2.connectedComponents(cv2.dilate(agree.astype(np.uint8), NEAR))
    reached = np.unique(label[inside])
    region = np.isin(label, reached[reached > 0]) & agree
    if not region.any():
        return Agreement(inside_share, 0.0)
    ys, xs = np.nonzero(region)
    # The box of the agreeing edges, less the 2% at each side: a background line that happens to
    # continue a figure's outline under the transform adds a thin tail, not area.
    x0, x1 = np.percentile(xs, [2, 98]).round().astype(int) + (0, 1)
    y0, y1 = np.percentile(ys, [2, 98]).round().astype(int) + (0, 1)
    agreeing = float(region.sum() / f_dst)
    in_box = dst_edges[y0:y1, x0:x1].sum()
    share = float(region.sum() / max(in_box, 1))
    if agreeing < MIN_AGREEING or region.sum() < MIN_REGION_AGREEMENT * in_box:
        return Agreement(inside_share, agreeing, share)
    box = (slice(y0, y1), slice(x0, x1))
    moved_share = float("nan")
    # only dense edges can be a texture
    if min(float(near[box].mean()), _density(dst_edges, box)) >= TEXTURE_DENSITY:
        moved_share = _moved_agreement(moved, dst_edges, box) / max(agree[box].sum(), 1)
        if moved_share >= TEXTURE_AGREEMENT:
            return Agreement(inside_share, agreeing, share, moved_share)
    return Agreement(inside_share, agreeing, share, moved_share, np.array([x0, y0, x1, y1], np.float64) / f_dst)


def _density(edges: np.ndarray, box: tuple[slice, slice]) -> float:
    """The share of `box` within one pixel of an edge."""
    near = cv2.dilate(edges.astype(np.uint8), NEAR)[box]
    return float((near > 0).mean()) if near.size else 0.0


def _moved_agreement(moved: np.ndarray, dst_edges: np.ndarray, box: tuple[slice, slice]) -> int:
    """The most of dst's edges in `box` that the moved src edges agree with when moved SHIFT_PX further,
    over the eight directions."""
    h, w = dst_edges.shape
    best = 0
    for dx, dy in ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)):
        shift = np.float64([[1, 0, dx * SHIFT_PX], [0, 1, dy * SHIFT_PX]])
        again = cv2.warpAffine(moved, shift, (w, h), flags=cv2.INTER_NEAREST, borderValue=0)
        best = max(best, int((dst_edges[box] & (cv2.dilate(again, NEAR)[box] > 0)).sum()))
    return best


def _match(c, src, dst, transform, region, inliers, agreeing, scale) -> RegionMatch:
    x0, y0, x1, y1 = region  # dst working pixels
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float64)
    back = cv2.invertAffineTransform(transform)
    src_corners = corners @ back[:, :2].T + back[:, 2]
    if c.mirrored:
        src_corners[:, 0] = src.work_size[0] - src_corners[:, 0]
    box_dst = _panel_box(corners, dst)
    box_src = _panel_box(src_corners, src)
    share_dst = _share(box_dst, dst)
    share_src = _share(box_src, src)
    in_place = not c.mirrored and abs(scale - 1) <= SAME_SIZE and _same_place(box_src, src, box_dst, dst)
    kind = "background" if in_place or shared_background((box_src, share_src, src), (box_dst, share_dst, dst)) else "region"
    return RegionMatch(c.src, c.dst, kind, c.mirrored, box_src, box_dst, scale, share_src, share_dst, inliers, agreeing)


def shared_background(*ends: tuple[np.ndarray, float, RegionFeatures]) -> bool:
    """Whether a match whose (box, share, features) in each panel are `ends` is a shared background: over
    BACKGROUND_SHARE of both panels, or of one that shows more besides (`edge_share` under ALONE)."""
    wide = [(box, f) for box, share, f in ends if share > BACKGROUND_SHARE]
    return len(wide) == len(ends) or any(edge_share(box, f) < ALONE for box, f in wide)


def edge_share(box: np.ndarray, f: RegionFeatures, margin: float = ALONE_MARGIN) -> float:
    """The share of f's edge pixels inside a box (x, y, w, h, its panel's own pixels) grown by `margin` of the
    panel's width and height on each side (1.0 for a panel without edges)."""
    edges = f.edge_map()
    w, h = f.panel_size
    grown = np.array(box, np.float64) + np.array([-margin * w, -margin * h, 2 * margin * w, 2 * margin * h])
    total = edges.sum()
    return float(edges[box_cells(f, grown, edges.shape)].sum() / total) if total else 1.0


def box_cells(f: RegionFeatures, box: np.ndarray, shape: tuple[int, int]) -> tuple[slice, slice]:
    """The cells of an edge map of `shape` under a box (x, y, w, h) in f's own panel pixels."""
    w, h = f.panel_size
    x0, x1 = np.clip([box[0] / w, (box[0] + box[2]) / w], 0, 1) * shape[1]
    y0, y1 = np.clip([box[1] / h, (box[1] + box[3]) / h], 0, 1) * shape[0]
    return slice(int(y0), int(np.ceil(y1))), slice(int(x0), int(np.ceil(x1)))


def _same_place(box_a: np.ndarray, a: RegionFeatures, box_b: np.ndarray, b: RegionFeatures) -> bool:
    """The two boxes' corners at the same place relative to their panels' sizes."""
    return bool(np.all(np.abs(box_a[:2] / a.panel_size - box_b[:2] / b.panel_size) <= SAME_PLACE))


def _panel_box(corners: np.ndarray, f: RegionFeatures) -> np.ndarray:
    """Working-pixel corners -> (x, y, w, h) in the panel's own pixels, clipped to the panel."""
    size = f.panel_size
    lo = np.clip(corners.min(axis=0) / f.scale, 0, size)
    hi = np.clip(corners.max(axis=0) / f.scale, 0, size)
    return np.round(np.concatenate([lo, hi - lo])).astype(np.int32)


def _share(box: np.ndarray, f: RegionFeatures) -> float:
    w, h = f.panel_size
    return float(box[2] * box[3] / (w * h))


@dataclass
class RegionLinks:
    """One row per linked pair (a < b): what the two panels share and where.

    kind: index into KINDS. box_a, box_b: (n, 4) int32 x, y, w, h in each panel's pixels.
    scale: size in b / size in a. mirrored: b shows a's region mirrored. share_a, share_b:
    the share of each panel the box covers. inliers, agreeing: the evidence (see RegionMatch).
    """

    a: np.ndarray
    b: np.ndarray
    kind: np.ndarray
    box_a: np.ndarray
    box_b: np.ndarray
    scale: np.ndarray
    mirrored: np.ndarray
    share_a: np.ndarray
    share_b: np.ndarray
    inliers: np.ndarray
    agreeing: np.ndarray

    def __len__(self) -> int:
        return len(self.a)


def find_region_links(features: list[RegionFeatures]) -> RegionLinks:
    """Every pair of panels that share a figure or a background, one verified match per pair (the best evidenced)."""
    best: dict[tuple[int, int], RegionMatch] = {}
    for c in each_candidate(features):
        match = verify(c, features[c.src], features[c.dst])
        if match is None:
            continue
        key = (min(c.src, c.dst), max(c.src, c.dst))
        best[key] = stronger(best.get(key), match)
    return _as_links([best[k] for k in sorted(best)])


def stronger(kept: RegionMatch | None, match: RegionMatch) -> RegionMatch:
    """Of two verified matches of one pair (kept may be None), the one a link keeps: more agreeing edges, then more inliers."""
    if kept is None or (match.agreeing, match.inliers) > (kept.agreeing, kept.inliers):
        return match
    return kept


def _as_links(matches: list[RegionMatch]) -> RegionLinks:
    flip = np.array([m.src > m.dst for m in matches], bool)  # stated from the lower panel's side
    pick = lambda own, other: np.array([getattr(m, other if f else own) for m, f in zip(matches, flip)])  # noqa: E731
    n = len(matches)
    return RegionLinks(
        a=pick("src", "dst").astype(np.int32).reshape(n),
        b=pick("dst", "src").astype(np.int32).reshape(n),
        kind=np.array([KINDS.index(m.kind) for m in matches], np.int8).reshape(n),
        box_a=pick("box_src", "box_dst").astype(np.int32).reshape(n, 4),
        box_b=pick("box_dst", "box_src").astype(np.int32).reshape(n, 4),
        scale=np.array([1 / m.scale if f else m.scale for m, f in zip(matches, flip)], np.float32).reshape(n),
        mirrored=np.array([m.mirrored for m in matches], bool).reshape(n),
        share_a=pick("share_src", "share_dst").astype(np.float32).reshape(n),
        share_b=pick("share_dst", "share_src").astype(np.float32).reshape(n),
        inliers=np.array([m.inliers for m in matches], np.int32).reshape(n),
        agreeing=np.array([m.agreeing for m in matches], np.float32).reshape(n),
    )

