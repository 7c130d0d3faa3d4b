"""What every command does with Ctrl-C and with a damaged run folder: one line, a fixed exit status.

Commands are registered through `guarded`, so no command can end in a
traceback (or click's bare "Aborted!") for either.
"""

from __future__ import annotations

import functools
from typing import Callable

import typer

from visualdistance.cli.progress import console as err_console
from visualdistance.cli.progress import shown
from visualdistance.loader.outputs import DamagedRunFile

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
            fail(str(exc))

    return wrapper


def fail(message: str, code: int = 1) -> None:
    """End the command with one line on stderr, "error: <message>" (escaped: paths and URLs may hold "[...]",
    names a newline)."""
    err_console.print(f"[bold red]error:[/] {shown(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
