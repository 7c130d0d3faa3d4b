// unclustered_panels: panels in no cluster of one cluster run, the most linked first.
// Answers: which linked panels did the clustering leave out (links > 0), and which
// panels have no match at all (links = 0)?
// corpus: whose runs; null = any corpus (the run's own corpus's panels are listed).
// run: a ClusterRun id; null = the latest run.
// limit: how many panels.
// :param corpus => null
// :param run => null
// :param limit => 100
MATCH (r:ClusterRun)
WHERE ($corpus IS NULL OR r.corpus = $corpus) AND ($run IS NULL OR r.id = $run)
WITH r ORDER BY r.created DESC, r.id LIMIT 1
MATCH (p:Panel {corpus: r.corpus})
WHERE NOT EXISTS { (p)-[:IN_CLUSTER]->(:Cluster {corpus: r.corpus, run: r.id}) }
RETURN r.corpus AS corpus, r.id AS run, p.id AS panel, p.page AS page, COUNT { (p)-[:SIMILAR]-() } AS links
ORDER BY links DESC, page, panel
LIMIT $limit
