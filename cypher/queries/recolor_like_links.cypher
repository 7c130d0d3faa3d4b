// recolor_like_links: links where the edge maps matched but the hash did not: the
// same line art with other colours or shading (a recolor, or art traced over).
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
WHERE $edge_rule IN rules AND NOT $hash_rule IN rules
RETURN x.corpus AS corpus, x.id AS a, x.page AS a_page, y.id AS b, y.page AS b_page,
       s.rule AS rule, s.mirrored AS mirrored, s.weight AS weight
ORDER BY weight DESC, corpus, a, b
LIMIT $limit
