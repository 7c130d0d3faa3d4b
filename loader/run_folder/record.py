"""The run record (run.json), typed: what a run read, how it linked and clustered, what it wrote.

One `RunInfo` per run folder. Each stage returns it updated (`dataclasses.replace`);
`RunFolder` (loader/run_folder/folder.py) is its one reader and one writer. Later stages (the report, the
Neo4j load) read these fields and never look a preset up by name again: a preset
changed after the run cannot describe the run wrongly.

Schema 2 adds `schema`, the method's description, each rule's gates and the
signatures the method can draw. A schema-1 file (no `schema` key) still reads; what
it lacks is left empty. Schema 3: every link has a kind (and region links their
boxes) in links.csv/json, and the method says how it finds region links
(`MethodInfo.regions`); the links of an older run folder are not read
(`LINKS_SCHEMA`): a run into it links everything again, other commands ask for
`link` again. Schema 4: reuse clusters are made of whole-drawing links only, and a method with region
links has the communities stage write figures.csv (the figures they make, analysis/figures.py); the
clusters of an older run folder with region links held them, and are not read (`CLUSTERS_SCHEMA`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from visualdistance.analysis.data import Clustering
from visualdistance.analysis.linking import Preset
from visualdistance.analysis.presets import PRESETS
from visualdistance.analysis.report import BitImage, drawable_images
from visualdistance.analysis.rules import Rule

SCHEMA = 4
#: the first schema whose links.csv/json have the columns links have now (kind, boxes, scale, shares)
LINKS_SCHEMA = 3
#: the first schema whose clusters leave region links out (they make figures.csv): a method with region links
#: needs its communities again from an older run folder
CLUSTERS_SCHEMA = 4


@dataclass(frozen=True)
class RuleInfo:
    """One rule as the run applied it: its metric, threshold, the rules it requires and its own gates."""

    metric: str
    threshold: str
    requires: tuple[str, ...] = ()
    gates: tuple[str, ...] = ()

    @classmethod
    def of(cls, rule: Rule) -> "RuleInfo":
        return cls(rule.metric.name, rule.threshold.describe(), tuple(r.describe() for r in rule.requires),
                   tuple(g.describe() for g in rule.gates))


EVERY_PAIR = "every pair"


@dataclass(frozen=True)
class MethodInfo:
    """The linking method a run used, as it was then."""

    preset: str
    description: str = ""
    rules: dict[str, RuleInfo] = field(default_factory=dict)
    gates: tuple[str, ...] = ()
    mirrored_checks: dict[str, RuleInfo] = field(default_factory=dict)
    drawable: tuple[BitImage, ...] = ()  # what the report can draw for a link (BitImage.used False: context)
    search: str = EVERY_PAIR  # how candidate pairs were found: the preset's index, or every pair
    regions: str = ""  # how region links were found (region_search.RegionSearch.describe); "": none

    @classmethod
    def of(cls, preset: Preset) -> "MethodInfo":
        return cls(
            preset=preset.name,
            description=preset.description,
            rules={r.name: RuleInfo.of(r) for r in preset.rules},
            gates=tuple(g.describe() for g in preset.gates),
            mirrored_checks={r.name: RuleInfo.of(r) for r in preset.mirrored_checks},
            drawable=_drawable(preset),
            search=preset.index.describe() if preset.index else EVERY_PAIR,
            regions=preset.regions.describe() if preset.regions else "",
        )


def _drawable(preset: Preset) -> tuple[BitImage, ...]:
    """The preset's image-shaped metrics; for one with none (a hash-only preset), the first one another
    preset draws, as context: a person judging a hash match still wants to see the drawings' lines."""
    own = drawable_images(preset.metrics)
    if own:
        decides = {m.name for r in preset.rules + preset.mirrored_checks for m in r.metrics}
        return tuple(replace(b, used=b.metric in decides) for b in own)  # report-only metrics: context
    others = drawable_images([m for p in PRESETS.values() for m in p.metrics])
    return tuple(replace(b, used=False) for b in others[:1])


@dataclass(frozen=True)
class ClusteringInfo:
    run_id: str
    algorithm: str
    params: dict[str, Any] = field(default_factory=dict)
    modularity: float | None = None

    @classmethod
    def of(cls, clustering: Clustering) -> "ClusteringInfo":
        params = {k: v for k, v in clustering.params.items() if k != "algorithm"}
        q = clustering.modularity
        return cls(clustering.run_id, clustering.algorithm, params, None if q != q else float(q))


@dataclass(frozen=True)
class RunInfo:
    """run.json. files: sha256 of each output file the run wrote, by name (see RunFolder.check);
    counts, seconds, linking (how the links were found), describe_breakdown: figures for people."""

    input: str | None = None
    corpus: str | None = None
    version: str = ""
    started: str | None = None
    updated: str | None = None
    files: dict[str, str] | None = None  # None: a folder from before files were recorded
    method: MethodInfo | None = None
    clustering: ClusteringInfo | None = None
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    linking: dict[str, Any] = field(default_factory=dict)
    describe_breakdown: dict[str, float] = field(default_factory=dict)
    schema: int = SCHEMA

    def to_json(self) -> dict:
        """A plain dict for json.dumps, in the layout of schema 1 plus what schema 2 adds."""
        out = asdict(self)
        if self.clustering is not None:
            c = out.pop("clustering")
            out["clustering"] = {"run_id": c["run_id"], "algorithm": c["algorithm"], **c["params"],
                                 "modularity": c["modularity"]}
        return out

    @classmethod
    def from_json(cls, doc: dict) -> "RunInfo":
        """From a parsed run.json of schema 1 to SCHEMA; ValueError when it is not one."""
        if not isinstance(doc, dict):
            raise ValueError("it holds no JSON object")
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in doc.items() if k in known}
        values["schema"] = int(doc.get("schema", 1))
        if values["schema"] > SCHEMA:
            raise ValueError(f"it is of schema {values['schema']}, newer than this visualdistance reads ({SCHEMA})")
        if doc.get("method") is not None:
            values["method"] = _method(doc["method"])
        if doc.get("clustering") is not None:
            c = dict(doc["clustering"])
            values["clustering"] = ClusteringInfo(
                str(c.pop("run_id")), str(c.pop("algorithm")), modularity=c.pop("modularity", None),
                params={k: v for k, v in c.items()},
            )
        return cls(**values)


def _method(doc: dict) -> MethodInfo:
    def rules(d: dict | None) -> dict[str, RuleInfo]:
        return {name: RuleInfo(r["metric"], str(r["threshold"]), tuple(r.get("requires", ())), tuple(r.get("gates", ())))
                for name, r in (d or {}).items()}

    return MethodInfo(
        preset=str(doc.get("preset", "")),
        description=str(doc.get("description", "")),
        rules=rules(doc.get("rules")),
        gates=tuple(doc.get("gates", ())),
        mirrored_checks=rules(doc.get("mirrored_checks")),
        drawable=tuple(BitImage(d["metric"], d["signature"], tuple(d["shape"]), bool(d.get("used", True)))
                       for d in doc.get("drawable", ())),
        search=str(doc.get("search", EVERY_PAIR)),
        regions=str(doc.get("regions", "")),
    )
