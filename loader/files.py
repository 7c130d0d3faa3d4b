"""Writing a file so that nobody ever reads half of it: the one way every output is written.

The new content goes to a temporary file in the same folder (a unique name,
TEMP_PREFIX + name + random + TEMP_SUFFIX), is flushed to disk, and then
renamed over the target: a reader sees the old file or the whole new one,
and a crash leaves at most a temporary file that `remove_temp_files` clears.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from visualdistance.loader.names import ENCODING_ERRORS

TEMP_PREFIX = ".vd-"
TEMP_SUFFIX = ".tmp"


@contextmanager
def atomic_open(path: Path, text: bool = False) -> Iterator[IO]:
    """A file to write `path`'s new content to (binary, or UTF-8 text keeping undecodable names' bytes).

    `path` is replaced only when the block ends without an error; otherwise the
    temporary file is removed and `path` is as it was.
    """
    path = Path(path)
    # part of the name helps whoever finds a leftover; all of it could pass the file system's limit
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX + path.name[:64] + "-", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        if text:
            fh = os.fdopen(fd, "w", encoding="utf-8", errors=ENCODING_ERRORS, newline="")
        else:
            fh = os.fdopen(fd, "wb")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write bytes, or text as UTF-8, to `path` as `atomic_open` does."""
    with atomic_open(path, text=isinstance(data, str)) as fh:
        fh.write(data)


def remove_temp_files(folder: Path) -> None:
    """Delete what interrupted writes left in `folder`; only safe while no one else writes there."""
    for tmp in Path(folder).glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)
