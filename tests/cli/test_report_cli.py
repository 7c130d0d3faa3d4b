"""`visualdistance report`: where it writes, what it prints, and one-line errors."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from visualdistance.cli.main import app

runner = CliRunner()



def report(*args: str):
    return runner.invoke(app, ["report", "--out", *args], catch_exceptions=False)


def test_report_defaults_to_out_report_and_reuses_thumbnails(planted_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(planted_run.out, out)
    first = report(str(out))
    assert first.exit_code == 0, first.output
    assert (out / "report/index.html").is_file()
    assert (out / "report/index.html").as_uri() in first.stdout.replace("\n", "")
    assert "8 on 1 page" in first.stdout
    # Every stage shows progress (the "why matched" pages used to run for seconds in silence).
    bars = [line.split("━")[0].strip() for line in first.stderr.splitlines() if "━" in line]
    assert bars == ["thumbnails", "why matched", "exports (CSV, JSON, GraphML)"]
    assert "8/8" in next(line for line in first.stderr.splitlines() if line.startswith("why matched"))
    again = report(str(out), "--images", str(planted_run.images), "--per-page", "2")
    assert again.exit_code == 0, again.output
    assert "0 thumbnails made" in again.stdout and "8 on 4 page" in again.stdout


def test_missing_run_folder_is_one_line_and_exit_1(tmp_path):
    result = report(str(tmp_path / "nowhere"))
    assert result.exit_code == 1
    nowhere = tmp_path / "nowhere"
    assert result.output.strip().splitlines() == [f"error: no run folder at {nowhere}; run `visualdistance run DIR --out {nowhere}` first"]


def test_a_folder_that_is_not_a_finished_run_says_what_to_do(planted_run, tmp_path):
    result = report(str(tmp_path))
    assert result.exit_code == 1
    assert "has no panels.csv; run `visualdistance run DIR --out" in result.output
    out = tmp_path / "out"
    shutil.copytree(planted_run.out, out)
    (out / "clusters.json").unlink()
    result = report(str(out))
    assert result.exit_code == 1 and "visualdistance communities" in result.output
    assert "Traceback" not in result.output


def test_missing_images_folder_is_one_line_and_exit_1(planted_run, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(planted_run.out, out)
    info = json.loads((out / "run.json").read_text())
    info["input"] = str(tmp_path / "moved-away")
    (out / "run.json").write_text(json.dumps(info))
    result = report(str(out))
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "images folder not found" in result.output and "--images" in result.output
    assert not (out / "report").exists()


def test_a_report_folder_inside_the_images_folder_is_refused(planted_run, tmp_path):
    result = report(str(planted_run.out), "--to", str(planted_run.images / "report"))
    assert result.exit_code == 1 and "inside the images folder" in result.output
    assert not (planted_run.images / "report").exists()


def test_report_to_a_folder_of_other_files_is_refused_unless_forced(planted_run, tmp_path):
    # H5 (issue 19): --to DIR deleted page-2.html, page-77.html, why/cluster-99.html it had not written
    # and overwrote index.html and data/links.csv
    dest = tmp_path / "site"
    theirs = {"index.html": "my home page", "page-2.html": "2", "page-77.html": "77", "why/cluster-99.html": "99",
              "data/links.csv": "mine", "notes.txt": "keep"}
    for name, text in theirs.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        (dest / name).write_text(text)

    refused = report(str(planted_run.out), "--to", str(dest))

    assert refused.exit_code == 2
    (line,) = refused.output.strip().splitlines()
    assert line.startswith(f"error: --to {dest} holds files no visualdistance report wrote (") and "--force" in line
    assert {n: (dest / n).read_text() for n in theirs} == theirs
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == sorted(theirs)

    forced = report(str(planted_run.out), "--to", str(dest), "--force")
    assert forced.exit_code == 0, forced.output
    assert (dest / "notes.txt").read_text() == "keep" and (dest / ".visualdistance-report").is_file()
    again = report(str(planted_run.out), "--to", str(dest))  # a report folder: written again without --force
    assert again.exit_code == 0, again.output
    empty = tmp_path / "empty"
    empty.mkdir()
    assert report(str(planted_run.out), "--to", str(empty)).exit_code == 0


def test_report_to_a_file_is_a_usage_error(planted_run, tmp_path):
    (tmp_path / "f").write_text("x")
    result = report(str(planted_run.out), "--to", str(tmp_path / "f"))
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: --to {tmp_path / 'f'} is a file; give a folder for the report (it is created if missing)"]
