"""The feature store survives damaged shards: each costs a re-decode of what it held, never the run."""

import logging

import numpy as np

import pytest

from tests.loader.test_extract import corpus
from visualdistance.analysis.presets import all_signatures
from visualdistance.loader.extract import extract_folder
from visualdistance.loader.store import DAMAGED_DIR, FeatureStore


def damage(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[: len(data) // 2]
    if how == "emptied":
        return b""
    flipped = bytearray(data)  # bytes flipped inside the arrays: the zip CRC no longer matches
    for i in range(len(data) // 2, len(data) // 2 + 16):
        flipped[i] ^= 0xFF
    return bytes(flipped)


@pytest.mark.parametrize("how", ["truncated", "emptied", "flipped"])
def test_a_damaged_shard_is_moved_aside_once_and_only_its_files_are_decoded_again(tmp_path, rng, store_dir, caplog, how):
    folder = corpus(tmp_path, rng, n=6)
    sigs = all_signatures()
    (folder / "2_3.png").rename(tmp_path / "later.png")
    (folder / "2_2.png").rename(tmp_path / "later2.png")
    extract_folder(folder, sigs, store_dir, workers=1)
    shards = FeatureStore(store_dir, sigs).dir
    first = set(shards.glob("shard-*.npz"))
    # Two files added later: a second shard holds just them, and it is the one damaged.
    (tmp_path / "later.png").rename(folder / "2_3.png")
    (tmp_path / "later2.png").rename(folder / "2_2.png")
    extract_folder(folder, sigs, store_dir, workers=1)
    (newest,) = set(shards.glob("shard-*.npz")) - first
    newest.write_bytes(damage(newest.read_bytes(), how))

    with caplog.at_level(logging.WARNING, logger="visualdistance.loader.store"):
        result = extract_folder(folder, sigs, store_dir, workers=1)

    assert len(result.panels) == 6 and not result.bad_files
    assert result.decoded == 2
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and str(newest) in warnings[0] and "decoded again" in warnings[0]
    assert result.damaged_shards == [str(newest.parent / DAMAGED_DIR / newest.name)]
    assert not newest.exists() and (newest.parent / DAMAGED_DIR / newest.name).is_file()

    caplog.clear()
    again = extract_folder(folder, sigs, store_dir, workers=1)
    assert (again.decoded, again.damaged_shards, caplog.records) == (0, [], [])


def test_losing_the_only_shard_costs_exactly_its_files(tmp_path, rng, store_dir):
    folder = corpus(tmp_path, rng, n=4)
    extract_folder(folder, all_signatures(), store_dir, workers=1)
    for shard in FeatureStore(store_dir, all_signatures()).dir.glob("shard-*.npz"):
        shard.write_bytes(shard.read_bytes()[:100])

    result = extract_folder(folder, all_signatures(), store_dir, workers=1)

    assert (result.decoded, len(result.panels), len(result.damaged_shards)) == (4, 4, 1)



def test_an_animation_stored_before_repeats_were_collapsed_is_described_again_once(tmp_path, rng, store_dir):
    import numpy as np

    from tests.loader.test_images import blinking, shared_palette

    folder = tmp_path / "panels"
    folder.mkdir()
    frames = shared_palette(blinking(rng, n=4))
    frames[0].save(folder / "1_1.gif", save_all=True, append_images=frames[1:], duration=80)
    extract_folder(folder, all_signatures(), store_dir, workers=1)
    (shard,) = FeatureStore(store_dir, all_signatures()).dir.glob("shard-*.npz")
    with np.load(shard) as z:
        old = {k: z[k] for k in z.files if k != "r_last"}  # as the store wrote it before
    np.savez(shard.with_suffix(".npz"), **old)
    again = extract_folder(folder, all_signatures(), store_dir, workers=1)
    assert again.decoded == 1 and again.panels.last_frame.tolist() == [3]
    assert extract_folder(folder, all_signatures(), store_dir, workers=1).decoded == 0


def test_variable_length_rows_are_stored_reused_and_read_back_whole(tmp_path, rng, store_dir):
    # issue 21: local descriptors are many per panel, a different number for each
    from visualdistance.analysis import regions
    from visualdistance.analysis.data import Ragged
    from visualdistance.analysis.signatures.regions import RegionKeypoints, features_from_row

    folder = corpus(tmp_path, rng)
    (folder / "empty.png").write_bytes(b"")  # a bad file's entry (no rows) is stored beside the others
    signatures = (RegionKeypoints(),)
    first = extract_folder(folder, signatures, store_dir, workers=2)
    rows = first.panels.signatures["region_keypoints"]
    assert isinstance(rows, Ragged) and len(rows) == len(first.panels) == 12
    lengths = np.diff(rows.offsets)
    assert len(set(lengths.tolist())) > 1  # rows really differ in length
    again = extract_folder(folder, signatures, store_dir, workers=2)
    assert (again.decoded, again.reused) == (0, 13) and [b.path for b in again.bad_files] == ["empty.png"]
    back = again.panels.signatures["region_keypoints"]
    assert np.array_equal(back.offsets, rows.offsets) and np.array_equal(back.values, rows.values)
    # The stored row is the whole description: keypoints, descriptors, their mirror, the edge map.
    from visualdistance.analysis.image_ops import to_grey
    from visualdistance.loader.images import decode

    grey = to_grey(decode((folder / first.panels.paths[3]).read_bytes()).frames[0])
    fresh = regions.describe_regions(grey)
    stored = features_from_row(back.row(3))
    for field in ("points", "descriptors", "points_mirror", "descriptors_mirror"):
        assert np.array_equal(getattr(stored, field), getattr(fresh, field)), field
    assert np.array_equal(stored.edge_map(), fresh.edge_map())
    assert (stored.scale, stored.work_size) == (np.float32(fresh.scale), fresh.work_size)
