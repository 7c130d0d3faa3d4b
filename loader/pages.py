"""The scraper's pages file, `pages.jsonl`: one JSON object per line, one line per page fetched.

Read without the scraper (and its HTTP stack): loading a run into Neo4j only needs the records.
"""

from __future__ import annotations

import json
from pathlib import Path

PAGES_FILE = "pages.jsonl"


def read_pages(path: str | Path) -> dict[int, dict]:
    """Read a pages file into ``{page: latest record}``.

    Later lines win over earlier ones for the same page. Lines that are not a
    JSON object with an integer ``page`` are ignored: that is what is left of
    a line torn by an interrupted run.
    """
    pages: dict[int, dict] = {}
    with open(path, "rb") as f:
        for raw in f:
            try:
                record = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(record, dict) and type(record.get("page")) is int:
                pages[record["page"]] = record
    return pages
