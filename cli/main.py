"""The `visualdistance` command: one sub-command per user task.

Each command lives in its own module of this package as a plain function with
type hints; this file only names them (`COMMANDS`), so `--help` lists them in
pipeline order. A command's module is imported when that command runs: the
modules bring numba, igraph and faiss with them, which `visualdistance --help`
and `--version` never need (tests/cli/test_main_cli.py checks it).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from typing import Annotated

import typer
import typer.core
import typer.main
import typer.models

from visualdistance import __version__


def _flags_take_no_value() -> None:
    """--help shows a flag without a value placeholder (`--exhaustive`, not `--exhaustive <bool>`).

    typer's rich help asks every option for its type, flags included, and gets "<bool>" back
    (its plain help leaves flags out); the placeholder reads as if the flag took a value.
    """
    show = getattr(typer.core.TyperOption, "display_type_rich", None)
    if show is None or getattr(show, "skips_flags", False):
        return

    def display_type_rich(self, ctx):
        return None if getattr(self, "is_flag", False) else show(self, ctx)

    display_type_rich.skips_flags = True
    typer.core.TyperOption.display_type_rich = display_type_rich


_flags_take_no_value()

#: every command: its name, then the module of this package and the function that is it, in the order a user
#: meets them: acquire, the local pipeline and its stages, the graph in Neo4j, look at a run, measure
COMMANDS = {
    "scrape": ("scrape", "scrape"),
    "run": ("pipeline", "run"),
    "extract": ("pipeline", "extract"),
    "link": ("pipeline", "link"),
    "communities": ("pipeline", "communities_command"),
    "presets": ("pipeline", "presets"),
    "load": ("graph", "load"),
    "cluster": ("graph", "cluster"),
    "report": ("report", "report"),
    "eval": ("evaluate", "evaluate"),
}


def _docstring(module: str, function: str) -> str:
    """The docstring of a command function, read from its module's source without importing the module."""
    spec = importlib.util.find_spec(f"visualdistance.cli.{module}")
    source = spec.loader.get_source(spec.name) if spec and spec.loader else None
    if source is None:  # no source to read (a bytecode-only install): import it after all
        return getattr(importlib.import_module(f"visualdistance.cli.{module}"), function).__doc__ or ""
    found = (n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == function)
    return ast.get_docstring(next(found)) or ""


class LazyCommands(typer.core.TyperGroup):
    """The group of `COMMANDS`: listed (in --help, in "did you mean") by name and docstring alone, and built from
    their modules only when one runs or shows its own help."""

    def __init__(self, **attrs) -> None:
        super().__init__(**attrs)
        self.loaded: set[str] = set()
        for name, (module, function) in COMMANDS.items():
            self.commands.setdefault(name, typer.core.TyperCommand(name, help=_docstring(module, function)))

    def resolve_command(self, ctx: typer.Context, args: list[str]):
        name, listed, rest = super().resolve_command(ctx, args)
        if name in COMMANDS and name not in self.loaded:
            self.commands[name] = listed = self._load(name)
            self.loaded.add(name)
        return name, listed, rest

    def _load(self, name: str) -> typer.core.TyperCommand:
        from visualdistance.cli.errors import guarded  # with the run folder's errors: only for a command that runs

        module, function = COMMANDS[name]
        command = getattr(importlib.import_module(f"visualdistance.cli.{module}"), function)
        info = typer.models.CommandInfo(name=name, callback=guarded(command))
        return typer.main.get_command_from_info(info, pretty_exceptions_short=app.pretty_exceptions_short,
                                                rich_markup_mode=app.rich_markup_mode)


app = typer.Typer(
    name="visualdistance",
    help="Find reused art (recolors, redraws, mirrored redraws) in large collections of drawn images.",
    cls=LazyCommands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"visualdistance {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")] = False,
) -> None:
    """Find reused art in a folder of panels: describe, link, cluster, report."""
