"""What several commands share: the consoles, the feature store's place, the compiling notice.

Commands import these from here, never from each other.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rich.console import Console

from visualdistance.cli.progress import console as err_console  # progress and errors: stderr
from visualdistance.cli.progress import shown

__all__ = ["compiling_notice", "default_store", "err_console", "out_console", "shown"]

#: what a person reads while numba compiles the linking kernels (once: they are cached on disk afterwards)
COMPILING = "compiling the linking kernels: first run only, up to a minute"

out_console = Console()  # stdout: summaries are the output, progress goes to stderr


def default_store() -> Path:
    """The feature store: $VISUALDISTANCE_STORE, else the user's cache folder."""
    env = os.environ.get("VISUALDISTANCE_STORE")
    if env:
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "visualdistance" / "features"


@contextmanager
def compiling_notice() -> Iterator[None]:
    """Inside the block, say once on stderr when numba starts compiling a kernel (the first run after an
    install or an upgrade spends tens of seconds there, which looked like a hang). Kernels loaded from
    numba's cache compile nothing and say nothing."""
    from numba.core import event

    class Say(event.Listener):
        said = False

        def on_start(self, ev) -> None:
            if not self.said:
                self.said = True
                err_console.print(COMPILING, highlight=False)

        def on_end(self, ev) -> None:
            pass

    with event.install_listener("numba:compile", Say()):
        yield
