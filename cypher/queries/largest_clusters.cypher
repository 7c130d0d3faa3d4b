// largest_clusters: the biggest clusters of one cluster run, members in page order.
// Answers: which drawing was reused most, and over which pages? (Try this one first.)
// corpus: whose runs (one per input folder, e.g. 'homestuck'); null = any corpus.
// run: a ClusterRun id (cluster_runs.cypher lists them); null = the latest run.
// limit: how many clusters.
// :param corpus => null
// :param run => null
// :param limit => 10
MATCH (r:ClusterRun)
WHERE ($corpus IS NULL OR r.corpus = $corpus) AND ($run IS NULL OR r.id = $run)
WITH r ORDER BY r.created DESC, r.id LIMIT 1
MATCH (r)-[:HAS_CLUSTER]->(c:Cluster)
WITH r, c ORDER BY c.size DESC, c.id LIMIT $limit
MATCH (p:Panel)-[:IN_CLUSTER]->(c)
WITH r, c, p ORDER BY p.page, p.position, p.id
RETURN r.corpus AS corpus, r.id AS run, c.id AS cluster, c.size AS size,
       min(p.page) AS first_page, max(p.page) AS last_page, collect(p.id) AS panels
ORDER BY size DESC, cluster
