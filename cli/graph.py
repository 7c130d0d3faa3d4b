"""`visualdistance load` and `visualdistance cluster`: the similarity graph in Neo4j.

Where the server is, and how a run folder is loaded (also by `visualdistance run`): cli/loading.py.
"""

from __future__ import annotations

import dataclasses

import typer
from rich.table import Table

from visualdistance.analysis import communities
from visualdistance.cli.common import err_console, out_console, shown
from visualdistance.cli.errors import fail
from visualdistance.cli.loading import (
    FIRST_QUERY,
    exit_on_graph_error,
    load_folder,
    print_loaded,
    quiet_driver_logs,
    read_page_file,
    read_run_folder,
    settings_for,
)
from visualdistance.cli.options import (
    DEFAULT_OBJECTIVE,
    EVERY_ALGORITHM,
    BatchSize,
    ClusterAlgorithm,
    ClusterAlgorithmChoice,
    Corpus,
    Database,
    MaxDistance,
    MetricFilter,
    ObjectiveChoice,
    PagesFile,
    Password,
    Resolution,
    RuleFilter,
    RunFolder,
    Seed,
    Top,
    Uri,
    User,
    check_corpus,
)
from visualdistance.cli.progress import progress_bar
from visualdistance.loader import graph
from visualdistance.loader.graph import GraphError
# ------------------------------------------------------------ commands


def load(
    out: RunFolder,
    pages: PagesFile = None,
    corpus: Corpus = None,
    batch_size: BatchSize = graph.DEFAULT_BATCH_SIZE,
    uri: Uri = None,
    user: User = None,
    password: Password = None,
    database: Database = None,
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
    with err_console.status(f"reading {shown(out)}"):
        run = read_run_folder(out)
    page_data, pages_path = read_page_file(pages, run.info)
    settings = settings_for(uri, user, password, database)
    with exit_on_graph_error():
        loaded = load_folder(settings, run, page_data, batch_size, corpus)
    print_loaded(settings, loaded, pages_path)


def cluster(
    algorithm: ClusterAlgorithmChoice = ClusterAlgorithm(EVERY_ALGORITHM),
    metric: MetricFilter = None,
    max_distance: MaxDistance = None,
    rule: RuleFilter = None,
    objective: ObjectiveChoice = DEFAULT_OBJECTIVE,
    resolution: Resolution = communities.RESOLUTION,
    seed: Seed = communities.SEED,
    top: Top = 5,
    corpus: Corpus = None,
    batch_size: BatchSize = graph.DEFAULT_BATCH_SIZE,
    uri: Uri = None,
    user: User = None,
    password: Password = None,
    database: Database = None,
) -> None:
    """Cluster the SIMILAR graph in Neo4j and write the clusters back as a new cluster run.

    Reads the links (filtered by --metric, --max-distance, --rule), finds
    communities with every algorithm (or the one --algorithm names), and writes
    (:ClusterRun {id, algorithm, params, modularity, created})-[:HAS_CLUSTER]->(:Cluster {run, id, size})
    with (:Panel)-[:IN_CLUSTER]->(:Cluster). Earlier runs stay, so runs can be
    compared (saved query cluster_run_diff); the same run written twice is one run.
    """
    try:
        filters = graph.SimilarFilter(metric=metric, rule=rule, max_distance=max_distance)
    except ValueError as exc:
        fail(f"--max-distance: {exc}", 2)
    algorithms = every_algorithm() if algorithm.value == EVERY_ALGORITHM else (algorithm.value,)
    settings = settings_for(uri, user, password, database)
    db = settings.database
    quiet_driver_logs()
    with exit_on_graph_error(), graph.connect(settings) as driver:
        corpus = pick_corpus(driver, corpus, db)
        with err_console.status("reading SIMILAR links"):
            ids, a, b, w = graph.read_similar(driver, filters, db, corpus)
        if len(a) == 0:
            fail(f"no SIMILAR links in the graph match {filters.params()}; load a run with "
                 "`visualdistance load --out OUT` or loosen the filters")
        written = []
        for alg in algorithms:
            with err_console.status(f"finding communities ({alg}) in {len(a):,} links"):
                found = communities.ALGORITHMS[alg](len(ids), a, b, w, objective=objective.value, resolution=resolution,
                                                    seed=seed)
            params = {**found.params, "filters": filters.params(), "links": int(len(a)), "corpus": corpus}
            run = dataclasses.replace(found, params=params, run_id=communities.cluster_run_id(params, found.membership, ids))
            with progress_bar(int((run.membership >= 0).sum()), f"writing {alg} clusters", "panels") as advance:
                graph.write_cluster_run(driver, run, ids, batch_size, advance, db, corpus)
            top_rows = graph.run_saved_query(driver, FIRST_QUERY, {"corpus": corpus, "run": run.run_id, "limit": top}, db)
            written.append((run, top_rows))
    # printed once every run is written: nothing shown can leave half a result in the graph
    for run, top_rows in written:
        print_cluster_run(run, len(ids), len(a), top_rows)
    typer.echo(f"Compare runs in Neo4j Browser ({settings.browser_url}) with the saved query cluster_run_diff.")


def every_algorithm() -> tuple[str, ...]:
    """Every community algorithm, the default last: its run is the latest, which the saved queries read by default."""
    return tuple(sorted(communities.ALGORITHMS, key=lambda name: name == communities.ALGORITHM))


def pick_corpus(driver, corpus: str | None, database: str) -> str:
    """The corpus to cluster: the one asked for, else the graph's only one; a one-line error otherwise."""
    names = [c["name"] for c in graph.list_corpora(driver, database)]
    if corpus is not None and corpus in names:
        return corpus
    if corpus is None and len(names) == 1:
        return names[0]
    if not names:
        raise GraphError("the graph holds no corpus yet; load a run with `visualdistance load --out OUT`")
    what = f"no corpus {corpus!r}" if corpus is not None else "several corpora"
    raise GraphError(f"the graph has {what}; choose one with --corpus: {', '.join(map(repr, names))}")


def print_cluster_run(run, n_panels: int, n_links: int, top_rows: list[dict]) -> None:
    q = "" if run.modularity != run.modularity else f", modularity {run.modularity:.3f}"
    typer.echo(f"cluster run {run.run_id}: {run.algorithm}, {run.n_clusters:,} clusters over "
               f"{n_panels:,} linked panels ({n_links:,} links){q}")
    if top_rows:
        t = Table("cluster", "size", "pages", "panels", title_justify="left")
        for r in top_rows:
            panels = ", ".join(shown(p) for p in r["panels"][:4]) + (f" ... (+{len(r['panels']) - 4})" if len(r["panels"]) > 4 else "")
            t.add_row(str(r["cluster"]), str(r["size"]), page_range(r["first_page"], r["last_page"]), panels)
        out_console.print(t)


def page_range(first: int | None, last: int | None) -> str:
    """"5-40", "5" for one page, "-" when no member has a page (files not named <page>_<n>)."""
    if first is None or last is None:
        return "-"
    return str(first) if first == last else f"{first}-{last}"
