// Empty the database, 1,000 nodes per transaction (bench/neo4j_load.py --wipe only).
// Small transactions: a panel can carry hundreds of links, and the server heap is 512 MB.
// Runs as an implicit (auto-commit) transaction, which CALL ... IN TRANSACTIONS needs.
MATCH (n)
CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 1000 ROWS
