// The clusters of one run, before its ClusterRun node (write_cluster_run.cypher links them).
// $corpus, $run: the run's key; $rows: [{id, size}].
UNWIND $rows AS row
MERGE (c:Cluster {corpus: $corpus, run: $run, id: row.id})
SET c.size = row.size
