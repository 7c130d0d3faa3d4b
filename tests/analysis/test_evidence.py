"""What counts as evidence of one drawing: a match that chance would not give.

Textures, rows of look-alike frames and banners are close to anything as
dense under an edge distance; the default must link a copy of them, never two
different ones.
"""

import cv2
import numpy as np
import pytest

from tests import synthetic
from tests.analysis.test_linking import describe, links_of
from visualdistance.analysis.presets import DRAWING, DRAWING_CHAMFER, DRAWING_CONTRAST, SAME_DRAWING, SPECIFIC
from visualdistance.analysis.rules import edge_extents


def _noise(rng, size):
    """Painted water or sand: soft blotches with grain."""
    base = cv2.GaussianBlur(rng.integers(0, 255, (size // 8, size // 8, 3), dtype=np.uint8), (3, 3), 0)
    img = cv2.resize(base, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.int16)
    img += rng.integers(-40, 40, (size, size, 1), dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def _foliage(rng, size):
    """Overlapping leaf blobs in greens with dark outlines."""
    img = np.full((size, size, 3), (40, 90, 40), np.uint8)
    for _ in range(size * size // 60):
        c = tuple(int(v) for v in rng.integers(0, size, 2))
        axes = tuple(int(v) for v in rng.integers(3, 8, 2))
        green = (int(rng.integers(30, 90)), int(rng.integers(120, 220)), int(rng.integers(30, 90)))
        cv2.ellipse(img, c, axes, float(rng.integers(0, 180)), 0, 360, green, -1)
        cv2.ellipse(img, c, axes, float(rng.integers(0, 180)), 0, 360, (10, 40, 10), 1)
    return img


def _bricks(rng, size):
    """A wall of bricks of varying shades, rows offset by half a brick."""
    img = np.full((size, size, 3), (190, 190, 180), np.uint8)
    bw, bh = 24, 12
    for row, y in enumerate(range(0, size, bh)):
        for x in range(-(row % 2) * bw // 2, size, bw):
            shade = int(rng.integers(110, 170))
            cv2.rectangle(img, (x + 1, y + 1), (x + bw - 2, y + bh - 2), (shade, shade // 2, shade // 3), -1)
    return img


TEXTURES = {"noise": _noise, "foliage": _foliage, "bricks": _bricks}


def _contrast(images) -> float:
    sigs = describe(images)
    return float(np.min(DRAWING_CONTRAST.distances(sigs, np.array([0]), np.array([1]))))


@pytest.mark.parametrize("texture", sorted(TEXTURES))
def test_two_patches_of_one_texture_do_not_link_but_a_recoloured_copy_does(texture):
    rng = np.random.default_rng(7)
    sheet = TEXTURES[texture](rng, 900)
    a, b = sheet[40:340, 50:450], sheet[500:800, 430:830]
    copy = np.ascontiguousarray(a[..., ::-1])  # the same patch, channels swapped: a recolour
    pairs, _ = links_of([a, b, copy], DRAWING)
    assert (0, 1) not in pairs
    assert (0, 2) in pairs
    # their edges are as close as a reused drawing's; what stops them is that the match holds anywhere
    sigs = describe([a, b])
    assert float(np.min(DRAWING_CHAMFER.distances(sigs, np.array([0]), np.array([1])))) < SAME_DRAWING
    assert _contrast([a, b]) >= SPECIFIC


def _walker(step: int, palette: tuple) -> np.ndarray:
    """One walk-cycle frame of a figure (head, body, two legs) on white: a figure of one body template."""
    skin, shirt, trousers = palette
    img = np.full((72, 48, 3), 255, np.uint8)
    swing = int(round(8 * np.sin(2 * np.pi * step / 12)))
    for dx in (swing, -swing):
        cv2.line(img, (24, 44), (24 + dx, 66), trousers, 6)
        cv2.line(img, (24, 44), (24 + dx, 66), (0, 0, 0), 1)
    cv2.ellipse(img, (24, 34), (11, 14), 0, 0, 360, shirt, -1)
    cv2.ellipse(img, (24, 34), (11, 14), 0, 0, 360, (0, 0, 0), 1)
    cv2.circle(img, (24, 13), 9, skin, -1)
    cv2.circle(img, (24, 13), 9, (0, 0, 0), 1)
    return img


def _sheet(palette: tuple) -> np.ndarray:
    """A walk-cycle sheet: twelve frames side by side, one row (576 x 72)."""
    return np.hstack([_walker(k, palette) for k in range(12)])


def test_two_sprite_sheets_of_one_layout_do_not_link_but_a_copy_does():
    a = _sheet(((250, 210, 180), (40, 160, 60), (60, 60, 140)))
    b = _sheet(((120, 80, 60), (200, 40, 40), (30, 30, 30)))  # another character on the same body template
    moved = np.pad(a, ((6, 0), (10, 0), (0, 0)), constant_values=255)  # the same sheet on a larger canvas
    pairs, _ = links_of([a, b, moved], DRAWING)
    assert (0, 1) not in pairs
    assert (0, 2) in pairs
    # the sheet is too thin on the canvas for its lines alone to tell the characters apart
    sigs = describe([a, b])
    assert float(np.min(DRAWING_CHAMFER.distances(sigs, np.array([0]), np.array([1])))) < SAME_DRAWING
    assert edge_extents(sigs["drawing_edges"], (128, 128)).min() < 24


def test_a_banner_does_not_match_a_square_drawing_or_another_banner():
    rng = np.random.default_rng(5)

    def banner(text: str) -> np.ndarray:
        img = np.full((80, 1000, 3), (30, 30, 90), np.uint8)
        cv2.rectangle(img, (4, 4), (995, 75), (240, 200, 40), 3)
        cv2.putText(img, text, (30, 58), cv2.FONT_HERSHEY_SIMPLEX, 1.6, (255, 255, 255), 3, cv2.LINE_AA)
        return img

    a, b = banner("THE HASHTAG BAR #1"), banner("CLOSE CONVERSATION")
    squeezed = cv2.resize(a, (300, 300), interpolation=cv2.INTER_AREA)  # the same picture, not the same drawing
    square = synthetic.render(synthetic.random_drawing(rng), size=(300, 300))
    copy = a.copy()  # the same banner used again
    pairs, _ = links_of([a, b, squeezed, square, copy], DRAWING)
    assert (0, 4) in pairs
    assert not {(0, 1), (0, 2), (0, 3), (1, 2), (1, 3)} & set(pairs)


def test_edge_extents_measure_the_bounding_box():
    maps = np.zeros((3, 128, 128), bool)
    maps[0, 10:20, 30:90] = True
    maps[1, 64, 5] = True
    bits = np.stack([np.packbits(m.ravel(), bitorder="little").view(np.uint64) for m in maps])
    assert edge_extents(bits, (128, 128)).tolist() == [[10, 60], [1, 1], [0, 0]]


def test_describing_a_dense_brick_wall_in_a_describing_process_leaves_the_heap_intact():
    """OpenCV's one-stripe Canny overruns its stack on this wall at 100x100 (58% edge pixels) and corrupts
    the heap; a describing process keeps OpenCV on enough threads to split it. Run apart: a corrupted heap aborts."""
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import numpy as np
        from visualdistance.analysis.image_ops import limit_opencv_threads
        from visualdistance.analysis.presets import all_signatures
        from visualdistance.analysis.signatures.base import PanelView
        from tests.analysis.test_evidence import _bricks
        limit_opencv_threads()
        wall = _bricks(np.random.default_rng(7), 900)[40:340, 50:450][..., ::-1].copy()
        for _ in range(5):
            for s in all_signatures():
                s.describe_all(PanelView(wall))
        garbage = [np.ones(1000) for _ in range(2000)]
        print("described")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "described" in done.stdout, done.stderr[-500:]
