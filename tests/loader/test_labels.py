import numpy as np
import pytest

from visualdistance.loader.labels import LabelError, read_truth


def _write(path, text):
    path.write_text(text)
    return path


def test_frames_map_to_their_file_and_variants_are_read(tmp_path):
    labels = _write(
        tmp_path / "labels.csv",
        "file,group,variant,mirrored,blank\n"
        "a.gif,g1,,0,0\n"
        "b.png,g1,,0,0\n"
        "c.png,g2,pose,0,0\n"
        "d.png,g3,pose,0,1\n",
    )
    # a.gif has three frames; x.png is not labelled
    panel_files = ["a.gif", "a.gif", "a.gif", "b.png", "x.png", "c.png", "d.png"]
    truth, keep = read_truth(labels, panel_files)
    assert keep.tolist() == [0, 1, 2, 3, 5, 6]
    assert truth.files == 4
    assert truth.file_of.tolist() == [0, 0, 0, 1, 2, 3]
    assert truth.group[0] == truth.group[1] != truth.group[2]
    assert truth.variant[2] == truth.variant[3] >= 0 and truth.variant[0] == -1
    assert truth.blank.tolist() == [False, False, False, True]


def test_labels_without_a_variant_column_still_work(tmp_path):
    labels = _write(tmp_path / "labels.csv", "file,group\na.png,1\nb.png,1\n")
    truth, _ = read_truth(labels, ["a.png", "b.png"])
    assert (truth.variant == -1).all()
    assert truth.figure_box is None


def test_a_figure_box_is_read_per_file_and_missing_ones_are_nan(tmp_path):
    labels = _write(tmp_path / "labels.csv", "file,group,fig_h,fig_w,x,y\nb.png,1,40,30,10,20\na.png,1,,,,\n")
    truth, _ = read_truth(labels, ["a.png", "b.png"])
    assert np.isnan(truth.figure_box[0]).all()  # files in sorted order: a.png has none
    assert truth.figure_box[1].tolist() == [10, 20, 30, 40]  # x, y, w, h


def test_labels_need_file_and_group(tmp_path):
    with pytest.raises(LabelError):
        read_truth(_write(tmp_path / "l.csv", "name,kind\na,b\n"), ["a"])
    with pytest.raises(LabelError):
        read_truth(_write(tmp_path / "m.csv", "file,group\nz.png,1\n"), ["a.png"])
