"""Writing a file so that nobody ever reads half of it: the one way every output is written.

The new content goes to a temporary file in the same folder (a unique name,
TEMP_PREFIX + name + random + TEMP_SUFFIX), is flushed to disk, and then
renamed over the target: a reader sees the old file or the whole new one,
and a crash leaves at most a temporary file that `remove_temp_files` clears.
"""

from __future__ import annotations

import os
import tempfile
import time
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
        # mkstemp makes the file 0600; the finished file gets the mode any new file gets (0666 less the umask),
        # so a report copied to a web server, or a run folder shared with a group, can be read as usual
        os.fchmod(fd, 0o666 & ~current_umask())
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


def _umask_at_start() -> int:
    mask = os.umask(0o022)  # the only way to read it without /proc; at import, before any thread runs
    os.umask(mask)
    return mask


_UMASK_AT_START = _umask_at_start()


def current_umask() -> int:
    """The process's umask, read without changing it (Linux: /proc), else the one it had at start."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return _UMASK_AT_START


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write bytes, or text as UTF-8, to `path` as `atomic_open` does."""
    with atomic_open(path, text=isinstance(data, str)) as fh:
        fh.write(data)


def remove_temp_files(folder: Path, older_than_s: float = 0.0) -> None:
    """Delete what interrupted writes left in `folder`: every temporary file, or only those untouched for
    `older_than_s` seconds where other processes may be writing there now (theirs are fresh)."""
    now = time.time()
    for tmp in Path(folder).glob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        try:
            if older_than_s <= 0 or now - tmp.stat().st_mtime > older_than_s:
                tmp.unlink(missing_ok=True)
        except FileNotFoundError:
            pass  # its writer renamed it into place meanwhile
