// One cluster run's own properties, or no row. $corpus, $run: the run's key.
MATCH (r:ClusterRun {corpus: $corpus, id: $run})
RETURN r.id AS id, r.algorithm AS algorithm, r.params AS params, r.modularity AS modularity,
       toString(r.created) AS created, r.clusters AS clusters, r.panels AS panels
