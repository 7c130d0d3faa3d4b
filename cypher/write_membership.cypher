// One batch of memberships of one run. $run: run id; $rows: [{panel, cluster}].
// Panels missing from the graph are skipped (MATCH), never created.
UNWIND $rows AS row
MATCH (p:Panel {id: row.panel})
MATCH (c:Cluster {run: $run, id: row.cluster})
MERGE (p)-[:IN_CLUSTER]->(c)
