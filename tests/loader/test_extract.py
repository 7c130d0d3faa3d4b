"""Folder -> panels: the feature store, bad files, animated GIFs, resuming."""

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image

from tests import synthetic
from visualdistance.analysis.presets import all_signatures
from visualdistance.analysis.signatures.base import PanelView, Signature
from visualdistance.analysis.signatures.regions import RegionKeypoints
from visualdistance.loader.extract import extract_folder, extract_sets
from tests.conftest import save


def corpus(tmp_path, rng, n=12):
    folder = tmp_path / "panels"
    for k in range(n):
        save(synthetic.render(synthetic.random_drawing(rng), size=(160, 120)), folder / f"{k // 3 + 1}_{k % 3 + 1}.png")
    return folder


def test_second_run_decodes_nothing_and_new_files_are_all_that_is_decoded(tmp_path, rng, store_dir):
    folder = corpus(tmp_path, rng)
    first = extract_folder(folder, all_signatures(), store_dir, workers=2)
    assert (first.decoded, first.reused, len(first.panels)) == (12, 0, 12)
    again = extract_folder(folder, all_signatures(), store_dir, workers=2)
    assert (again.decoded, again.reused) == (0, 12)
    for name, rows in first.panels.signatures.items():
        assert np.array_equal(rows, again.panels.signatures[name]), name
    for k in range(3):
        save(synthetic.render(synthetic.random_drawing(rng), size=(160, 120)), folder / f"new_{k}.png")
    third = extract_folder(folder, all_signatures(), store_dir, workers=2)
    assert (third.decoded, third.reused, len(third.panels)) == (3, 12, 15)


def test_panels_carry_page_position_size_and_order(tmp_path, rng, store_dir):
    folder = corpus(tmp_path, rng)
    p = extract_folder(folder, all_signatures(), store_dir, workers=1).panels
    assert p.ids[:4].tolist() == ["1_1.png", "1_2.png", "1_3.png", "2_1.png"]
    assert p.page[:4].tolist() == [1, 1, 1, 2] and p.position[:4].tolist() == [1, 2, 3, 1]
    assert (p.width == 160).all() and (p.height == 120).all()
    assert len(set(p.sha256)) == 12


def test_bad_files_are_reported_and_skipped(tmp_path, rng, store_dir):
    folder = corpus(tmp_path, rng, n=3)
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.gif").write_text("GIF? no, a shopping list")
    good = (folder / "1_1.png").read_bytes()
    (folder / "cut.png").write_bytes(good[: len(good) // 3])
    result = extract_folder(folder, all_signatures(), store_dir, workers=2)
    reasons = {b.path: b.reason for b in result.bad_files}
    assert set(reasons) == {"empty.png", "notes.gif", "cut.png"}
    assert "empty" in reasons["empty.png"]
    assert "not an image" in reasons["notes.gif"]
    assert "truncated" in reasons["cut.png"] or "damaged" in reasons["cut.png"]
    assert len(result.panels) == 3
    # bad files are remembered too: nothing is decoded again
    assert extract_folder(folder, all_signatures(), store_dir, workers=2).decoded == 0


def test_animated_gif_frames_are_panels_from_one_source(tmp_path, rng, store_dir):
    folder = tmp_path / "panels"
    frames = [Image.fromarray(synthetic.render(synthetic.random_drawing(rng), size=(80, 60))) for _ in range(3)]
    folder.mkdir()
    frames[0].save(folder / "5_1.gif", save_all=True, append_images=frames[1:], duration=80)
    p = extract_folder(folder, all_signatures(), store_dir, workers=1).panels
    assert p.ids.tolist() == ["5_1.gif", "5_1.gif#1", "5_1.gif#2"]
    assert p.frame.tolist() == [0, 1, 2] and len(set(p.source)) == 1
    first = extract_folder(folder, all_signatures(), tmp_path / "other", all_frames=False, workers=1).panels
    assert first.ids.tolist() == ["5_1.gif"]


def ctrl_c_after(files: int):
    """A progress stage that raises KeyboardInterrupt (as Ctrl-C would) once `files` files are done."""
    seen = []

    @contextmanager
    def stage(total, description, unit):
        def advance(k):
            seen.append(k)
            if len(seen) == files:
                raise KeyboardInterrupt

        yield advance

    return stage


def test_interrupted_run_keeps_finished_work_and_resumes(tmp_path, rng, store_dir):
    folder = corpus(tmp_path, rng, n=30)
    with pytest.raises(KeyboardInterrupt):
        extract_folder(folder, all_signatures(), store_dir, workers=2, progress=ctrl_c_after(10))
    assert not list(store_dir.rglob("*.tmp"))
    resumed = extract_folder(folder, all_signatures(), store_dir, workers=2)
    assert resumed.reused >= 10 and resumed.decoded == 30 - resumed.reused
    assert len(resumed.panels) == 30


def test_changed_signature_parameters_do_not_reuse_old_rows(tmp_path, rng, store_dir):
    from visualdistance.analysis.signatures import EdgeMap

    folder = corpus(tmp_path, rng, n=3)
    extract_folder(folder, (EdgeMap(),), store_dir, workers=1)
    assert extract_folder(folder, (EdgeMap(low=50, high=150),), store_dir, workers=1).decoded == 3
    assert extract_folder(folder, (EdgeMap(),), store_dir, workers=1).decoded == 0


def test_frames_that_repeat_are_one_panel_that_stands_for_them(tmp_path, rng, store_dir):
    from tests.loader.test_images import blinking, shared_palette

    folder = tmp_path / "panels"
    folder.mkdir()
    frames = shared_palette(blinking(rng, cut_at=3, n=5))
    frames[0].save(folder / "2_1.gif", save_all=True, append_images=frames[1:], duration=80)
    save(synthetic.render(synthetic.random_drawing(rng), size=(160, 120)), folder / "1_1.png")
    for attempt in range(2):  # described, then served by the store
        p = extract_folder(folder, all_signatures(), store_dir, workers=1).panels
        assert p.ids.tolist() == ["1_1.png", "2_1.gif", "2_1.gif#3"], attempt
        assert p.frame.tolist() == [0, 0, 3] and p.last_frame.tolist() == [0, 2, 4], attempt
        assert all(len(v) == 3 for v in p.signatures.values())
    first = extract_folder(folder, all_signatures(), store_dir, all_frames=False, workers=1).panels
    assert first.ids.tolist() == ["1_1.png", "2_1.gif"] and first.last_frame.tolist() == [0, 0]


# ------------------------------------------------------------ several signature sets in one pass

#: panels described, by signature name (in this process: the tests below describe with workers=1)
described: Counter = Counter()


@dataclass(frozen=True)
class Counting(Signature):
    """The panel's mean grey, counting each panel it describes under its name."""

    name: str = "counting"

    def describe(self, view: PanelView) -> np.ndarray:
        described[self.name] += 1
        return np.array([view.grey.mean()], np.float32)


def same_rows(a, b) -> bool:
    """Two signature arrays (or Ragged ones) hold the same rows, bytes and all."""
    if hasattr(a, "offsets"):
        return np.array_equal(a.offsets, b.offsets) and np.array_equal(a.values, b.values) and a.values.dtype == b.values.dtype
    return np.array_equal(a, b) and a.dtype == b.dtype


def test_several_sets_are_read_decoded_and_shown_once_and_give_the_rows_of_one_pass_per_set(tmp_path, rng, store_dir):
    folder = corpus(tmp_path, rng, n=10)
    stages = []

    @contextmanager
    def recorded(total, description, unit):
        stages.append((total, description))
        yield lambda n=1: None

    sets = (all_signatures(), (RegionKeypoints(),))
    together = extract_sets(folder, sets, store_dir, workers=2, progress=recorded)
    assert stages == [(10, "reading")]
    assert (together.decoded, together.reused, len(together.more_stores)) == (10, 0, 1)
    apart = [extract_folder(folder, s, tmp_path / "apart", workers=2) for s in sets]
    rows = {**apart[0].panels.signatures, **apart[1].panels.signatures}
    assert rows.keys() == together.panels.signatures.keys()
    assert all(same_rows(rows[n], together.panels.signatures[n]) for n in rows)
    assert np.array_equal(together.panels.ids, apart[0].panels.ids)
    # each set's rows went to its own store set, as one pass per set writes them
    assert [together.store[0].name, *(d.name for d, _ in together.more_stores)] == [a.store[0].name for a in apart]
    assert extract_sets(folder, sets, tmp_path / "apart", workers=1).decoded == 0


def test_a_file_new_to_one_set_is_decoded_once_and_described_only_for_that_set(tmp_path, rng, store_dir):
    folder = corpus(tmp_path, rng, n=3)
    a, b = (Counting("a"),), (Counting("b"),)
    described.clear()
    extract_folder(folder, a, store_dir, workers=1)
    assert described == {"a": 3}
    save(synthetic.render(synthetic.random_drawing(rng), size=(160, 120)), folder / "new.png")
    (folder / "notes.gif").write_text("GIF? no, a shopping list")
    described.clear()
    both = extract_sets(folder, (a, b, ()), store_dir, workers=1)
    # the new file for both sets, the three old ones for b only, each decoded once; the bad one in both stores
    assert described == {"a": 1, "b": 4} and (both.decoded, both.reused) == (5, 0)
    assert [bad.path for bad in both.bad_files] == ["notes.gif"] and len(both.panels) == 4
    described.clear()
    again = extract_sets(folder, (a, b), store_dir, workers=1)
    assert described == {} and (again.decoded, again.reused) == (0, 5)
    for name in ("a", "b"):
        assert same_rows(again.panels.signatures[name], both.panels.signatures[name])
    assert np.array_equal(both.panels.signatures["a"], both.panels.signatures["b"])


def test_an_interrupted_run_of_two_sets_keeps_both_and_resumes(tmp_path, rng, store_dir):
    folder = corpus(tmp_path, rng, n=30)
    sets = (all_signatures(), (RegionKeypoints(),))
    with pytest.raises(KeyboardInterrupt):
        extract_sets(folder, sets, store_dir, workers=2, progress=ctrl_c_after(10))
    assert not list(store_dir.rglob("*.tmp"))
    resumed = extract_sets(folder, sets, store_dir, workers=2)
    assert resumed.reused >= 10 and resumed.decoded == 30 - resumed.reused
    assert len(resumed.panels) == 30 and len(resumed.panels.signatures["region_keypoints"]) == 30
