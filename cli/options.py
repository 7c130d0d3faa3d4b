"""Options shared by several commands, defined once so their names and help read the same everywhere."""

from __future__ import annotations

import typer

from visualdistance.analysis import communities
from visualdistance.analysis.presets import DEFAULT_PRESET, PRESETS
from visualdistance.cli.errors import fail
from visualdistance.loader.names import printable

OutOption = typer.Option(..., "--out", "-o", help="Run folder: outputs are written (and later stages read) here.")
StoreOption = typer.Option(
    None, "--store", help="Feature store folder (default: $VISUALDISTANCE_STORE or ~/.cache/visualdistance/features)."
)
WorkersOption = typer.Option(None, "--workers", "-j", min=1, help="Processes for decoding (default: all cores).")
FirstFrameOption = typer.Option(False, "--first-frame-only", help="Animated images: describe only the first frame.")
PresetOption = typer.Option(DEFAULT_PRESET, "--preset", "-p", help=f"Linking method: {', '.join(PRESETS)}.")
AlgorithmOption = typer.Option("leiden", "--algorithm", "-a", help="Community detection: leiden or greedy.")
ObjectiveOption = typer.Option(communities.OBJECTIVE, "--objective", help="Leiden objective: modularity or cpm.")
ResolutionOption = typer.Option(communities.RESOLUTION, "--resolution", help="Leiden CPM resolution (the link density a cluster needs).")
SeedOption = typer.Option(communities.SEED, "--seed", help="Random seed: the same seed gives the same clusters.")
CorpusOption = typer.Option(
    None, "--corpus", show_default=False,
    help="Name of this collection in the graph (one per comic; default: the input folder's name).",
)


def check_corpus(name: str | None) -> str | None:
    """A --corpus value as given, or a one-line refusal (exit 2) of an empty or multi-line one."""
    if name is not None and (not name.strip() or printable(name) != name):
        fail(f"--corpus {printable(name)!r}: give a name of printable characters, e.g. the comic's title", 2)
    return name
