"""The variable-length rows container (data.Ragged) behaves as an array with one row per panel."""

import numpy as np

from visualdistance.analysis.data import Panels, Ragged, concat_rows, stack_rows


def rows_of(r: Ragged) -> list[list]:
    return [r.row(i).tolist() for i in range(len(r))]


def test_rows_come_back_by_index_slice_mask_and_index_array() -> None:
    rows = [np.arange(k * 2, dtype=np.int16).reshape(k, 2) for k in (3, 0, 1, 2)]
    r = stack_rows(rows, ragged=True)
    assert len(r) == 4 and r.values.shape == (6, 2) and r.values.dtype == np.int16
    assert [x.tolist() for x in rows] == rows_of(r)
    assert r[2].tolist() == rows[2].tolist() and r[-1].tolist() == rows[3].tolist()
    assert rows_of(r[1:3]) == [rows[1].tolist(), rows[2].tolist()]
    assert rows_of(r[np.array([3, 0])]) == [rows[3].tolist(), rows[0].tolist()]
    assert rows_of(r[np.array([True, False, False, True])]) == [rows[0].tolist(), rows[3].tolist()]
    empty = r[np.array([], np.int64)]
    assert len(empty) == 0 and empty.values.shape == (0, 2) and empty.values.dtype == np.int16


def test_a_run_of_rows_is_a_view_with_the_rows_an_index_array_gives() -> None:
    rows = [np.arange(k * 2, dtype=np.int16).reshape(k, 2) for k in (3, 0, 1, 2, 4)]
    r = stack_rows(rows, ragged=True)
    for lo, hi in [(0, 5), (1, 3), (2, 2), (3, 99), (-2, None), (4, 1)]:
        view = r[lo:hi]
        assert rows_of(view) == rows_of(r[np.arange(5)[lo:hi]]), (lo, hi)
        assert view.offsets[0] == 0 and view.values.dtype == np.int16
        assert len(view.values) == 0 or np.shares_memory(view.values, r.values)


def test_blocks_concatenate_in_order_and_plain_rows_stay_arrays() -> None:
    a = Ragged.from_rows([np.array([1, 2], np.uint8), np.array([3], np.uint8)])
    b = Ragged.from_rows([np.array([], np.uint8), np.array([4, 5, 6], np.uint8)])
    assert rows_of(concat_rows([a, b])) == [[1, 2], [3], [], [4, 5, 6]]
    plain = stack_rows([np.array([1, 2]), np.array([3, 4])], ragged=False)
    assert isinstance(plain, np.ndarray) and plain.shape == (2, 2)
    assert concat_rows([plain, plain]).shape == (4, 2)


def test_panels_take_keeps_each_panels_ragged_row() -> None:
    ids = np.array(["a", "b", "c"], dtype=object)
    n = np.arange(3, dtype=np.int32)
    rows = [np.full(k, k, np.uint8) for k in (2, 5, 1)]
    panels = Panels(ids, ids.copy(), n, n, n, n, n, n, ids.copy(), signatures={"kp": stack_rows(rows, ragged=True)})
    taken = panels.take(np.array([2, 0]))
    assert rows_of(taken.signatures["kp"]) == [[1], [2, 2]]


def test_stack_rows_of_one_panel_or_many_is_np_stack():
    rows = [np.arange(5, dtype=np.uint64) * k for k in range(1, 4)]
    flipped = np.arange(10, dtype=np.float32)[::-2]  # a strided view, as a mirrored row may be
    for given in (rows[:1], rows, [flipped]):
        got = stack_rows(given, ragged=False)
        assert got.dtype == given[0].dtype and got.flags.c_contiguous
        assert np.array_equal(got, np.stack(given))
