// panel_matches: every panel similar to one panel, in page order.
// Answers: where else does this drawing appear, and how (rule, kind: whole drawing, redrawn, a figure
// in both, or only a shared background; mirrored, weight)?
// panel: the panel id (its path in the panels folder, e.g. '1234_2.gif').
// corpus: the panel's corpus; null = that id in every corpus.
// :param corpus => null
// :param panel => '1_1.png'
MATCH (p:Panel {id: $panel})-[s:SIMILAR]-(m:Panel)
WHERE $corpus IS NULL OR p.corpus = $corpus
RETURN m.corpus AS corpus, m.id AS match, m.page AS page, m.position AS position, s.rule AS rule,
       coalesce(s.kind, 'drawing') AS kind,
       s.mirrored AS mirrored, s.weight AS weight, m.path AS path
ORDER BY corpus, page, position, match
