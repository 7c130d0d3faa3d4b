// Membership of one cluster run: one row per clustered panel. $corpus, $run: the run's key.
MATCH (p:Panel)-[:IN_CLUSTER]->(c:Cluster {corpus: $corpus, run: $run})
RETURN p.id AS panel, c.id AS cluster
