"""How loader functions report progress: one shape for every long job, which the CLI draws.

A long job is one or more stages ("reading" files, "thumbnails", "scraping" pages). A function
that takes ``progress`` opens each of its stages with ``progress(total, description, unit)``, a
context manager yielding ``advance``, and calls ``advance(n)`` as n more units are done (total
None: not known ahead). The stage ends with the block, so a stage never outlives its work, even on
an exception. A function that does one part of a stage its caller opened (a batch writer inside
"loading graph") takes that stage's ``advance`` instead.

Loader functions never draw: the CLI passes `cli.progress.progress_bar`, a library caller or a
test passes nothing and gets `silent`.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, ContextManager, Iterator

#: ``advance(n)``: n more units of the open stage are done
Advance = Callable[[int], None]
#: ``progress(total, description, unit)``: opens one stage; a context manager yielding its `Advance`
Progress = Callable[[int | None, str, str], ContextManager[Advance]]


@contextmanager
def silent(total: int | None, description: str, unit: str) -> Iterator[Advance]:
    """A stage nobody watches."""
    yield lambda n=1: None
