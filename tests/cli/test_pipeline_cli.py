"""`run`, `extract` and `link` on folders a new user points them at: empty, unreadable, the wrong --out."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from tests.cli.test_graph_cli import error_lines, invoke
from tests.conftest import save
from visualdistance.analysis import synthetic

NO_SERVER = {"NEO4J_URI": None}


def run_args(folder: Path, out: Path, tmp_path: Path, *extra) -> list:
    return ["run", folder, "--out", out, "--store", tmp_path / "store", "-j", "1", "--no-neo4j", *extra]


def bad_rows(out: Path) -> list[dict]:
    with open(out / "bad_files.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# ------------------------------------------------------------ no usable images


@pytest.mark.parametrize("command", ["run", "extract"])
def test_an_empty_folder_says_no_images_found(tmp_path, command):
    folder, out = tmp_path / "empty", tmp_path / "out"
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_text("not a panel")
    args = run_args(folder, out, tmp_path) if command == "run" else ["extract", folder, "--out", out, "--store", tmp_path / "s"]

    result = invoke(*args, env=NO_SERVER)

    assert result.exit_code == 1
    assert error_lines(result) == [f"error: no images found in {folder} (GIF, PNG, JPEG, WebP or BMP files, searched recursively)"]
    assert bad_rows(out) == []


def test_a_folder_of_only_bad_files_points_at_bad_files_csv_and_link_refuses_it(tmp_path):
    folder, out = tmp_path / "bad", tmp_path / "out"
    folder.mkdir()
    (folder / "empty.png").write_bytes(b"")
    (folder / "list.gif").write_text("eggs, milk")

    result = invoke(*run_args(folder, out, tmp_path), env=NO_SERVER)

    assert result.exit_code == 1
    assert error_lines(result)[-1] == f"error: 2 files, all unreadable; see {out / 'bad_files.csv'}"
    assert {r["path"] for r in bad_rows(out)} == {"empty.png", "list.gif"}
    link = invoke("link", out, env=NO_SERVER)
    assert link.exit_code == 1 and error_lines(link) == [
        f"error: {out} has no panels (its input had no readable image; see bad_files.csv there)"
    ]
