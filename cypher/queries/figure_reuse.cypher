// figure_reuse: every panel that shows one of this panel's figures, in page order.
// Answers: where else does this figure (a sprite, a drawn character) appear, and where in each panel?
// A region link is a figure found in both panels; a whole-drawing link (drawing, redrawn) shows
// them all; a background link (a shared room) is not a figure and is left out.
// box_here / box_there: the figure's box (x, y, w, h, the panel's pixels) in this panel and in the
// other; null for whole-drawing links. SIMILAR runs from the panel with the lower id, whose box is box_a.
// panel: the panel id (its path in the panels folder, e.g. '1234_2.gif').
// corpus: the panel's corpus; null = that id in every corpus.
// :param corpus => null
// :param panel => '1_1.png'
MATCH (p:Panel {id: $panel})-[s:SIMILAR]-(m:Panel)
WHERE ($corpus IS NULL OR p.corpus = $corpus) AND coalesce(s.kind, 'drawing') <> 'background'
WITH p, m, s, startNode(s) = p AS from_here
RETURN m.corpus AS corpus, m.id AS match, m.page AS page, m.position AS position, coalesce(s.kind, 'drawing') AS kind,
       s.mirrored AS mirrored, s.scale AS scale,
       CASE WHEN s.box_a_x IS NULL THEN null
            WHEN from_here THEN [s.box_a_x, s.box_a_y, s.box_a_w, s.box_a_h]
            ELSE [s.box_b_x, s.box_b_y, s.box_b_w, s.box_b_h] END AS box_here,
       CASE WHEN s.box_a_x IS NULL THEN null
            WHEN from_here THEN [s.box_b_x, s.box_b_y, s.box_b_w, s.box_b_h]
            ELSE [s.box_a_x, s.box_a_y, s.box_a_w, s.box_a_h] END AS box_there,
       m.path AS path
ORDER BY corpus, page, position, match
