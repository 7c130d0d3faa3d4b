"""What several commands share: the consoles, the feature store's place, the compiling notice, the run-folder lock.

Commands import these from here, never from each other.
"""

from __future__ import annotations

import functools
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from rich.console import Console

from visualdistance.cli.errors import fail
from visualdistance.cli.progress import console as err_console  # progress and errors: stderr
from visualdistance.cli.progress import shown
from visualdistance.loader.names import printable
from visualdistance.loader import run_folder

__all__ = ["check_out", "compiling_notice", "default_store", "err_console", "out_console", "shown", "writes_out"]

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


@contextmanager
def dask_client(executor: str | None, scheduler: str | None, workers: int | None) -> Iterator[object | None]:
    """A `distributed.Client` for --executor dask (a local cluster of `workers` processes) or --scheduler ADDRESS,
    else None (local processes, no Dask). An unreachable scheduler, and one lost inside the block, end the
    command in one line, exit 1."""
    if executor == "processes" and scheduler is not None:
        fail("--scheduler sends the work to a Dask cluster; it cannot go with --executor processes", 2)
    if scheduler is None and executor != "dask":
        yield None
        return
    import distributed  # only a run that asks for Dask pays for importing it

    from visualdistance.loader.cluster import ClusterLost, local_cluster

    where = f"the Dask scheduler at {scheduler}" if scheduler else "the local Dask cluster"
    # distributed logs every failed reconnect with a traceback; what went wrong is said below, in one line.
    # Its loggers carry levels of their own, so the handler that prints them for all is the one to quiet.
    for handler in logging.getLogger("distributed").handlers:
        handler.setLevel(logging.CRITICAL)
    try:
        cluster = None if scheduler else local_cluster(workers or os.cpu_count() or 1)
        client = distributed.Client(cluster or scheduler, timeout=10)
    except (OSError, TimeoutError, ValueError) as exc:
        fail(f"cannot reach {where}: {shown(str(exc) or type(exc).__name__)}")
    try:
        yield client
    except ClusterLost as exc:
        fail(f"lost {where} mid-run ({exc}); what was described is kept in the feature store: "
             "run the same command again to resume")
    finally:
        _close_quietly(client, cluster)


def _close_quietly(client, cluster) -> None:
    """Close the client and the local cluster; a scheduler already gone has nothing left to tell."""
    try:
        client.close(timeout=5)
    except (OSError, TimeoutError):
        pass
    if cluster is not None:
        cluster.close()


def check_out(folder: Path, out: Path) -> None:
    """Refuse an --out that is a file, or the input folder or one holding it (its report would become panels)."""
    if out.exists() and not out.is_dir():
        fail(f"--out {printable(str(out))} is a file; give a folder (it is created if missing)", 2)
    if folder.resolve().is_relative_to(out.resolve()):
        what = "is the input folder" if folder.resolve() == out.resolve() else "holds the input folder"
        fail(f"--out {printable(str(out))} {what}, so later runs would read this run's report images as panels; "
             f"choose another folder (one inside {printable(str(folder))} is fine)", 2)


def writes_out(command):
    """A command that writes into its run folder: --out checked and created, and locked while it runs
    (as `scrape` locks its folder), so two commands never interleave their files."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        out, folder = kwargs["out"], kwargs.get("folder")
        if folder is not None and folder.is_dir():
            check_out(folder, out)
            out.mkdir(parents=True, exist_ok=True)
        if not out.is_dir():
            return command(*args, **kwargs)  # says what the folder lacks
        try:
            with run_folder.RunFolder(out).locked():
                return command(*args, **kwargs)
        except run_folder.RunFolderBusy as exc:
            fail(str(exc))

    return wrapper
