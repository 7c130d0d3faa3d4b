// One batch of story pages from the scraper's pages.jsonl.
// $rows: [{number, title, text, chat, url, status, fetched_at}]
// MERGE on the page number, so loading again updates in place.
UNWIND $rows AS row
MERGE (g:Page {number: row.number})
SET g += row
