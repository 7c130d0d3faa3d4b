"""Loading a run folder into Neo4j, as `visualdistance load` and the graph step of `visualdistance run` both do.

Where the server is: --uri/--user/--password/--database, else NEO4J_URI,
NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE, else the local server of
`scripts/neo4j` (its .neo4j/ folder, in the working folder or the checkout
this package runs from), else bolt://127.0.0.1:7687.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import typer

from visualdistance import cypher
from visualdistance.cli.common import err_console, shown
from visualdistance.cli.errors import fail
from visualdistance.cli.progress import progress_bar
from visualdistance.loader import graph, run_folder
from visualdistance.loader.graph import GraphError, Settings
from visualdistance.loader.names import printable
from visualdistance.loader.pages import PAGES_FILE, PagesFileError, read_pages
from visualdistance.loader.run_folder import RunInfo, RunOutput

#: the saved query people are told to try first
FIRST_QUERY = "largest_clusters"


def settings_for(uri: str | None, user: str | None, password: str | None, database: str | None) -> Settings:
    """Connection settings from options; those left out (None) from the NEO4J_* variables, then the local server."""
    return graph.env_settings(graph.find_local_server(), uri=uri, user=user, password=password, database=database)


@contextmanager
def exit_on_graph_error() -> Iterator[None]:
    """A GraphError becomes its one-line message on stderr and exit status 1, never a traceback."""
    try:
        yield
    except GraphError as exc:
        fail(str(exc))


# ------------------------------------------------------------- inputs


def default_pages_file(info: RunInfo) -> Path | None:
    """pages.jsonl in the run's input folder (run.json "input"), when it is there."""
    folder = info.input
    path = Path(folder) / PAGES_FILE if folder else None
    return path if path and path.is_file() else None


def read_page_file(pages: Path | None, info: RunInfo) -> tuple[dict[int, dict], Path | None]:
    """Scraped pages for the load: from --pages (a file, or a folder holding pages.jsonl), else the default.

    A pages file that cannot be used (a page number out of range) ends the command in one line, exit 1.
    """
    if pages is not None:
        path = pages / PAGES_FILE if pages.is_dir() else pages
        if not path.is_file():
            fail(f"--pages {printable(str(path))}: no pages file there", 2)
    else:
        path = default_pages_file(info)
    try:
        return (read_pages(path) if path else {}), path
    except PagesFileError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot read {printable(str(path))}: {exc.strerror or exc}")


def read_run_folder(out: Path) -> RunOutput:
    """The run folder's panels, links, clustering and info; MissingRunFile when it has no links yet."""
    return run_folder.RunFolder(out).read(through="link")


# --------------------------------------------------------------- steps


@dataclasses.dataclass
class Loaded:
    result: graph.LoadResult
    run_id: str | None
    counts: dict


def quiet_driver_logs() -> None:
    """Keep the driver's own log lines off the terminal ("Transaction failed and will be retried", a
    connection dropped: four of them came before the one line that says what went wrong). Every driver
    error ends in a GraphError, whose one line is what a person reads."""
    log = logging.getLogger("neo4j")
    if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
        log.addHandler(logging.NullHandler())
    log.propagate = False
    log.setLevel(logging.CRITICAL + 1)


def load_folder(
    settings: Settings, run: RunOutput, pages: dict[int, dict], batch_size: int, corpus: str | None = None
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


# ------------------------------------------------------- run's graph step


def graph_view_hint(out: Path) -> str:
    return f"For the graph view: `scripts/neo4j start`, then `visualdistance load --out {out}`."


def after_run(out: Path, run: RunOutput, mode: bool | None) -> None:
    """The graph step of `visualdistance run`, after the local outputs are written: `run` is what it holds in
    memory (the run folder as written), so nothing is read back.

    mode True (--neo4j): load into the configured server; a failure exits 1.
    mode None (default): load when a server is configured (NEO4J_URI, or a
    local `scripts/neo4j` server); when none is, or it does not answer, print
    one line saying how to get the graph view and carry on.
    mode False (--no-neo4j): do nothing.
    """
    if mode is False:
        return
    settings = graph.env_settings(graph.find_local_server())
    if mode is None and not settings.configured:
        typer.echo(f"Graph not loaded: no Neo4j configured ({graph.ENV_VARS['uri']}). {graph_view_hint(out)}")
        return
    pages_path = default_pages_file(run.info)
    try:
        page_data = read_pages(pages_path) if pages_path else {}
    except (PagesFileError, OSError) as exc:
        problem = str(exc) if isinstance(exc, PagesFileError) else f"cannot read {printable(str(pages_path))}"
        if mode:
            fail(problem)
        # the local outputs are written; only the graph waits for the pages file
        typer.echo(f"Graph not loaded: {problem}; then `visualdistance load --out {out}`.")
        return
    try:
        loaded = load_folder(settings, run, page_data, graph.DEFAULT_BATCH_SIZE)
    except GraphError as exc:
        if mode:
            fail(str(exc))
        # A taken corpus name already says what to run; a server problem needs the load afterwards.
        then = "" if isinstance(exc, graph.CorpusTaken) else f"; then `visualdistance load --out {out}`"
        typer.echo(f"Graph not loaded: {exc}{then}.")
        return
    print_loaded(settings, loaded, pages_path)
