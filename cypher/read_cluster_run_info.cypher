// One cluster run's own properties, or no row. $run: run id.
MATCH (r:ClusterRun {id: $run})
RETURN r.id AS id, r.algorithm AS algorithm, r.params AS params, r.modularity AS modularity,
       toString(r.created) AS created, r.clusters AS clusters, r.panels AS panels
