"""A real run folder over generated drawings with planted reuse, for the report tests.

Built once per test session (the `planted_run` fixture in tests/conftest.py) by the
real `visualdistance run` command, so the report is tested on what the pipeline
actually writes.

The folder holds GROUPS planted groups; each is an original on an early page
and, on later pages, a recolor, a redraw and a mirrored copy. Group 0's
recolor is frame 1 of an animated GIF (``anim.gif#1``), group 1's mirrored
copy has a hostile file name (HOSTILE), and unrelated drawings fill the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from visualdistance.analysis import synthetic
from visualdistance.cli.main import app

GROUPS = 8
SINGLETONS = 10
#: markup, quotes, an entity, a fragment, a query and a percent escape: all legal in a file name
HOSTILE = "<img src=x onerror=alert(1)><script>'q' & \"r\" &amp; #1 ?a=%20.png"
SIZE = (240, 180)


@dataclass(frozen=True)
class PlantedRun:
    images: Path
    out: Path
    groups: dict[str, tuple[int, str]]  # panel id -> (group, kind)


def _save(img: np.ndarray, path: Path) -> None:
    Image.fromarray(img).save(path)


def make_corpus(folder: Path, seed: int = 7) -> dict[str, tuple[int, str]]:
    """Write the planted corpus; returns panel id -> (group, kind)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    truth: dict[str, tuple[int, str]] = {}
    for g in range(GROUPS):
        base = synthetic.random_drawing(rng, n_shapes=(6, 9))
        copies = {
            "original": synthetic.render(base, SIZE),
            "recolor": synthetic.render(synthetic.recolor(base, rng), SIZE),
            "redraw": synthetic.render(synthetic.redraw(base, rng, jitter=0.003), SIZE),
            "mirror": synthetic.render(base, SIZE, mirrored=True),
        }
        # Copies come on later pages than their original, as reuse does.
        names = {"original": f"{10 + g}_1.png", "recolor": f"{40 + g}_2.png", "redraw": f"{60 + g}_1.png",
                 "mirror": f"{80 + g}_3.png"}
        if g == 1:
            names["mirror"] = HOSTILE
        for kind, img in copies.items():
            if g == 0 and kind == "recolor":
                unrelated = synthetic.render(synthetic.random_drawing(rng), SIZE)
                frames = [Image.fromarray(unrelated), Image.fromarray(img)]
                frames[0].save(folder / "anim.gif", save_all=True, append_images=frames[1:], duration=200, loop=0)
                truth["anim.gif#1"] = (g, kind)
                truth["anim.gif"] = (-1, "unrelated")
                continue
            _save(img, folder / names[kind])
            truth[names[kind]] = (g, kind)
    for k in range(SINGLETONS):
        name = f"{100 + k}_1.png"
        _save(synthetic.render(synthetic.random_drawing(rng), SIZE), folder / name)
        truth[name] = (-1, "unrelated")
    return truth


def make_planted_run(root: Path) -> PlantedRun:
    """Write the planted corpus under `root` and run the pipeline on it."""
    images, out = root / "panels", root / "out"
    truth = make_corpus(images)
    result = CliRunner().invoke(
        app, ["run", str(images), "--out", str(out), "--store", str(root / "store"), "--workers", "1",
              "--preset", "combined"],  # the tests read its whole-panel edge maps
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return PlantedRun(images, out, truth)
