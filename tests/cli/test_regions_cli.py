"""Region links end to end: `run --preset drawing-regions` on generated scenes, what the run folder and the
report say, and that the default run never describes keypoints."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.analysis.test_region_diagnosis import three_times_larger
from tests.analysis.test_regions import drawn_box, figure, paste, scene
from tests.cli.test_graph_cli import error_lines, invoke
from tests.cli.test_pipeline_cli import NO_SERVER, run_args
from tests.conftest import save


@pytest.fixture(scope="module")
def scenes(tmp_path_factory) -> Path:
    """10_1 and 20_1 show one figure at other places and sizes; 30_1 another figure; 40_1 and 41_1 share a room."""
    folder = tmp_path_factory.mktemp("scenes")
    room = scene(30)
    save(paste(scene(10), figure(1, 260), (40, 100)), folder / "10_1.png")
    save(paste(scene(11), figure(1, 180), (420, 30)), folder / "20_1.png")
    save(paste(scene(12), figure(6, 220), (300, 150)), folder / "30_1.png")
    save(paste(room, figure(3, 200), (50, 150)), folder / "40_1.png")
    save(paste(room, figure(4, 200), (400, 120)), folder / "41_1.png")
    return folder


def links_csv(out: Path) -> dict[tuple[str, str], dict]:
    with open(out / "links.csv", newline="", encoding="utf-8") as fh:
        return {(r["a"], r["b"]): r for r in csv.DictReader(fh)}


def store_sets(store: Path) -> list[list[str]]:
    """The signature names of each set of the feature store."""
    return [[s["name"] for s in json.loads(p.read_text())] for p in sorted(store.glob("*/signatures.json"))]


def test_the_default_run_describes_no_keypoints_and_says_every_link_is_a_whole_drawing(scenes, tmp_path):
    out = tmp_path / "out"
    result = invoke(*run_args(scenes, out, tmp_path), env=NO_SERVER)
    assert result.exit_code == 0, result.output
    assert not any("region_keypoints" in names for names in store_sets(tmp_path / "store"))
    assert {r["kind"] for r in links_csv(out).values()} <= {"drawing", "redrawn"}
    assert all(r["box_a_x"] == "" for r in links_csv(out).values())
    # the keypoints are not there to link regions with: the way to describe them is named
    link = invoke("link", "--out", out, "--preset", "drawing-regions", env=NO_SERVER)
    assert link.exit_code == 1
    assert error_lines(link) == [f"error: {out}'s panels were described without region_keypoints, which drawing-regions "
                                 f"reads; run `visualdistance extract {scenes} --out {out} --preset drawing-regions` first"]
    # as it says: extract describes the keypoints too (the common rows come from the store), then link finds regions
    extract = invoke("extract", scenes, "--out", out, "--store", tmp_path / "store", "-j", "1", "--preset", "drawing-regions",
                     env=NO_SERVER)
    assert extract.exit_code == 0, extract.output
    link = invoke("link", "--out", out, "--preset", "drawing-regions", env=NO_SERVER)
    assert link.exit_code == 0, link.output
    assert links_csv(out)[("10_1.png", "20_1.png")]["kind"] == "region"


def test_a_region_run_links_the_figure_says_where_and_keeps_the_room_out_of_clusters(scenes, tmp_path):
    out = tmp_path / "out"
    result = invoke(*run_args(scenes, out, tmp_path, "--preset", "drawing-regions"), env=NO_SERVER)
    assert result.exit_code == 0, result.output
    assert "region" in result.stdout and "background (not reuse)" in result.stdout
    links = links_csv(out)
    figure_link = links[("10_1.png", "20_1.png")]
    assert figure_link["kind"] == "region" and figure_link["rule"] == ""
    assert abs(int(figure_link["box_b_x"]) - 420) <= 10 and abs(float(figure_link["scale"]) - 180 / 260) < 0.06
    assert links[("40_1.png", "41_1.png")]["kind"] == "background"
    assert not [p for p in links if "30_1.png" in p]
    # the keypoints are a feature-store set of their own, next to the common one
    assert ["region_keypoints"] in store_sets(tmp_path / "store")
    assert json.loads((out / "features.json").read_text())["more"][0]["names"] == ["region_keypoints"]
    info = json.loads((out / "run.json").read_text())
    assert info["schema"] == 4 and info["method"]["regions"].startswith("regions: ORB keypoints")
    # reuse clusters are whole drawings: a figure seen in two scenes makes a figure, not a cluster; a room neither
    clusters = json.loads((out / "clusters.json").read_text())["clusters"]
    assert not any({"10_1.png", "20_1.png"} <= set(c["panels"]) or {"40_1.png", "41_1.png"} <= set(c["panels"])
                   for c in clusters)
    figures = figures_csv(out)
    assert [(r["figure"], r["panel"]) for r in figures] == [("0", "10_1.png"), ("0", "20_1.png")]
    assert abs(int(figures[1]["x"]) - 420) <= 10 and info["counts"]["figures"] == 1
    assert "figures.csv" in info["files"]

    # run again: the region search relinks everything (its evidence depends on every panel), the same bytes
    first = {n: (out / n).read_bytes() for n in ("links.csv", "links.json", "clusters.csv", "clusters.json", "figures.csv")}
    again = invoke(*run_args(scenes, out, tmp_path, "--preset", "drawing-regions"), env=NO_SERVER)
    assert again.exit_code == 0, again.output
    assert {n: (out / n).read_bytes() for n in first} == first
    linking = json.loads((out / "run.json").read_text())["linking"]
    assert linking == {"mode": "all pairs", "why": "the region links of drawing-regions rest on every panel's keypoints, "
                                                   "so new panels can change any of them"}

    # the report outlines the two regions and cuts them out side by side
    report = invoke("report", "--out", out, env=NO_SERVER)
    assert report.exit_code == 0, report.output
    # the figure has a page: each occurrence cut out of its panel (crops of the figure's boxes) beside the panel with
    # the figure outlined; the summary links the figures' overview, which links the page
    page = (out / "report" / "figures" / "figure-0.html").read_text()
    assert page.count('class="occurrence"') == 2 and page.count('class="cropped"') == 2
    assert page.count('<i class="region"') == 2 and "10_1.png" in page and "20_1.png" in page
    x, y, w, h = (int(figures[1][c]) for c in "xywh")
    assert f"background-size:{100 * 650 / w:.2f}% {100 * 450 / h:.2f}%" in page  # 20_1's crop is its figure's box
    assert 'href="figures/index.html"' in (out / "report" / "index.html").read_text()
    assert 'href="figure-0.html"' in (out / "report" / "figures" / "index.html").read_text()
    assert (out / "report" / "data" / "figures.csv").read_bytes() == (out / "figures.csv").read_bytes()
    # a default run into the same folder has no region links: no figures.csv, and the report prunes the figure pages
    default = invoke(*run_args(scenes, out, tmp_path), env=NO_SERVER)
    assert default.exit_code == 0, default.output
    assert not (out / "figures.csv").exists()
    assert invoke("report", "--out", out, env=NO_SERVER).exit_code == 0
    assert not list((out / "report" / "figures").glob("*.html"))


def figures_csv(out: Path) -> list[dict]:
    with open(out / "figures.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def run_as_if_of_schema(schema: int, scenes: Path, tmp_path: Path, *flags) -> Path:
    """A run of `scenes` into tmp_path/out whose run.json then says an older visualdistance (`schema`) wrote it."""
    out = tmp_path / "out"
    assert invoke(*run_args(scenes, out, tmp_path, *flags), env=NO_SERVER).exit_code == 0
    info = json.loads((out / "run.json").read_text())
    (out / "run.json").write_text(json.dumps({**info, "schema": schema}))
    return out


def test_clusters_of_an_older_region_run_held_region_links_and_are_refused_until_communities_runs(scenes, tmp_path):
    out = run_as_if_of_schema(3, scenes, tmp_path, "--preset", "drawing-regions")
    result = invoke("report", "--out", out, env=NO_SERVER)
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {out / 'clusters.csv'} was written by an older visualdistance (run.json schema 3: its clusters hold "
        f"region links, which now make figures of their own); run `visualdistance communities --out {out}` to write it again"]
    again = invoke("communities", "--out", out, env=NO_SERVER)
    assert again.exit_code == 0, again.output
    assert json.loads((out / "run.json").read_text())["schema"] == 4 and (out / "figures.csv").exists()
    assert invoke("report", "--out", out, env=NO_SERVER).exit_code == 0


def test_links_of_an_older_run_folder_are_refused_and_a_run_relinks_them(scenes, tmp_path):
    out = run_as_if_of_schema(2, scenes, tmp_path)
    result = invoke("communities", "--out", out, env=NO_SERVER)
    assert result.exit_code == 1
    assert error_lines(result) == [
        f"error: {out / 'links.csv'} was written by an older visualdistance (run.json schema 2: its links do not say "
        f"what they share (kind, boxes)); run `visualdistance link --out {out}` to write it again"]
    again = invoke(*run_args(scenes, out, tmp_path), env=NO_SERVER)
    assert again.exit_code == 0, again.output
    linking = json.loads((out / "run.json").read_text())["linking"]
    assert linking["mode"] == "all pairs" and "schema 2" in linking["why"]


@pytest.fixture(scope="module")
def labelled_scenes(tmp_path_factory) -> Path:
    """A figure pasted into two scenes (a region link), another at 3x its size in a larger panel (missed: outside
    the scales a redraw has), and two panels on one room with other figures (a background link,
    not reuse); labels.csv gives each figure's box."""
    folder = tmp_path_factory.mktemp("labelled")
    big, small = figure(1, 260), figure(1, 180)
    small_figure, small_box, large_figure, large_box = three_times_larger()
    room = scene(30)
    panels = {
        "10_1.png": ("one", paste(scene(10), big, (40, 100)), drawn_box(big[1], (40, 100))),
        "20_1.png": ("one", paste(scene(11), small, (420, 30)), drawn_box(small[1], (420, 30))),
        "50_1.png": ("zoom", small_figure, small_box),
        "51_1.png": ("zoom", large_figure, large_box),
        "40_1.png": ("room a", paste(room, figure(3, 200), (50, 150)), (50, 150, 200, 200)),
        "41_1.png": ("room b", paste(room, figure(4, 200), (400, 120)), (400, 120, 200, 200)),
    }
    rows = ["file,group,x,y,fig_w,fig_h"]
    for name, (group, image, box) in panels.items():
        save(image, folder / name)
        rows.append(",".join([name, group, *(str(int(v)) for v in box)]))
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_eval_explains_a_region_preset_s_missed_pair_by_the_region_step_that_lost_it(labelled_scenes, tmp_path):
    folder, page = labelled_scenes, tmp_path / "explain"
    args = ("eval", folder, "--labels", folder / "labels.csv", "--store", tmp_path / "store", "--no-clusters", "-j", "1")
    result = invoke(*args, "-p", "drawing-regions", "--explain", page, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    # the 3x pair is the one missed (the figure pair links, the room is a background link and no reuse)
    assert "1 missed, regions (transform)" in result.output and "false link" not in result.output
    html = (page / "index.html").read_text()
    assert "of drawing-regions" in html and "50_1.png<br>51_1.png" in html
    assert "<b>regions: transform</b>: " in html and re.search(r"at scale (2\.9\d|3\.0\d): outside 0.5-2", html)
    picture = np.asarray(Image.open(page / "pair_0000_regions.png"))
    assert picture.shape[1] == 2 * 320 + 6  # the two panels side by side
    assert (picture == (40, 170, 40)).all(axis=2).any()  # their labelled figure boxes drawn
    # a preset without a region search is explained as before: the whole-drawing steps, no region picture
    plain = invoke(*args, "-p", "drawing", "--explain", tmp_path / "plain", env={"COLUMNS": "200"})
    assert plain.exit_code == 0, plain.output
    assert "regions" not in plain.output and not list((tmp_path / "plain").glob("*_regions.png"))
