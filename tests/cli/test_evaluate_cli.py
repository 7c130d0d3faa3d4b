"""`eval` on a small labelled set of generated panels: every preset scored side by side, with its cost."""

from __future__ import annotations

import json

import numpy as np

from tests.cli.test_graph_cli import invoke
from tests.conftest import save
from tests import synthetic
from visualdistance.analysis.presets import DEFAULT_PRESET, PRESETS
from visualdistance.analysis.evaluation.methods import SPEED_BASELINE


def labelled_set(folder, rng) -> None:
    """Two drawings, each moved and recoloured on new backgrounds, and one unrelated panel; labels.csv."""
    rows = ["file,group"]
    for group in (1, 2):
        drawing = synthetic.random_drawing(rng, (7, 8))
        copies = [drawing, synthetic.recolor(drawing, rng), drawing]
        spots = [(200, 150), (160, 140), (240, 160)]
        backgrounds = [("flat", (230, 230, 230)), ("flat", (250, 214, 160)), ("flat", (200, 220, 250))]
        for k, (d, at, bg) in enumerate(zip(copies, spots, backgrounds)):
            name = f"g{group}_{k}.png"
            save(synthetic.place(synthetic.render_sprite(d, 160), at=at, background=bg), folder / name)
            rows.append(f"{name},{group}")
    save(synthetic.place(synthetic.render_sprite(synthetic.random_drawing(rng, (7, 8)), 160)), folder / "alone.png")
    rows.append("alone.png,3")
    (folder / "labels.csv").write_text("\n".join(rows) + "\n")


def test_eval_scores_every_preset_side_by_side_with_its_cost(tmp_path, rng):
    folder = tmp_path / "set"
    labelled_set(folder, rng)
    out_json, out_md = tmp_path / "scores.json", tmp_path / "scores.md"
    result = invoke(
        "eval", folder, "--labels", folder / "labels.csv", "--store", tmp_path / "store", "--no-clusters", "--no-baselines",
        "--json", out_json, "--markdown", out_md, env={},
    )
    assert result.exit_code == 0, result.output
    rows = {r["method"]: r for r in json.loads(out_json.read_text())["methods"]}
    assert set(rows) == set(PRESETS)
    # the default finds both moved, recoloured drawings and nothing else
    best = rows[DEFAULT_PRESET]
    assert (best["true_links"], best["false_links"], best["positives"]) == (6, 0, 6)
    # a moved drawing defeats the whole-panel edge maps of the original write-up
    assert rows["original-edges"]["recall"] < 1
    assert rows[SPEED_BASELINE]["cost_ratio"] == 1.0
    assert all(np.isfinite(r["cost_ratio"]) and r["cost_ratio"] > 0 for r in rows.values())
    table = out_md.read_text()
    for name in PRESETS:
        assert f"| {name} |" in table


def test_eval_of_some_presets_shows_a_dash_where_nothing_was_measured(tmp_path, rng):
    # issue 19: without original-edges among the methods (the cost baseline) and without clusterings,
    # the table printed "nan" and "nanx"
    folder = tmp_path / "set"
    labelled_set(folder, rng)
    out_md = tmp_path / "scores.md"
    result = invoke("eval", folder, "--labels", folder / "labels.csv", "--store", tmp_path / "store", "--no-clusters",
                    "--no-baselines", "--preset", "original-ahash", "--markdown", out_md, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "nan" not in result.stdout.lower() and "nan" not in out_md.read_text().lower()
    row = next(line for line in result.stdout.splitlines() if "original-ahash" in line)
    cells = [c.strip() for c in row.strip(" │").split("│")]
    assert cells[-2] == "-"  # the cost
    assert cells[-1] == "" or cells[-1].startswith("drawing ")  # the links by kind: whole drawings only
