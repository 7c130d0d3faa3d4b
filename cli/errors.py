"""What every command does with Ctrl-C and with a damaged run folder: one line, a fixed exit status.

Commands are registered through `guarded`, so no command can end in a
traceback (or click's bare "Aborted!") for either.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable

import typer

from visualdistance.cli.progress import console as err_console
from visualdistance.cli.progress import shown
from visualdistance.loader.names import printable
from visualdistance.loader import run_folder
from visualdistance.loader.run_folder import DamagedRunFile, MissingRunFile, stage_of

INTERRUPTED = "interrupted; run the same command again to resume"
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for a Ctrl-C


def guarded(command: Callable) -> Callable:
    """`command` with Ctrl-C -> INTERRUPTED, exit 130, and a damaged run-folder file -> its one line, exit 1."""

    @functools.wraps(command)  # typer reads the options from the wrapped signature
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt:
            typer.echo(INTERRUPTED, err=True)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except DamagedRunFile as exc:
            fail(damage_line(exc))

    return wrapper


#: the command that writes each stage's run-folder files again, for messages (OUT: the folder; DIR: its input);
#: run.json and files of no stage: `run`
WRITTEN_BY = {
    "extract": "run DIR --out OUT",
    "link": "link --out OUT",
    "communities": "communities --out OUT",
}


def writer_of(path: Path) -> str:
    """The command that writes a run-folder file, with its folder and the run's input filled in."""
    out = Path(path).parent
    command = WRITTEN_BY.get(stage_of(Path(path).name), WRITTEN_BY["extract"])
    folder = run_folder.RunFolder(out).recorded_input()
    return f"visualdistance {command.replace('OUT', printable(str(out))).replace('DIR', printable(folder) if folder else 'DIR')}"


def damage_line(exc: DamagedRunFile) -> str:
    """A damaged or missing run-folder file's one line: what is wrong, and the command that writes it."""
    if isinstance(exc, MissingRunFile):
        return f"{exc}; run `{writer_of(exc.path)}` first"
    return f"{exc}; run `{writer_of(exc.path)}` to write it again"


def fail(message: str, code: int = 1) -> None:
    """End the command with one line on stderr, "error: <message>" (escaped: paths and URLs may hold "[...]",
    names a newline)."""
    err_console.print(f"[bold red]error:[/] {shown(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
