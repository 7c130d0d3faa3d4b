// cluster_run_diff: clusters of run A whose panels are apart in run B.
// One row per cluster of A that B splits up: parts lists its panels grouped by their
// cluster in B (cluster_b null: in no cluster of B, each panel on its own).
// Answers: what does one algorithm or setting group that another does not?
// Swap run_a and run_b for the other direction. Both runs are of one corpus.
// corpus: whose runs; null = the corpus of run B.
// run_a, run_b: ClusterRun ids; null = the latest-but-one run and the latest run.
// :param corpus => null
// :param run_a => null
// :param run_b => null
MATCH (rb:ClusterRun)
WHERE ($corpus IS NULL OR rb.corpus = $corpus) AND ($run_b IS NULL OR rb.id = $run_b)
WITH rb ORDER BY rb.created DESC, rb.id LIMIT 1
MATCH (ra:ClusterRun {corpus: rb.corpus})
WHERE ($run_a IS NULL AND ra <> rb) OR ra.id = $run_a
WITH rb, ra ORDER BY ra.created DESC, ra.id LIMIT 1
MATCH (ca:Cluster {corpus: ra.corpus, run: ra.id})<-[:IN_CLUSTER]-(p:Panel)
OPTIONAL MATCH (p)-[:IN_CLUSTER]->(cb:Cluster {corpus: rb.corpus, run: rb.id})
WITH ra, rb, ca, cb, p ORDER BY p.page, p.position, p.id
WITH ra, rb, ca, cb.id AS cluster_b, collect(p.id) AS panels
ORDER BY cluster_b
WITH ra, rb, ca, collect({cluster_b: cluster_b, panels: panels}) AS parts
WHERE size(parts) > 1 OR parts[0].cluster_b IS NULL
RETURN ra.corpus AS corpus, ra.id AS run_a, rb.id AS run_b, ca.id AS cluster_a, ca.size AS size, parts
ORDER BY size DESC, cluster_a
