// cluster_run_diff: clusters of run A whose panels are apart in run B.
// One row per cluster of A that B splits up: parts lists its panels grouped by their
// cluster in B (cluster_b null: in no cluster of B, each panel on its own).
// Answers: what does one algorithm or setting group that another does not?
// Swap run_a and run_b for the other direction.
// run_a, run_b: ClusterRun ids; null = the latest-but-one run and the latest run.
// :param run_a => null
// :param run_b => null
MATCH (r:ClusterRun)
WITH r ORDER BY r.created DESC, r.id
WITH collect(r.id) AS runs
WITH coalesce($run_a, runs[1]) AS run_a, coalesce($run_b, runs[0]) AS run_b
MATCH (ca:Cluster {run: run_a})<-[:IN_CLUSTER]-(p:Panel)
OPTIONAL MATCH (p)-[:IN_CLUSTER]->(cb:Cluster {run: run_b})
WITH run_a, run_b, ca, cb, p ORDER BY p.page, p.position, p.id
WITH run_a, run_b, ca, cb.id AS cluster_b, collect(p.id) AS panels
ORDER BY cluster_b
WITH run_a, run_b, ca, collect({cluster_b: cluster_b, panels: panels}) AS parts
WHERE size(parts) > 1 OR parts[0].cluster_b IS NULL
RETURN run_a, run_b, ca.id AS cluster_a, ca.size AS size, parts
ORDER BY size DESC, cluster_a
