"""Every mirrorable signature: the cheap mirrored row is the row of the mirrored panel."""

import cv2
import numpy as np
import pytest

from tests import synthetic
from visualdistance.analysis import image_ops
from visualdistance.analysis.presets import all_signatures
from visualdistance.analysis.rules import EdgeChamfer
from visualdistance.analysis.signatures.base import PanelView

#: Equal up to what the metric that reads them forgives: DrawingEdges' mirrored row is its canvas
#: flipped, and Canny's non-maximum suppression breaks ties on one side (`>` left, `>=` right), so on
#: the mirrored panel a line can land one pixel over (249 of 606 bits on a 400x300 drawing). The
#: drawing metric gives the first pixel free: for it the two rows must be the same drawing, distance 0.
WITHIN_A_PIXEL = {"drawing_edges": EdgeChamfer("edges", "drawing_edges", 1, 3, False, (128, 128), slack=1)}
MIRRORABLE = [pytest.param(s, id=s.name) for s in all_signatures() if s.mirrorable]


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
    # Homestuck's panel size: shrunk in whole blocks first (image_ops.shrink)
    out.append(("drawing (650, 450)", synthetic.render(synthetic.random_drawing(rng), size=(650, 450)), None))
    return out


def test_there_are_mirrorable_signatures():
    assert len(MIRRORABLE) >= 3


@pytest.mark.parametrize("signature", MIRRORABLE)
def test_describe_mirrored_is_describe_of_the_mirrored_view(signature):
    for what, rgb, alpha in panels():
        cheap = signature.describe_mirrored(PanelView(rgb, alpha=alpha))
        flipped = signature.describe(PanelView(rgb, alpha=alpha).mirrored())
        if signature.name in WITHIN_A_PIXEL:
            rows = {signature.name: np.stack([cheap, flipped])}
            distance = WITHIN_A_PIXEL[signature.name].distances(rows, np.array([0]), np.array([1]))[0]
            assert distance[0] == 0.0, f"{signature.name} on {what}: {distance[0]}"
        else:
            assert np.array_equal(cheap, flipped), f"{signature.name} on {what}"


def test_a_signature_names_its_values_and_readers_ask_by_name():
    stats = next(s for s in all_signatures() if s.name == "drawing_stats")
    rows = {"drawing_stats": np.array([[30, 40, 1, 64], [5, 6, 2, 7]], np.int32)}
    assert stats.values(rows, "size").tolist() == [64, 7] and stats.values(rows, "area").tolist() == [40, 6]
    with pytest.raises(ValueError, match="has no value 'width'.*'edge_pixels', 'area'"):
        stats.column("width")


def test_the_shown_signatures_have_one_place_each_and_one_number_or_64_bits():
    shown = [s for s in all_signatures() if s.shown]
    assert len({s.shown.at for s in shown}) == len(shown)
    assert {s.shown.kind for s in shown} <= {"count", "hex"}
    view = PanelView(synthetic.render(synthetic.random_drawing(np.random.default_rng(3))))
    for s in shown:  # a count is the row's one number; hex shows the first 64 bits, which must be all of it
        row = s.describe(view)
        assert row.size == 1 and (s.shown.kind == "count" or row.dtype == np.uint64), s.name


def test_a_drawings_size_is_in_its_files_pixels_when_the_loader_shrank_the_panel():
    from visualdistance.analysis.signatures.content import DrawingStats

    rgb = synthetic.render(synthetic.random_drawing(np.random.default_rng(4)))
    stats = DrawingStats()
    def size(view: PanelView) -> int:
        return stats.values({stats.name: stats.describe(view)[None]}, "size")[0]

    own = size(PanelView(rgb))
    assert own > 0 and size(PanelView(rgb, file_size=(2 * rgb.shape[1], 2 * rgb.shape[0]))) == pytest.approx(2 * own, abs=2)


@pytest.mark.parametrize("size, factor", [((650, 450), 2), ((1300, 900), 4), ((400, 300), 1), ((651, 451), 1)])
def test_a_large_panels_grey_base_is_shrunk_in_whole_blocks_and_stays_the_area_average(size, factor):
    """650 x 450 (Homestuck's panel) is averaged in 2 x 2 blocks before the 100 x 100 base every small signature
    reads; a panel whose sides share no whole factor with 2x left after it is averaged in one step. Either way
    the base is the one-step area average within a level."""
    rgb = synthetic.render(synthetic.random_drawing(np.random.default_rng(3)), size=size)
    view = PanelView(rgb)
    one_step = cv2.resize(view.grey, (PanelView.BASE, PanelView.BASE), interpolation=cv2.INTER_AREA)
    diff = np.abs(view.grey_resized(PanelView.BASE).astype(int) - one_step)
    assert image_ops.block_factor(*size, (PanelView.BASE, PanelView.BASE)) == factor
    assert diff.mean() < 1.0 and diff.max() <= 24
    assert factor > 1 or not diff.any()


@pytest.mark.parametrize("n", [1, 2, 63, 64, 225, 256])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_hashes_median_is_numpys(n, dtype):
    from visualdistance.analysis.signatures.hashes import median

    rng = np.random.default_rng(n)
    for spread in (1.0, 1e4):
        values = (rng.normal(size=n) * spread).astype(dtype)
        for a in (values, np.round(values), np.repeat(values[:1], n)):  # ties, and all equal
            got, want = median(a), np.median(a)
            assert got == want and got.dtype == want.dtype


def test_the_dct_hashes_split_at_numpys_median():
    from visualdistance.analysis.signatures.hashes import DctHash, LayoutHash

    for what, rgb, alpha in panels():
        view = PanelView(rgb, alpha=alpha)
        for sig in (DctHash(), LayoutHash()):
            small = view.grey_resized(sig.size).astype(np.float32)
            band = slice(sig.skip, sig.skip + sig.keep)
            low = cv2.dct(small)[band, band]
            assert np.array_equal(sig.describe(view), image_ops.pack_bits(low > np.median(low))), (what, sig.name)
