// Every corpus in the graph, by name, with the folder it came from and its panel count.
MATCH (c:Corpus)
RETURN c.name AS name, c.input AS input, COUNT { (p:Panel {corpus: c.name}) } AS panels
ORDER BY name
