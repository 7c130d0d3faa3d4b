// One batch of story pages from the scraper's pages.jsonl, of corpus $corpus.
// $rows: [{number, title, text, chat, url, status, fetched_at}]
// MERGE on (corpus, page number), so loading again updates in place.
UNWIND $rows AS row
MERGE (g:Page {corpus: $corpus, number: row.number})
SET g += row
