"""The similarity graph in Neo4j: connect, create the schema, load a run, read and write clusterings.

Graph model (every key starts with the corpus: one per input folder, so several
comics sit side by side and two 1_1.png are two panels)::

    (:Corpus {name, input, created})
    (:Page {corpus, number, title, text, chat, url, status, ...})-[:HAS_PANEL]->(:Panel {corpus, id, page, ...})
    (:Panel)-[:SIMILAR {dist_<metric>, threshold_<metric>, rule, mirrored, weight, preset}]->(:Panel)
    (:ClusterRun {corpus, id, algorithm, params, modularity, created})-[:HAS_CLUSTER]->(:Cluster {corpus, run, id, size})
    (:Panel)-[:IN_CLUSTER]->(:Cluster)

Every statement lives in ``cypher/*.cypher`` and takes its values as
parameters. Writes go in batches (``UNWIND $rows``; links as parallel lists,
which the driver packs far faster than one map per link), one transaction per
batch (``execute_write``, so the driver retries a batch on transient errors),
and MERGE on ids, so loading again, or again after an interruption, gives the
same graph. Functions here never print or draw; long ones take ``on_progress(n)``.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence
from urllib.parse import urlsplit

import numpy as np
from neo4j import Driver, GraphDatabase, RoutingControl
from neo4j import exceptions as neo4j_errors

from visualdistance import cypher
from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.loader import link_table
from visualdistance.loader.names import printable, safe_text
from visualdistance.loader.run_folder import DEFAULT_CORPUS as RUN_DEFAULT_CORPUS
from visualdistance.loader.run_folder import RunOutput
from visualdistance.loader.run_folder.panels import panel_records, shown_signatures, unknown_cells

DEFAULT_URI = "bolt://127.0.0.1:7687"
DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"
DEFAULT_HTTP_PORT = 7474
# bench/neo4j_load.py on a 2-core machine: 5,000, 10,000 and 20,000 rows per batch
# load equally fast within noise; 10,000 keeps each transaction well inside the
# 512 MB heap that scripts/neo4j gives the server.
DEFAULT_BATCH_SIZE = 10_000
#: seconds to open a connection, and to get one that answers (the Bolt handshake and login included)
CONNECT_TIMEOUT_S = 5.0
ANSWER_TIMEOUT_S = 10.0
#: the corpus of a run whose run.json names none (library callers, benchmarks)
DEFAULT_CORPUS = RUN_DEFAULT_CORPUS

Progress = Callable[[int], None] | None


class GraphError(Exception):
    """A Neo4j problem explained in one line (unreachable, refused, no such database, failed statement)."""


class CorpusTaken(GraphError):
    """A load refused before writing anything: its corpus name already holds another folder's panels."""


# ------------------------------------------------------------ settings


@dataclass(frozen=True)
class Settings:
    """Where the graph lives. `source` says where uri and password came from, for messages."""

    uri: str = DEFAULT_URI
    user: str = DEFAULT_USER
    password: str | None = None
    database: str = DEFAULT_DATABASE
    http_url: str | None = None
    source: str = "default"

    @property
    def browser_url(self) -> str:
        """Neo4j Browser's address: the HTTP side of the same host."""
        if self.http_url:
            return self.http_url.rstrip("/") + "/browser/"
        host = urlsplit(self.uri).hostname or "127.0.0.1"
        return f"http://{host}:{DEFAULT_HTTP_PORT}/browser/"


def checkout_root() -> Path:
    """The source checkout this package runs from (an editable install), where scripts/neo4j keeps .neo4j/."""
    return Path(__file__).resolve().parent.parent


def local_roots() -> list[Path]:
    """Folders that may hold the .neo4j/ state of `scripts/neo4j`: the working folder, then the checkout."""
    roots = [Path.cwd(), checkout_root()]
    return list(dict.fromkeys(r.resolve() for r in roots))


def local_server(root: Path) -> Settings | None:
    """Settings of the `scripts/neo4j` server kept under `root`/.neo4j, or None when there is none.

    The password is the generated one in .neo4j/password; the ports are read
    back from the conf file that `scripts/neo4j start` wrote.
    """
    home = root / ".neo4j"
    try:
        password = (home / "password").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    conf = home / "conf" / "neo4j.conf"
    text = conf.read_text(encoding="utf-8") if conf.is_file() else ""

    def port(setting: str, default: int) -> int:
        found = re.findall(rf"^{re.escape(setting)}=127\.0\.0\.1:(\d+)\s*$", text, flags=re.M)
        return int(found[-1]) if found else default

    bolt = port("server.bolt.listen_address", 7687)
    http = port("server.http.listen_address", DEFAULT_HTTP_PORT)
    return Settings(
        uri=f"bolt://127.0.0.1:{bolt}",
        password=password or None,
        http_url=f"http://127.0.0.1:{http}",
        source=f"scripts/neo4j ({home})",
    )


def find_local_server(roots: Sequence[Path] | None = None) -> Settings | None:
    """The first `scripts/neo4j` server state found under `roots` (default: `local_roots()`)."""
    for root in local_roots() if roots is None else roots:
        found = local_server(root)
        if found:
            return found
    return None


#: the environment variables that configure the server, by Settings field
ENV_VARS = {"uri": "NEO4J_URI", "user": "NEO4J_USER", "password": "NEO4J_PASSWORD", "database": "NEO4J_DATABASE",
            "http_url": "NEO4J_HTTP_URL"}


def env_settings(local: Settings | None = None, **given: str | None) -> Settings:
    """Settings from the values `given` (uri=, user=, ...; None = not given), else the NEO4J_* variables
    (ENV_VARS), else `local` (see resolve_settings)."""
    values = {field: given.get(field) if given.get(field) is not None else os.environ.get(var) for field, var in ENV_VARS.items()}
    return resolve_settings(**values, local=local)


def resolve_settings(
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    http_url: str | None = None,
    local: Settings | None = None,
) -> Settings:
    """Settings from explicit values (options or NEO4J_* variables), filling gaps from `local`.

    No uri: the local `scripts/neo4j` server when `local` is given, else
    bolt://127.0.0.1:7687. No password: the local server's, but only when the
    uri is that server's (a password is never sent to another host).
    """
    base = local if (local and (uri is None or uri == local.uri)) else None
    return Settings(
        uri=uri or (base.uri if base else DEFAULT_URI),
        user=user or DEFAULT_USER,
        password=password if password is not None else (base.password if base else None),
        database=database or DEFAULT_DATABASE,
        http_url=http_url or (base.http_url if base else None),
        source="given" if uri else (base.source if base else "default"),
    )


# ---------------------------------------------------------- connecting


def explain(exc: Exception, settings: Settings) -> str:
    """One line saying what went wrong talking to Neo4j and what to do about it."""
    where = settings.uri
    if isinstance(exc, neo4j_errors.Neo4jError) and exc.code == "Neo.ClientError.Security.AuthenticationRateLimit":
        return (
            f"Neo4j at {where} refuses user {settings.user!r} for now after several wrong passwords in a row: "
            "wait a few seconds, then try again with the right one (NEO4J_PASSWORD or --password)"
        )
    if isinstance(exc, neo4j_errors.AuthError):
        return (
            f"Neo4j at {where} refused user {settings.user!r}: wrong password? Set NEO4J_PASSWORD or --password "
            "(`scripts/neo4j env` prints the local server's)"
        )
    if isinstance(exc, neo4j_errors.ClientError) and exc.code == "Neo.ClientError.Database.DatabaseNotFound":
        return (
            f"Neo4j at {where} has no database {settings.database!r} "
            f"(Community edition has one, 'neo4j'; set NEO4J_DATABASE or --database)"
        )
    if isinstance(exc, (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError)):
        return (
            f"cannot reach Neo4j at {where}: is it running? Start the local one with `scripts/neo4j start` "
            "or set NEO4J_URI"
        )
    if isinstance(exc, neo4j_errors.Neo4jError):
        return f"Neo4j at {where} failed: {exc.code}: {exc.message}"
    return f"Neo4j at {where} failed: {type(exc).__name__}: {exc}"


@contextmanager
def errors_explained(settings: Settings) -> Iterator[None]:
    """Turn any driver error inside the block into a GraphError with a one-line message."""
    try:
        yield
    except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
        raise GraphError(explain(exc, settings)) from exc


@contextmanager
def connect(settings: Settings) -> Iterator[Driver]:
    """A driver that has answered once on `settings.database`; GraphError (one line) when it cannot.

    Driver errors raised inside the block become GraphErrors too.
    """
    auth = (settings.user, settings.password or "")
    try:
        # Short timeouts: an unreachable server should say so within seconds. The connection timeout
        # covers the TCP connect only; a port that accepts and never answers (another program, a
        # hung server) is bounded by the acquisition timeout, 60 s by default. No notifications: the
        # driver would log each as a block of text (query, position, advice).
        driver = GraphDatabase.driver(settings.uri, auth=auth, connection_timeout=CONNECT_TIMEOUT_S,
                                      connection_acquisition_timeout=ANSWER_TIMEOUT_S,
                                      notifications_min_severity="OFF")
    except Exception as exc:  # the driver raises ValueError, ConfigurationError or ImportError for a bad URI
        raise GraphError(f"cannot use Neo4j URI {settings.uri!r}: {exc}") from exc
    try:
        with errors_explained(settings):
            driver.verify_connectivity()
            # verify_connectivity does not check the database; a query there does.
            driver.execute_query(cypher.load("ping"), database_=settings.database, routing_=RoutingControl.READ)
            yield driver
    finally:
        driver.close()


# -------------------------------------------------------------- schema


def create_schema(driver: Driver, database: str = DEFAULT_DATABASE) -> None:
    """Constraints and indexes of ``cypher/schema.cypher`` (each IF NOT EXISTS), then wait until they are online."""
    for statement in cypher.statements("schema"):
        driver.execute_query(statement, database_=database)
    driver.execute_query(cypher.load("await_indexes"), database_=database)


# ----------------------------------------------------- rows (pure)


def panel_rows(panels: Panels) -> list[dict]:
    """One property map per panel: the panels.csv columns, unknown values (page -1, a signature the panel
    lacks) as null, so the property stays unset."""
    shown = shown_signatures()
    unknown = unknown_cells(shown)
    rows = panel_records(panels, shown)
    for r in rows:
        r["path"] = safe_text(r["path"])  # Neo4j strings are UTF-8: odd bytes as \xNN, like the id
        for column, cell in unknown.items():
            if r[column] == cell:
                r[column] = None
    return rows


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
    table = link_table.link_table(links, ids)
    a, b = np.asarray(table.pop("a"), dtype=object), np.asarray(table.pop("b"), dtype=object)
    swap = b < a
    return {"a": np.where(swap, b, a).tolist(), "b": np.where(swap, a, b).tolist(), "columns": table}


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
    nrows = panel_rows(run.panels)
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


# ------------------------------------------------------ clustering


@dataclass(frozen=True)
class SimilarFilter:
    """Which SIMILAR links to cluster: a metric that must be measured (and at most
    `max_distance`), and a rule that must have matched. None: no condition."""

    metric: str | None = None
    rule: str | None = None
    max_distance: float | None = None

    def __post_init__(self) -> None:
        if self.max_distance is not None and self.metric is None:
            raise ValueError("max_distance needs a metric (which distance to compare)")

    def params(self) -> dict:
        return {"metric": self.metric, "rule": self.rule, "max_distance": self.max_distance}

    def distance_column(self) -> str | None:
        """The SIMILAR property holding the metric's distance (dist_<metric>), None without a metric."""
        return link_table.field_column("distances", self.metric) if self.metric else None


def read_similar(
    driver: Driver, filters: SimilarFilter = SimilarFilter(), database: str = DEFAULT_DATABASE,
    corpus: str = DEFAULT_CORPUS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The filtered SIMILAR subgraph of one corpus as arrays: (ids, a, b, weight).

    ids: sorted panel ids of every linked panel; a, b: int32 row indices into
    ids, one per link; weight: float32 (NaN where a link has none).
    """
    record = driver.execute_query(
        cypher.load("read_similar"), {**filters.params(), "corpus": corpus, "distance": filters.distance_column()},
        database_=database,
        routing_=RoutingControl.READ
    ).records[0]
    return similar_arrays(record["a"], record["b"], record["weight"])


def similar_arrays(a_ids: list, b_ids: list, weights: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Link endpoints given as ids -> (sorted ids, a rows, b rows, float32 weights)."""
    n = len(a_ids)
    if n == 0:
        return np.empty(0, object), np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.float32)
    ids, inverse = np.unique(np.array(list(a_ids) + list(b_ids), dtype=object), return_inverse=True)
    return ids, inverse[:n].astype(np.int32), inverse[n:].astype(np.int32), np.asarray(weights, np.float32)


def write_cluster_run(
    driver: Driver,
    clustering: Clustering,
    ids: np.ndarray,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress = None,
    database: str = DEFAULT_DATABASE,
    corpus: str = DEFAULT_CORPUS,
) -> str:
    """Write a clustering over panels `ids` of `corpus` as (:ClusterRun)-[:HAS_CLUSTER]->(:Cluster)<-[:IN_CLUSTER]-(:Panel).

    Keyed by (corpus, clustering.run_id): earlier runs stay, writing the same run again
    changes nothing. Panels in no cluster (-1) get no relationship. The ClusterRun node
    comes last: until every cluster and membership is written the run does not exist, so
    an interrupted write never becomes the latest run (writing it again completes it).
    Returns the run id.
    """
    m = np.asarray(clustering.membership)
    if len(m) != len(ids):
        raise ValueError(f"membership has {len(m)} rows for {len(ids)} panel ids")
    sizes = clustering.sizes()
    run = clustering.run_id
    cluster_rows = [{"id": c, "size": s} for c, s in enumerate(sizes.tolist())]
    write_batches(driver, cypher.load("write_clusters"), row_batches(cluster_rows, batch_size), None, database, run=run,
                  corpus=corpus)
    rows = np.flatnonzero(m >= 0)
    member_rows = [{"panel": str(ids[i]), "cluster": int(m[i])} for i in rows]
    write_batches(
        driver, cypher.load("write_membership"), row_batches(member_rows, batch_size), on_progress, database, run=run,
        corpus=corpus,
    )
    q = clustering.modularity
    driver.execute_query(
        cypher.load("write_cluster_run"),
        id=run,
        algorithm=clustering.algorithm,
        params=json.dumps(clustering.params, sort_keys=True, default=str),
        modularity=float(q) if np.isfinite(q) else None,
        clusters=int(len(sizes)),
        panels=int(sizes.sum()),
        corpus=corpus,
        database_=database,
    )
    return run


# ------------------------------------------------------ saved queries


def run_saved_query(
    driver: Driver, name: str, params: dict | None = None, database: str = DEFAULT_DATABASE
) -> list[dict]:
    """Run the saved Browser query `name` (cypher/queries/NAME.cypher) with its ``:param``
    defaults overridden by `params`; returns one dict per row. Unknown parameters: ValueError."""
    defaults = cypher.query_params(name)
    unknown = set(params or {}) - set(defaults)
    if unknown:
        raise ValueError(f"query {name!r} takes {sorted(defaults)}, not {sorted(unknown)}")
    records = driver.execute_query(
        cypher.query(name), {**defaults, **(params or {})}, database_=database, routing_=RoutingControl.READ
    ).records
    return [r.data() for r in records]
