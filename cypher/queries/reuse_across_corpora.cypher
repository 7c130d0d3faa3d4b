// reuse_across_corpora: the same art in two corpora (comics side by side in one graph).
// Links are found within one run folder, so across corpora this pairs panels whose
// files are byte-identical (by 'sha256') or whose perceptual hash is equal (by
// 'phash': also resized or recompressed copies).
// Answers: which panels does one comic share with another?
// corpus: pairs with one side in this corpus (listed first); null = every pair of corpora.
// by: 'sha256' or 'phash'.
// limit: how many pairs.
// :param corpus => null
// :param by => 'phash'
// :param limit => 100
MATCH (p:Panel)
WHERE p[$by] IS NOT NULL
WITH p[$by] AS hash, collect(p) AS same
WHERE size(same) > 1
UNWIND same AS x
UNWIND same AS y
WITH hash, x, y
WHERE CASE WHEN $corpus IS NULL THEN x.corpus < y.corpus ELSE x.corpus = $corpus AND y.corpus <> $corpus END
RETURN x.corpus AS corpus, x.id AS panel, x.page AS page, y.corpus AS other_corpus, y.id AS other_panel,
       y.page AS other_page, hash
ORDER BY corpus, page, panel, other_corpus, other_page, other_panel
LIMIT $limit
