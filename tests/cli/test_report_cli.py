"""`visualdistance report`: where it writes, what it prints, and one-line errors."""

from __future__ import annotations

import json
import shutil

from typer.testing import CliRunner

from visualdistance.cli.main import app

runner = CliRunner()



def report(*args: str):
    return runner.invoke(app, ["report", *args], catch_exceptions=False)


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
    assert result.output.strip().splitlines() == [f"error: no run folder at {tmp_path / 'nowhere'}"]


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
