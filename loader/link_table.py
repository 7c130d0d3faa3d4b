"""Links as one table of named columns: the codec behind links.csv, links.json, Neo4j SIMILAR and GraphML.

The columns come from the fields of `Links` (analysis/data.py) that declare a
`Column`: their names (``a``, ``b``, ``dist_<metric>``, ``rule``, ``mirrored``,
``weight``, ``threshold_<metric>``, ``kind``, ``box_a_x`` ... ``box_b_h``, ``scale``,
``share_a``, ``share_b``), their order and their kind. Every writer
takes `link_table` and every reader gives its cells to `read_link_table`, so a
field added to `Links` with a column is written, loaded and read back
everywhere, and a number is written by one rule (`link_number`, `link_weight`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from visualdistance.analysis.data import Column, Links


def link_columns(cls: type = Links) -> list[tuple[str, Column]]:
    """(field name, Column) of every field of the Links class `cls` that is a column, in table order."""
    found = [(f.name, f.metadata["column"]) for f in dataclasses.fields(cls) if "column" in f.metadata]
    return sorted(found, key=lambda fc: fc[1].at)


def field_column(field: str, metric: str | None = None, cls: type = Links) -> str:
    """The column name of a Links field (for a per-metric field, of its `metric`): dist_edges for ("distances", "edges")."""
    spec = dict(link_columns(cls))[field]
    return spec.name + metric if spec.per_metric else spec.name


def link_number(x) -> float | int | None:
    """A distance or threshold as written and shown everywhere: rounded to 4 decimals, a whole number
    as int; None (not measured) for NaN and infinity.

    Whole after rounding (0.99997 -> 1, not 1.0): a number read back from links.csv is written again
    the same, and Neo4j gets the same value from a run in memory as from its files.
    """
    x = float(x)
    if not np.isfinite(x):
        return None
    x = round(x, 4)
    return int(x) if x.is_integer() else x


def link_weight(x) -> float | None:
    """A weight as written everywhere: always a float (a weight of 1 is 1.0), 4 decimals; None when not finite."""
    x = float(x)
    return round(x, 4) if np.isfinite(x) else None


def _cells(spec: Column, values, ids: np.ndarray, links: Links, exact: bool) -> list:
    """One column's cells: panel ids, numbers by the one rule (or as measured, `exact`), flags as bools,
    choices as their names."""
    kind = spec.kind
    if kind == "choice":
        return [spec.choices[v] for v in np.asarray(values).tolist()]
    if kind == "panel":
        return np.asarray(ids, dtype=object)[values].tolist()
    if kind == "rules":
        return links.rule_labels()
    if kind == "flag":
        return np.asarray(values, bool).tolist()
    numbers = np.asarray(values, float).tolist()
    if exact:
        return numbers
    return [link_weight(v) for v in numbers] if kind == "weight" else [link_number(v) for v in numbers]


def link_table(links: Links, ids: np.ndarray, exact: bool = False) -> dict[str, list]:
    """Column name -> one cell per link, in table order: a, b (panel ids from `ids`), dist_<metric>, rule,
    mirrored, weight, threshold_<metric> (and any other column `Links` declares).

    Numbers follow `link_number` / `link_weight` (None: not measured); exact: numbers as measured
    (floats, NaN kept), for formats that carry doubles (GraphML).
    """
    table: dict[str, list] = {}
    for name, spec in link_columns(type(links)):
        value = getattr(links, name)
        parts = value.items() if spec.per_metric else [("", value)]
        for metric, values in parts:
            table[spec.name + metric] = _cells(spec, values, ids, links, exact)
    return table


def column_kinds(links: Links) -> dict[str, str]:
    """The kind ("panel", "number", "weight", "flag", "rules", "choice") of each column of `links`' table, in table order."""
    kinds = {}
    for name, spec in link_columns(type(links)):
        metrics = getattr(links, name) if spec.per_metric else [""]
        kinds.update({spec.name + m: spec.kind for m in metrics})
    return kinds


# ------------------------------------------------------------------ reading


def csv_flag(cell) -> bool:
    """A yes/no CSV cell as written here (1/0) or by hand (true/True); anything else, empty included, is no."""
    return str(cell).strip() in ("1", "true", "True")


def _floats(cells: list) -> np.ndarray:
    return np.array([np.nan if c is None or c == "" else float(c) for c in cells], np.float32)


def read_link_table(
    table: dict[str, list], panel_index: dict[str, int], rule_names: tuple[str, ...] = (),
    rule_metrics: tuple[str, ...] = (), cls: type = Links,
) -> Links:
    """The Links of a link table read back from CSV cells: a and b as rows via `panel_index`
    (id -> row; ValueError naming a panel it lacks), rules as bits of `rule_names`, a choice as its
    place among the column's choices (ValueError naming one it does not know)."""
    bit = {r: 1 << k for k, r in enumerate(rule_names)}
    read = {
        "panel": lambda cells: np.array([row_of(panel_index, p) for p in cells], np.int32),
        "number": _floats,
        "weight": _floats,
        "flag": lambda cells: np.array([csv_flag(c) for c in cells], bool),
        "rules": lambda cells: np.array([sum(bit.get(p, 0) for p in str(c).split("+") if p) for c in cells], np.uint32),
    }
    values = {}
    for name, spec in link_columns(cls):
        if spec.kind == "choice":
            values[name] = np.array([_choice(spec, c) for c in table[spec.name]], np.int8)
        elif spec.per_metric:
            values[name] = {c[len(spec.name):]: read[spec.kind](v) for c, v in table.items() if c.startswith(spec.name)}
        else:
            values[name] = read[spec.kind](table[spec.name])
    return cls(**values, rule_names=tuple(rule_names), rule_metrics=tuple(rule_metrics))


def _choice(spec: Column, cell) -> int:
    try:
        return spec.choices.index(cell)
    except ValueError:
        raise ValueError(f"its {spec.name} {cell!r} is none of {', '.join(spec.choices)}") from None


def required_columns(cls: type = Links) -> tuple[str, ...]:
    """The columns every link table has (the per-metric ones come and go with the metrics)."""
    return tuple(spec.name for _, spec in link_columns(cls) if not spec.per_metric)


def row_of(panel_index: dict[str, int], panel: str) -> int:
    """The row of panel id `panel`; ValueError (read as a damaged file) when the panels lack it."""
    try:
        return panel_index[panel]
    except KeyError:
        raise ValueError(f"it names panel {panel!r}, which panels.csv lacks") from None
