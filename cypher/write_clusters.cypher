// The clusters of one run. $corpus, $run: the run's key; $rows: [{id, size}].
UNWIND $rows AS row
MATCH (r:ClusterRun {corpus: $corpus, id: $run})
MERGE (c:Cluster {corpus: $corpus, run: $run, id: row.id})
SET c.size = row.size
MERGE (r)-[:HAS_CLUSTER]->(c)
