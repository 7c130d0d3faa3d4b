"""Options shared by several commands, defined once so their names, choices and help read the same everywhere.

Each is an `Annotated` type: a command writes ``preset: PresetChoice = PresetName(DEFAULT_PRESET)``.
Choices are str Enums, so `--help` lists them and click refuses anything else
(exit 2) before a command starts. Every command that works on a run folder names
it the same way: ``--out/-o OUT``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from visualdistance.analysis import communities
from visualdistance.analysis.presets import PRESETS
from visualdistance.cli.errors import fail
from visualdistance.loader import graph
from visualdistance.loader.names import printable

#: the linking methods, by name (the values are the preset names)
PresetName = Enum("PresetName", {name: name for name in PRESETS}, type=str)


#: the community algorithms, by name (communities.ALGORITHMS)
Algorithm = Enum("Algorithm", {name: name for name in communities.ALGORITHMS}, type=str)
#: `cluster` also offers "both": a cluster run of each algorithm
EVERY_ALGORITHM = "both"
ClusterAlgorithm = Enum("ClusterAlgorithm", {**{name: name for name in communities.ALGORITHMS},
                                             EVERY_ALGORITHM: EVERY_ALGORITHM}, type=str)
Objective = Enum("Objective", {name: name for name in communities.OBJECTIVES}, type=str)

RunFolder = Annotated[
    Path,
    typer.Option("--out", "-o", metavar="OUT", show_default=False,
                 help="Run folder: `run` and `extract` write it; the later stages read it and add their files."),
]
Store = Annotated[
    Optional[Path],
    typer.Option("--store", show_default=False,
                 help="Feature store folder (default: $VISUALDISTANCE_STORE or ~/.cache/visualdistance/features)."),
]
#: the most processes or threads a command starts (a typo like -j 100000 must not fork that many)
MAX_WORKERS = 256
#: seeds Leiden takes (a 64-bit integer)
MAX_SEED = 2**63 - 1

#: one meaning in every command: how many cores to keep busy (decoding processes, thumbnail threads)
Workers = Annotated[Optional[int], typer.Option(
    "--workers", "-j", min=1, max=MAX_WORKERS, show_default=False,
    help="Cores to use: processes that decode, threads that make thumbnails (default: all cores; thumbnails at most 8).",
)]
FirstFrameOnly = Annotated[bool, typer.Option("--first-frame-only", help="Animated images: describe only the first frame.")]
PresetChoice = Annotated[PresetName, typer.Option(
    "--preset", "-p", metavar="PRESET",
    help=f"Linking method, one of: {', '.join(PRESETS)} (`visualdistance presets` describes each).",
)]
Exhaustive = Annotated[bool, typer.Option(
    "--exhaustive",
    help="Measure every pair of panels instead of the pairs the preset's nearest-neighbour index proposes "
         "(the same links on every labelled set measured, and slower past about 10,000 drawings). "
         "Presets without an index always measure every pair.",
)]
AlgorithmChoice = Annotated[Algorithm, typer.Option(
    "--algorithm", "-a", help=f"Community detection, one of: {', '.join(communities.ALGORITHMS)}.")]
ClusterAlgorithmChoice = Annotated[ClusterAlgorithm, typer.Option(
    "--algorithm", "-a", help=f"Community detection; {EVERY_ALGORITHM}: one cluster run of each algorithm.")]
ObjectiveChoice = Annotated[Objective, typer.Option("--objective", help="Leiden's objective.")]
Resolution = Annotated[float, typer.Option(
    "--resolution", min=0, max=1e9, help="Leiden CPM resolution (the link density a cluster needs)."
)]
Seed = Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED, help="Random seed: the same seed gives the same clusters.")]
def _corpus(help: str) -> typer.models.OptionInfo:
    """--corpus, whose default each command says in `help`."""
    return typer.Option("--corpus", show_default=False, help=help)


Corpus = Annotated[Optional[str], _corpus("Name of this collection in the graph (one per comic; default: the input folder's name).")]
LoadCorpus = Annotated[Optional[str], _corpus(
    "Load under this corpus name (default: the one in run.json, from `run --corpus` or the input folder's name).")]
ClusterCorpus = Annotated[Optional[str], _corpus("Which corpus to cluster (default: the graph's only one).")]
Uri = Annotated[
    Optional[str],
    typer.Option("--uri", envvar=graph.ENV_VARS["uri"], show_default=False,
                 help="Bolt URI. Default: the local `scripts/neo4j` server, else bolt://127.0.0.1:7687."),
]
User = Annotated[str, typer.Option("--user", envvar=graph.ENV_VARS["user"], help="Neo4j user.")]
Password = Annotated[
    Optional[str],
    typer.Option("--password", envvar=graph.ENV_VARS["password"], show_default=False,
                 help="Password. Default: the local `scripts/neo4j` server's (.neo4j/password)."),
]
Database = Annotated[str, typer.Option("--database", envvar=graph.ENV_VARS["database"], help="Database name.")]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, max=10_000_000, help="Rows per transaction.")]

DEFAULT_ALGORITHM = Algorithm(communities.ALGORITHM)
DEFAULT_OBJECTIVE = Objective(communities.OBJECTIVE)


def check_corpus(name: str | None) -> str | None:
    """A --corpus value as given, or a one-line refusal (exit 2) of an empty or multi-line one."""
    if name is not None and (not name.strip() or printable(name) != name):
        fail(f"--corpus {printable(name)!r}: give a name of printable characters, e.g. the comic's title", 2)
    return name
