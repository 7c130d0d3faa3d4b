// figure_chain: the longest chain of callbacks through region links that passes through this panel.
// A chain is panels on rising pages, each showing a figure of the one before (a region link: a
// figure found in both; background links never count): a sprite pasted into scene after scene.
// Answers: how far does this figure travel, and through which panels? Up to 12 steps before the
// panel and 12 after (a path length in Cypher is written in the query, never a parameter).
// panel: the panel id (its path in the panels folder, e.g. '1234_2.gif').
// corpus: the panel's corpus; null = that id in every corpus.
// :param corpus => null
// :param panel => '1_1.png'
MATCH (p:Panel {id: $panel})
WHERE $corpus IS NULL OR p.corpus = $corpus
CALL (p) {
  MATCH back = (first:Panel) ((x:Panel)-[r:SIMILAR]-(y:Panel) WHERE r.kind = 'region' AND x.page < y.page){0,12} (p)
  RETURN nodes(back) AS before
  ORDER BY length(back) DESC, first.page, first.id
  LIMIT 1
}
CALL (p) {
  MATCH ahead = (p) ((x:Panel)-[r:SIMILAR]-(y:Panel) WHERE r.kind = 'region' AND x.page < y.page){0,12} (last:Panel)
  RETURN nodes(ahead) AS after
  ORDER BY length(ahead) DESC, last.page DESC, last.id
  LIMIT 1
}
WITH p, before + tail(after) AS chain
RETURN p.corpus AS corpus, [n IN chain | n.id] AS chain, [n IN chain | n.page] AS pages, size(chain) - 1 AS steps,
       chain[-1].page - chain[0].page AS span
ORDER BY corpus
