"""Named linking methods.

`drawing` (the default) compares the drawings themselves, with frames and
flat backgrounds stripped (see analysis.content). `combined` is the core
pipeline's classic rule (whole-panel edge maps OR DCT hash, mirrored matching
on, near-blank panels gated out). The original write-up's methods are kept as
`original-*` presets so its results can be reproduced and compared.
"""

from __future__ import annotations

from dataclasses import replace

from visualdistance.analysis.linking import Preset
from visualdistance.analysis.region_search import RegionSearch
from visualdistance.analysis.search import NeighbourIndex
from visualdistance.analysis.rules import (
    AlignmentContrast, ColourShift, EdgeChamfer, Fixed, Gate, Hamming, Mixed, Rule, Scaled, ThinColourShift,
)
from visualdistance.analysis.signatures import (
    AverageHash,
    BinaryImage,
    DrawingColours,
    DctHash,
    DrawingEdges,
    DrawingStats,
    DifferenceHash,
    EdgeCount,
    EdgeHash,
    EdgeMap,
    LayoutHash,
)

EDGE_SHAPE = (100, 100)

#: every classic signature of the core pipeline
CLASSIC_SIGNATURES = (
    BinaryImage(),
    EdgeMap(),
    EdgeCount(),
    AverageHash(),
    DctHash(),
    DifferenceHash(),
    EdgeHash(),
)


def _edges_rule(alpha: float = 0.95, cap: float = 1100, mirror: bool = False) -> Rule:
    return Rule("edges", Hamming("edges", "edges", mirror, EDGE_SHAPE), Scaled(alpha, cap))


def _hash_metric(name: str, mirror: bool = True) -> Hamming:
    return Hamming(name, name, mirror)


ORIGINAL_BINARY = Preset(
    name="original-binary",
    description="The write-up's first try: Hamming distance of 100x100 black-and-white images (fixed threshold, 10% of pixels).",
    signatures=(BinaryImage(), EdgeCount()),
    rules=(Rule("binary", Hamming("binary", "binary", False, EDGE_SHAPE), Fixed(1000)),),
)

ORIGINAL_EDGES = Preset(
    name="original-edges",
    description="The write-up's resize-then-Canny edge maps, per-panel threshold min(0.95 x edge pixels, 1100).",
    signatures=(EdgeMap(), EdgeCount()),
    rules=(_edges_rule(0.95, 1100),),
)

ORIGINAL_EDGES_350 = replace(
    ORIGINAL_EDGES,
    name="original-edges-350",
    description="As original-edges with the threshold capped at 350 (the write-up's stricter setting).",
    rules=(_edges_rule(0.95, 350),),
)

ORIGINAL_AHASH = Preset(
    name="original-ahash",
    description="The write-up's 8x8 average hash, Hamming distance under 16 of 64 bits.",
    signatures=(AverageHash(), EdgeCount()),
    rules=(Rule("ahash", _hash_metric("ahash", mirror=False), Fixed(16)),),
)

ORIGINAL_PHASH = Preset(
    name="original-phash",
    description="The write-up's 64-bit DCT perceptual hash, Hamming distance under 12 of 64 bits.",
    signatures=(DctHash(), EdgeCount()),
    rules=(Rule("phash", _hash_metric("phash", mirror=False), Fixed(12)),),
)

ORIGINAL_MIXED = Preset(
    name="original-mixed",
    description="The write-up's mixed metric: average hash and edge distances, each over its corpus mean, averaged; threshold 16.",
    signatures=(EdgeMap(), EdgeCount(), AverageHash()),
    rules=(Rule("mixed", Mixed("mixed", "ahash", "edges", False, EDGE_SHAPE), Fixed(16)),),
)

COMBINED = Preset(
    name="combined",
    description=(
        "Edge maps (per-panel scaled threshold) OR DCT hash (fixed threshold), each also against the "
        "mirrored panel; panels with under 40 edge pixels never link."
    ),
    signatures=CLASSIC_SIGNATURES,
    rules=(
        _edges_rule(0.95, 1100, mirror=True),
        Rule("phash", _hash_metric("phash"), Fixed(8)),
    ),
    report=(_hash_metric("ahash"), _hash_metric("dhash"), _hash_metric("edge_ahash")),
    gates=(Gate("edge_pixels", 0, 40, "edge pixels"),),
)

DRAWING_SIZE = 128
#: the drawing's edge pixels, area, background colours and size, read by name in the gates below
DRAWING_STATS = DrawingStats(size=DRAWING_SIZE)


def _stats_gate(value: str, minimum: float, what: str) -> Gate:
    return Gate(DRAWING_STATS.name, DRAWING_STATS.column(value), minimum, what)


#: the drawing metric: aligned truncated chamfer distance of the drawings' thin edges
DRAWING_CHAMFER = EdgeChamfer("drawing", "drawing_edges", 1, 3, True, (DRAWING_SIZE, DRAWING_SIZE), slack=1)
#: a drawing this close is the same drawing, moved, recoloured, on another background or flipped
SAME_DRAWING = 0.05
#: ... when the match holds only in place: its distance at most this share of the best one with
#: the drawings moved 3 or 8 px apart. Textures, photo grids and rows of look-alike frames match
#: anything about as well wherever they sit (a share near 1); a drawing's lines only where they are.
DRAWING_CONTRAST = AlignmentContrast("specific", DRAWING_CHAMFER, matches_under=SAME_DRAWING)
SPECIFIC = 0.5
#: a drawing partly redrawn (an outfit, a prop, lettering) is the same drawing when the
#: panel's composition agrees too: at most this many of the layout hash's 256 bits differ ...
SAME_LAYOUT = 80
#: ... and the drawing's edges still mostly agree
REDRAWN_DRAWING = 0.2
#: ... and both drawings have at least this many of their own pixels across (half the canvas).
#: A smaller drawing, an icon, is enlarged over 2x for comparison: a part redrawn in it is a few
#: pixels, and an icon set's shared template (one figure in many roles, one flag outline)
#: agrees with every icon built on it as well as a reused drawing does.
REDRAWN_MIN_SIZE = DRAWING_SIZE // 2
#: a match found only in the mirror image must move less than this share of the drawing's colours
SAME_COLOURS = 0.2
DRAWING_COLOURS = ColourShift("colours", "drawing_colours")
#: so must a drawing under 24 canvas pixels across its shorter side (a banner, a row of walk-cycle
#: frames): on the canvas its lines are too coarse to tell one character's frames from another's
THIN_COLOURS = ThinColourShift("thin_colours", DRAWING_COLOURS, "drawing_edges", (DRAWING_SIZE, DRAWING_SIZE), 24)

DRAWING = Preset(
    name="drawing",
    description=(
        "The drawing itself: frame and flat or two-tone background stripped, thin colour edges on a "
        "128 px canvas centred on the drawing; after aligning the two (up to 1 px), linked when an edge "
        "pixel lies on average under 0.1 px beyond 1 px from the other drawing's edges (1 px is free, "
        "the cost is capped at 2 px more; threshold 0.05 of that cap) and the match holds only in place (under "
        "half the distance the drawings get moved 3 or 8 px apart: textures, photo grids and rows of look-alike "
        "frames match anywhere), or, for a drawing partly redrawn "
        "in place (an outfit recoloured, a logo or object added, lettering replaced), when the panel's "
        "layout hash is within 80 of 256 bits and the edge distance under 0.2 (drawings at least 64 px "
        "across in the file, not icons); mirror images included, "
        "flagged, and only when the drawing keeps its colours (under 20% of its colour histogram "
        "moved), as must a drawing under 24 px across on the canvas (a banner, a walk-cycle sheet); "
        "near-blank panels never link."
    ),
    signatures=(
        DrawingEdges(size=DRAWING_SIZE),
        DRAWING_STATS,
        DrawingColours(size=DRAWING_SIZE),
        LayoutHash(),
    ),
    rules=(
        Rule(
            "drawing",
            DRAWING_CHAMFER,
            Fixed(SAME_DRAWING),
            requires=(
                Rule("specific", DRAWING_CONTRAST, Fixed(SPECIFIC)),
                Rule("thin keeps colours", THIN_COLOURS, Fixed(SAME_COLOURS)),
            ),
        ),
        # Two views that must agree: the whole panel's composition and the drawing's lines.
        # Either alone links panels that only share a room, or icons of one shape.
        Rule(
            "redrawn",
            Hamming("layout", "layout", False),
            Fixed(SAME_LAYOUT),
            requires=(
                Rule("drawing", DRAWING_CHAMFER, Fixed(REDRAWN_DRAWING)),
                Rule("thin keeps colours", THIN_COLOURS, Fixed(SAME_COLOURS)),
            ),
            gates=(_stats_gate("size", REDRAWN_MIN_SIZE, "drawing size (file pixels)"),),
            kind="redrawn",
        ),
    ),
    report=(Hamming("edges", "edges", True, EDGE_SHAPE), _hash_metric("phash")),
    gates=(
        _stats_gate("edge_pixels", 30, "drawing edge pixels"),
        _stats_gate("area", 40, "drawing area (1/10,000 of the panel)"),
    ),
    # A mirrored match is weaker evidence (symmetric drawings, look-alike poses);
    # a drawing flipped by the artist keeps its palette.
    mirrored_checks=(Rule("same colours", DRAWING_COLOURS, Fixed(SAME_COLOURS)),),
    # Every link of this preset has its drawings' edges within 0.2 of each other, so the
    # two drawings' coarse edge densities are among each other's nearest few.
    index=NeighbourIndex("drawing_edges", (DRAWING_SIZE, DRAWING_SIZE)),
)

DRAWING_ANY_MIRROR = replace(
    DRAWING,
    name="drawing-any-mirror",
    description="As drawing, but a match found only in the mirror image links whatever its colours (flipped and recoloured copies too).",
    mirrored_checks=(),
)

#: partial reuse (issue 21): the drawing rules, plus a figure found inside two panels (a region link)
#: or a room they share (a background link, never reuse). Not the default yet: on real art
#: (wild, homestuck) its region links are not yet precise enough (bench/RESULTS.md). The default adopts
#: them with one line, `regions=RegionSearch()` in DRAWING.
DRAWING_REGIONS = replace(
    DRAWING,
    name="drawing-regions",
    description=DRAWING.description + (
        " Besides: a figure found in both panels at another place, size or mirrored (ORB keypoints, a faiss binary "
        "index, a RANSAC similarity transform, the edges agreeing under it) links as a region, with its box in each "
        "panel; agreement over half of both panels, over half of one that shows more besides, or in place is a shared "
        "background, kept as a link that is never reuse."
    ),
    regions=RegionSearch(),  # its keypoints join the preset's signatures (Preset.regions)
)

PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        DRAWING,
        DRAWING_REGIONS,
        DRAWING_ANY_MIRROR,
        COMBINED,
        ORIGINAL_EDGES,
        ORIGINAL_EDGES_350,
        ORIGINAL_AHASH,
        ORIGINAL_PHASH,
        ORIGINAL_MIXED,
        ORIGINAL_BINARY,
    )
}

DEFAULT_PRESET = "drawing"


def _every_signature() -> dict:
    """Every signature of every preset by name; ValueError when two presets define one name differently."""
    by_name = {}
    for p in PRESETS.values():
        for s in p.signatures:
            if by_name.setdefault(s.name, s) != s:
                raise ValueError(f"two presets define signature {s.name!r} differently")
    return by_name


def all_signatures() -> tuple:
    """Every signature any preset reads, once each, except the expensive ones (`Signature.expensive`): extraction
    computes them all, so switching presets (or scoring them all) never decodes the images again, and a run
    whose preset reads no expensive signature pays for none."""
    # sorted, so the feature store's fingerprint doesn't change when presets are reordered
    return tuple(sorted((s for s in _every_signature().values() if not s.expensive), key=lambda s: s.name))


def expensive_signatures(*presets: Preset) -> tuple:
    """The expensive signatures the presets read, once each, sorted by name: described besides `all_signatures`
    (a feature-store set of their own) only for a run or an evaluation of these presets."""
    _every_signature()  # one definition per name, as all_signatures checks
    return tuple(sorted({s.name: s for p in presets for s in p.signatures if s.expensive}.values(), key=lambda s: s.name))


def every_pair(preset: Preset) -> Preset:
    """The same method measuring every pair of panels instead of its index's candidates."""
    return replace(preset, index=None)


def indexed(preset: Preset) -> Preset:
    """The same method asking its index for candidates however few drawings there are (to compare the two)."""
    return replace(preset, index=replace(preset.index, from_drawings=0)) if preset.index else preset


def get_preset(name: str) -> Preset:
    """The preset called `name`; a ValueError listing the choices otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}") from None
