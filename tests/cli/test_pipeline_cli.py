"""`run`, `extract` and `link` on folders a new user points them at: empty, unreadable, the wrong --out."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from tests.cli.test_graph_cli import error_lines, invoke
from tests.conftest import save
from tests import synthetic

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
    link = invoke("link", "--out", out, env=NO_SERVER)
    assert link.exit_code == 1 and error_lines(link) == [
        f"error: {out} has no panels (its input had no readable image; see bad_files.csv there)"
    ]


# ------------------------------------------------------------ where outputs go


def drawn(folder: Path, n: int = 4, seed: int = 2) -> Path:
    rng = np.random.default_rng(seed)
    base = synthetic.random_drawing(rng)
    save(synthetic.render(base), folder / "1_1.png")
    save(synthetic.render(synthetic.recolor(base, rng)), folder / "2_1.png")
    for k in range(n - 2):
        save(synthetic.render(synthetic.random_drawing(rng)), folder / f"3_{k + 1}.png")
    return folder


@pytest.mark.parametrize("where", ["same", "parent"])
def test_out_that_is_or_holds_the_input_folder_is_refused(tmp_path, where):
    folder = drawn(tmp_path / "comic" / "panels")
    out = folder if where == "same" else folder.parent
    before = sorted(p.name for p in folder.rglob("*"))

    result = invoke(*run_args(folder, out, tmp_path), env=NO_SERVER)

    assert result.exit_code == 2
    (line,) = error_lines(result)
    what = "is the input folder" if where == "same" else "holds the input folder"
    assert line.startswith(f"error: --out {out} {what}, so later runs would read this run's report images as panels")
    assert sorted(p.name for p in folder.rglob("*")) == before


def test_out_that_is_a_file_is_one_line(tmp_path):
    folder, out = drawn(tmp_path / "comic"), tmp_path / "out.txt"
    out.write_text("keep me")
    result = invoke(*run_args(folder, out, tmp_path), env=NO_SERVER)
    assert result.exit_code == 2
    assert error_lines(result) == [f"error: --out {out} is a file; give a folder (it is created if missing)"]
    assert out.read_text() == "keep me"


def test_run_folders_and_their_reports_inside_the_input_are_never_panels(tmp_path):
    folder = drawn(tmp_path / "comic")
    first = invoke(*run_args(folder, folder / "run1", tmp_path), env=NO_SERVER)
    assert first.exit_code == 0, first.output
    assert invoke("report", "--out", folder / "run1", env=NO_SERVER).exit_code == 0
    assert list((folder / "run1" / "report" / "thumbs").glob("*.webp"))
    # An old run folder moved into the comic's folder is skipped too, report and all.
    (folder / "sub").mkdir()
    (folder / "run1").rename(folder / "sub" / "old")

    again = invoke(*run_args(folder, tmp_path / "run2", tmp_path), env=NO_SERVER)

    assert again.exit_code == 0, again.output
    with open(tmp_path / "run2" / "panels.csv", newline="") as fh:
        assert sorted(r["id"] for r in csv.DictReader(fh)) == ["1_1.png", "2_1.png", "3_1.png", "3_2.png"]


# ------------------------------------------------------------- running again


def planted(folder: Path, start: int, n: int, seed: int) -> None:
    """n generated panels (with planted reuse) as <page>_1.png from page start on."""
    for k, p in enumerate(synthetic.planted_corpus(n, seed=seed)):
        save(p.image, folder / f"{start + k}_1.png")


def run_json(out: Path) -> dict:
    import json

    return json.loads((out / "run.json").read_text())


def test_running_again_links_only_new_panels_and_gives_what_a_full_run_gives(tmp_path):
    folder, out, fresh = tmp_path / "panels", tmp_path / "out", tmp_path / "fresh"
    planted(folder, 1, 40, seed=1)
    assert invoke(*run_args(folder, out, tmp_path), env=NO_SERVER).exit_code == 0
    assert run_json(out)["linking"]["mode"] == "all pairs"

    planted(folder, 100, 12, seed=2)  # new files
    (folder / "3_1.png").unlink()  # a file removed
    save(synthetic.render(synthetic.random_drawing(np.random.default_rng(9))), folder / "5_1.png")  # one redrawn
    result = invoke(*run_args(folder, out, tmp_path), env=NO_SERVER)
    assert result.exit_code == 0, result.output
    linking = run_json(out)["linking"]
    assert linking["mode"] == "new against all"
    assert (linking["new_panels"], linking["gone_panels"]) == (13, 2)
    assert "2 panels of the last run are gone or changed" in result.output

    assert invoke(*run_args(folder, fresh, tmp_path), env=NO_SERVER).exit_code == 0
    assert (out / "links.csv").read_bytes() == (fresh / "links.csv").read_bytes()
    assert (out / "clusters.csv").read_bytes() == (fresh / "clusters.csv").read_bytes()


def test_another_preset_links_everything_again(tmp_path):
    folder, out = tmp_path / "panels", tmp_path / "out"
    planted(folder, 1, 20, seed=1)
    assert invoke(*run_args(folder, out, tmp_path), env=NO_SERVER).exit_code == 0
    assert invoke(*run_args(folder, out, tmp_path, "--preset", "combined"), env=NO_SERVER).exit_code == 0
    assert run_json(out)["linking"] == {"mode": "all pairs", "why": "the method changed since the last run"}
    assert invoke(*run_args(folder, out, tmp_path, "--preset", "combined"), env=NO_SERVER).exit_code == 0
    assert run_json(out)["linking"]["new_panels"] == 0


def test_exhaustive_is_recorded_and_switching_to_it_links_everything_again(tmp_path):
    folder, indexed, every = tmp_path / "panels", tmp_path / "indexed", tmp_path / "every"
    planted(folder, 1, 30, seed=3)
    assert invoke(*run_args(folder, indexed, tmp_path), env=NO_SERVER).exit_code == 0
    assert invoke(*run_args(folder, every, tmp_path, "--exhaustive"), env=NO_SERVER).exit_code == 0
    assert "the nearest 32" in run_json(indexed)["method"]["search"]
    assert run_json(every)["method"]["search"] == "every pair"
    assert (indexed / "links.csv").read_bytes() == (every / "links.csv").read_bytes()
    # the index's links cannot stand in for every pair's: switching links everything again
    assert invoke(*run_args(folder, indexed, tmp_path, "--exhaustive"), env=NO_SERVER).exit_code == 0
    assert run_json(indexed)["linking"] == {"mode": "all pairs", "why": "the method changed since the last run"}


def test_a_kernel_being_compiled_is_announced_once_and_a_compiled_one_is_not(capsys):
    # issue 19: the first `run` spent 26 s compiling kernels for 30 images without a word
    import numba
    import numpy as np

    from visualdistance.cli.common import COMPILING, compiling_notice

    @numba.njit(cache=False)
    def twice(x):
        return 2 * x

    @numba.njit(cache=False)
    def thrice(x):
        return 3 * x

    with compiling_notice():
        twice(np.arange(3))
        thrice(np.arange(3))
    assert capsys.readouterr().err.count(COMPILING) == 1
    with compiling_notice():
        twice(np.arange(3))  # compiled already: nothing to say
    assert COMPILING not in capsys.readouterr().err
