"""links.csv and links.json: the link table of `loader/link_table.py`, and the rules' names."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from visualdistance.analysis.data import Links
from visualdistance.loader import link_table
from visualdistance.loader.files import write_atomic
from visualdistance.loader.run_folder.errors import reading
from visualdistance.loader.run_folder.layout import LINKS_CSV, LINKS_JSON
from visualdistance.loader.run_folder.tables import csv_text, read_csv


def write_links(folder: Path, links: Links, ids: np.ndarray) -> None:
    """links.csv (the link table; not measured: empty, flags 1/0) and links.json (the rules, then one record per link)."""
    table = link_table.link_table(links, ids)
    cell = lambda v: "" if v is None else int(v) if isinstance(v, bool) else v  # noqa: E731
    write_atomic(folder / LINKS_CSV, csv_text(list(table), ([cell(v) for v in row] for row in zip(*table.values()))))
    recs = [dict(zip(table, row)) for row in zip(*table.values())]
    doc = {"rules": list(links.rule_names), "rule_metrics": dict(zip(links.rule_names, links.rule_metrics)), "links": recs}
    write_atomic(folder / LINKS_JSON, json.dumps(doc))


def read_links(folder: Path, panel_index: dict[str, int]) -> Links:
    """Links from links.csv (the rules' names from links.json), with a and b as row indices via `panel_index` (id -> row)."""
    with reading(folder / LINKS_JSON):
        with open(folder / LINKS_JSON, encoding="utf-8") as fh:
            doc = json.load(fh)
            rule_names = tuple(doc.get("rules", []))
            rule_metrics = tuple((doc.get("rule_metrics") or {}).get(n, "") for n in rule_names)
    with reading(folder / LINKS_CSV):
        rows, header = read_csv(folder / LINKS_CSV, link_table.required_columns())
        table = {c: [r[c] for r in rows] for c in header}
        return link_table.read_link_table(table, panel_index, rule_names, rule_metrics)
