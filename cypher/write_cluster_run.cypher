// The node for one clustering of corpus $corpus, written after its clusters and memberships, so a run
// whose writing was interrupted never becomes the latest one that saved queries show.
// $id: run id; $algorithm; $params: JSON text of the parameters (algorithm, seed, filters...);
// $modularity (null when undefined). `created` is set once, so writing the same run again keeps its first date.
MERGE (r:ClusterRun {corpus: $corpus, id: $id})
ON CREATE SET r.created = datetime()
SET r.algorithm = $algorithm, r.params = $params, r.modularity = $modularity,
    r.clusters = $clusters, r.panels = $panels
WITH r
MATCH (c:Cluster {corpus: $corpus, run: $id})
MERGE (r)-[:HAS_CLUSTER]->(c)
