// callback_chains: reuses of a reuse. A chain is three panels first -> middle -> last on
// increasing pages (each step at least min_gap pages on), where middle is SIMILAR to
// first and last is SIMILAR to middle, but last is not SIMILAR to first: the art
// drifted along the way, so only the middle panel connects the two. Reuse links only: two panels
// that share only their room (a background link) are no callback.
// Answers: which callbacks were drawn from an earlier callback rather than the original?
// corpus: whose panels; null = every corpus (links never join two corpora).
// min_gap: pages between consecutive panels of a chain, at least 1.
// limit: how many chains, longest span first.
// :param corpus => null
// :param min_gap => 1
// :param limit => 50
MATCH (a:Panel)-[s1:SIMILAR]-(b:Panel)-[s2:SIMILAR]-(c:Panel)
WHERE ($corpus IS NULL OR a.corpus = $corpus)
  AND a.page IS NOT NULL AND b.page >= a.page + $min_gap AND c.page >= b.page + $min_gap
  AND coalesce(s1.kind, 'drawing') <> 'background' AND coalesce(s2.kind, 'drawing') <> 'background'
  AND NOT EXISTS { (a)-[s3:SIMILAR]-(c) WHERE coalesce(s3.kind, 'drawing') <> 'background' }
RETURN a.corpus AS corpus, a.id AS first, a.page AS first_page, b.id AS middle, b.page AS middle_page,
       c.id AS last, c.page AS last_page, c.page - a.page AS span
ORDER BY span DESC, corpus, first, middle, last
LIMIT $limit
