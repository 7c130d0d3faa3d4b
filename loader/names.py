"""File names from outside, made safe for every place they travel.

On Linux a file name is bytes; Python decodes the bytes that are not UTF-8 as
lone surrogates ("x\\udce9.png" for b"x\\xe9.png"), which no UTF-8 file, Neo4j
string or terminal can hold. Two forms:

- the path (``ImageFile.rel``, ``Panels.paths``) keeps those surrogates, so the
  file can always be opened again; run-folder files store it with
  ``surrogateescape`` (the original bytes, unchanged);
- the id (`safe_text`) shows each such byte as ``\\xNN``: valid Unicode, the
  same everywhere (CSV, JSON, Neo4j, HTML), and identical to the path for
  every name that is valid UTF-8.

`printable` is for terminal lines: control characters (a newline in a file
name) are escaped so one message stays one line.
"""

from __future__ import annotations

import re

#: how run-folder text files encode names that are not valid UTF-8 (the bytes as they were)
ENCODING_ERRORS = "surrogateescape"

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def safe_text(name: str) -> str:
    """`name` with every undecodable byte (a lone surrogate) written as ``\\xNN``; valid Unicode."""
    if name.isascii():
        return name  # the common case, and nothing to do
    try:
        raw = name.encode("utf-8", ENCODING_ERRORS)
    except UnicodeEncodeError:  # a surrogate no file system decoding makes: escape it as such
        return name.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def has_undecodable(name: str) -> bool:
    """True when `name` came from bytes that are not valid UTF-8."""
    return safe_text(name) != name


def printable(name: str) -> str:
    """`safe_text(name)` with control characters escaped (``\\n``), for one-line terminal messages."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), safe_text(name))
