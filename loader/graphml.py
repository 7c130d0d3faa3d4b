"""The link graph as GraphML (for Gephi, Cytoscape, yEd), next to the run folder's other writers."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable

import numpy as np

from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.analysis.figures import Figures
from visualdistance.analysis.report import ClusterPlan
from visualdistance.loader import link_table
from visualdistance.loader.files import write_atomic
from visualdistance.loader.names import safe_text

#: the link-table columns each edge carries first (then `internal`, then every other column)
EDGE_FIRST = ("weight", "mirrored", "rule", "kind")
#: GraphML's attribute type of each kind of link-table column
_GRAPHML_TYPE = {"number": "double", "weight": "double", "flag": "boolean", "rules": "string", "panel": "string",
                 "choice": "string"}

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: object) -> str:
    # XML 1.0 cannot hold control characters at all, escaped or not; file names can.
    return _XML_BAD.sub("\ufffd", str(value))


def write_graphml(path: Path, panels: Panels, links: Links, clustering: Clustering, plans: Iterable[ClusterPlan] = (),
                  figures: Figures | None = None) -> None:
    """The link graph as GraphML: a node per linked or clustered panel, an edge per link.

    Node attributes: label (panel id), path, page, position, frame, last_frame, cluster
    (-1: none), original, mirrored, and with `figures` (a method with region links) figures: the
    ids of the figures the panel shows, ";"-separated (GraphML has no lists; empty for none).
    Edge attributes: weight, mirrored, rule,
    internal (both ends in one cluster), then the other columns of the link table
    (`link_table`: dist_<metric>, threshold_<metric>), as the doubles measured.
    """
    m = np.asarray(clustering.membership)
    used = np.zeros(len(panels), bool)
    used[links.a] = True
    used[links.b] = True
    used |= m >= 0
    original = np.zeros(len(panels), bool)
    mirrored = np.zeros(len(panels), bool)
    for plan in plans:
        original[plan.original] = True
        mirrored[plan.rows] = plan.mirrored

    ns = "http://graphml.graphdrawing.org/xmlns"
    root = ET.Element("graphml", xmlns=ns)
    node_keys = [("label", "string"), ("path", "string"), ("page", "int"), ("position", "int"), ("frame", "int"),
                 ("last_frame", "int"), ("cluster", "int"), ("original", "boolean"), ("mirrored", "boolean")]
    shows = _figures_by_panel(figures, len(panels))
    if shows is not None:
        node_keys.append(("figures", "string"))
    # GraphML's attributes are typed: numbers go as the doubles measured, not rounded like text cells
    table = link_table.link_table(links, panels.ids, exact=True)
    kinds = link_table.column_kinds(links)
    rest = [c for c in table if c not in EDGE_FIRST and kinds[c] != "panel"]  # the ends are source and target
    edge_keys = [(c, _GRAPHML_TYPE[kinds[c]]) for c in EDGE_FIRST] + [("internal", "boolean")]
    edge_keys += [(c, _GRAPHML_TYPE[kinds[c]]) for c in rest]
    for scope, keys in (("node", node_keys), ("edge", edge_keys)):
        for name, kind in keys:
            ET.SubElement(root, "key", {"id": f"{scope[0]}_{name}", "for": scope, "attr.name": name, "attr.type": kind})
    graph = ET.SubElement(root, "graph", id="links", edgedefault="undirected")

    def data(parent: ET.Element, key: str, value: object) -> None:
        if isinstance(value, (bool, np.bool_)):
            text = "true" if value else "false"
        elif isinstance(value, float):
            if not np.isfinite(value):
                return  # GraphML has no missing value: leave the attribute out
            text = repr(value)
        else:
            text = _xml_text(value)
        ET.SubElement(parent, "data", key=key).text = text

    for i in np.flatnonzero(used).tolist():
        node = ET.SubElement(graph, "node", id=f"n{i}")
        for key, value in (("label", panels.ids[i]), ("path", safe_text(panels.paths[i])), ("page", int(panels.page[i])),
                           ("position", int(panels.position[i])), ("frame", int(panels.frame[i])),
                           ("last_frame", int(panels.last_frame[i])), ("cluster", int(m[i])), ("original", bool(original[i])), ("mirrored", bool(mirrored[i]))):
            data(node, f"n_{key}", value)
        if shows is not None:
            data(node, "n_figures", shows[i])
    for k in range(len(links)):
        a, b = int(links.a[k]), int(links.b[k])
        edge = ET.SubElement(graph, "edge", source=f"n{a}", target=f"n{b}")
        for c in EDGE_FIRST:
            data(edge, f"e_{c}", table[c][k])
        data(edge, "e_internal", bool(m[a] >= 0 and m[a] == m[b]))
        for c in rest:
            data(edge, f"e_{c}", table[c][k])
    ET.indent(root, space=" ")
    buf = io.BytesIO()
    ET.ElementTree(root).write(buf, encoding="utf-8", xml_declaration=True)
    write_atomic(path, buf.getvalue())


def _figures_by_panel(figures: Figures | None, n: int) -> list[str] | None:
    """Per panel row, the figure ids it shows as "3;17" ("" for none); None without figures."""
    if figures is None:
        return None
    shows: list[list[int]] = [[] for _ in range(n)]
    for row, figure in sorted(set(zip(figures.panel.tolist(), figures.figure.tolist()))):
        shows[row].append(figure)
    return [";".join(map(str, ids)) for ids in shows]
