// One batch of links between panels already loaded, as parallel columns (row i of
// the batch is $a[i], $b[i], $columns.rule[i], ...): packing lists of plain values costs the
// Python driver a fraction of packing one map per link, which dominated the load.
// $a, $b: panel ids with a < b as strings, so a pair keeps its direction whichever
//         run folder it comes from;
// $columns: the rest of the link table (loader/link_table.py), one list per column: rule (names
//           of the rules that matched, joined by '+'), mirrored, weight, dist_<metric>,
//           threshold_<metric>, kind (drawing, redrawn, region, background), and for region and
//           background links box_a_x..box_a_h, box_b_x..box_b_h (each panel's pixels; a is the
//           lower id), scale, share_a, share_b (null where not measured: the property stays unset);
// $preset: the linking method's name, the same for the whole batch; $corpus: whose panels.
// One SIMILAR per pair: MERGE finds it again on reload, and SET replaces its
// properties with the latest load's.
UNWIND range(0, size($a) - 1) AS i
MATCH (a:Panel {corpus: $corpus, id: $a[i]})
MATCH (b:Panel {corpus: $corpus, id: $b[i]})
MERGE (a)-[s:SIMILAR]->(b)
SET s = {preset: $preset}
WITH s, i
FOREACH (key IN keys($columns) | SET s[key] = $columns[key][i])
