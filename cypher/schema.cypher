// Constraints and indexes, created before any load (every statement is IF NOT EXISTS,
// so running this again changes nothing). Neo4j 5.26 Community supports single and
// composite property uniqueness constraints; node keys and existence constraints
// are Enterprise-only, so none are used. Each uniqueness constraint brings the
// index that the load's MERGE and MATCH on ids need.
//
// Every key starts with the corpus (one per input folder, `--corpus`): two comics
// both holding 1_1.png are two panels, side by side in one graph.

// The keys before corpora existed; a key without the corpus would merge two comics.
DROP CONSTRAINT panel_id IF EXISTS;
DROP CONSTRAINT page_number IF EXISTS;
DROP CONSTRAINT cluster_run_id IF EXISTS;
DROP CONSTRAINT cluster_run_and_id IF EXISTS;

// One node per corpus: its name and the folder its panels came from.
CREATE CONSTRAINT corpus_name IF NOT EXISTS
FOR (c:Corpus) REQUIRE c.name IS UNIQUE;

CREATE CONSTRAINT panel_key IF NOT EXISTS
FOR (p:Panel) REQUIRE (p.corpus, p.id) IS UNIQUE;

CREATE CONSTRAINT page_key IF NOT EXISTS
FOR (g:Page) REQUIRE (g.corpus, g.number) IS UNIQUE;

CREATE CONSTRAINT cluster_run_key IF NOT EXISTS
FOR (r:ClusterRun) REQUIRE (r.corpus, r.id) IS UNIQUE;

// A cluster id counts from 0 within its run, so only the triple is unique.
CREATE CONSTRAINT cluster_key IF NOT EXISTS
FOR (c:Cluster) REQUIRE (c.corpus, c.run, c.id) IS UNIQUE;

// Page order (matches in page order, long-range callbacks) and exact duplicates
// (within a corpus and across corpora).
CREATE INDEX panel_page IF NOT EXISTS
FOR (p:Panel) ON (p.page);

CREATE INDEX panel_sha256 IF NOT EXISTS
FOR (p:Panel) ON (p.sha256);

// "Every cluster of run X" without a value for the cluster id.
CREATE INDEX cluster_run IF NOT EXISTS
FOR (c:Cluster) ON (c.run);

CREATE INDEX cluster_run_created IF NOT EXISTS
FOR (r:ClusterRun) ON (r.created);
