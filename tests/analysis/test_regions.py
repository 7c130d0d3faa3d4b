"""Region links (partial reuse) on generated scenes: a figure pasted into other scenes at other places and sizes."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests import synthetic
from visualdistance.analysis import descriptor_index, image_ops, regions

SIZE = (650, 450)


def figure(seed: int, side: int, mirrored: bool = False):
    """A busy figure (many outlined shapes) drawn alone, side x side, as (RGB, drawn-pixel mask)."""
    drawing = synthetic.random_drawing(np.random.default_rng(seed), (14, 20))
    return synthetic.render_sprite(drawing, side, mirrored=mirrored)


def scene(seed: int) -> np.ndarray:
    """A background drawing that fills the panel (a room of outlined shapes)."""
    return synthetic.render(synthetic.random_drawing(np.random.default_rng(seed), (10, 16)), SIZE)


def paste(background: np.ndarray, sprite, at: tuple[int, int]) -> np.ndarray:
    """The sprite's drawn pixels over the background, its top-left corner at `at`."""
    out = background.copy()
    rgb, mask = sprite
    h, w = mask.shape
    x, y = at
    out[y:y + h, x:x + w][mask] = rgb[mask]
    return out


def describe(rgb: np.ndarray) -> regions.RegionFeatures:
    return regions.describe_regions(image_ops.to_grey(rgb))


def links_of(*panels: np.ndarray) -> regions.RegionLinks:
    return regions.find_region_links([describe(p) for p in panels])


def only_link(found: regions.RegionLinks, kind: str) -> int:
    rows = np.flatnonzero(found.kind == regions.KINDS.index(kind))
    assert len(rows) == 1, (found.a, found.b, found.kind)
    return int(rows[0])


def assert_box_near(box: np.ndarray, expected: tuple[int, int, int, int]) -> None:
    """The region's box overlaps the figure's by at least 0.7 of their union. Not yet the few pixels
    issue 21 asks for: the region is measured on an edge map a third of the working size, and a
    background outline that continues the figure's under the transform widens it (by up to 15%)."""
    (ax, ay, aw, ah), (bx, by, bw, bh) = np.asarray(box, float), np.asarray(expected, float)
    inter = max(0.0, min(ax + aw, bx + bw) - max(ax, bx)) * max(0.0, min(ay + ah, by + bh) - max(ay, by))
    union = aw * ah + bw * bh - inter
    assert inter / union >= 0.7, (box.tolist(), expected, inter / union)


def drawn_box(mask: np.ndarray, at: tuple[int, int]) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return (at[0] + xs.min(), at[1] + ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)


def test_a_figure_pasted_at_another_place_and_size_links_with_its_boxes() -> None:
    big, small = figure(1, 260), figure(1, 180)  # the same drawing at 1.44x
    a = paste(scene(10), big, (40, 100))
    b = paste(scene(11), small, (420, 30))
    found = links_of(a, b)
    k = only_link(found, "region")
    assert (found.a[k], found.b[k]) == (0, 1) and not found.mirrored[k]
    assert found.scale[k] == pytest.approx(180 / 260, rel=0.08)
    # The region is the figure: its drawn pixels' box.
    assert_box_near(found.box_a[k], drawn_box(big[1], (40, 100)))
    assert_box_near(found.box_b[k], drawn_box(small[1], (420, 30)))
    assert found.share_a[k] == pytest.approx(found.box_a[k][2] * found.box_a[k][3] / (SIZE[0] * SIZE[1]), rel=1e-3)


def test_a_mirrored_paste_links_and_says_so() -> None:
    a = paste(scene(20), figure(2, 220), (60, 120))
    b = paste(scene(21), figure(2, 220, mirrored=True), (380, 90))
    found = links_of(a, b)
    k = only_link(found, "region")
    assert found.mirrored[k]
    assert found.scale[k] == pytest.approx(1.0, rel=0.05)
    assert_box_near(found.box_b[k], drawn_box(figure(2, 220, mirrored=True)[1], (380, 90)))


def test_the_mirror_images_keypoints_are_the_pictures_own_flipped_and_described_as_the_mirror_shows_them() -> None:
    panel = paste(scene(3), figure(1, 200), (120, 90))
    f = describe(panel)
    w = f.work_size[0]
    assert len(f.points_mirror) == len(f.points) > 100
    assert np.allclose(f.points_mirror[:, 1], f.points[:, 1])
    assert np.all(np.abs(f.points_mirror[:, 0] - (w - 1 - f.points[:, 0])) < 5)  # flipped in their pyramid level
    # ORB run on the mirror image itself finds the same corners, and there they get the same descriptors
    work = image_ops.resize(image_ops.to_grey(panel), f.work_size)
    found, own = cv2.ORB_create(nfeatures=regions.KEYPOINTS).detectAndCompute(np.ascontiguousarray(work[:, ::-1]), None)
    pts = np.array([k.pt for k in found], np.float32)
    near = np.linalg.norm(f.points_mirror[:, None] - pts[None], axis=2)
    nearest = near.argmin(axis=1)
    same_place = near[np.arange(len(nearest)), nearest] < 0.5
    bits = np.unpackbits(f.descriptors_mirror[same_place] ^ own[nearest[same_place]], axis=1).sum(axis=1)
    assert same_place.mean() > 0.95 and bits.mean() < 2


def test_two_panels_on_one_background_with_different_figures_are_not_reuse() -> None:
    room = scene(30)
    a = paste(room, figure(3, 200), (50, 150))
    b = paste(room, figure(4, 200), (400, 120))
    found = links_of(a, b)
    assert not np.any(found.kind == regions.KINDS.index("region"))
    k = only_link(found, "background")
    assert max(found.share_a[k], found.share_b[k]) > regions.BACKGROUND_SHARE


def sprite_file(seed: int = 3, side: int = 400, pad: int = 20):
    """A sprite's own file: the figure alone on white, filling most of it; and the figure's (RGB, mask)."""
    sprite = figure(seed, side)
    return paste(np.full((side + 2 * pad, side + 2 * pad, 3), 255, np.uint8), sprite, (pad, pad)), sprite


def test_a_sprites_own_file_and_a_scene_it_was_pasted_into_are_reuse_not_a_background() -> None:
    # the sprite fills its own file, so the match covers most of it: but nothing else is drawn there
    own_file, sprite = sprite_file()
    found = links_of(own_file, paste(scene(12), figure(3, 260), (300, 40)))
    k = only_link(found, "region")
    assert found.share_a[k] > regions.BACKGROUND_SHARE > found.share_b[k]
    assert_box_near(found.box_a[k], drawn_box(sprite[1], (20, 20)))


def test_a_match_over_most_of_one_panel_is_a_background_unless_that_panel_shows_it_alone() -> None:
    own_file, sprite = sprite_file()
    alone, room, other = describe(own_file), describe(scene(50)), describe(scene(51))
    figure_box, most_of_room = np.array(drawn_box(sprite[1], (20, 20))), np.array([0, 0, 520, 360])  # 0.64 of it
    small = np.array([100, 100, 150, 200])  # 0.10 of a panel
    assert regions.edge_share(figure_box, alone) > regions.ALONE > regions.edge_share(most_of_room, room)
    assert not regions.shared_background((figure_box, 0.67, alone), (small, 0.10, other))
    assert regions.shared_background((most_of_room, 0.64, room), (small, 0.10, other))  # the room shows more
    assert regions.shared_background((figure_box, 0.67, alone), (most_of_room, 0.64, room))  # most of both


def test_different_figures_in_different_scenes_do_not_link() -> None:
    a = paste(scene(40), figure(5, 220), (80, 100))
    b = paste(scene(41), figure(6, 220), (300, 150))
    assert len(links_of(a, b)) == 0


def test_flat_and_near_blank_panels_never_match() -> None:
    flat = np.full((SIZE[1], SIZE[0], 3), 200, np.uint8)
    marked = flat.copy()
    cv2.circle(marked, (300, 200), 6, (0, 0, 0), 2)
    with_figure = paste(flat, figure(7, 220), (100, 100))
    features = [describe(p) for p in (flat, flat.copy(), marked, with_figure)]
    assert len(features[0].points) == 0
    assert len(regions.find_region_links(features)) == 0


def test_features_keep_their_shapes_for_tiny_and_empty_panels() -> None:
    tiny = describe(np.full((8, 5, 3), 255, np.uint8))
    assert tiny.descriptors.shape == (0, 32) and tiny.points.shape == (0, 2)
    assert tiny.edges.shape[1] <= regions.EDGE_SIDE
    assert len(regions.find_region_links([tiny, tiny])) == 0


def row_of_motifs(background: np.ndarray, motif, y: int, xs: range) -> np.ndarray:
    """The motif pasted again and again along one row (windows of a facade, a frieze)."""
    for x in xs:
        background = paste(background, motif, (x, y))
    return background


def test_a_repeated_motif_is_no_evidence_of_one_drawing() -> None:
    # Two scenes whose only common part is a frieze of one small motif (at another height): every
    # motif matches every motif, so the frieze is a pattern, not a drawing the two share.
    motif = figure(5, 56)
    a = row_of_motifs(scene(50), motif, 60, range(20, 580, 64))
    b = row_of_motifs(scene(51), motif, 300, range(40, 580, 64))
    found = links_of(a, b)
    assert not (found.kind == regions.KINDS.index("region")).any(), (found.a, found.b, found.box_a, found.box_b)


def grain(seed: int, size: tuple[int, int] = (320, 220), cell: int = 3):
    """A patch of fine coloured grain (painted sand or gravel): cells of `cell` px, as (RGB, drawn-pixel mask)."""
    cells = np.random.default_rng(seed).integers(0, 256, (size[1] // cell, size[0] // cell, 3)).astype(np.uint8)
    rgb = cv2.resize(cells, size, interpolation=cv2.INTER_NEAREST)
    return rgb, np.ones(rgb.shape[:2], bool)


def test_a_texture_that_agrees_with_itself_moved_is_no_figure(monkeypatch) -> None:
    # One patch of grain in two scenes: its keypoints match and its edges agree under the transform,
    # but as well with the transform moved a few pixels, as a texture's do and a figure's lines do not.
    patch = grain(5)
    a, b = paste(scene(60), patch, (30, 40)), paste(scene(61), patch, (280, 200))
    assert not len(links_of(a, b))
    monkeypatch.setattr(regions, "TEXTURE_AGREEMENT", np.inf)
    assert (links_of(a, b).kind == regions.KINDS.index("region")).any()  # what the test above rejects


def test_keypoints_that_repeat_in_their_picture_are_dropped_and_unique_ones_kept() -> None:
    import faiss

    f = describe(row_of_motifs(np.full((450, 650, 3), 255, np.uint8), figure(5, 56), 60, range(20, 580, 64)))
    repeated = regions._distinctive(faiss, f.points, f.descriptors)
    g = describe(paste(np.full((450, 650, 3), 255, np.uint8), figure(6, 300), (100, 80)))
    unique = regions._distinctive(faiss, g.points, g.descriptors)
    assert repeated.mean() < 0.05 and unique.mean() > 0.4, (repeated.mean(), unique.mean())


def test_which_keypoints_repeat_is_found_when_describing_and_kept_in_the_stored_row() -> None:
    # Linking reads it from the row instead of searching every picture's keypoints again on every run.
    import faiss

    from visualdistance.analysis.signatures.regions import features_from_row, features_to_row

    f = describe(row_of_motifs(scene(50), figure(5, 56), 60, range(20, 580, 64)))
    stored = features_from_row(features_to_row(f))
    found_now = regions._distinctive(faiss, f.points, f.descriptors)
    assert 0 < found_now.sum() < len(found_now)  # some repeat (the frieze), some do not (the scene)
    assert np.array_equal(stored.distinctive, found_now)
    # the mirror image keeps the picture's own keypoints (the same keypoints, flipped); its own test, run on
    # its descriptors, decides alike for most (0.88 of them on this frieze; two unrelated masks ~0.5)
    assert len(f.points_mirror) == len(f.points) and np.array_equal(stored.distinctive_mirror, found_now)
    own = regions._distinctive(faiss, f.points_mirror, f.descriptors_mirror)
    assert (own == found_now).mean() > 0.8, (own == found_now).mean()
    kept = regions.distinctive_only(faiss, stored)
    assert len(kept.points) == stored.distinctive.sum() and kept.distinctive.all()


def test_a_panel_the_loader_shrinks_gets_its_box_and_scale_in_its_files_pixels(tmp_path) -> None:
    from PIL import Image

    from visualdistance.analysis.signatures.regions import RegionKeypoints, features_from_row
    from visualdistance.loader.extract import extract_folder
    from visualdistance.loader.images import WORK_SIDE

    big, small = figure(5, 220), figure(5, 300)
    a = cv2.resize(paste(scene(50), big, (60, 80)), (2 * SIZE[0], 2 * SIZE[1]), interpolation=cv2.INTER_NEAREST)
    assert max(a.shape) > WORK_SIDE  # the loader describes a shrunk copy of it
    Image.fromarray(a).save(tmp_path / "a.png")
    Image.fromarray(paste(scene(51), small, (300, 60))).save(tmp_path / "b.png")
    sig = RegionKeypoints()
    panels = extract_folder(tmp_path, (sig,), tmp_path / "store", workers=1).panels
    found = regions.find_region_links([features_from_row(panels.signatures[sig.name].row(k)) for k in range(2)])
    k = only_link(found, "region")
    x, y, w, h = drawn_box(big[1], (60, 80))
    assert_box_near(found.box_a[k], (2 * x, 2 * y, 2 * w, 2 * h))
    assert found.scale[k] == pytest.approx(300 / 440, rel=0.08)


def test_the_index_answers_its_queries_alike_on_one_thread_or_several(monkeypatch) -> None:
    monkeypatch.setattr(descriptor_index, "FLAT_UP_TO", 1000)  # an inverted file, trained on one thread either way
    panels = [describe(paste(scene(60 + k), figure(6, 200 + 20 * k), (50 + 60 * k, 40))) for k in range(4)]

    def found(threads: int) -> list:
        monkeypatch.setattr(regions, "SEARCH_THREADS", threads)
        return [(c.src, c.dst, c.mirrored, c.src_points.tobytes(), c.dst_points.tobytes())
                for c in regions.candidate_matches(panels)]

    one = found(1)
    assert len(one) >= 3 and found(2) == one == found(1)


def test_queries_searched_a_block_at_a_time_propose_what_one_search_does(monkeypatch) -> None:
    # The queries go to the index in blocks of whole panels, so a large corpus never holds every pair at once.
    panels = [describe(paste(scene(70 + k), figure(5, 180 + 30 * k), (60 + 50 * k, 50))) for k in range(3)]

    def found(block: int) -> list:
        monkeypatch.setattr(regions, "QUERY_BLOCK", block)
        return [(c.src, c.dst, c.mirrored, c.src_points.tobytes(), c.dst_points.tobytes())
                for c in regions.candidate_matches(panels)]

    whole = found(1 << 30)
    assert len(whole) >= 2 and found(97) == whole == found(1000)
