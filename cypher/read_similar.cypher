// The SIMILAR subgraph to cluster, as three parallel lists in one row (one record
// with lists reads about five times faster through the Python driver than a record
// per link). A link without a weight counts as weight 0 (a link at its threshold).
// $corpus: whose links (links never join two corpora).
// $metric: a metric name (edges, phash, ...): keep links with a dist_<metric>; null: all.
// $max_distance: keep links with dist_<metric> at most this; null: no bound (needs $metric).
// $rule: keep links whose rule (names joined by '+') includes this rule; null: all.
MATCH (a:Panel {corpus: $corpus})-[s:SIMILAR]->(b:Panel)
WITH a, b, s, CASE WHEN $metric IS NULL THEN null ELSE s['dist_' + $metric] END AS d
WHERE ($metric IS NULL OR d IS NOT NULL)
  AND ($max_distance IS NULL OR d <= $max_distance)
  AND ($rule IS NULL OR $rule IN split(s.rule, '+'))
RETURN collect(a.id) AS a, collect(b.id) AS b, collect(coalesce(s.weight, 0.0)) AS weight
