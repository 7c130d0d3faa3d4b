"""The link table: one codec for links.csv, links.json, Neo4j rows and GraphML, and reading links back."""

import csv
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import pytest

from visualdistance.analysis.data import LINK_KINDS, Clustering, Links, column
from visualdistance.analysis.figures import figures_of_links
from visualdistance.loader.run_folder import DamagedRunFile
from visualdistance.loader import graph, link_table
from visualdistance.loader.run_folder.links import read_links, write_links
from visualdistance.loader.graphml import write_graphml

IDS = np.array(["p0.png", "p1.png", "p2.png", "p3.png"], dtype=object)


def links(cls=Links, **extra) -> Links:
    return cls(
        a=np.array([0, 1, 2], np.int32), b=np.array([1, 3, 3], np.int32),
        distances={"edges": np.array([12, 0.123456, np.nan], np.float32), "phash": np.array([3, 4, 5], np.float32)},
        thresholds={"edges": np.array([50, 50, 50], np.float32)},
        rules=np.array([1, 3, 2], np.uint32), mirrored=np.array([False, True, False]),
        weight=np.array([1.0, 0.5, 0.25], np.float32), rule_names=("edges", "phash"), rule_metrics=("edges", "phash"),
        **extra,
    )


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_one_table_with_one_number_rule():
    table = link_table.link_table(links(), IDS)
    boxes = [f"box_{p}_{k}" for p in "ab" for k in "xywh"]
    assert list(table) == ["a", "b", "dist_edges", "dist_phash", "rule", "mirrored", "weight", "threshold_edges",
                           "kind", *boxes, "scale", "share_a", "share_b"]
    # links made without saying what is shared are whole-drawing links, with no box
    assert table["kind"] == ["drawing"] * 3 and all(table[c] == [None] * 3 for c in boxes + ["scale", "share_a"])
    assert table["dist_edges"] == [12, 0.1235, None]  # whole numbers as int, 4 decimals, not measured: None
    assert table["weight"] == [1.0, 0.5, 0.25] and all(isinstance(w, float) for w in table["weight"])
    assert table["rule"] == ["edges", "edges+phash", "phash"]
    assert link_table.field_column("distances", "edges") == "dist_edges"
    assert link_table.field_column("thresholds", "edges") == "threshold_edges"


def test_csv_json_and_neo4j_rows_carry_the_same_cells(tmp_path):
    given = links()
    write_links(tmp_path, given, IDS)
    table = link_table.link_table(given, IDS)
    rows = read_csv(tmp_path / "links.csv")
    doc = json.loads((tmp_path / "links.json").read_text())
    neo = graph.link_rows(given, IDS)["columns"]
    assert list(rows[0]) == list(table) == list(doc["links"][0])
    for k in range(len(given)):
        for c in table:
            want = table[c][k]
            assert doc["links"][k][c] == want
            assert rows[k][c] == ("" if want is None else str(int(want) if isinstance(want, bool) else want))
            if c not in ("a", "b"):
                assert neo[c][k] == want


def test_links_read_back_as_written(tmp_path):
    given = links()
    write_links(tmp_path, given, IDS)
    back = read_links(tmp_path, {p: i for i, p in enumerate(IDS)})
    assert back.a.tolist() == given.a.tolist() and back.b.tolist() == given.b.tolist()
    assert back.rules.tolist() == given.rules.tolist() and back.mirrored.tolist() == given.mirrored.tolist()
    assert set(back.distances) == set(given.distances) and set(back.thresholds) == set(given.thresholds)
    np.testing.assert_allclose(back.distances["edges"], [12, 0.1235, np.nan], rtol=1e-6)
    assert (back.rule_names, back.rule_metrics) == (given.rule_names, given.rule_metrics)


def test_links_read_back_are_written_again_byte_for_byte(tmp_path):
    # distances that round to a whole number: written as one (1, not 1.0), so a reader of links.csv, and
    # Neo4j loaded from memory or from the files, all get the same value
    given = links()
    given.distances["edges"][:] = [0.99997, 0.00002, 2.5]
    write_links(tmp_path, given, IDS)
    assert [r["dist_edges"] for r in read_csv(tmp_path / "links.csv")] == ["1", "0", "2.5"]
    first = (tmp_path / "links.csv").read_bytes(), (tmp_path / "links.json").read_bytes()
    back = read_links(tmp_path, {p: i for i, p in enumerate(IDS)})
    write_links(tmp_path, back, IDS)
    assert ((tmp_path / "links.csv").read_bytes(), (tmp_path / "links.json").read_bytes()) == first
    assert graph.link_rows(back, IDS)["columns"] == graph.link_rows(given, IDS)["columns"]


@dataclass
class ScoredLinks(Links):
    """Links with one more column, declared the one way a column is declared."""

    score: np.ndarray = field(default=None, metadata=column("score", "number", 13))


def test_adding_a_column_to_links_is_one_change(tmp_path):
    given = links(ScoredLinks, score=np.array([1, 2.5, np.nan], np.float32))
    # every writer carries it
    write_links(tmp_path, given, IDS)
    assert [r["score"] for r in read_csv(tmp_path / "links.csv")] == ["1", "2.5", ""]
    assert [r["score"] for r in json.loads((tmp_path / "links.json").read_text())["links"]] == [1, 2.5, None]
    assert graph.link_rows(given, IDS)["columns"]["score"] == [1, 2.5, None]
    write_graphml(tmp_path / "g.graphml", _panels(), given, Clustering("r", "leiden", {}, np.full(4, -1, np.int32)))
    keys = {k.get("attr.name") for k in ET.parse(tmp_path / "g.graphml").getroot() if k.tag.endswith("key")}
    assert "score" in keys
    # it is read back, and kept by take()
    rows = read_csv(tmp_path / "links.csv")
    back = link_table.read_link_table({c: [r[c] for r in rows] for c in rows[0]}, {p: i for i, p in enumerate(IDS)},
                                      given.rule_names, given.rule_metrics, cls=ScoredLinks)
    np.testing.assert_array_equal(back.score, [1, 2.5, np.nan])
    assert back.take(np.array([1])).score.tolist() == [2.5]


def region_links() -> Links:
    """A whole-drawing link, a redrawn one, a region link (mirrored, scaled) and a background one."""
    box = lambda rows: {k: np.array(v, np.float32) for k, v in zip("xywh", zip(*rows))}  # noqa: E731
    nan = [np.nan] * 4
    return Links(
        a=np.array([0, 0, 1, 2], np.int32), b=np.array([1, 2, 3, 3], np.int32),
        distances={"drawing": np.array([0.01, 0.15, np.nan, np.nan], np.float32)},
        thresholds={"drawing": np.array([0.05, 0.05, np.nan, np.nan], np.float32)},
        rules=np.array([1, 2, 0, 0], np.uint32), mirrored=np.array([False, False, True, False]),
        weight=np.array([0.8, 0.3, 0.4, 0.6], np.float32), rule_names=("drawing", "redrawn"),
        rule_metrics=("drawing", "layout"), kind=np.array([0, 1, 2, 3], np.int8),
        box_a=box([nan, nan, [40, 100, 260, 258], [0, 0, 650, 450]]),
        box_b=box([nan, nan, [420, 30, 180, 179], [2, 0, 648, 450]]),
        scale=np.array([np.nan, np.nan, 0.6923, 1.0], np.float32),
        share_a=np.array([np.nan, np.nan, 0.2293, 1.0], np.float32),
        share_b=np.array([np.nan, np.nan, 0.1101, 0.997], np.float32),
    )


def test_kinds_and_boxes_go_through_every_writer_and_read_back(tmp_path):
    given = region_links()
    write_links(tmp_path, given, IDS)
    rows = read_csv(tmp_path / "links.csv")
    assert [r["kind"] for r in rows] == ["drawing", "redrawn", "region", "background"]
    assert [(r["box_a_x"], r["box_a_y"], r["box_a_w"], r["box_a_h"]) for r in rows][2] == ("40", "100", "260", "258")
    assert [r["box_b_w"] for r in rows] == ["", "", "180", "648"] and rows[2]["scale"] == "0.6923"
    assert rows[2]["rule"] == "" and rows[2]["dist_drawing"] == "" and rows[2]["mirrored"] == "1"
    assert [r["kind"] for r in json.loads((tmp_path / "links.json").read_text())["links"]] == list(LINK_KINDS)
    back = read_links(tmp_path, {p: i for i, p in enumerate(IDS)})
    assert back.kind.tolist() == [0, 1, 2, 3] and back.reuse().tolist() == [True, True, True, False]
    for name in ("box_a", "box_b"):
        for k in "xywh":
            np.testing.assert_array_equal(getattr(back, name)[k], getattr(given, name)[k])
    np.testing.assert_allclose(back.scale, given.scale, rtol=1e-4)
    np.testing.assert_allclose(back.share_b, given.share_b, rtol=1e-4)
    first = (tmp_path / "links.csv").read_bytes()
    write_links(tmp_path, back, IDS)
    assert (tmp_path / "links.csv").read_bytes() == first
    neo = graph.link_rows(given, IDS)["columns"]
    assert neo["kind"] == list(LINK_KINDS) and neo["box_a_w"] == [None, None, 260, 650]
    write_graphml(tmp_path / "g.graphml", _panels(), given, Clustering("r", "leiden", {}, np.full(4, -1, np.int32)))
    root = ET.parse(tmp_path / "g.graphml").getroot()
    keys = {k.get("id"): k.get("attr.name") for k in root if k.tag.endswith("key")}
    edges = [{keys[d.get("key")]: d.text for d in e} for e in root.iter() if e.tag.endswith("edge")]
    assert [e["kind"] for e in edges] == list(LINK_KINDS)
    assert "box_a_x" not in edges[0] and float(edges[2]["box_b_h"]) == 179
    nodes = [{keys[d.get("key")]: d.text for d in e} for e in root.iter() if e.tag.endswith("node")]
    assert all("figures" not in n for n in nodes)  # no figures without a method that finds them


def test_graphml_nodes_say_which_figures_they_show(tmp_path):
    given = region_links()
    figures = figures_of_links(given)
    assert figures.n_figures >= 1
    write_graphml(tmp_path / "g.graphml", _panels(), given, Clustering("r", "leiden", {}, np.full(4, -1, np.int32)),
                  figures=figures)
    root = ET.parse(tmp_path / "g.graphml").getroot()
    keys = {k.get("id"): k.get("attr.name") for k in root if k.tag.endswith("key")}
    shown = {}
    for node in (e for e in root.iter() if e.tag.endswith("node")):
        values = {keys[d.get("key")]: d.text for d in node}
        shown[values["label"]] = values.get("figures") or ""
    want = {IDS[row]: ";".join(str(f) for f in figures.of_panel(row).tolist()) for row in range(len(IDS))}
    assert shown == {label: want[label] for label in shown} and any(shown.values())


def test_a_kind_the_table_does_not_know_is_refused(tmp_path):
    write_links(tmp_path, region_links(), IDS)
    text = (tmp_path / "links.csv").read_text().replace(",region,", ",figure,")
    (tmp_path / "links.csv").write_text(text)
    with pytest.raises(DamagedRunFile, match="figure"):
        read_links(tmp_path, {p: i for i, p in enumerate(IDS)})


def test_the_column_prefixes_are_spelled_in_one_place():
    root = Path(link_table.__file__).resolve().parent.parent
    for folder in ("loader", "cli", "analysis"):
        for path in (root / folder).rglob("*.py"):
            if path.name == "data.py" and folder == "analysis":
                continue  # where the columns are declared
            text = path.read_text(encoding="utf-8")
            assert '"dist_' not in text and 'f"dist_' not in text and '"threshold_' not in text, path


def _panels():
    from visualdistance.analysis.data import Panels

    ints = np.zeros(len(IDS), np.int32)
    return Panels(IDS, IDS.copy(), np.arange(len(IDS), dtype=np.int32), ints, ints - 1, ints - 1, ints, ints, IDS.copy())
