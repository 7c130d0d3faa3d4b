"""Every mirrorable signature: the cheap mirrored row is the row of the mirrored panel."""

import numpy as np
import pytest

from tests import synthetic
from visualdistance.analysis.presets import all_signatures
from visualdistance.analysis.signatures.base import PanelView

#: Known to differ, left to the signatures' owners (analysis/signatures is being reworked for speed):
#: DrawingEdges' mirrored row is its canvas flipped, and on generated drawings 30-50% of its edge bits
#: differ from the edges of the mirrored panel (249 of 606 on a 400x300 drawing; not a shift of the
#: canvas: no shift of up to 2 px makes them agree). Strict: this fails once the two agree.
DIFFERS = {"drawing_edges": "the flipped canvas is not the mirrored panel's edges (30-50% of the bits differ)"}
MIRRORABLE = [
    pytest.param(s, id=s.name, marks=[pytest.mark.xfail(strict=True, reason=DIFFERS[s.name])] if s.name in DIFFERS else [])
    for s in all_signatures() if s.mirrorable
]


def panels() -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(what, rgb, alpha) of generated panels: drawings of several sizes and shapes, off-centre sprites, transparency."""
    rng = np.random.default_rng(11)
    out = []
    for size in ((400, 300), (161, 97), (96, 250), (33, 41)):
        out.append((f"drawing {size}", synthetic.render(synthetic.random_drawing(rng), size=size), None))
    sprite, alpha = synthetic.render_sprite(synthetic.random_drawing(rng), side=120)
    out.append(("transparent sprite", sprite, alpha))
    canvas = np.full((240, 320, 3), 255, np.uint8)
    canvas[30:150, 17:137] = sprite
    out.append(("sprite off centre", canvas, None))
    out.append(("blank", synthetic.blank_panel(rng, size=(200, 150)), None))
    return out


def test_there_are_mirrorable_signatures():
    assert len(MIRRORABLE) >= 3


@pytest.mark.parametrize("signature", MIRRORABLE)
def test_describe_mirrored_is_describe_of_the_mirrored_view(signature):
    for what, rgb, alpha in panels():
        cheap = signature.describe_mirrored(PanelView(rgb, alpha=alpha))
        flipped = signature.describe(PanelView(rgb, alpha=alpha).mirrored())
        assert np.array_equal(cheap, flipped), f"{signature.name} on {what}"
