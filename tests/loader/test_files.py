"""Atomic writes: a reader sees the old file or the whole new one; a failed write leaves nothing behind."""

import pytest

from visualdistance.loader.files import TEMP_SUFFIX, atomic_open, remove_temp_files, write_atomic


def test_a_write_replaces_the_file_whole_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "links.csv"
    target.write_text("old")
    write_atomic(target, "new, with a name that is not UTF-8: \udcff")
    assert target.read_bytes() == b"new, with a name that is not UTF-8: \xff"
    write_atomic(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["links.csv"]


def test_a_write_that_fails_halfway_keeps_the_old_file_and_removes_its_temporary_file(tmp_path):
    target = tmp_path / "signatures.npz"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_open(target) as fh:
            fh.write(b"half of it")
            assert len(list(tmp_path.glob(f"*{TEMP_SUFFIX}"))) == 1  # the new content is not in place yet
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["signatures.npz"]


def test_leftovers_of_a_killed_write_are_cleared_and_nothing_else(tmp_path):
    with atomic_open(tmp_path / "page.html", text=True) as fh:
        fh.write("<p>")
        leftover = next(tmp_path.glob(f"*{TEMP_SUFFIX}"))
        kept = leftover.read_bytes()
    # as if killed before the rename: the temporary file is still there
    (tmp_path / leftover.name).write_bytes(kept)
    (tmp_path / "mine.tmp").write_text("someone else's")
    remove_temp_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.tmp", "page.html"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_a_written_file_gets_the_mode_the_umask_gives_new_files(tmp_path, umask, mode):
    # H8 (issue 19): the temporary file of mkstemp is 0600, and so was every output
    import os
    import stat

    from visualdistance.loader.files import current_umask

    old = os.umask(umask)
    try:
        assert current_umask() == umask
        write_atomic(tmp_path / "index.html", "<html>")
        (tmp_path / "plain.txt").write_text("as open() makes it")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "index.html").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == mode
