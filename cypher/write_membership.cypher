// One batch of memberships of one run. $corpus, $run: the run's key; $rows: [{panel, cluster}].
// Panels missing from the graph are skipped (MATCH), never created.
UNWIND $rows AS row
MATCH (p:Panel {corpus: $corpus, id: row.panel})
MATCH (c:Cluster {corpus: $corpus, run: $run, id: row.cluster})
MERGE (p)-[:IN_CLUSTER]->(c)
