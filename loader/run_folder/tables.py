"""The CSV dialect of every run-folder table, and file digests."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Iterable

from visualdistance.loader.names import ENCODING_ERRORS


def csv_text(header: list[str], rows: Iterable) -> str:
    """A table as CSV text: a header line, then one line per row, "\\n" line ends."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[dict], list[str]]:
    """Rows and header of a CSV we wrote; ValueError when a column is missing or a line is cut short."""
    with open(path, newline="", encoding="utf-8", errors=ENCODING_ERRORS) as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
        header = reader.fieldnames or []
    lacking = [c for c in required if c not in header]
    if lacking:
        raise ValueError(f"no column {lacking[0]!r}" if header else "empty file")
    for n, row in enumerate(rows, 2):
        if None in row or None in row.values():
            raise ValueError(f"line {n} is cut short or has extra fields")
    return rows, header


def file_digest(path: Path) -> str:
    """The sha256 of a file, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
