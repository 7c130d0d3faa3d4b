"""The similarity graph in Neo4j: connect, create the schema, load a run, read and write clusterings.

Graph model (every key starts with the corpus: one per input folder, so several
comics sit side by side and two 1_1.png are two panels)::

    (:Corpus {name, input, created})
    (:Page {corpus, number, title, text, chat, url, status, ...})-[:HAS_PANEL]->(:Panel {corpus, id, page, ...})
    (:Panel)-[:SIMILAR {dist_<metric>, threshold_<metric>, rule, mirrored, weight, preset}]->(:Panel)
    (:ClusterRun {corpus, id, algorithm, params, modularity, created})-[:HAS_CLUSTER]->(:Cluster {corpus, run, id, size})
    (:Panel)-[:IN_CLUSTER]->(:Cluster)

Three modules, one concern each: `connection` (settings, errors in one line, a
checked connection), `load` (the schema, rows shaped from a run, batched
idempotent writes) and `clusters` (the links to cluster, cluster runs written
back, saved queries). Every statement lives in ``cypher/*.cypher``, parameterised.
"""

from visualdistance.loader.graph.clusters import (
    SimilarFilter,
    read_similar,
    run_saved_query,
    similar_arrays,
    write_cluster_run,
)
from visualdistance.loader.graph.connection import (
    ANSWER_TIMEOUT_S,
    CONNECT_TIMEOUT_S,
    DEFAULT_DATABASE,
    DEFAULT_HTTP_PORT,
    DEFAULT_URI,
    DEFAULT_USER,
    ENV_VARS,
    CorpusTaken,
    GraphError,
    Settings,
    checkout_root,
    connect,
    env_settings,
    errors_explained,
    explain,
    find_local_server,
    local_roots,
    local_server,
    resolve_settings,
)
from visualdistance.loader.graph.load import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CORPUS,
    PAGE_FIELDS,
    LoadResult,
    Progress,
    claim_corpus,
    column_batches,
    create_schema,
    graph_counts,
    link_rows,
    list_corpora,
    load_run,
    load_total,
    page_rows,
    panel_rows,
    row_batches,
    slice_columns,
    write_batches,
)

__all__ = [
    "ANSWER_TIMEOUT_S", "CONNECT_TIMEOUT_S", "DEFAULT_BATCH_SIZE", "DEFAULT_CORPUS", "DEFAULT_DATABASE",
    "DEFAULT_HTTP_PORT", "DEFAULT_URI", "DEFAULT_USER", "ENV_VARS", "PAGE_FIELDS", "CorpusTaken", "GraphError",
    "LoadResult", "Progress", "Settings", "SimilarFilter", "checkout_root", "claim_corpus", "column_batches", "connect",
    "create_schema", "env_settings", "errors_explained", "explain", "find_local_server", "graph_counts", "link_rows",
    "list_corpora", "load_run", "load_total", "local_roots", "local_server", "page_rows", "panel_rows",
    "read_similar", "resolve_settings", "row_batches", "run_saved_query", "similar_arrays", "slice_columns",
    "write_batches", "write_cluster_run",
]
