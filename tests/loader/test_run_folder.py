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
