// redraw_like_links: links where the hash matched but the edge maps did not: the same
// composition and tones drawn again with different lines (a redraw).
// Reads the link's rule property (names of the matching rules joined by '+').
// edge_rule / hash_rule: the rule names of the linking preset (combined: 'edges', 'phash').
// corpus: whose links; null = every corpus.
// limit: how many links, most similar first.
// :param corpus => null
// :param edge_rule => 'edges'
// :param hash_rule => 'phash'
// :param limit => 100
MATCH (x:Panel)-[s:SIMILAR]->(y:Panel)
WHERE $corpus IS NULL OR x.corpus = $corpus
WITH x, y, s, split(s.rule, '+') AS rules
WHERE $hash_rule IN rules AND NOT $edge_rule IN rules
RETURN x.corpus AS corpus, x.id AS a, x.page AS a_page, y.id AS b, y.page AS b_page,
       s.rule AS rule, s.mirrored AS mirrored, s.weight AS weight
ORDER BY weight DESC, corpus, a, b
LIMIT $limit
