"""Every option and argument of every command, defined once so names, choices, ranges and help read the same.

Each is an `Annotated` type: a command writes ``preset: PresetChoice = PresetName(DEFAULT_PRESET)``
(the default stays in the command's signature, where typer reads it). Choices are str Enums
generated from the registries (presets.PRESETS, baselines.BASELINES, communities.ALGORITHMS), so a
method or algorithm registered there is offered, listed in --help and checked by click (exit 2)
before a command starts. A numeric option carries its range (`min=`, `max=`) for the same reason.

The first sections hold what several commands share: the run folder is ``--out/-o OUT`` wherever a
command works on one, ``-j/--workers`` means cores everywhere, ``--corpus`` is one option. The last
sections hold what one command alone takes, so its help sits beside the rest.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from visualdistance.analysis import communities
from visualdistance.analysis.baselines import BASELINES
from visualdistance.analysis.presets import PRESETS
from visualdistance.cli.errors import fail
from visualdistance.loader import graph
from visualdistance.loader.names import printable
from visualdistance.loader.pages import MAX_PAGE

# ------------------------------------------------------------------- choices

#: the linking methods, by name (the values are the preset names)
PresetName = Enum("PresetName", {name: name for name in PRESETS}, type=str)
#: every method eval can score: the presets, then the imagehash baselines
METHODS = {**PRESETS, **BASELINES}
Method = Enum("Method", {m: m for m in METHODS}, type=str)
#: the community algorithms, by name (communities.ALGORITHMS)
Algorithm = Enum("Algorithm", {name: name for name in communities.ALGORITHMS}, type=str)
#: `cluster` also offers "both": a cluster run of each algorithm
EVERY_ALGORITHM = "both"
ClusterAlgorithm = Enum("ClusterAlgorithm", {**{name: name for name in communities.ALGORITHMS},
                                             EVERY_ALGORITHM: EVERY_ALGORITHM}, type=str)
Objective = Enum("Objective", {name: name for name in communities.OBJECTIVES}, type=str)
DEFAULT_ALGORITHM = Algorithm(communities.ALGORITHM)
DEFAULT_OBJECTIVE = Objective(communities.OBJECTIVE)
#: the distances and rules a link of some preset carries, for cluster's filters
METRIC_NAMES = tuple(dict.fromkeys(m.name for p in PRESETS.values() for m in p.metrics))
RULE_NAMES = tuple(dict.fromkeys(r.name for p in PRESETS.values() for r in p.rules))

# -------------------------------------------------------------------- ranges

#: the most processes or threads a command starts (a typo like -j 100000 must not fork that many)
MAX_WORKERS = 256
#: seeds Leiden takes (a 64-bit integer)
MAX_SEED = 2**63 - 1
# A negative size or a zero timeout is a mistake, never a setting; a wait over a day is too.
MIN_TIMEOUT_S = 0.01
MAX_WAIT_S = 86_400.0
MAX_CONCURRENCY = 64
MIN_IMAGE_MB = 0.001  # about 1 kB: below that no panel is an image
MAX_IMAGE_MB = 4096.0

# ------------------------------------------------- the run folder and panels

RunFolder = Annotated[
    Path,
    typer.Option("--out", "-o", metavar="OUT", show_default=False,
                 help="Run folder: `run` and `extract` write it; the later stages read it and add their files."),
]
PanelsDir = Annotated[Path, typer.Argument(metavar="DIR", help="Folder of panels (searched recursively).")]
Store = Annotated[
    Optional[Path],
    typer.Option("--store", show_default=False,
                 help="Feature store folder (default: $VISUALDISTANCE_STORE or ~/.cache/visualdistance/features)."),
]
#: one meaning in every command that takes it: how many cores to keep busy
Workers = Annotated[Optional[int], typer.Option(
    "--workers", "-j", min=1, max=MAX_WORKERS, show_default=False,
    help="Cores to use, in every command alike: run, extract and eval decode and describe panels in that many "
         "processes, report makes thumbnails in that many threads (default: all cores; thumbnails at most 8).",
)]
FirstFrameOnly = Annotated[bool, typer.Option("--first-frame-only", help="Animated images: describe only the first frame.")]
#: where describing and linking run
Executor = Enum("Executor", {"processes": "processes", "dask": "dask"}, type=str)
ExecutorChoice = Annotated[Optional[Executor], typer.Option(
    "--executor", show_default=False, metavar="EXECUTOR",
    help="Where describing and linking run: processes (this machine's; the default) or dask (a Dask cluster "
         "started on this machine, a worker process per core or -j of them, or the running one --scheduler names).",
)]
Scheduler = Annotated[Optional[str], typer.Option(
    "--scheduler", show_default=False, metavar="ADDRESS",
    help="Describe and link on a running Dask cluster: its `dask scheduler`'s address (tcp://host:8786); implies "
         "--executor dask. Workers must see DIR and the feature store at the same paths (a shared file system).",
)]
Corpus = Annotated[Optional[str], typer.Option(
    "--corpus", show_default=False,
    help="Name of the collection in the graph, one per comic. Default: run and extract name it after the input "
         "folder; load takes the one in run.json; cluster takes the graph's only one.",
)]

# ----------------------------------------------------- linking, communities

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

# --------------------------------------------------------------------- Neo4j

# No envvar= here: the NEO4J_* variables are read in one place, graph.env_settings, which fills
# every option left out (None) from them, then from the local server.
Uri = Annotated[
    Optional[str],
    typer.Option("--uri", show_default=False,
                 help=f"Bolt URI. Default: ${graph.ENV_VARS['uri']}, else the local `scripts/neo4j` server, "
                      f"else {graph.DEFAULT_URI}."),
]
User = Annotated[Optional[str], typer.Option("--user", show_default=False,
                                             help=f"Neo4j user. Default: ${graph.ENV_VARS['user']}, else {graph.DEFAULT_USER}.")]
Password = Annotated[
    Optional[str],
    typer.Option("--password", show_default=False,
                 help=f"Password. Default: ${graph.ENV_VARS['password']}, else the local `scripts/neo4j` server's "
                      "(.neo4j/password)."),
]
Database = Annotated[Optional[str], typer.Option("--database", show_default=False,
                                                 help=f"Database name. Default: ${graph.ENV_VARS['database']}, "
                                                      f"else {graph.DEFAULT_DATABASE}.")]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, max=10_000_000, help="Rows per transaction.")]
Neo4jAfterRun = Annotated[Optional[bool], typer.Option(
    "--neo4j/--no-neo4j", show_default=False,
    help="Load the results into Neo4j. Default: when one is configured (NEO4J_URI, or a local scripts/neo4j server).",
)]
PagesFile = Annotated[Optional[Path], typer.Option(
    "--pages", show_default=False,
    help="The scraper's pages.jsonl (or its folder). Default: pages.jsonl in the run's input folder, if any.",
)]
MetricFilter = Annotated[Optional[str], typer.Option(
    "--metric", show_default=False,
    help=f"Only links with a distance for this metric (the presets measure {', '.join(METRIC_NAMES)}).",
)]
MaxDistance = Annotated[Optional[float], typer.Option(
    "--max-distance", min=0, max=1e12, show_default=False, help="Only links whose --metric distance is at most this."
)]
RuleFilter = Annotated[Optional[str], typer.Option(
    "--rule", show_default=False, help=f"Only links that this rule matched (the presets' rules: {', '.join(RULE_NAMES)})."
)]
Top = Annotated[int, typer.Option("--top", min=0, max=10_000, help="Clusters to show per run.")]

# -------------------------------------------------------------------- report

ReportFolder = Annotated[Optional[Path], typer.Option("--to", show_default=False, help="Report folder (default: OUT/report).")]
ImagesDir = Annotated[Optional[Path], typer.Option(
    "--images", show_default=False, help="Folder of the panel images (default: the input folder recorded in OUT/run.json)."
)]
PerPage = Annotated[int, typer.Option("--per-page", min=1, help="Clusters per HTML page.")]
LinksPerCluster = Annotated[int, typer.Option(
    "--links-per-cluster", min=0, help="Strongest links explained per cluster, besides one tie per member."
)]
Force = Annotated[bool, typer.Option(
    "--force", help="Write into a --to folder that holds other files than a report (its files of the report's "
                    "names are replaced)."
)]

# ---------------------------------------------------------------------- eval

LabelledDir = Annotated[Path, typer.Argument(metavar="DIR", help="Folder of labelled images.")]
Labels = Annotated[Path, typer.Option("--labels", "-l", help="CSV with columns file,group (optional: mirrored, blank, variant).")]
MirrorPairs = Annotated[Optional[Path], typer.Option(
    "--mirror-pairs", show_default=False,
    help="CSV file_a,file_b of mirrored redraws (default: DIR/mirror_pairs.csv if present).",
)]
Methods = Annotated[list[Method], typer.Option(
    "--preset", "-p", metavar="METHOD", show_default=False,
    help=f"Methods to score (repeat), of: {', '.join(METHODS)}; default: all presets and baselines."
)]
Baselines = Annotated[bool, typer.Option("--baselines/--no-baselines", help=f"Also score the baselines: {', '.join(BASELINES)}.")]
ScoreClusters = Annotated[bool, typer.Option(
    "--clusters/--no-clusters", help="Also score clusterings (ARI, NMI) and the write-up's k-means."
)]
JsonFile = Annotated[Optional[Path], typer.Option("--json", show_default=False, help="Write every figure as JSON here.")]
MarkdownFile = Annotated[Optional[Path], typer.Option("--markdown", show_default=False, help="Write the tables as Markdown here.")]
ExplainFolder = Annotated[Optional[Path], typer.Option(
    "--explain", show_default=False,
    help="Write a page to this folder showing, for each pair the default method missed "
    "(and each false link), the two images, the drawings it compared and the step that lost the pair. "
    "With a preset that finds regions (-p drawing-regions), that preset's, and the step of its region search too.",
)]

# -------------------------------------------------------------------- scrape

ScrapeFolder = Annotated[
    Path, typer.Option("--out", "-o", help="Folder for the images and pages.jsonl; created if missing.", file_okay=False)
]
FirstPage = Annotated[int, typer.Option("--first", min=0, max=MAX_PAGE, help="First page number.")]
LastPage = Annotated[int, typer.Option("--last", min=0, max=MAX_PAGE, help="Last page number (inclusive).")]
BaseUrl = Annotated[str, typer.Option("--base-url", help="Site root; page N is BASE_URL/story/N.")]
Selector = Annotated[str, typer.Option("--selector", help="CSS selector of the panel <img> tags.")]
Delay = Annotated[float, typer.Option(
    "--delay", min=0, max=MAX_WAIT_S, help="Seconds between the starts of any two requests, all workers together.")]
Concurrency = Annotated[int, typer.Option("--concurrency", min=1, max=MAX_CONCURRENCY, help="Pages in progress at once.")]
Timeout = Annotated[float, typer.Option("--timeout", min=MIN_TIMEOUT_S, max=MAX_WAIT_S, help="Seconds to wait to connect, and for each read.")]
ResponseTimeout = Annotated[float, typer.Option(
    "--response-timeout", min=MIN_TIMEOUT_S, max=MAX_WAIT_S,
    help="Most seconds one response may take in all (headers and body): a server that trickles bytes "
         "never trips --timeout. Counts as a timeout (retried).",
)]
PageTimeout = Annotated[float, typer.Option(
    "--page-timeout", min=MIN_TIMEOUT_S, max=MAX_WAIT_S,
    help="Most seconds one page may take with its images and retries; then it is recorded as failed.",
)]
Retries = Annotated[int, typer.Option("--retries", min=0, max=100, help="Extra attempts on timeouts, connection errors, HTTP 429 and 5xx.")]
Backoff = Annotated[float, typer.Option("--backoff", min=0, max=MAX_WAIT_S, help="Seconds before the first retry; doubles on each next one.")]
UserAgent = Annotated[str, typer.Option("--user-agent", help="User-Agent header sent with every request.")]
AllowOtherHosts = Annotated[bool, typer.Option("--allow-other-hosts", help="Also fetch images hosted outside BASE_URL's host.")]
MaxImageMb = Annotated[float, typer.Option("--max-image-mb", min=MIN_IMAGE_MB, max=MAX_IMAGE_MB, help="Reject images larger than this many MiB.")]
StopAfterFailures = Annotated[int, typer.Option(
    "--stop-after-failures", min=0, help="Stop the run after this many failed pages in a row (site down, blocked); 0: never.")]


def check_corpus(name: str | None) -> str | None:
    """A --corpus value as given, or a one-line refusal (exit 2) of an empty or multi-line one."""
    if name is not None and (not name.strip() or printable(name) != name):
        fail(f"--corpus {printable(name)!r}: give a name of printable characters, e.g. the comic's title", 2)
    return name
