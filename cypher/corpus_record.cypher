// Record corpus $name and the folder $input its panels come from (null: unknown),
// once the claim has been checked; a later load of the same folder finds it again.
MERGE (c:Corpus {name: $name})
ON CREATE SET c.created = datetime()
SET c.input = coalesce($input, c.input)
