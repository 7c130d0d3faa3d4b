// The clusters of one run. $run: run id; $rows: [{id, size}].
UNWIND $rows AS row
MATCH (r:ClusterRun {id: $run})
MERGE (c:Cluster {run: $run, id: row.id})
SET c.size = row.size
MERGE (r)-[:HAS_CLUSTER]->(c)
