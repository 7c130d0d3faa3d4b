// long_range_callbacks: matches more than min_pages pages apart, widest gap first.
// Answers: which art came back long after it first appeared? (Reuse links only: a shared room is not art coming back.)
// corpus: whose panels; null = every corpus (pages count within each).
// min_pages: the smallest gap that counts (a link between pages 10 and 25 has gap 15).
// limit: how many links.
// :param corpus => null
// :param min_pages => 100
// :param limit => 50
MATCH (x:Panel)-[s:SIMILAR]->(y:Panel)
WHERE ($corpus IS NULL OR x.corpus = $corpus)
  AND x.page IS NOT NULL AND y.page IS NOT NULL AND abs(x.page - y.page) > $min_pages
  AND coalesce(s.kind, 'drawing') <> 'background'
WITH s, CASE WHEN x.page <= y.page THEN [x, y] ELSE [y, x] END AS pair
WITH s, pair[0] AS earlier, pair[1] AS later
RETURN earlier.corpus AS corpus, earlier.id AS earlier, earlier.page AS earlier_page, later.id AS later,
       later.page AS later_page, later.page - earlier.page AS gap, s.rule AS rule, coalesce(s.kind, 'drawing') AS kind,
       s.mirrored AS mirrored,
       s.weight AS weight
ORDER BY gap DESC, earlier, later
LIMIT $limit
