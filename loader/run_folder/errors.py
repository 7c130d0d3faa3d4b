"""A run folder that cannot be read as one run: a file damaged, stale, missing, or the folder busy.

The errors say what is wrong with which file; the command that writes the file
again is the CLI's to name (`cli/errors.py`), from `layout.stage_of`.
"""

from __future__ import annotations

import csv
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from visualdistance.loader.names import printable


class DamagedRunFile(Exception):
    """A run-folder file that cannot be read back (cut short, emptied, not what this run wrote).

    str(error) is one line: the file and what is wrong with it.
    """

    def __init__(self, path: Path, problem: str, stale: bool = False, outdated: bool = False) -> None:
        self.path, self.problem = Path(path), problem
        what = "is not from the run that run.json describes" if stale else "is damaged or incomplete"
        what = "was written by an older visualdistance" if outdated else what
        super().__init__(f"{printable(str(path))} {what} ({problem})")


class MissingRunFile(DamagedRunFile):
    """A run folder without a file a command needs (or no run folder at all)."""

    def __init__(self, out: Path, name: str) -> None:
        self.path, self.problem = Path(out) / name, "missing"
        what = f"{printable(str(out))} has no {name}" if Path(out).is_dir() else f"no run folder at {printable(str(out))}"
        Exception.__init__(self, what)


class RunFolderBusy(Exception):
    """Another command is writing to the run folder."""


# What reading a cut-short, emptied or altered file raises, from csv, json, numpy and zipfile.
_DAMAGE = (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, EOFError, csv.Error,
           UnicodeDecodeError, zipfile.BadZipFile, zlib.error)


@contextmanager
def reading(path: Path) -> Iterator[None]:
    """Any error reading `path` inside the block becomes a DamagedRunFile naming it."""
    try:
        yield
    except DamagedRunFile:
        raise
    except FileNotFoundError:
        raise DamagedRunFile(path, "missing") from None
    except _DAMAGE as e:
        raise DamagedRunFile(path, str(e) or type(e).__name__) from e
