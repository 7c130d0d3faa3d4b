"""Giving freed memory back to the system.

After a run's feature-store entries are copied into the panels' table and let go of, the heap that held
them is free but stays the process's: glibc returns a heap's top to the system only when the top is free,
and hundreds of thousands of small arrays leave it scattered. Linking then starts on a resident size a
gigabyte above what is live at 10,000 files (bench/RESULTS.md).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


def return_freed_memory() -> None:
    """Hand the free parts of the heap back to the system (glibc's malloc_trim); nothing elsewhere."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): no malloc_trim, and nothing is done
        return None
