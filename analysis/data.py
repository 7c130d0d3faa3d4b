"""The three data shapes that carry the whole pipeline: panels, links, clusterings.

Each is a small dataclass of numpy arrays with one row per panel (or per link),
so every stage takes and returns plain arrays and can be tested with arrays made
in the test.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np


@dataclass
class Ragged:
    """Rows of different lengths, as one array: row i is ``values[offsets[i]:offsets[i + 1]]``.

    For signatures with many values per panel (local descriptors). Indexing with
    an int gives that row; with a slice, an index array or a bool mask, the
    chosen rows as a new Ragged, so `Panels.take` and the feature store treat it
    as they treat a plain array with one row per panel.
    """

    values: np.ndarray
    offsets: np.ndarray  # int64, one more than there are rows, offsets[0] == 0

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def row(self, i: int) -> np.ndarray:
        return self.values[self.offsets[i]:self.offsets[i + 1]]

    def __getitem__(self, rows):
        if isinstance(rows, (int, np.integer)):
            return self.row(int(rows) % len(self) if rows < 0 else int(rows))
        if isinstance(rows, slice) and rows.step in (None, 1):
            # A run of rows is a view, as a numpy slice is: the feature store hands out every file's rows
            # this way, and copies of them all were a second copy of every keypoint held at once.
            lo, hi, _ = rows.indices(len(self))
            hi = max(lo, hi)
            return Ragged(self.values[self.offsets[lo]:self.offsets[hi]], self.offsets[lo:hi + 1] - self.offsets[lo])
        chosen = np.arange(len(self))[rows]
        starts = self.offsets[chosen]
        lengths = self.offsets[chosen + 1] - starts
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        # every chosen value's place in `values`, without a loop over rows
        at = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return Ragged(self.values[at], offsets)

    @staticmethod
    def from_rows(rows: list[np.ndarray], like: np.ndarray | None = None) -> "Ragged":
        """Rows (arrays of any length, the same dtype and trailing shape) as one Ragged; `like` gives both when there are none."""
        lengths = np.array([len(r) for r in rows], np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        if rows:
            values = np.concatenate(rows)
        else:
            like = np.empty(0, np.uint8) if like is None else like
            values = np.empty((0,) + like.shape[1:], like.dtype)
        return Ragged(values, offsets)

    @staticmethod
    def concat(parts: list["Ragged"]) -> "Ragged":
        """The rows of every part, in order."""
        if not parts:
            return Ragged.from_rows([])
        starts = np.cumsum([0] + [len(p.values) for p in parts[:-1]])
        offsets = np.concatenate([[0]] + [p.offsets[1:] + s for p, s in zip(parts, starts)]).astype(np.int64)
        return Ragged(np.concatenate([p.values for p in parts]), offsets)


def stack_rows(rows: list[np.ndarray], ragged: bool) -> "np.ndarray | Ragged":
    """Rows of one signature, one per panel: an array, or a Ragged for a signature whose rows vary in length."""
    if ragged:
        return Ragged.from_rows(rows)
    if len(rows) == 1:  # a still: np.stack's overhead, 18 signatures a panel, was 3% of describing one
        return np.ascontiguousarray(rows[0])[None]
    return np.stack(rows)


def concat_rows(parts: list) -> "np.ndarray | Ragged":
    """Blocks of rows of one signature (arrays, or Ragged for variable-length ones), in order."""
    if parts and isinstance(parts[0], Ragged):
        return Ragged.concat(parts)
    return np.concatenate(parts)


@dataclass
class Panels:
    """One row per panel.

    ids: unique panel id, the file's path relative to the folder plus ``#n`` for
    frame n > 0 of an animated image. ``source`` numbers the file a panel came
    from, so frames of one file can be kept apart. ``page`` and ``position`` are
    -1 where the file name does not carry them. ``signatures`` maps a signature
    name to an array with one row per panel (packed bits as uint64 words,
    counts as integers). ``last_frame``: the last frame of the file the panel
    stands for; frames ``frame .. last_frame`` repeat its picture (a blink, a
    moving mouth) and were not described again (None: each panel stands for
    its own frame only).
    """

    ids: np.ndarray  # str (object)
    paths: np.ndarray  # str (object), relative to the folder
    source: np.ndarray  # int32
    frame: np.ndarray  # int32
    page: np.ndarray  # int32
    position: np.ndarray  # int32
    width: np.ndarray  # int32
    height: np.ndarray  # int32
    sha256: np.ndarray  # str (object), of the file's bytes
    signatures: dict[str, np.ndarray] = field(default_factory=dict)
    last_frame: np.ndarray | None = None  # int32

    def __post_init__(self) -> None:
        if self.last_frame is None:
            self.last_frame = np.asarray(self.frame, np.int32).copy()

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, rows: np.ndarray) -> "Panels":
        """The panels at `rows`, in that order."""
        rows = np.asarray(rows)
        return Panels(
            ids=self.ids[rows],
            paths=self.paths[rows],
            source=self.source[rows],
            frame=self.frame[rows],
            page=self.page[rows],
            position=self.position[rows],
            width=self.width[rows],
            height=self.height[rows],
            sha256=self.sha256[rows],
            signatures={k: v[rows] for k, v in self.signatures.items()},
            last_frame=self.last_frame[rows],
        )

    @staticmethod
    def empty() -> "Panels":
        s = np.empty(0, dtype=object)
        i = np.empty(0, dtype=np.int32)
        return Panels(s, s.copy(), i, i.copy(), i.copy(), i.copy(), i.copy(), i.copy(), s.copy())


@dataclass(frozen=True)
class Column:
    """How a field of `Links` stands in the link table (links.csv, links.json, Neo4j, GraphML: loader/link_table.py).

    name: the column's name, or for a per-metric field (metric name -> array) the prefix of its
    columns, one per metric (``dist_edges``). kind: "panel" (a row, written as the panel's id),
    "number" (a distance or a threshold), "weight", "flag", or "rules" (the bitmask, written as
    the names of the rules that matched, joined by '+'). at: the column's place in the table.
    """

    name: str
    kind: str
    at: int
    per_metric: bool = False
    choices: tuple[str, ...] = ()  # kind "choice": the names its values (small ints) index


def column(name: str, kind: str, at: int, per_metric: bool = False, choices: tuple[str, ...] = ()) -> dict:
    """The metadata of a `Links` field that is a column of the link table (dataclasses.field(metadata=...))."""
    return {"column": Column(name, kind, at, per_metric, choices)}


#: What a link says the two panels share: the whole drawing, the drawing partly redrawn (the `redrawn`
#: rule), a figure found in both (a region), or only a background (a shared room). `Links.kind` indexes it.
LINK_KINDS = ("drawing", "redrawn", "region", "background")
#: the kinds that are reuse: clusters and `eval` count these; a shared background never is
REUSE_KINDS = ("drawing", "redrawn", "region")


#: the kinds that make reuse clusters: the whole drawing reused. A region link is reuse too, but of one figure
#: among others: region links make a clustering of figures of their own (analysis/figures.py), since a figure
#: recurring in many scenes would glue those scenes into one reuse cluster through their other content.
WHOLE_KINDS = ("drawing", "redrawn")


def is_reuse(kind: np.ndarray) -> np.ndarray:
    """Which link kinds (indices into LINK_KINDS) are reuse (REUSE_KINDS)."""
    return np.isin(np.asarray(kind), [LINK_KINDS.index(k) for k in REUSE_KINDS])


def is_whole(kind: np.ndarray) -> np.ndarray:
    """Which link kinds (indices into LINK_KINDS) are whole-drawing reuse (WHOLE_KINDS): those that make clusters."""
    return np.isin(np.asarray(kind), [LINK_KINDS.index(k) for k in WHOLE_KINDS])


#: the keys of a link's box in each panel (`Links.box_a`, `box_b`): x, y, width, height in that panel's pixels
BOX = ("x", "y", "w", "h")


@dataclass
class Links:
    """One row per linked pair of panels (a < b, row indices into `Panels`).

    distances: metric name -> float32 distance per link (NaN where a metric was
    not computed). thresholds: metric name -> the threshold that applied to the
    pair. rules: bitmask of the preset's rules that matched (bit k = rule k).
    rule_names, rule_metrics: the preset's rules (bit k) and the metric each one decides with.
    mirrored: the link matched only through the mirrored signatures.
    weight: similarity in [0, 1], 1 = identical, 0 = at the threshold; comparable
    across metrics because each is measured against its own threshold.
    kind: what is shared, an index into LINK_KINDS (0, "drawing", when not given).
    For a region or background link (partial reuse, analysis/regions.py): box_a, box_b, the
    matched box in each panel (BOX -> float32, the panel's own pixels), scale (size in b over
    size in a) and share_a, share_b (the share of each panel the box covers); NaN for
    whole-drawing links.

    Each per-link field says how it is written (its `column`): a field added
    here with a column is written, loaded into Neo4j and read back everywhere.
    """

    a: np.ndarray = field(metadata=column("a", "panel", 0))  # int32
    b: np.ndarray = field(metadata=column("b", "panel", 1))  # int32
    distances: dict[str, np.ndarray] = field(metadata=column("dist_", "number", 2, per_metric=True))
    thresholds: dict[str, np.ndarray] = field(metadata=column("threshold_", "number", 6, per_metric=True))
    rules: np.ndarray = field(metadata=column("rule", "rules", 3))  # uint32 bitmask
    mirrored: np.ndarray = field(metadata=column("mirrored", "flag", 4))  # bool
    weight: np.ndarray = field(metadata=column("weight", "weight", 5))  # float32
    rule_names: tuple[str, ...] = ()
    rule_metrics: tuple[str, ...] = ()  # the metric of each rule, as rule_names
    kind: np.ndarray | None = field(default=None, metadata=column("kind", "choice", 7, choices=LINK_KINDS))  # int8
    box_a: dict[str, np.ndarray] | None = field(default=None, metadata=column("box_a_", "number", 8, per_metric=True))
    box_b: dict[str, np.ndarray] | None = field(default=None, metadata=column("box_b_", "number", 9, per_metric=True))
    scale: np.ndarray | None = field(default=None, metadata=column("scale", "number", 10))  # float32
    share_a: np.ndarray | None = field(default=None, metadata=column("share_a", "number", 11))  # float32
    share_b: np.ndarray | None = field(default=None, metadata=column("share_b", "number", 12))  # float32

    def __post_init__(self) -> None:
        # Links made without what is shared are whole-drawing links: no box, no scale.
        n = len(self.a)
        unknown = lambda: np.full(n, np.nan, np.float32)  # noqa: E731
        if self.kind is None:
            self.kind = np.zeros(n, np.int8)
        for name in ("box_a", "box_b"):
            if not getattr(self, name):
                setattr(self, name, {k: unknown() for k in BOX})
        for name in ("scale", "share_a", "share_b"):
            if getattr(self, name) is None:
                setattr(self, name, unknown())

    def __len__(self) -> int:
        return len(self.a)

    def reuse(self) -> np.ndarray:
        """(n,) bool: the links that are reuse (REUSE_KINDS), not a shared background only."""
        return is_reuse(self.kind)

    def whole(self) -> np.ndarray:
        """(n,) bool: the whole-drawing links (WHOLE_KINDS), the ones reuse clusters are made of."""
        return is_whole(self.kind)

    def regions(self) -> "Links":
        """The region links (a figure in both panels), every field kept: what figures are made of."""
        return self.take(self.kind == LINK_KINDS.index("region"))

    def kind_counts(self) -> dict[str, int]:
        """How many links of each kind of LINK_KINDS, in that order."""
        counts = np.bincount(np.asarray(self.kind, np.int64), minlength=len(LINK_KINDS))
        return {k: int(c) for k, c in zip(LINK_KINDS, counts)}

    def take(self, rows: np.ndarray) -> "Links":
        """The links at `rows` (indices or a bool mask), every field kept; a link's fields never depend on the others."""
        def pick(value):
            return {m: v[rows] for m, v in value.items()} if isinstance(value, dict) else value[rows]

        return replace(self, **{f.name: pick(getattr(self, f.name)) for f in fields(self) if "column" in f.metadata})

    def flipped(self, flip: np.ndarray) -> "Links":
        """The links with a and b exchanged where `flip` ((n,) bool): each panel's box and share go with it and
        the scale (size in b over size in a) inverts; every other field holds for either order."""
        flip = np.asarray(flip, bool)
        swap = lambda x, y: (np.where(flip, y, x), np.where(flip, x, y))  # noqa: E731
        a, b = swap(self.a, self.b)
        share_a, share_b = swap(self.share_a, self.share_b)
        boxes = {k: swap(self.box_a[k], self.box_b[k]) for k in BOX}
        with np.errstate(divide="ignore"):
            scale = np.where(flip, 1 / self.scale, self.scale).astype(np.float32)
        return replace(self, a=a, b=b, share_a=share_a, share_b=share_b, scale=scale,
                       box_a={k: v[0] for k, v in boxes.items()}, box_b={k: v[1] for k, v in boxes.items()})

    def rule_labels(self) -> list[str]:
        """Per link, the names of the rules that matched, joined by '+'."""
        labels = []
        for mask in self.rules.tolist():
            labels.append("+".join(n for k, n in enumerate(self.rule_names) if mask >> k & 1))
        return labels


@dataclass
class Clustering:
    """A cluster id per panel (-1 = in no cluster; singletons are not clusters).

    Cluster ids count from 0, largest cluster first.
    """

    run_id: str
    algorithm: str
    params: dict
    membership: np.ndarray  # int32, one per panel
    modularity: float = float("nan")

    @property
    def n_clusters(self) -> int:
        return int(self.membership.max()) + 1 if len(self.membership) and self.membership.max() >= 0 else 0

    def sizes(self) -> np.ndarray:
        """Size of each cluster, indexed by cluster id."""
        m = self.membership[self.membership >= 0]
        return np.bincount(m, minlength=self.n_clusters)
