"""The run record: one typed reader and writer; older records still read; newer ones are refused."""

import json

import numpy as np
import pytest

from visualdistance.analysis.communities import leiden
from visualdistance.analysis.presets import DRAWING, get_preset
from visualdistance.loader.run_folder import DamagedRunFile, RunFolder
from visualdistance.loader.run_folder.record import SCHEMA, ClusteringInfo, MethodInfo, RunInfo


def test_a_record_written_is_the_record_read(tmp_path):
    clustering = leiden(4, np.array([0, 2]), np.array([1, 3]))
    info = RunInfo(input="/comics/a", corpus="a", files={"panels.csv": "0" * 64}, method=MethodInfo.of(DRAWING),
                   clustering=ClusteringInfo.of(clustering), counts={"panels": 4}, seconds={"link": 0.5})
    RunFolder(tmp_path).write_info(info)
    assert RunFolder(tmp_path).read_info() == info
    doc = json.loads((tmp_path / "run.json").read_text())
    assert doc["schema"] == SCHEMA
    # the clustering keeps its flat layout: id, algorithm, its parameters, modularity
    assert doc["clustering"]["run_id"] == clustering.run_id and doc["clustering"]["seed"] == 42
    # the partly-redrawn rule's size gate is on the record, with the method's own words
    assert doc["method"]["rules"]["redrawn"]["gates"] == ["drawing size (file pixels) >= 64"]
    assert doc["method"]["description"] == DRAWING.description


def test_the_method_says_what_the_report_can_draw():
    # the default decides with the drawing's edges; the whole panel's edge map is recorded for context
    assert [(d.signature, d.used) for d in MethodInfo.of(DRAWING).drawable] == [("drawing_edges", True), ("edges", False)]
    # a hash-only method has nothing of its own to draw: the default's edges, for context
    assert [(d.signature, d.used) for d in MethodInfo.of(get_preset("original-phash")).drawable] == [("drawing_edges", False)]


def test_a_schema_1_record_still_reads_and_a_newer_one_is_refused(tmp_path):
    old = {"input": "/p", "corpus": "p", "version": "0.1.0", "files": {},
           "method": {"preset": "combined", "combine": "any", "rules": {"edges": {"metric": "edges", "threshold": "0.95 x"}},
                      "gates": ["edge pixels >= 40"], "mirrored_checks": {}},
           "clustering": {"run_id": "abc", "algorithm": "leiden", "seed": 42, "modularity": 0.5}}
    (tmp_path / "run.json").write_text(json.dumps(old))
    info = RunFolder(tmp_path).read_info()
    assert info.schema == 1 and info.method.preset == "combined" and info.method.rules["edges"].metric == "edges"
    assert info.method.drawable == () and info.clustering.params == {"seed": 42}
    (tmp_path / "run.json").write_text(json.dumps({**old, "schema": SCHEMA + 1}))
    with pytest.raises(DamagedRunFile, match="newer"):
        RunFolder(tmp_path).read_info()
