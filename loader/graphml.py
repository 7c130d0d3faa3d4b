"""The link graph as GraphML (for Gephi, Cytoscape, yEd), next to the run folder's other writers."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable

import numpy as np

from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.analysis.report import ClusterPlan
from visualdistance.loader.files import write_atomic
from visualdistance.loader.names import safe_text

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(value: object) -> str:
    # XML 1.0 cannot hold control characters at all, escaped or not; file names can.
    return _XML_BAD.sub("\ufffd", str(value))


def write_graphml(path: Path, panels: Panels, links: Links, clustering: Clustering, plans: Iterable[ClusterPlan] = ()) -> None:
    """The link graph as GraphML: a node per linked or clustered panel, an edge per link.

    Node attributes: label (panel id), path, page, position, frame, last_frame, cluster
    (-1: none), original, mirrored. Edge attributes: weight, mirrored, rule,
    internal (both ends in one cluster), dist_<metric>, threshold_<metric>.
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
    edge_keys = [("weight", "double"), ("mirrored", "boolean"), ("rule", "string"), ("internal", "boolean")]
    edge_keys += [(f"dist_{k}", "double") for k in links.distances] + [(f"threshold_{k}", "double") for k in links.thresholds]
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
    labels = links.rule_labels()
    for k in range(len(links)):
        a, b = int(links.a[k]), int(links.b[k])
        edge = ET.SubElement(graph, "edge", source=f"n{a}", target=f"n{b}")
        data(edge, "e_weight", float(links.weight[k]))
        data(edge, "e_mirrored", bool(links.mirrored[k]))
        data(edge, "e_rule", labels[k])
        data(edge, "e_internal", bool(m[a] >= 0 and m[a] == m[b]))
        for name, values in links.distances.items():
            data(edge, f"e_dist_{name}", float(values[k]))
        for name, values in links.thresholds.items():
            data(edge, f"e_threshold_{name}", float(values[k]))
    ET.indent(root, space=" ")
    buf = io.BytesIO()
    ET.ElementTree(root).write(buf, encoding="utf-8", xml_declaration=True)
    write_atomic(path, buf.getvalue())
