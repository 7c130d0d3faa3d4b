"""The scraper's pages file, `pages.jsonl`: one JSON object per line, one line per page fetched.

Read without the scraper (and its HTTP stack): loading a run into Neo4j only needs the records.
"""

from __future__ import annotations

import json
from pathlib import Path

from visualdistance.loader.names import printable

PAGES_FILE = "pages.jsonl"

#: the largest page number: panels keep theirs as 32-bit integers (panels.csv, numpy, the graph)
MAX_PAGE = 2**31 - 1


class PagesFileError(ValueError):
    """A pages file that cannot be used as it is; str(error) is one line naming the file and the line."""


def page_problem(page: int) -> str | None:
    """Why `page` cannot be a page number, or None when it can (0 to MAX_PAGE)."""
    if 0 <= page <= MAX_PAGE:
        return None
    text = str(page)
    return f"page {text if len(text) <= 24 else text[:20] + '...'} is out of range (0 to {MAX_PAGE:,})"


def read_pages(path: str | Path) -> dict[int, dict]:
    """Read a pages file into ``{page: latest record}``.

    Later lines win over earlier ones for the same page. Lines that are not a
    JSON object with an integer ``page`` are ignored: that is what is left of
    a line torn by an interrupted run. A page number out of range (negative,
    or past MAX_PAGE) raises PagesFileError naming the line: no page is numbered
    like that, so the file was written by hand or by something else.
    """
    pages: dict[int, dict] = {}
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            try:
                record = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                continue
            if isinstance(record, dict) and type(record.get("page")) is int:
                problem = page_problem(record["page"])
                if problem:
                    raise PagesFileError(f"{printable(str(path))} line {n}: {problem}; fix or remove that line")
                pages[record["page"]] = record
    return pages
