// cluster_runs: every cluster run in the graph, newest first.
// Answers: which runs are there to compare, and with which algorithm and parameters?
// corpus: whose runs; null = every corpus.
// limit: how many runs.
// :param corpus => null
// :param limit => 20
MATCH (r:ClusterRun)
WHERE $corpus IS NULL OR r.corpus = $corpus
RETURN r.corpus AS corpus, r.id AS run, r.algorithm AS algorithm, r.params AS params, r.modularity AS modularity,
       r.clusters AS clusters, r.panels AS panels, toString(r.created) AS created
ORDER BY r.created DESC, run
LIMIT $limit
