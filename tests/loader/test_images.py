"""Decoding every kind of file a folder of panels holds, and refusing bad ones with a reason."""

import io

import numpy as np
import pytest
from PIL import Image

from visualdistance.loader import images
from visualdistance.loader.images import BadImage, decode, discover, panel_id, parse_page_name


def encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def test_page_names():
    assert parse_page_name("1901_2.gif") == (1901, 2)
    assert parse_page_name("sub/12_1.png") == (12, 1)
    assert parse_page_name("cover.png") == (-1, -1)
    assert panel_id("a/b.gif", 0) == "a/b.gif" and panel_id("a/b.gif", 3) == "a/b.gif#3"


def test_discover_is_recursive_natural_and_skips_hidden_and_excluded(tmp_path):
    for rel in ["10_1.png", "2_1.png", "sub/3_1.GIF", ".hidden/1_1.png", "notes.txt", "out/9_1.png", ".x.png"]:
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    found = [f.rel for f in discover(tmp_path, exclude=(tmp_path / "out",))]
    assert found == ["2_1.png", "10_1.png", "sub/3_1.GIF"]


def test_transparency_is_composited_on_white():
    im = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    im.putpixel((0, 0), (0, 0, 255, 255))
    rgb = decode(encode(im, "PNG")).frames[0]
    assert rgb[1, 1].tolist() == [255, 255, 255]
    assert rgb[0, 0].tolist() == [0, 0, 255]


def test_palette_with_transparent_index():
    im = Image.new("P", (4, 4), 1)
    im.putpalette([0, 0, 0, 10, 200, 10] + [0] * 762)
    im.putpixel((2, 2), 0)
    rgb = decode(encode(im, "GIF", transparency=1)).frames[0]
    assert rgb[0, 0].tolist() == [255, 255, 255] and rgb[2, 2].tolist() == [0, 0, 0]


def test_a_colour_key_in_a_truecolour_image_is_not_transparency():
    # issue 21: a truecolour PNG whose key is black (a converted palette's transparent entry) had its
    # black line art turned white; a palette image with a transparent index keeps it (test above)
    rgb = np.full((6, 6, 3), 200, np.uint8)
    rgb[2:4] = 0
    for mode, key in (("RGB", (0, 0, 0)), ("L", 0)):
        buf = io.BytesIO()
        Image.fromarray(rgb).convert(mode).save(buf, "PNG", transparency=key)
        assert "transparency" in Image.open(io.BytesIO(buf.getvalue())).info
        decoded = decode(buf.getvalue())
        assert decoded.frames[0][2:4].max() == 0 and decoded.frames[0][0, 0, 0] == 200
        assert decoded.alphas[0] is None


@pytest.mark.parametrize(
    "mode,fmt",
    [("L", "PNG"), ("LA", "PNG"), ("1", "BMP"), ("CMYK", "JPEG"), ("RGB", "WEBP"), ("RGB", "JPEG"), ("P", "PNG")],
)
def test_modes_and_formats_give_rgb(mode, fmt):
    im = Image.new(mode, (20, 10))
    rgb = decode(encode(im, fmt)).frames[0]
    assert rgb.shape == (10, 20, 3) and rgb.dtype == np.uint8


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    a = np.array([[0, 32768, 65535]], dtype=np.uint16)
    rgb = decode(encode(Image.fromarray(a), "PNG")).frames[0]
    assert rgb[0, :, 0].tolist() == [0, 128, 255]


def test_animated_gif_gives_every_frame_or_only_the_first():
    frames = [Image.new("RGB", (8, 8), c) for c in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    all_frames = decode(data)
    assert len(all_frames.frames) == 3 and all_frames.total_frames == 3
    assert all_frames.frames[2][0, 0].tolist() == [0, 0, 255]
    assert len(decode(data, first_frame_only=True).frames) == 1


def test_bad_files_raise_with_a_reason():
    png = encode(Image.new("RGB", (64, 64), (1, 2, 3)), "PNG")
    with pytest.raises(BadImage, match="empty"):
        decode(b"")
    with pytest.raises(BadImage, match="not an image"):
        decode(b"<html>not a picture</html>")
    with pytest.raises(BadImage, match="truncated|damaged"):
        decode(png[: len(png) // 2])


def test_decompression_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 100 * 100)
    data = encode(Image.new("L", (200, 200)), "PNG")
    with pytest.raises(BadImage, match="too large"):
        decode(data)


def test_huge_frames_are_shrunk_for_describing_but_keep_their_size(monkeypatch):
    monkeypatch.setattr(images, "WORK_SIDE", 50)
    out = decode(encode(Image.new("RGB", (200, 100)), "PNG"))
    assert out.sizes == [(200, 100)] and out.frames[0].shape == (25, 50, 3)


def test_transparency_comes_back_as_opacity_and_opaque_images_have_none(tmp_path):
    import io

    from PIL import Image

    from visualdistance.loader.images import decode

    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[5:15, 10:20] = (255, 255, 255, 255)  # a white square on a transparent background
    for fmt, im in (("PNG", Image.fromarray(rgba, "RGBA")), ("GIF", Image.fromarray(rgba, "RGBA").convert("P"))):
        buf = io.BytesIO()
        im.save(buf, fmt, **({"transparency": 0} if fmt == "GIF" else {}))
        decoded = decode(buf.getvalue())
        alpha = decoded.alpha(0)
        assert alpha is not None, fmt
        assert (alpha[5:15, 10:20] == 255).all() and alpha[0, 0] == 0, fmt
        assert (decoded.frames[0] == 255).all(), fmt  # composited on white: the square itself is invisible there
    buf = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(buf, "PNG")
    assert decode(buf.getvalue()).alpha(0) is None


def blinking(rng, cut_at=None, n=6, size=(160, 120)):
    """Frames of one drawing whose face blinks and talks (a few pixels change); from `cut_at` on, another drawing."""
    from tests import synthetic
    import cv2

    pictures = [synthetic.render(synthetic.random_drawing(rng), size) for _ in range(2)]
    frames = []
    for f in range(n):
        img = pictures[int(cut_at is not None and f >= cut_at)].copy()
        cv2.circle(img, (80, 60), 1 + f % 3, (0, 0, 0), -1)  # at most 49 of 19,200 pixels
        frames.append(Image.fromarray(img))
    return frames


def shared_palette(frames):
    """The frames on one palette, as an animation tool writes them (each quantised alone, unchanged pixels would change)."""
    both = Image.new("RGB", (frames[0].width, frames[0].height * 2))
    both.paste(frames[0], (0, 0))
    both.paste(frames[-1], (0, frames[0].height))
    palette = both.quantize(128)
    return [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in frames]


@pytest.mark.parametrize("fmt", ["GIF", "PNG"])  # GIF: by the frames' own rectangles; APNG: by pixels
def test_frames_that_repeat_a_picture_are_kept_once_and_stand_for_the_rest(rng, fmt):
    frames = shared_palette(blinking(rng, cut_at=4, n=6)) if fmt == "GIF" else blinking(rng, cut_at=4, n=6)
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=50)
    d = decode(data, collapse_repeats=True)
    assert d.frame_numbers() == [0, 4] and d.last_frames() == [3, 5]
    assert len(d.frames) == 2 and d.total_frames == 6
    every = decode(data)
    assert len(every.frames) == 6 and every.frame_numbers() == list(range(6)) == every.last_frames()
    assert np.array_equal(d.frames[1], every.frames[4])  # a kept frame is the frame itself


def test_small_changes_that_add_up_start_a_new_picture():
    # a bar growing by 0.3% of the panel per frame: each frame is near its neighbour, not near the kept one
    frames = []
    for f in range(5):
        a = np.full((100, 100, 3), 255, np.uint8)
        a[: 3 * (f + 1), :10] = 0
        frames.append(Image.fromarray(a))
    for fmt in ("GIF", "PNG"):
        d = decode(encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=50), collapse_repeats=True)
        assert d.frame_numbers() == [0, 2, 4], fmt
        assert d.last_frames() == [1, 3, 4], fmt


def test_a_damaged_later_frame_ends_the_last_picture_where_decoding_stopped(rng):
    frames = shared_palette(blinking(rng, n=6))
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    d = decode(data[: len(data) - 40], collapse_repeats=True)
    assert d.frame_numbers() == [0] and 0 < d.last_frames()[0] < 5


def test_only_regular_files_are_read_and_a_pipe_is_never_waited_on(tmp_path):
    # H2/H3 (issue 19): a named pipe called .png hung the run; a symlink to /dev/zero read 2.3 GB
    import os
    import time

    from visualdistance.loader.images import BadImage, read_bytes

    os.mkfifo(tmp_path / "fifo.png")
    os.symlink("/dev/zero", tmp_path / "zero.png")
    (tmp_path / "folder.png").mkdir()
    t0 = time.monotonic()
    for name, what in [("fifo.png", "a named pipe"), ("zero.png", "a character device"), ("folder.png", "a folder")]:
        with pytest.raises(BadImage, match=f"not a regular file \\({what}\\)"):
            read_bytes(tmp_path / name)
    assert time.monotonic() - t0 < 5


def test_the_size_cap_counts_the_bytes_read_not_what_stat_says(tmp_path):
    from visualdistance.loader.images import BadImage, read_bytes

    (tmp_path / "a.png").write_bytes(b"x" * 1000)
    assert read_bytes(tmp_path / "a.png", max_bytes=1000) == b"x" * 1000
    with pytest.raises(BadImage, match="too large: over 999 bytes"):
        read_bytes(tmp_path / "a.png", max_bytes=999)
    assert read_bytes(tmp_path / "a.png", max_bytes=10**9) == b"x" * 1000
    (tmp_path / "empty.png").write_bytes(b"")
    assert read_bytes(tmp_path / "empty.png") == b""
    # a file whose size says 0 while it holds bytes (procfs): the bytes read are what count
    from pathlib import Path

    status = Path("/proc/self/status")
    if status.exists():
        assert status.stat().st_size == 0
        with pytest.raises(BadImage, match="too large: over 10 bytes"):
            read_bytes(status, max_bytes=10)
