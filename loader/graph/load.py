"""Loading a run into the graph: the schema, rows shaped from the run's arrays, batched idempotent writes.

Writes go in batches (``UNWIND $rows``; links as parallel lists, which the
driver packs far faster than one map per link), one transaction per batch
(``execute_write``, so the driver retries a batch on transient errors), and
MERGE on ids, so loading again, or again after an interruption, gives the same
graph. Every statement lives in ``cypher/*.cypher`` and takes its values as
parameters. Functions here never print or draw; long ones take ``on_progress(n)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import numpy as np
from neo4j import Driver, RoutingControl

from visualdistance import cypher
from visualdistance.analysis.data import Links, Panels
from visualdistance.analysis.figures import Figures
from visualdistance.loader import link_table
from visualdistance.loader.graph.connection import DEFAULT_DATABASE, CorpusTaken
from visualdistance.loader.names import printable, safe_text
from visualdistance.loader.run_folder import RunOutput
from visualdistance.loader.run_folder.layout import DEFAULT_CORPUS  # a run whose run.json names no corpus
from visualdistance.loader.run_folder.panels import panel_records, shown_signatures, unknown_cells

# bench/neo4j_load.py on a 2-core machine: 5,000, 10,000 and 20,000 rows per batch
# load equally fast within noise; 10,000 keeps each transaction well inside the
# 512 MB heap that scripts/neo4j gives the server.
DEFAULT_BATCH_SIZE = 10_000

Progress = Callable[[int], None] | None


# -------------------------------------------------------------- schema


def create_schema(driver: Driver, database: str = DEFAULT_DATABASE) -> None:
    """Constraints and indexes of ``cypher/schema.cypher`` (each IF NOT EXISTS), then wait until they are online."""
    for statement in cypher.statements("schema"):
        driver.execute_query(statement, database_=database)
    driver.execute_query(cypher.load("await_indexes"), database_=database)


# ----------------------------------------------------- rows (pure)


def panel_rows(panels: Panels, figures: Figures | None = None) -> list[dict]:
    """One property map per panel: the panels.csv columns, unknown values (page -1, a signature the panel
    lacks) as null, so the property stays unset; and `figures`, the ids of the figures the panel shows
    (figures.csv), largest figure first, null where it shows none (so a load of another run removes them)."""
    shown = shown_signatures()
    unknown = unknown_cells(shown)
    rows = panel_records(panels, shown)
    shows = panel_figure_lists(figures, len(panels))
    for r, figure_ids in zip(rows, shows):
        r["path"] = safe_text(r["path"])  # Neo4j strings are UTF-8: odd bytes as \xNN, like the id
        for column, cell in unknown.items():
            if r[column] == cell:
                r[column] = None
        r["figures"] = figure_ids
    return rows


def panel_figure_lists(figures: Figures | None, n: int) -> list[list[int] | None]:
    """Per panel row, the distinct figure ids it shows, ascending (largest figure first); None for none."""
    out: list[list[int] | None] = [None] * n
    if figures is None or not len(figures):
        return out
    pairs = np.unique(np.column_stack([figures.panel, figures.figure]).astype(np.int64), axis=0)
    rows, starts = np.unique(pairs[:, 0], return_index=True)
    for row, ids in zip(rows.tolist(), np.split(pairs[:, 1], starts[1:])):
        out[row] = ids.tolist()
    return out


PAGE_FIELDS = ("title", "text", "chat", "url", "status", "fetched_at", "images")


def page_rows(pages: dict[int, dict]) -> list[dict]:
    """One property map per scraped page (number, title, text, chat, url, status, fetched_at, images), by number."""
    return [{"number": int(n), **{k: pages[n].get(k) for k in PAGE_FIELDS}} for n in sorted(pages)]


def link_rows(links: Links, ids: np.ndarray) -> dict:
    """The link table (`link_table.link_table`) as parallel lists for `load_links`: a, b (panel ids,
    a < b as strings) and columns = {rule: [...], mirrored: [...], weight: [...], dist_<metric>: [...], ...}
    (None where not measured: the property is left unset).

    Row-index order (a < b in one run folder) is not id order, and the same
    pair must keep one direction in every folder for MERGE to find it again.
    """
    ids = np.asarray(ids, dtype=object)
    # each panel's box and share go with it when a pair is turned round (Links.flipped)
    table = link_table.link_table(links.flipped(ids[links.b] < ids[links.a]), ids)
    return {"a": table.pop("a"), "b": table.pop("b"), "columns": table}


def slice_columns(columns: dict, start: int, stop: int) -> dict:
    """Rows start:stop of parallel lists (nested dicts of lists too)."""
    return {k: slice_columns(v, start, stop) if isinstance(v, dict) else v[start:stop] for k, v in columns.items()}


def row_batches(rows: list, size: int) -> Iterator[tuple[dict, int]]:
    """(params, row count) per batch of at most `size` rows, with the rows as ``$rows``."""
    _check_batch_size(size)
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        yield {"rows": batch}, len(batch)


def column_batches(columns: dict, n: int, size: int) -> Iterator[tuple[dict, int]]:
    """(params, row count) per batch of at most `size` rows of the parallel lists `columns` (n rows)."""
    _check_batch_size(size)
    for start in range(0, n, size):
        yield slice_columns(columns, start, start + size), min(size, n - start)


def _check_batch_size(size: int) -> None:
    if size < 1:
        raise ValueError("batch size must be at least 1")


# --------------------------------------------------------------- load


@dataclass(frozen=True)
class LoadResult:
    pages: int
    panels: int
    links: int
    corpus: str = DEFAULT_CORPUS


def write_batches(
    driver: Driver,
    statement: str,
    batches: Iterable[tuple[dict, int]],
    on_progress: Progress = None,
    database: str = DEFAULT_DATABASE,
    **params,
) -> None:
    """Run `statement` once per (batch params, row count), one write transaction per batch.

    `params` are added to every batch. on_progress(row count) is called after
    each batch has committed, so a failure there (or anywhere) leaves only
    whole batches behind; MERGE makes running the rest again safe.
    """

    def work(tx, batch_params):
        tx.run(statement, {**params, **batch_params}).consume()

    with driver.session(database=database) as session:
        for batch_params, n in batches:
            session.execute_write(work, batch_params)
            if on_progress:
                on_progress(n)


def claim_corpus(driver: Driver, corpus: str, folder: str | None, database: str = DEFAULT_DATABASE) -> None:
    """Record that `corpus` holds the panels of `folder`; CorpusTaken when it already holds another folder's.

    Every key starts with the corpus, so two corpora never share a node; two
    folders under one corpus name would, and the later load would overwrite the
    earlier one's panels (two comics both have 1_1.png). Panels from before
    corpora existed (no corpus) are refused too: they would sit beside the new ones unkeyed.
    """
    check = driver.execute_query(cypher.load("corpus_check"), name=corpus, database_=database,
                                 routing_=RoutingControl.READ).records[0]
    if check["legacy"]:
        raise CorpusTaken(
            f"the graph holds {check['legacy']:,} panels loaded before corpora existed; start a fresh graph "
            "(`scripts/neo4j stop`, delete .neo4j/data, `scripts/neo4j start`) or delete them: "
            "MATCH (p:Panel) WHERE p.corpus IS NULL DETACH DELETE p"
        )
    held = check["held"]
    if held and folder and held != folder:
        raise CorpusTaken(
            f"corpus {corpus!r} in the graph holds the panels of {printable(held)}, not {printable(folder)}; "
            "give this folder its own corpus: `visualdistance load --out OUT --corpus NAME` "
            "(or `visualdistance run DIR --out OUT --corpus NAME`)"
        )
    driver.execute_query(cypher.load("corpus_record"), name=corpus, input=folder, database_=database)


def load_run(
    driver: Driver,
    run: RunOutput,
    pages: dict[int, dict] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress = None,
    database: str = DEFAULT_DATABASE,
    corpus: str | None = None,
) -> LoadResult:
    """Load a run folder's panels and links (and scraped pages) into the graph; returns what was sent.

    corpus: the key every node gets (default: run.json's "corpus"); refused
    with CorpusTaken, before anything is written, when it holds another
    folder's panels. Pages go first so each panel can be linked to its page as
    it is merged, then panels, then links between them. on_progress counts
    rows of all three. The clustering is not written here: see `write_cluster_run`.
    """
    corpus = corpus or run.info.corpus or DEFAULT_CORPUS
    create_schema(driver, database)
    claim_corpus(driver, corpus, run.info.input, database)
    preset = run.info.method.preset if run.info.method else None
    prows = page_rows(pages or {})
    nrows = panel_rows(run.panels, run.figures)
    write = lambda name, batches, **kw: write_batches(  # noqa: E731
        driver, cypher.load(name), batches, on_progress, database, corpus=corpus, **kw)
    write("load_pages", row_batches(prows, batch_size))
    write("load_panels", row_batches(nrows, batch_size))
    columns = link_rows(run.links, run.panels.ids)
    write("load_links", column_batches(columns, len(run.links), batch_size), preset=preset)
    return LoadResult(pages=len(prows), panels=len(nrows), links=len(run.links), corpus=corpus)


def list_corpora(driver: Driver, database: str = DEFAULT_DATABASE) -> list[dict]:
    """Every corpus in the graph: name, input folder, panels; by name."""
    records = driver.execute_query(cypher.load("corpora"), database_=database, routing_=RoutingControl.READ).records
    return [r.data() for r in records]


def load_total(run: RunOutput, pages: dict[int, dict] | None) -> int:
    """How many rows `load_run` will report through on_progress."""
    return len(pages or {}) + len(run.panels) + len(run.links)


def graph_counts(driver: Driver, database: str = DEFAULT_DATABASE) -> dict[str, int]:
    """Panels, pages, links and cluster runs in the graph."""
    rec = driver.execute_query(cypher.load("graph_counts"), database_=database, routing_=RoutingControl.READ).records[0]
    return dict(rec)
