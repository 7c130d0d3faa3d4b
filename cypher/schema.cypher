// Constraints and indexes, created before any load (every statement is IF NOT EXISTS,
// so running this again changes nothing). Neo4j 5.26 Community supports single and
// composite property uniqueness constraints; node keys and existence constraints
// are Enterprise-only, so none are used. Each uniqueness constraint brings the
// index that the load's MERGE and MATCH on ids need.

CREATE CONSTRAINT panel_id IF NOT EXISTS
FOR (p:Panel) REQUIRE p.id IS UNIQUE;

CREATE CONSTRAINT page_number IF NOT EXISTS
FOR (g:Page) REQUIRE g.number IS UNIQUE;

CREATE CONSTRAINT cluster_run_id IF NOT EXISTS
FOR (r:ClusterRun) REQUIRE r.id IS UNIQUE;

// A cluster id counts from 0 within its run, so only the pair is unique.
CREATE CONSTRAINT cluster_run_and_id IF NOT EXISTS
FOR (c:Cluster) REQUIRE (c.run, c.id) IS UNIQUE;

// Page order (matches in page order, long-range callbacks) and exact duplicates.
CREATE INDEX panel_page IF NOT EXISTS
FOR (p:Panel) ON (p.page);

CREATE INDEX panel_sha256 IF NOT EXISTS
FOR (p:Panel) ON (p.sha256);

// "Every cluster of run X" without a value for the cluster id.
CREATE INDEX cluster_run IF NOT EXISTS
FOR (c:Cluster) ON (c.run);

CREATE INDEX cluster_run_created IF NOT EXISTS
FOR (r:ClusterRun) ON (r.created);
