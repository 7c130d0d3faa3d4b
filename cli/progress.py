"""One progress bar look for every long command: count, rate and time left.

Loader functions never draw: they report through one protocol (`loader.progress`: open a stage
with ``progress(total, description, unit)``, advance it). `progress_bar` is that protocol drawn:
commands pass it as ``progress=progress_bar``, or open one bar themselves around a loader call
that takes an ``advance``.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from visualdistance.loader.names import printable
from visualdistance.loader.progress import Advance

# Progress goes to stderr so stdout stays clean for summaries and pipes.
console = Console(stderr=True)


def shown(text: object) -> str:
    """Anything from outside (a panel id, a path, a URL, an error's text) for a rich line or table cell:
    one line of valid text, never read as markup (a file named "[/x].png" is not a closing tag).

    Every value interpolated into what rich renders goes through here; plain `typer.echo` lines need not.
    """
    return escape(printable(str(text)))


class RateColumn(ProgressColumn):
    """Items per second, in the unit the bar counts (panels, pages, rows)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text(f"- {self.unit}/s", style="progress.data.speed")
        return Text(f"{speed:,.0f} {self.unit}/s", style="progress.data.speed")


@contextmanager
def progress_bar(total: int | None, description: str, unit: str = "items") -> Iterator[Advance]:
    """Show a bar for `total` units; yields ``advance(n)`` to call as work is done (a `loader.progress.Progress`)."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        RateColumn(unit),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    with progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
