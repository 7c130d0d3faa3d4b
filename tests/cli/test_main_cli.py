"""`visualdistance --version` and `--help` answer at once: they import no command's module, so none of
numba, faiss or igraph (each a second or more to import; numba's kernels are what every command but these needs)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from visualdistance.cli.main import COMMANDS

HEAVY = ("numba", "faiss", "igraph", "leidenalg")
# the CLI as the installed `visualdistance` script runs it, then the heavy modules it imported, on the last line
PROBE = """
import sys
from visualdistance.cli.main import app
try:
    app(sys.argv[1:], prog_name="visualdistance")
except SystemExit:
    pass
print("imported:", sorted({m.split(".")[0] for m in sys.modules} & set(%r)))
""" % (HEAVY,)


def probe(*args: str) -> tuple[str, str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "200", "PATH": ""})
    *shown, last = done.stdout.rstrip("\n").splitlines()
    return "\n".join(shown), last


@pytest.mark.parametrize("args", [["--version"], ["--help"], []])
def test_version_and_help_import_no_command_module(args):
    shown, imported = probe(*args)
    assert imported == "imported: []"
    if args == ["--version"]:
        assert shown.startswith("visualdistance ")
    else:  # every command listed, with the first line of its docstring
        for name in COMMANDS:
            assert f" {name} " in shown, name
        assert "Find reused art in DIR: describe every panel" in shown


def test_a_command_that_runs_still_imports_what_it_needs():
    # the probe sees the imports: a command's own help loads its module, numba with it
    shown, imported = probe("link", "--help")
    assert "--preset" in shown and "numba" in imported
