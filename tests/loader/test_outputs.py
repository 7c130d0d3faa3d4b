"""The run folder's panels: panels.csv with the signature rows referenced in the feature store, not copied."""

import numpy as np
import pytest

from tests.conftest import save
from tests import synthetic
from visualdistance.analysis.presets import all_signatures
from visualdistance.loader import outputs
from visualdistance.loader.extract import extract_folder


def test_a_run_folder_references_the_store_rows_instead_of_copying_them(tmp_path, rng, store_dir):
    folder = tmp_path / "panels"
    for k in range(4):
        save(synthetic.render(synthetic.random_drawing(rng), size=(160, 120)), folder / f"{k + 1}_1.png")
    ex = extract_folder(folder, all_signatures(), store_dir, workers=1)
    out = tmp_path / "out"
    out.mkdir()
    outputs.write_panels(out, ex.panels, ex.store)
    assert not (out / "signatures.npz").exists()
    back = outputs.read_panels(out)
    assert back.ids.tolist() == ex.panels.ids.tolist()
    for name, rows in ex.panels.signatures.items():
        assert np.array_equal(back.signatures[name], rows), name
    # panels from elsewhere (no store) keep their own copy
    outputs.write_panels(out, ex.panels)
    assert (out / "signatures.npz").exists()
    assert np.array_equal(outputs.read_panels(out).signatures["layout"], ex.panels.signatures["layout"])
    # the store gone: one line naming the file and the store
    outputs.write_panels(out, ex.panels, ex.store)
    for shard in ex.store[0].glob("shard-*.npz"):
        shard.unlink()
    with pytest.raises(outputs.DamagedRunFile, match="no longer holds"):
        outputs.read_panels(out)
