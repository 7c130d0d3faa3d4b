// figure_panels: every panel that shows figure $figure, in page order.
// Answers: where does this drawn figure (a sprite pasted into scene after scene) appear? A figure is what
// the region links of the run loaded last tie together (figures.csv, the report's figure pages); each
// Panel's `figures` lists the figures it shows, 0 the one seen in the most panels.
// figure: a figure id (figures.csv's `figure`; a panel's `figures` names them).
// corpus: whose figures (one per input folder, e.g. 'homestuck'); null = that figure id in every corpus.
// :param corpus => null
// :param figure => 0
MATCH (p:Panel)
WHERE ($corpus IS NULL OR p.corpus = $corpus) AND $figure IN p.figures
RETURN p.corpus AS corpus, p.id AS panel, p.page AS page, p.position AS position, p.frame AS frame,
       p.figures AS figures, p.path AS path
ORDER BY corpus, page, position, frame, panel
