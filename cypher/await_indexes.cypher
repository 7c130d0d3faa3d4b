// Wait (up to 300 s) until every index is online, so the first load's MERGE uses them.
CALL db.awaitIndexes(300)
