"""`visualdistance load` and `visualdistance cluster`: the similarity graph in Neo4j.

Also the graph step of `visualdistance run` (`after_run`): load the finished
run folder into the configured Neo4j, or say in one line how to get the graph
view when there is none.

Where the server is: --uri/--user/--password/--database, else NEO4J_URI,
NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE, else the local server of
`scripts/neo4j` (its .neo4j/ folder, in the working folder or the checkout
this package runs from), else bolt://127.0.0.1:7687.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.table import Table

from visualdistance import cypher
from visualdistance.analysis import communities
from visualdistance.cli.options import ObjectiveOption, ResolutionOption, SeedOption, check_corpus
from visualdistance.cli.common import err_console, find_communities, out_console
from visualdistance.cli.progress import progress_bar
from visualdistance.loader import graph, outputs
from visualdistance.loader.graph import GraphError, Settings
from visualdistance.loader.pages import PAGES_FILE, read_pages
from visualdistance.loader.run_record import RunInfo


FIRST_QUERY = "largest_clusters"
ALGORITHM_CHOICES = (*communities.ALGORITHMS, "both")

UriOption = typer.Option(
    None, "--uri", envvar=graph.ENV_VARS["uri"], show_default=False,
    help="Bolt URI. Default: the local `scripts/neo4j` server, else bolt://127.0.0.1:7687.",
)
UserOption = typer.Option(graph.DEFAULT_USER, "--user", envvar=graph.ENV_VARS["user"], help="Neo4j user.")
PasswordOption = typer.Option(
    None, "--password", envvar=graph.ENV_VARS["password"], show_default=False,
    help="Password. Default: the local `scripts/neo4j` server's (.neo4j/password).",
)
DatabaseOption = typer.Option(
    graph.DEFAULT_DATABASE, "--database", envvar=graph.ENV_VARS["database"], help="Database name."
)
BatchOption = typer.Option(graph.DEFAULT_BATCH_SIZE, "--batch-size", min=1, help="Rows per transaction.")


def settings_for(uri: str | None, user: str | None, password: str | None, database: str | None) -> Settings:
    """Connection settings from options (typer fills them from NEO4J_*), gaps filled from the local server."""
    return graph.env_settings(graph.find_local_server(), uri=uri, user=user, password=password, database=database)


@contextmanager
def exit_on_graph_error() -> Iterator[None]:
    """A GraphError becomes its one-line message on stderr and exit status 1, never a traceback."""
    try:
        yield
    except GraphError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


# ------------------------------------------------------------- inputs


def default_pages_file(info: RunInfo) -> Path | None:
    """pages.jsonl in the run's input folder (run.json "input"), when it is there."""
    folder = info.input
    path = Path(folder) / PAGES_FILE if folder else None
    return path if path and path.is_file() else None


def read_page_file(pages: Path | None, info: RunInfo) -> tuple[dict[int, dict], Path | None]:
    """Scraped pages for the load: from --pages (a file, or a folder holding pages.jsonl), else the default."""
    if pages is not None:
        path = pages / PAGES_FILE if pages.is_dir() else pages
        if not path.is_file():
            raise typer.BadParameter(f"no pages file at {path}", param_hint="--pages")
    else:
        path = default_pages_file(info)
    return (read_pages(path) if path else {}), path


def read_run_folder(out: Path) -> outputs.RunOutput:
    """The run folder's panels, links, clustering and info; a usage error when it has no links yet."""
    for name in ("panels.csv", "links.csv"):
        if not (out / name).is_file():
            raise typer.BadParameter(f"{out} has no {name}; run `visualdistance run DIR --out {out}` first", param_hint="OUT")
    return outputs.read_run(out)


# --------------------------------------------------------------- steps


@dataclasses.dataclass
class Loaded:
    result: graph.LoadResult
    run_id: str | None
    counts: dict


class OneLineLog(logging.Handler):
    """The driver's own warnings (a transaction retried, a connection dropped) as one stderr line each."""

    def emit(self, record: logging.LogRecord) -> None:
        text = " ".join(self.format(record).split())
        typer.echo(f"neo4j: {text[:300]}", err=True)


def quiet_driver_logs() -> None:
    """Route the "neo4j" logger through OneLineLog once (instead of Python's multi-line last resort)."""
    log = logging.getLogger("neo4j")
    if not any(isinstance(h, OneLineLog) for h in log.handlers):
        log.addHandler(OneLineLog(logging.WARNING))
        log.propagate = False


def load_folder(
    settings: Settings, run: outputs.RunOutput, pages: dict[int, dict], batch_size: int, corpus: str | None = None
) -> Loaded:
    """Connect, load the run (pages, panels, links) into its corpus with a progress bar, then write its clustering."""
    db = settings.database
    corpus = corpus or run.info.corpus
    quiet_driver_logs()
    # Innermost first: a driver error becomes its one line, then gets the advice to run again.
    with graph.connect(settings) as driver, completes_when_run_again(), graph.errors_explained(settings):
        with progress_bar(graph.load_total(run, pages), "loading graph", "rows") as advance:
            result = graph.load_run(driver, run, pages, batch_size, advance, db, corpus=corpus)
        run_id = None
        if run.clustering is not None:
            n = int((run.clustering.membership >= 0).sum())
            with progress_bar(n, "writing clusters", "panels") as advance:
                run_id = graph.write_cluster_run(driver, run.clustering, run.panels.ids, batch_size, advance, db,
                                                 corpus=corpus)
        return Loaded(result, run_id, graph.graph_counts(driver, db))


def print_loaded(settings: Settings, loaded: Loaded, pages_path: Path | None) -> None:
    """Plain lines (no table: paths and URLs must stay whole for copying)."""
    r, c = loaded.result, loaded.counts
    source = f"pages from {pages_path}" if pages_path else "no pages.jsonl found"
    typer.echo(f"Loaded into {settings.uri} (database {settings.database}), corpus {r.corpus!r}: "
               f"{r.panels:,} panels, {r.links:,} links, {r.pages:,} pages ({source}).")
    if loaded.run_id:
        typer.echo(f"Cluster run {loaded.run_id}: the run folder's clusters.")
    typer.echo(f"The graph holds {c['panels']:,} panels, {c['links']:,} links, {c['pages']:,} pages, "
               f"{c['cluster_runs']:,} cluster runs, {c['corpora']:,} corpora.")
    print_browser_hint(settings, r.corpus)


def print_browser_hint(settings: Settings, corpus: str) -> None:
    local = settings.source.startswith("scripts/neo4j")
    password = "`scripts/neo4j env` prints it" if local else "NEO4J_PASSWORD"
    typer.echo(f"Neo4j Browser: {settings.browser_url} (user {settings.user}, password: {password})")
    typer.echo(f"Try first: paste the saved query {FIRST_QUERY} into it ({cypher.query_path(FIRST_QUERY)}), "
               f"with :param corpus => {json.dumps(corpus)}")


@contextmanager
def completes_when_run_again() -> Iterator[None]:
    """A failure after connecting may leave part of a load behind: say that the same command completes it."""
    try:
        yield
    except graph.CorpusTaken:
        raise  # refused before writing anything
    except GraphError as exc:
        raise GraphError(f"{exc}; the load stopped part-way: run the same command again to complete it") from exc


# ------------------------------------------------------------ commands


def load(
    out: Path = typer.Argument(..., metavar="OUT", help="Run folder written by `visualdistance run`."),
    pages: Optional[Path] = typer.Option(
        None, "--pages", show_default=False,
        help="The scraper's pages.jsonl (or its folder). Default: pages.jsonl in the run's input folder, if any.",
    ),
    corpus: Optional[str] = typer.Option(
        None, "--corpus", show_default=False,
        help="Load under this corpus name (default: the one in run.json, from `run --corpus` or the input folder's name).",
    ),
    batch_size: int = BatchOption,
    uri: Optional[str] = UriOption,
    user: str = UserOption,
    password: Optional[str] = PasswordOption,
    database: str = DatabaseOption,
) -> None:
    """Load a run folder into Neo4j: panels, their story pages, SIMILAR links and the run's clustering.

    Every node is keyed by the run's corpus, so several comics sit side by
    side in one graph; a corpus name that already holds another folder's
    panels is refused.

    Writes (:Panel) nodes with the columns of panels.csv, (:Page)-[:HAS_PANEL]->(:Panel)
    where the scraper's pages.jsonl knows the page, one (:Panel)-[:SIMILAR]->(:Panel)
    per linked pair with its distances, thresholds, rule, mirrored, weight and
    preset, and the folder's clusters as a (:ClusterRun). Loading again, or
    loading a folder with more panels, merges into the same graph: nothing is
    duplicated, and an interrupted load completes when run again.
    """
    check_corpus(corpus)
    with err_console.status(f"reading {out}"):
        run = read_run_folder(out)
    page_data, pages_path = read_page_file(pages, run.info)
    settings = settings_for(uri, user, password, database)
    with exit_on_graph_error():
        loaded = load_folder(settings, run, page_data, batch_size, corpus)
    print_loaded(settings, loaded, pages_path)


def cluster(
    algorithm: str = typer.Option("both", "--algorithm", "-a", help="leiden, greedy, or both (one cluster run each)."),
    metric: Optional[str] = typer.Option(
        None, "--metric", show_default=False,
        help="Only links with a distance for this metric (edges, phash, ahash, dhash, edge_ahash, ...).",
    ),
    max_distance: Optional[float] = typer.Option(
        None, "--max-distance", show_default=False, help="Only links whose --metric distance is at most this."
    ),
    rule: Optional[str] = typer.Option(
        None, "--rule", show_default=False, help="Only links that this rule matched (e.g. edges or phash)."
    ),
    objective: str = ObjectiveOption,
    resolution: float = ResolutionOption,
    seed: int = SeedOption,
    top: int = typer.Option(5, "--top", min=0, help="Clusters to show per run."),
    corpus: Optional[str] = typer.Option(
        None, "--corpus", show_default=False, help="Which corpus to cluster (default: the graph's only one).",
    ),
    batch_size: int = BatchOption,
    uri: Optional[str] = UriOption,
    user: str = UserOption,
    password: Optional[str] = PasswordOption,
    database: str = DatabaseOption,
) -> None:
    """Cluster the SIMILAR graph in Neo4j and write the clusters back as a new cluster run.

    Reads the links (filtered by --metric, --max-distance, --rule), finds
    communities with greedy modularity and Leiden (or one of them), and writes
    (:ClusterRun {id, algorithm, params, modularity, created})-[:HAS_CLUSTER]->(:Cluster {run, id, size})
    with (:Panel)-[:IN_CLUSTER]->(:Cluster). Earlier runs stay, so runs can be
    compared (saved query cluster_run_diff); the same run written twice is one run.
    """
    if algorithm not in ALGORITHM_CHOICES:
        raise typer.BadParameter(f"{algorithm!r}; choose one of: {', '.join(ALGORITHM_CHOICES)}", param_hint="--algorithm")
    if objective not in communities.OBJECTIVES:
        raise typer.BadParameter(f"{objective!r}; choose one of: {', '.join(communities.OBJECTIVES)}", param_hint="--objective")
    try:
        filters = graph.SimilarFilter(metric=metric, rule=rule, max_distance=max_distance)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--max-distance") from None
    algorithms = tuple(communities.ALGORITHMS)[::-1] if algorithm == "both" else (algorithm,)
    settings = settings_for(uri, user, password, database)
    db = settings.database
    quiet_driver_logs()
    with exit_on_graph_error(), graph.connect(settings) as driver:
        corpus = pick_corpus(driver, corpus, db)
        with err_console.status("reading SIMILAR links"):
            ids, a, b, w = graph.read_similar(driver, filters, db, corpus)
        if len(a) == 0:
            typer.echo(f"error: no SIMILAR links in the graph match {filters.params()}; load a run with "
                       "`visualdistance load OUT` or loosen the filters", err=True)
            raise typer.Exit(1)
        for alg in algorithms:
            with err_console.status(f"finding communities ({alg}) in {len(a):,} links"):
                found = find_communities(alg, len(ids), a, b, w, objective, resolution, seed)
            params = {**found.params, "filters": filters.params(), "links": int(len(a)), "corpus": corpus}
            run = dataclasses.replace(found, params=params, run_id=communities.cluster_run_id(params, found.membership, ids))
            with progress_bar(int((run.membership >= 0).sum()), f"writing {alg} clusters", "panels") as advance:
                graph.write_cluster_run(driver, run, ids, batch_size, advance, db, corpus)
            top_rows = graph.run_saved_query(driver, FIRST_QUERY, {"corpus": corpus, "run": run.run_id, "limit": top}, db)
            print_cluster_run(run, len(ids), len(a), top_rows)
    typer.echo(f"Compare runs in Neo4j Browser ({settings.browser_url}) with the saved query cluster_run_diff.")


def pick_corpus(driver, corpus: str | None, database: str) -> str:
    """The corpus to cluster: the one asked for, else the graph's only one; a one-line error otherwise."""
    names = [c["name"] for c in graph.list_corpora(driver, database)]
    if corpus is not None and corpus in names:
        return corpus
    if corpus is None and len(names) == 1:
        return names[0]
    if not names:
        raise GraphError("the graph holds no corpus yet; load a run with `visualdistance load OUT`")
    what = f"no corpus {corpus!r}" if corpus is not None else "several corpora"
    raise GraphError(f"the graph has {what}; choose one with --corpus: {', '.join(map(repr, names))}")


def print_cluster_run(run, n_panels: int, n_links: int, top_rows: list[dict]) -> None:
    q = "" if run.modularity != run.modularity else f", modularity {run.modularity:.3f}"
    typer.echo(f"cluster run {run.run_id}: {run.algorithm}, {run.n_clusters:,} clusters over "
               f"{n_panels:,} linked panels ({n_links:,} links){q}")
    if top_rows:
        t = Table("cluster", "size", "pages", "panels", title_justify="left")
        for r in top_rows:
            shown = ", ".join(r["panels"][:4]) + (f" ... (+{len(r['panels']) - 4})" if len(r["panels"]) > 4 else "")
            t.add_row(str(r["cluster"]), str(r["size"]), f"{r['first_page']}-{r['last_page']}", shown)
        out_console.print(t)


# ------------------------------------------------------- run's graph step


def graph_view_hint(out: Path) -> str:
    return f"For the graph view: `scripts/neo4j start`, then `visualdistance load {out}`."


def after_run(out: Path, mode: bool | None) -> None:
    """The graph step of `visualdistance run`, after the local outputs are written.

    mode True (--neo4j): load into the configured server; a failure exits 1.
    mode None (default): load when a server is configured (NEO4J_URI, or a
    local `scripts/neo4j` server); when none is, or it does not answer, print
    one line saying how to get the graph view and carry on.
    mode False (--no-neo4j): do nothing.
    """
    if mode is False:
        return
    local = graph.find_local_server()
    if mode is None and not os.environ.get(graph.ENV_VARS["uri"]) and local is None:
        typer.echo(f"Graph not loaded: no Neo4j configured ({graph.ENV_VARS['uri']}). {graph_view_hint(out)}")
        return
    settings = graph.env_settings(local)
    with err_console.status(f"reading {out} for the graph"):
        run = outputs.read_run(out)
    page_data, pages_path = read_page_file(None, run.info)
    try:
        loaded = load_folder(settings, run, page_data, graph.DEFAULT_BATCH_SIZE)
    except GraphError as exc:
        if mode:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        # A taken corpus name already says what to run; a server problem needs the load afterwards.
        then = "" if isinstance(exc, graph.CorpusTaken) else f"; then `visualdistance load {out}`"
        typer.echo(f"Graph not loaded: {exc}{then}.")
        return
    print_loaded(settings, loaded, pages_path)
