// Membership of one cluster run: one row per clustered panel. $run: run id.
MATCH (p:Panel)-[:IN_CLUSTER]->(c:Cluster {run: $run})
RETURN p.id AS panel, c.id AS cluster
