"""One exclusive lock per output folder, so two commands never write into one folder at once."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

try:  # advisory locks are POSIX only; elsewhere the block runs unlocked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


@contextmanager
def exclusive(lock_file: Path, busy: Callable[[], Exception]) -> Iterator[None]:
    """Hold an exclusive lock on `lock_file` (made if missing) for the block; raise busy() if another process holds it."""
    fh = open(lock_file, "a")
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                raise busy() from None
        yield
    finally:
        fh.close()  # closing releases the lock
