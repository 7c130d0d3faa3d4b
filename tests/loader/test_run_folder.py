"""The run folder: panels.csv with the signature rows referenced in the feature store, not copied; clusters.json."""

import numpy as np
import pytest

from tests.conftest import save
from tests import synthetic
from visualdistance.analysis.presets import all_signatures
from visualdistance.loader.run_folder import DamagedRunFile, RunFolder
from visualdistance.loader.run_folder.clusters import write_clusters
from visualdistance.loader.extract import extract_folder


def test_a_run_folder_references_the_store_rows_instead_of_copying_them(tmp_path, rng, store_dir):
    folder = tmp_path / "panels"
    for k in range(4):
        save(synthetic.render(synthetic.random_drawing(rng), size=(160, 120)), folder / f"{k + 1}_1.png")
    ex = extract_folder(folder, all_signatures(), store_dir, workers=1)
    out = tmp_path / "out"
    out.mkdir()
    folder = RunFolder(out)
    folder.write_panels(ex.panels, ex.store)
    assert not (out / "signatures.npz").exists()
    back = folder.read_panels()
    assert back.ids.tolist() == ex.panels.ids.tolist()
    for name, rows in ex.panels.signatures.items():
        assert np.array_equal(back.signatures[name], rows), name
    # panels from elsewhere (no store) keep their own copy
    folder.write_panels(ex.panels)
    assert (out / "signatures.npz").exists()
    assert np.array_equal(folder.read_panels().signatures["layout"], ex.panels.signatures["layout"])
    # the store gone: one line naming the file and the store
    folder.write_panels(ex.panels, ex.store)
    for shard in ex.store[0].glob("shard-*.npz"):
        shard.unlink()
    with pytest.raises(DamagedRunFile, match="no longer holds"):
        folder.read_panels()


def test_clusters_json_says_how_coherent_each_cluster_is(tmp_path):
    import json

    from visualdistance.analysis.data import Clustering, Links, Panels

    n = 7
    ids = np.array([f"p{k}.png" for k in range(n)], dtype=object)
    ints = np.zeros(n, np.int32)
    panels = Panels(ids, ids.copy(), np.arange(n, dtype=np.int32), ints, ints - 1, ints - 1, ints, ints, ids.copy())
    # cluster 0: four panels every pair linked strongly; cluster 1: a chain of three held by a weak link
    a = np.array([0, 0, 0, 1, 1, 2, 4, 5], np.int32)
    b = np.array([1, 2, 3, 2, 3, 3, 5, 6], np.int32)
    w = np.array([0.9, 0.8, 0.9, 0.7, 0.8, 0.9, 0.6, 0.1], np.float32)
    links = Links(a, b, {}, {}, np.ones(len(a), np.uint32), np.zeros(len(a), bool), w, ("drawing",), ("drawing",))
    clustering = Clustering("run", "leiden", {}, np.array([0, 0, 0, 0, 1, 1, 1], np.int32))
    write_clusters(tmp_path, clustering, panels, links)
    doc = json.loads((tmp_path / "clusters.json").read_text())
    first, second = doc["clusters"]
    assert (first["weakest_link"], first["linked_pairs"], first["loose"]) == (0.9, 1.0, False)  # 0-1, 0-3, 2-3 suffice
    assert (second["weakest_link"], second["loose"]) == (0.1, True)
    assert second["linked_pairs"] == round(2 / 3, 4)


def test_panels_csv_shows_the_signatures_that_say_so_and_leaves_missing_ones_empty(tmp_path):
    from tests.graph_data import make_panels

    panels = make_panels(["1_1.png", "cover.png"], [1, -1])  # edge_pixels and phash only
    RunFolder(tmp_path).write_panels(panels)
    header, first, second = (tmp_path / "panels.csv").read_text().splitlines()
    assert header == ("id,path,frame,last_frame,page,position,width,height,sha256,"
                      "edge_pixels,ahash,phash,dhash,edge_ahash")
    assert first.split(",")[-5:] == ["500", "", "0000000000000abc", "", ""]
    assert second.split(",")[4:6] == ["-1", "-1"]


def _figure_run(tmp_path, figures):
    """A run folder of 5 panels (pages 3, 1, 2, none, 1) with two links, one cluster and `figures` (None: a method
    without region links), as the communities stage records it."""
    from visualdistance.analysis.data import Clustering, Links, Panels
    from visualdistance.loader.run_folder import MethodInfo, RunInfo

    n = 5
    ids = np.array([f"p{k}.png" for k in range(n)], dtype=object)
    ints = np.zeros(n, np.int32)
    panels = Panels(ids, ids.copy(), np.arange(n, dtype=np.int32), ints, np.array([3, 1, 2, -1, 1], np.int32),
                    np.array([1, 1, 1, -1, 2], np.int32), ints + 650, ints + 450, np.array(["0" * 64] * n, object))
    links = Links(np.array([0], np.int32), np.array([1], np.int32), {}, {}, np.ones(1, np.uint32), np.zeros(1, bool),
                  np.ones(1, np.float32), ("drawing",), ("drawing",))
    folder = RunFolder(tmp_path)
    folder.write_info(RunInfo(method=MethodInfo("drawing-regions", regions="regions: ..." if figures is not None else "")))
    folder.write_panels(panels)
    folder.write_bad_files([])
    folder.write_links(links, panels.ids)
    folder.write_clusters(Clustering("run", "leiden", {}, np.array([0, 0, -1, -1, -1], np.int32)), panels, links, figures)
    folder.finish(("extract", "link", "communities"))
    return folder


def test_figures_csv_lists_each_occurrence_by_figure_in_page_order_and_reads_back(tmp_path):
    import csv

    from visualdistance.analysis.figures import find_figures

    # figure 0 in panels 0, 1, 4 (4 twice: two copies at two places), figure 1 in 2 and 3 (3 mirrored)
    a, b = np.array([0, 1, 4, 2]), np.array([1, 4, 4, 3])
    box_a = np.array([[10, 20, 100, 120], [200, 20, 90, 110], [5, 5, 80, 100], [30, 30, 60, 60]], np.float32)
    box_b = np.array([[200, 20, 90, 110], [5, 5, 80, 100], [400, 300, 80, 100], [300, 40, 50, 50]], np.float32)
    figures = find_figures(a, b, box_a, box_b, np.array([0.5, 0.25, 1.0, 0.75]), np.array([False, False, False, True]))
    folder = _figure_run(tmp_path, figures)
    with open(tmp_path / "figures.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["figure"], r["panel"], r["page"], r["x"]) for r in rows] == [
        ("0", "p1.png", "1", "200"), ("0", "p4.png", "1", "5"), ("0", "p4.png", "1", "400"), ("0", "p0.png", "3", "10"),
        ("1", "p2.png", "2", "30"), ("1", "p3.png", "-1", "300")]
    assert rows[-1]["mirrored"] == "1" and rows[0]["weight"] == "0.75" and rows[0]["w"] == "90"
    back = folder.read(through="communities").figures
    for name in ("panel", "box", "figure", "mirrored", "strength"):
        np.testing.assert_array_equal(getattr(back, name), getattr(figures, name))
    # a changed figures.csv is refused like any other file of the run
    (tmp_path / "figures.csv").write_text((tmp_path / "figures.csv").read_text().replace("p2.png", "p0.png"))
    with pytest.raises(DamagedRunFile, match="figures.csv"):
        folder.read(through="communities")


def test_a_method_without_region_links_writes_no_figures_csv_and_removes_an_earlier_one(tmp_path):
    from visualdistance.analysis.figures import Figures

    (tmp_path / "figures.csv").write_text("left by an earlier run\n")
    folder = _figure_run(tmp_path, None)
    assert not (tmp_path / "figures.csv").exists() and "figures.csv" not in folder.read_info().files
    assert folder.read(through="communities").figures is None
    # a method with region links that found none still writes the (empty) table: it says "no figures"
    folder = _figure_run(tmp_path, Figures.empty())
    assert (tmp_path / "figures.csv").read_text().startswith("figure,panel,page,path,frame,x,y,w,h,mirrored,weight")
    assert len(folder.read(through="communities").figures) == 0
