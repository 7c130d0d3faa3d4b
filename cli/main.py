"""The `visualdistance` command: one sub-command per user task.

Each command lives in its own module of this package as a plain function with
type hints; this file only names them, so `--help` lists them in pipeline order.
"""

from __future__ import annotations

import typer
import typer.core

from visualdistance.cli.errors import guarded
from visualdistance.cli.options import Version


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

app = typer.Typer(
    name="visualdistance",
    help="Find reused art (recolors, redraws, mirrored redraws) in large collections of drawn images.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(version: Version = False) -> None:
    """Find reused art in a folder of panels: describe, link, cluster, report."""


from visualdistance.cli import pipeline  # noqa: E402
from visualdistance.cli.scrape import scrape  # noqa: E402

# In the order a user meets them: acquire, then the local pipeline and its stages.
app.command("scrape")(guarded(scrape))
app.command("run")(guarded(pipeline.run))
app.command("extract")(guarded(pipeline.extract))
app.command("link")(guarded(pipeline.link))
app.command("communities")(guarded(pipeline.communities_command))
app.command("presets")(guarded(pipeline.presets))

# The similarity graph in Neo4j: load a run folder, cluster in the graph.
from visualdistance.cli import graph as graph_commands  # noqa: E402

app.command("load")(guarded(graph_commands.load))
app.command("cluster")(guarded(graph_commands.cluster))

from visualdistance.cli.report import report  # noqa: E402

# After the pipeline: look at what a run found.
app.command("report")(guarded(report))

from visualdistance.cli.evaluate import evaluate  # noqa: E402

# Measure: score methods against labelled art.
app.command("eval")(guarded(evaluate))
