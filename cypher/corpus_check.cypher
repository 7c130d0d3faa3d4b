// Before loading into corpus $name: the folder it was first loaded from (null: a new
// corpus, or one recorded without a folder), and how many panels predate corpora (no
// corpus property: neither this corpus nor another, so a load is refused until the
// graph is fresh).
OPTIONAL MATCH (c:Corpus {name: $name})
WITH c.input AS held
CALL () { MATCH (p:Panel) WHERE p.corpus IS NULL RETURN count(p) AS legacy }
RETURN held, legacy
