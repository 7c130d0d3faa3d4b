// The SIMILAR subgraph to cluster, as three parallel lists in one row (one record
// with lists reads about five times faster through the Python driver than a record
// per link). A link without a weight counts as weight 0 (a link at its threshold).
// $corpus: whose links (links never join two corpora).
// $distance: the property holding a metric's distance (dist_edges, ...): keep links that have it; null: all.
// $max_distance: keep links whose $distance is at most this; null: no bound (needs $distance).
// ($metric, the metric's name, comes with them for the record; the query does not read it.)
// $rule: keep links whose rule (names joined by '+') includes this rule; null: all.
// $kinds: keep links of these kinds (the whole-drawing kinds: a shared background never makes a cluster, and a
// region link, one figure of a panel, makes figures instead); a link loaded before links had kinds is a whole drawing's.
MATCH (a:Panel {corpus: $corpus})-[s:SIMILAR]->(b:Panel)
WITH a, b, s, CASE WHEN $distance IS NULL THEN null ELSE s[$distance] END AS d
WHERE ($distance IS NULL OR d IS NOT NULL)
  AND ($max_distance IS NULL OR d <= $max_distance)
  AND ($rule IS NULL OR $rule IN split(s.rule, '+'))
  AND coalesce(s.kind, 'drawing') IN $kinds
RETURN collect(a.id) AS a, collect(b.id) AS b, collect(coalesce(s.weight, 0.0)) AS weight,
       collect(coalesce(s.kind, 'drawing')) AS kind
