// One batch of panels of corpus $corpus: the columns of panels.csv (page and position
// null where the file name carries none), linked to their story page when that page
// was loaded.
// $rows: [{id, path, frame, last_frame, page, position, width, height, sha256, edge_pixels,
//          ahash, phash, dhash, edge_ahash, figures}]
// figures: the ids of the figures the panel shows (figures.csv of the run loaded), null for none:
// SET += removes it then, so loading a run without figures leaves none behind.
// MERGE on (corpus, id): loading again updates the same node, never a second one.
UNWIND $rows AS row
MERGE (p:Panel {corpus: $corpus, id: row.id})
SET p += row
WITH p, row
WHERE row.page IS NOT NULL
MATCH (g:Page {corpus: $corpus, number: row.page})
MERGE (g)-[:HAS_PANEL]->(p)
