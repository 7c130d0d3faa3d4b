// How much of each kind the graph holds: panels, pages, links, cluster runs, corpora.
CALL () { MATCH (p:Panel) RETURN count(p) AS panels }
CALL () { MATCH (g:Page) RETURN count(g) AS pages }
CALL () { MATCH ()-[s:SIMILAR]->() RETURN count(s) AS links }
CALL () { MATCH (r:ClusterRun) RETURN count(r) AS cluster_runs }
CALL () { MATCH (c:Corpus) RETURN count(c) AS corpora }
RETURN panels, pages, links, cluster_runs, corpora
