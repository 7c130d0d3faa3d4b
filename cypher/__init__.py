"""The project's Cypher, kept in ``.cypher`` files and loaded by name.

Two kinds of file:

- ``cypher/<name>.cypher``: statements the code runs (schema, load, write-back,
  reads). ``schema.cypher`` holds several statements separated by ``;``.
- ``cypher/queries/<name>.cypher``: saved queries for Neo4j Browser. Each starts
  with ``//`` comment lines saying what it answers, then one
  ``// :param name => value`` line per parameter (paste them into Browser;
  the value is the default).

Every statement takes its values as parameters; nothing here formats values
into Cypher text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

QUERIES = "queries"

_PARAM_LINE = re.compile(r"^//\s*:param\s+(\w+)\s*=>\s*(.+?)\s*$")


@lru_cache(maxsize=None)
def load(name: str) -> str:
    """Text of ``<name>.cypher`` (``queries/<name>`` for a saved query); FileNotFoundError if absent."""
    path = resources.files(__name__)
    *folders, stem = name.split("/")
    for folder in folders:
        path = path / folder
    path = path / f"{stem}.cypher"
    return path.read_text(encoding="utf-8")


def statements(name: str) -> list[str]:
    """The statements of a file, split at ``;`` that end a line, comments dropped."""
    body = "\n".join(line for line in load(name).splitlines() if not line.lstrip().startswith("//"))
    return [s.strip() for s in re.split(r";\s*$", body, flags=re.M) if s.strip()]


def query_names() -> list[str]:
    """Names of the saved Browser queries, sorted."""
    folder = resources.files(__name__) / QUERIES
    return sorted(p.name[: -len(".cypher")] for p in folder.iterdir() if p.name.endswith(".cypher"))


def query(name: str) -> str:
    """Text of the saved query `name` (header comments included; Neo4j ignores them)."""
    return load(f"{QUERIES}/{name}")


def query_params(name: str) -> dict[str, object]:
    """The ``:param`` defaults of a saved query, as Python values (in file order)."""
    params = {}
    for line in query(name).splitlines():
        m = _PARAM_LINE.match(line)
        if m:
            params[m.group(1)] = parse_literal(m.group(2))
    return params


def parse_literal(text: str) -> object:
    """A Browser ``:param`` value (null, true, false, a number, a quoted string, a list of these) as Python."""
    text = text.strip()
    if text == "null":
        return None
    if text in ("true", "false"):
        return text == "true"
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [parse_literal(x) for x in inner.split(",")] if inner else []
    try:
        return int(text)
    except ValueError:
        return float(text)


def query_path(name: str) -> str:
    """Where the saved query `name` lives on disk, to tell people which file to open."""
    return str(resources.files(__name__) / QUERIES / f"{name}.cypher")
