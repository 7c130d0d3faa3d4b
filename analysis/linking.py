"""From signature arrays to links: run every rule of a preset, merge, measure, weigh."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

import numpy as np

from visualdistance.analysis.data import LINK_KINDS, Links, Panels
from visualdistance.analysis.kernels import unique_sorted
from visualdistance.analysis.rules import Gate, Metric, Rule, Sigs
from visualdistance.analysis.search import CandidateSearch
from visualdistance.analysis.signatures.base import Signature

if TYPE_CHECKING:  # the region search imports OpenCV's matching and faiss only where a preset has one
    from visualdistance.analysis.region_search import RegionSearch


@dataclass(frozen=True)
class Preset:
    """A named linking method: which signatures to compute and which rules link panels.

    A pair links when any rule matches. report: extra metrics whose distances are recorded on each link
    without deciding anything (when their signatures were computed). gates: quality gates; a panel failing any is
    never linked (near-blank panels carry no drawing to compare).
    mirrored_checks: rules a link that matched only in the mirror image must
    also pass (a mirrored match is weaker evidence: symmetric drawings and
    look-alike poses match each other's mirror images); their distances are
    recorded on every link. index: how candidate pairs are found (a
    `search.CandidateSearch`, such as the faiss `NeighbourIndex`); None: every pair is measured.
    regions: a `region_search.RegionSearch` that adds region and background links (partial
    reuse: a figure in both panels, or only their room) to the rules' links, its signatures
    joining `signatures`; None: whole drawings only.
    """

    name: str
    description: str
    signatures: tuple[Signature, ...]
    rules: tuple[Rule, ...]
    report: tuple[Metric, ...] = ()
    gates: tuple[Gate, ...] = ()
    mirrored_checks: tuple[Rule, ...] = ()
    index: CandidateSearch | None = None
    regions: "RegionSearch | None" = None

    def __post_init__(self) -> None:
        # the region search's keypoints are the preset's to describe: adding a region search is one change
        if self.regions is not None:
            own = tuple(s for s in self.regions.signatures() if s not in self.signatures)
            object.__setattr__(self, "signatures", self.signatures + own)
        # one name, one metric: distances are recorded per metric name
        by_name: dict[str, Metric] = {}
        for m in self._every_metric():
            if by_name.setdefault(m.name, m) != m:
                raise ValueError(f"preset {self.name}: two different metrics are both called {m.name!r}")

    def _every_metric(self) -> list[Metric]:
        """The metrics of the rules, the rules they require, the report and the checks, as written (repeats kept)."""
        return [m for r in self.rules + self.mirrored_checks for m in r.metrics] + list(self.report)

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """Every metric the preset measures, once each."""
        return tuple({m.name: m for m in self._every_metric()}.values())


def find_links(sigs: Sigs, source: np.ndarray, preset: Preset) -> Links:
    """All links of a preset between panels.

    sigs: signature arrays with one row per panel; source: (n,) file number per
    panel (frames of one file never link). Returns `Links` with a < b row
    indices, sorted; every link carries the distance of every metric of the
    preset (in the orientation that matched), the threshold of every rule,
    which rules matched, whether it matched only mirrored, a weight and its kind.
    The preset's index, if it has one, picks the pairs the rules measure. With a
    region search (`Preset.regions`), pairs it links that no rule does are added
    as region or background links (no rule, no distance; their boxes, scale and shares),
    and a rule's link between panels that show different figures in one room becomes a
    background link (`shared_rooms`).
    """
    n = len(source)
    source = np.asarray(source)
    run = _Gated.of(sigs, source, preset)
    whole = _whole_drawing_links(run)
    if preset.regions is None:
        return whole
    from visualdistance.analysis.region_search import as_links, region_only
    from visualdistance.analysis.shared_rooms import shared_rooms

    found = preset.regions.find(sigs, source, run.active)
    rooms = shared_rooms(whole, found, lambda rows: preset.regions.features(sigs, rows), source)
    whole = replace(whole, kind=np.where(rooms, np.int8(LINK_KINDS.index("background")), whole.kind))
    return merge_links([whole, as_links(region_only(found, whole, n), whole)])


def _whole_drawing_links(run: "_Gated") -> Links:
    """The links of the preset's rules (see find_links) between the panels that pass its gates."""
    index = run.preset.index
    if index is None or not index.used_for(len(run.idx)):
        pairs = run.linked()
    else:
        ra, rb = index.candidates(run.sub, run.source[run.idx], run.linked_rows)
        pairs = unique_sorted(run.idx[ra].astype(np.int64) * run.n + run.idx[rb])
    links, keep = run.measure(pairs)
    return links if keep.all() else links.take(keep)


def links_among(sigs: Sigs, source: np.ndarray, preset: Preset, pairs=None) -> tuple[Links, np.ndarray]:
    """What `find_links` does without an index, among candidate `pairs` (a, b) (rows, a < b) or every pair:
    the pairs some rule links, measured (a `Links`), and which of them are links ((m,) bool: the rest failed a
    mirrored check, or matched no rule as measured). Linking in blocks (analysis/blocks.py) runs this per block."""
    run = _Gated.of(sigs, source, preset)
    if pairs is not None:
        a, b = (np.asarray(x, np.int64) for x in pairs)
        both = run.active[a] & run.active[b]
        pairs = np.searchsorted(run.idx, a[both]), np.searchsorted(run.idx, b[both])
    return run.measure(run.linked(pairs))


@dataclass
class _Gated:
    """One linking pass: the panels that pass the preset's gates (active, (n,) bool; their rows idx), the arrays the
    rules read for them (sub), each rule's thresholds, and the distances measured on the way (reused by `measure`)."""

    sigs: Sigs
    source: np.ndarray
    preset: Preset
    n: int
    active: np.ndarray
    idx: np.ndarray
    sub: Sigs
    thresholds: dict[str, np.ndarray]
    measured: dict[str, "Measured"]

    @classmethod
    def of(cls, sigs: Sigs, source: np.ndarray, preset: Preset) -> "_Gated":
        n = len(source)
        active = gated(sigs, n, preset)
        idx = np.flatnonzero(active)
        # only what the rules read, and no copy when every panel passes: at 100,000 panels every
        # signature of every preset is about a gigabyte
        sub = {k: sigs[k] if len(idx) == n else sigs[k][idx] for k in _read_by(preset, regions=False) if k in sigs}
        thresholds = {r.name: r.threshold.per_panel(sigs) for r in preset.rules}
        return cls(sigs, np.asarray(source), preset, n, active, idx, sub, thresholds, {})

    def linked(self, pairs=None) -> np.ndarray:
        """Pair keys a * n + b (panel rows) that some rule links, among `pairs` (rows of sub) or all pairs."""
        keys = [_rule_keys(rule, self.sub, self.thresholds[rule.name][self.idx], self.source[self.idx], self.idx,
                           self.n, self.measured, pairs) for rule in self.preset.rules]
        return unique_sorted(np.concatenate(keys)) if keys else np.empty(0, np.int64)

    def linked_rows(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`linked` for an index: of candidate pairs (rows of sub), the rows of sub of those that link."""
        keys = self.linked((a, b))
        return np.searchsorted(self.idx, keys // self.n), np.searchsorted(self.idx, keys % self.n)

    def measure(self, pairs: np.ndarray) -> tuple[Links, np.ndarray]:
        """The linked pairs (keys a * n + b) measured, and which of them are links."""
        n = max(self.n, 1)
        a, b = (pairs // n).astype(np.int32), (pairs % n).astype(np.int32)
        links = measure_links(self.sigs, a, b, self.preset, self.thresholds, self.measured)
        # The search only proposes pairs; the measure decides. A pair no rule matched as measured is never
        # a link, whatever a kernel or an index thought of it (an empty rule with distances over their
        # thresholds is the sign of a search that disagrees with its metric's distances).
        return links, _pass_mirrored_checks(self.sigs, links, self.preset) & (links.rules != 0)


def _read_by(preset: Preset, regions: bool = True) -> set[str]:
    """The signature arrays a preset's rules (with the rules they require), their gates, its index and (unless
    not `regions`) its region search read."""
    names = {name for r in preset.rules for m in r.metrics for name in m.needs()}
    names |= {g.signature for r in preset.rules for g in r.gates}
    for search in (preset.index, preset.regions if regions else None):
        if search is not None:
            names |= set(search.needs())
    return names


def _rule_keys(rule: Rule, sub: Sigs, t: np.ndarray, source, idx, n, measured, pairs) -> np.ndarray:
    """Pair keys a * n + b (panel rows) that `rule` links among the gated panels `sub` (rows idx of the table).

    pairs: candidate pairs (rows of sub) to test, or None for all. Distances
    taken on the way are added to `measured`.
    """
    a, b, direct, mirrored = rule.metric.search(sub, t, source, pairs)
    key = idx[a].astype(np.int64) * n + idx[b]
    _remember(measured, rule.metric.name, key, direct, mirrored)
    if not (rule.requires or rule.gates):
        return key

    def measure(metric, live):
        found = distances_on_rows(metric, sub, a[live], b[live])
        _remember(measured, metric.name, key[live], *found)
        return found

    d_ok, m_ok = _required(rule, sub, a, b, direct, mirrored, np.maximum(t[a], t[b]), measure)
    return key[d_ok | m_ok]


def pairwise(preset: Preset) -> bool:
    """True when whether two panels link depends on those two alone, so links found once stay valid as panels
    come and go: every metric of the preset declares itself `pairwise` (the write-up's mixed metric scales by
    corpus means, so adding panels can change any of its links; a region search's evidence for a pair depends on
    every panel's keypoints)."""
    return all(m.pairwise for m in preset.metrics) and (preset.regions is None or preset.regions.pairwise)


def why_not_pairwise(preset: Preset) -> str:
    """Why new panels can change the preset's earlier links ("" when they cannot: `pairwise`), for people."""
    if not all(m.pairwise for m in preset.metrics):
        return f"{preset.name} scales by corpus means, so new panels can change any link"
    if not pairwise(preset):
        return f"the region links of {preset.name} rest on every panel's keypoints, so new panels can change any of them"
    return ""


def find_new_links(sigs: Sigs, source: np.ndarray, preset: Preset, fresh: np.ndarray, find=None) -> Links:
    """The links of `find_links` that involve at least one `fresh` panel ((n,) bool): new panels against all.

    The kernels already skip pairs of one source (frames of one file), so the
    panels that are not fresh share one source: their pairs cost a comparison
    of two integers each, never a distance. For a `pairwise` preset these plus
    the earlier links between the other panels are exactly what find_links gives
    (with an index: unless an earlier panel's links among its neighbours are
    what made find_links ask for more of them). find: what links them, find_links
    or the same in blocks on a cluster (loader/dask_link).
    """
    source = np.asarray(source, np.int64).copy()
    source[~np.asarray(fresh, bool)] = -1  # file numbers are >= 0
    return (find or find_links)(sigs, source, preset)


def carry_over(links: Links, new_row: np.ndarray, n: int) -> tuple[Links, np.ndarray]:
    """Earlier links renumbered for a new table of n panels, and which of its panels are fresh ((n,) bool).

    new_row: each earlier panel's row in the new table, -1 when it is gone or
    changed; links of such panels are dropped, the rest keep every field.
    """
    new_row = np.asarray(new_row, np.int64)
    keep = (new_row[links.a] >= 0) & (new_row[links.b] >= 0) if len(links) else np.zeros(0, bool)
    fresh = np.ones(n, bool)
    fresh[new_row[new_row >= 0]] = False
    kept = links.take(keep)
    kept.a, kept.b = new_row[kept.a].astype(np.int32), new_row[kept.b].astype(np.int32)
    return kept, fresh


def same_panel(panels: Panels, row: int) -> tuple:
    """What makes a panel the same panel in two runs: its id, its file's content and the frames it stands for."""
    return panels.ids[row], panels.sha256[row], int(panels.frame[row]), int(panels.last_frame[row])


@dataclass(frozen=True)
class Relinked:
    """The links of an incremental run, and how they came: new panels linked, earlier ones gone, links kept."""

    links: Links
    new_panels: int
    gone_panels: int
    kept_links: int


def relink(panels: Panels, preset: Preset, earlier: Panels, earlier_links: Links, find=None) -> Relinked:
    """The links of `panels` given an earlier run's panels and links with the same `pairwise` preset: the
    earlier links between panels still there unchanged (`same_panel`), plus the new panels linked against all
    (by `find`, as find_new_links). The same links, field for field, as `find_links` on every panel."""
    now = {same_panel(panels, i): i for i in range(len(panels))}
    new_row = np.array([now.get(same_panel(earlier, i), -1) for i in range(len(earlier))], np.int64)
    kept, fresh = carry_over(earlier_links, new_row, len(panels))
    links = merge_links([kept, find_new_links(panels.signatures, panels.source, preset, fresh, find)]) if fresh.any() else kept
    return Relinked(links, int(fresh.sum()), int((new_row < 0).sum()), len(kept))


def merge_links(parts: list[Links]) -> Links:
    """Links of disjoint pair sets as one table (every column; the first part's metrics), sorted by (a, b) as
    find_links sorts them."""
    parts = [p for p in parts if len(p)] or parts[:1]

    def cat(name: str):
        values = [getattr(p, name) for p in parts]
        if isinstance(values[0], dict):
            return {m: np.concatenate([v[m] for v in values]) for m in values[0]}
        return np.concatenate(values)

    merged = replace(parts[0], **{f.name: cat(f.name) for f in fields(Links) if "column" in f.metadata})
    return merged.take(np.lexsort((merged.b, merged.a)))


def _required(rule: Rule, sigs: Sigs, a, b, direct, mirrored, thr, measure) -> tuple[np.ndarray, np.ndarray]:
    """(direct ok, mirrored ok): under the rule's threshold and every required rule's, in that orientation.

    measure(metric, live) gives a required metric's (direct, mirrored) distances for the pairs at `live`;
    only pairs still in play are measured.
    """
    d_ok, m_ok = direct < thr, mirrored < thr
    if rule.gates:
        both = _passes(rule.gates, sigs, len(next(iter(sigs.values()))))
        both = both[a] & both[b]
        d_ok &= both
        m_ok &= both
    for req in rule.requires:
        live = np.flatnonzero(d_ok | m_ok)
        if len(live) == 0:
            break
        t = req.threshold.per_panel(sigs)
        rthr = np.maximum(t[a[live]], t[b[live]])
        rd, rm = measure(req.metric, live)
        d_ok[live] &= rd < rthr
        m_ok[live] &= rm < rthr
    return d_ok, m_ok


def distances_on_rows(metric: Metric, sigs: Sigs, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """metric.distances for pairs (a, b), given only the rows they involve.

    Some metrics prepare every row they are given (the chamfer dilates each
    edge map); a few candidate pairs should not cost a pass over the corpus.
    """
    rows = unique_sorted(np.concatenate([a, b]))
    if len(rows) == len(next(iter(sigs.values()))):
        return metric.distances(sigs, a, b)
    sub = {name: sigs[name][rows] for name in metric.needs()}
    return metric.distances(sub, np.searchsorted(rows, a), np.searchsorted(rows, b))


def _pass_mirrored_checks(sigs: Sigs, links: Links, preset: Preset) -> np.ndarray:
    """Which links stay: direct ones, and mirrored ones under every mirrored check's threshold."""
    keep = np.ones(len(links.a), bool)
    for rule in preset.mirrored_checks:
        t = rule.threshold.per_panel(sigs)
        keep &= ~links.mirrored | (links.distances[rule.metric.name] < np.maximum(t[links.a], t[links.b]))
    return keep


def _remember(measured: dict[str, "Measured"], name: str, key: np.ndarray, direct: np.ndarray, mirrored: np.ndarray) -> None:
    """Add distances of metric `name` for pair keys a * n + b to what was measured before."""
    if name in measured:
        old = measured[name]
        key, direct, mirrored = (np.concatenate(x) for x in ((old.keys, key), (old.direct, direct), (old.mirrored, mirrored)))
    key, first = np.unique(key, return_index=True)
    measured[name] = Measured(key, direct[first], mirrored[first])


@dataclass(frozen=True)
class Measured:
    """Distances of one metric measured while searching: pair keys a * n + b (sorted), direct, mirrored."""

    keys: np.ndarray
    direct: np.ndarray
    mirrored: np.ndarray

    def lookup(self, metric, sigs: Sigs, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(direct, mirrored) for pairs (a, b): stored ones reused, the others measured by `metric`."""
        n = len(next(iter(sigs.values())))
        key = a.astype(np.int64) * n + b
        pos = np.minimum(np.searchsorted(self.keys, key), max(len(self.keys) - 1, 0))
        found = self.keys[pos] == key if len(self.keys) else np.zeros(len(key), bool)
        direct = np.empty(len(key), np.float64)
        mirrored = np.empty(len(key), np.float64)
        direct[found], mirrored[found] = self.direct[pos[found]], self.mirrored[pos[found]]
        if not found.all():
            direct[~found], mirrored[~found] = distances_on_rows(metric, sigs, a[~found], b[~found])
        return direct, mirrored


def measure_links(
    sigs: Sigs,
    a: np.ndarray,
    b: np.ndarray,
    preset: Preset,
    thresholds: dict | None = None,
    measured: dict[str, Measured] | None = None,
) -> Links:
    """Distances, matched rules, mirrored flag and weight for given pairs under a preset.

    measured: per metric name, distances the search already took (reused, not measured again).
    """
    if thresholds is None:
        thresholds = {r.name: r.threshold.per_panel(sigs) for r in preset.rules}
    names = tuple(r.name for r in preset.rules)
    m = len(a)
    rules_mask = np.zeros(m, np.uint32)
    kind = np.zeros(m, np.int8)
    any_direct = np.zeros(m, bool)
    per_rule = []
    # every metric is measured once over all the pairs, however many rules and checks read it
    known: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def measure(metric, live=slice(None)):
        if metric.name not in known:
            stored = (measured or {}).get(metric.name)
            known[metric.name] = stored.lookup(metric, sigs, a, b) if stored else distances_on_rows(metric, sigs, a, b)
        direct, mirrored = known[metric.name]
        return direct[live], mirrored[live]

    for k, rule in enumerate(preset.rules):
        direct, mirrored = measure(rule.metric)
        thr = np.maximum(thresholds[rule.name][a], thresholds[rule.name][b])
        d_ok, m_ok = _required(rule, sigs, a, b, direct, mirrored, thr, measure)
        # a link's kind is its first matching rule's: what the strongest evidence says is shared
        kind = np.where((rules_mask == 0) & (d_ok | m_ok), np.int8(LINK_KINDS.index(rule.kind)), kind)
        rules_mask |= ((d_ok | m_ok).astype(np.uint32) << k)
        any_direct |= d_ok
        per_rule.append((rule, direct, mirrored, thr, d_ok | m_ok))
    # A link is mirrored when no rule matched it directly; its distances are
    # then all reported in the mirrored orientation, so they describe one match.
    is_mirrored = ~any_direct & (rules_mask > 0)
    distances, thr_out = {}, {}
    weight = np.zeros(m, np.float32)
    for rule, direct, mirrored, thr, ok in per_rule:
        d = np.where(is_mirrored, mirrored, direct)
        distances[rule.metric.name] = d.astype(np.float32)
        thr_out[rule.metric.name] = thr.astype(np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.clip(1.0 - d / np.where(thr > 0, thr, np.inf), 0.0, 1.0)
        weight = np.maximum(weight, np.where(ok, sim, 0.0).astype(np.float32))
    # context distances are skipped when not described; required rules' and the mirrored checks' are part of the method
    context = [m for m in preset.report if all(name in sigs for name in m.needs())]
    required = [m for r in preset.rules for m in r.metrics[1:]] + [r.metric for r in preset.mirrored_checks]
    for metric in {m.name: m for m in context + required if m.name not in distances}.values():
        direct, mirrored = measure(metric)
        distances[metric.name] = np.where(is_mirrored & np.isfinite(mirrored), mirrored, direct).astype(np.float32)
    return Links(a.astype(np.int32), b.astype(np.int32), distances, thr_out, rules_mask, is_mirrored, weight, names,
                 tuple(r.metric.name for r in preset.rules), kind=kind.astype(np.int8))


def gated(sigs: Sigs, n: int, preset: Preset) -> np.ndarray:
    """(n,) bool: the panels that pass the preset's gates, the only ones its rules and its region search link."""
    return _passes(preset.gates, sigs, n)


def _passes(gates: tuple[Gate, ...], sigs: Sigs, n: int) -> np.ndarray:
    """(n,) bool: the panels that pass every gate."""
    ok = np.ones(n, bool)
    for gate in gates:
        ok &= gate.passes(sigs)
    return ok
