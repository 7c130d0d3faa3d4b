"""One hostile folder, as real collections have them, through run -> report -> load.

Zero-byte, truncated and fake images, a 30000x30000 PNG, a 1x1 PNG, a 300-frame
GIF, names that are not UTF-8 or hold emoji, commas, quotes, a newline or rich
markup, a symlink loop and a broken symlink, duplicate files, nested folders.
Every readable image must come out once in panels.csv, once in the graph, and
(when clustered) once in the report; every unreadable one in bad_files.csv.

The second round (issue 19) adds the cases that broke after the first: markup
that closes a tag in an id, a pipe and a device named like images, outputs made
0600, page numbers out of range, OpenCV's warnings. Its other cases live beside
the code they test (a test named for each in tests/cli and tests/loader).
"""

from __future__ import annotations

import collections
import csv
import html
import io
import os
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.cli.test_graph_cli import invoke, server_env
from tests import synthetic
from visualdistance.loader.run_folder import RunFolder
from visualdistance.loader.images import panel_id

LATIN1 = b"old-archive-\xe9t\xe9.png"  # Latin-1 bytes: not UTF-8


def png_bytes(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()


def huge_png(side: int = 30000) -> bytes:
    """A valid 1-bit PNG of side x side white pixels: about 110 kB on disk, 900 megapixels decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    z = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * (side // 8)
    body = b"".join(z.compress(row) for _ in range(side)) + z.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def write(folder: Path, name: bytes | str, data: bytes) -> None:
    path = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else os.fsencode(name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)


def hostile_folder(root: Path) -> tuple[Path, set[str], set[str]]:
    """The folder, the ids of the readable images (all frames), and the names of the bad files."""
    rng = np.random.default_rng(11)
    folder = root / "hostile comic"
    drawings = [synthetic.random_drawing(rng) for _ in range(4)]
    art = [png_bytes(synthetic.render(d)) for d in drawings]
    recolored = [png_bytes(synthetic.render(synthetic.recolor(d, rng))) for d in drawings]
    # Every hostile name is one half of a recolor pair, so it lands in a cluster of the report.
    pairs = {
        "1_1.png": art[0], LATIN1: recolored[0],
        "🎨 emoji panel.png": art[1], 'a,b "quoted", c.png': recolored[1],
        "two\nlines.png": art[2], "[bold]markup[/bold] [link=x].png": recolored[2],
        "nested/deeper/5_1.png": art[3], "nested/dup of 5_1.png": art[3],  # duplicate bytes, two panels
    }
    for name, data in pairs.items():
        write(folder, name, data)
    write(folder, "tiny 1x1.png", png_bytes(np.zeros((1, 1, 3), np.uint8)))
    frames = [Image.fromarray(rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)) for _ in range(300)]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=40)
    write(folder, "anim/300 frames.gif", gif.getvalue())
    single_gif = io.BytesIO()
    Image.fromarray(synthetic.render(drawings[0])).save(single_gif, "GIF")
    bad = {
        "zero.png": b"",
        "cut.png": art[0][: len(art[0]) // 3],
        "cut.gif": single_gif.getvalue()[: len(single_gif.getvalue()) // 2],
        "shopping list.png": b"eggs, milk, bread\n",
        "huge 30000x30000.png": huge_png(),
    }
    for name, data in bad.items():
        write(folder, name, data)
    os.symlink("..", folder / "nested" / "loop")  # a symlink loop back up the tree
    os.symlink("nowhere.png", folder / "broken link.png")
    readable = {n if isinstance(n, str) else os.fsdecode(n) for n in pairs} | {"tiny 1x1.png"}
    ids = {panel_id(n, 0) for n in readable} | {"anim/300 frames.gif"} | {f"anim/300 frames.gif#{k}" for k in range(1, 300)}
    return folder, ids, set(bad) | {"broken link.png"}


@pytest.mark.neo4j
def test_a_hostile_folder_goes_through_run_report_and_load(neo4j_clean, neo4j_server, tmp_path):
    folder, ids, bad = hostile_folder(tmp_path)
    out, env = tmp_path / "out", server_env(neo4j_server)

    run = invoke("run", folder, "--out", out, "--store", tmp_path / "store", "-j", "2", env=env)

    assert run.exit_code == 0, run.output
    panels = RunFolder(out).read_panels()
    assert collections.Counter(panels.ids.tolist()) == collections.Counter(ids)  # each readable image once
    with open(out / "bad_files.csv", newline="", encoding="utf-8") as fh:
        reasons = {r["path"]: r["reason"] for r in csv.DictReader(fh)}
    assert set(reasons) == bad
    assert "too large" in reasons["huge 30000x30000.png"] and reasons["zero.png"] == "empty file"
    assert "\n" not in "".join(line for line in run.stdout.splitlines() if "skipped" in line)

    graph_ids = [r["id"] for r in neo4j_clean.execute_query(
        "MATCH (p:Panel {corpus: $corpus}) RETURN p.id AS id", corpus="hostile comic").records]
    assert collections.Counter(graph_ids) == collections.Counter(ids)
    again = invoke("load", "--out", out, env=env)  # loading again changes nothing
    assert again.exit_code == 0, again.output
    assert neo4j_clean.execute_query("MATCH (p:Panel) RETURN count(p) AS n").records[0]["n"] == len(ids)

    report = invoke("report", "--out", out, env={})
    assert report.exit_code == 0, report.output
    pages = "".join(p.read_text(encoding="utf-8") for p in (out / "report").glob("*.html"))
    shown = collections.Counter(html.unescape(x) for x in re.findall(r'<code class="pid" title="[^"]*">([^<]*)</code>', pages))
    clustered = RunFolder(out).read_clusters({p: i for i, p in enumerate(panels.ids)}).membership >= 0
    assert shown == collections.Counter(panels.ids[clustered].tolist())  # every clustered panel, once
    assert {n for n in ids if not n.startswith(("anim/", "tiny"))} <= set(shown)  # the hostile names among them
    assert "missing images" not in report.output  # every thumbnail made from its file, odd names too


# ------------------------------------------------------------ second round (issue 19)


@pytest.mark.neo4j
def test_cluster_prints_ids_with_markup_as_they_are_and_writes_every_run(neo4j_clean, neo4j_server):
    # H1: an id holding "[/x]" ended `cluster` in a MarkupError after the greedy run was written, before Leiden's
    from tests.graph_data import KNOWN_LINKS, make_run
    from visualdistance.loader import graph

    odd = {"1_1.png": "a [/x] b.png", "5_1.png": "[bold]5_1[/bold].png"}
    ids = ["1_1.png", "2_1.png", "5_1.png", "40_1.png", "41_1.png", "100_1.png", "cover.png", "n\nl.png"]
    links = [(odd.get(a, a), odd.get(b, b), *rest) for a, b, *rest in KNOWN_LINKS]
    links.append(("cover.png", "n\nl.png", 1, 10, 2, False, 0.5))  # two panels without a page
    graph.load_run(neo4j_clean, make_run([odd.get(i, i) for i in ids], [1, 2, 5, 40, 41, 100, -1, -1], links))

    result = invoke("cluster", env=server_env(neo4j_server))

    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    runs = neo4j_clean.execute_query("MATCH (r:ClusterRun) RETURN r.algorithm AS a").records
    assert sorted(r["a"] for r in runs) == ["greedy", "leiden"]
    assert "a [/x] b.png" in result.stdout and "[bold]5_1[/bold].png" in result.stdout
    assert "n\\nl.png" in result.stdout and "None" not in result.stdout  # no pages: "-", not "None-None"


def test_a_pipe_or_a_device_named_like_an_image_is_a_bad_file_not_a_hang(tmp_path):
    # H2, H3: a FIFO called fifo.png hung `run`; zero.png -> /dev/zero read until MemoryError
    import subprocess
    import sys

    folder = tmp_path / "comic"
    write(folder, "1_1.png", png_bytes(synthetic.render(synthetic.random_drawing(np.random.default_rng(1)))))
    os.mkfifo(folder / "fifo.png")
    os.symlink("/dev/zero", folder / "zero.png")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-c", "from visualdistance.cli.main import app; app()", "run", str(folder), "--out", str(out),
         "--store", str(tmp_path / "store"), "--no-neo4j"],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    with open(out / "bad_files.csv", newline="", encoding="utf-8") as fh:
        reasons = {r["path"]: r["reason"] for r in csv.DictReader(fh)}
    assert reasons == {"fifo.png": "not a regular file (a named pipe)", "zero.png": "not a regular file (a character device)"}
    assert "Traceback" not in result.stderr


def test_every_output_of_run_and_report_follows_the_umask(tmp_path):
    # H8: every output was created 0600 whatever the umask; a report copied to a web server could not be read
    import stat

    rng = np.random.default_rng(3)
    folder = tmp_path / "comic"
    d = synthetic.random_drawing(rng)
    write(folder, "1_1.png", png_bytes(synthetic.render(d)))
    write(folder, "2_1.png", png_bytes(synthetic.render(synthetic.recolor(d, rng))))
    out, store = tmp_path / "out", tmp_path / "store"
    old = os.umask(0o022)
    try:
        assert invoke("run", folder, "--out", out, "--store", store, "--no-neo4j", env={"NEO4J_URI": None}).exit_code == 0
        assert invoke("report", "--out", out, env={}).exit_code == 0
    finally:
        os.umask(old)
    files = [p for root in (out, store) for p in root.rglob("*") if p.is_file()]
    assert len(files) > 10 and any(p.name == "index.html" for p in files)
    modes = {p.relative_to(tmp_path).as_posix(): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert {k: v for k, v in modes.items() if v != "0o644"} == {}


@pytest.mark.neo4j
def test_page_numbers_out_of_range_are_named_at_the_edge(neo4j_clean, neo4j_server, tmp_path):
    # H7: pages.jsonl with page 99999999999999999999999, then `run` with Neo4j: OverflowError in the load
    import json

    rng = np.random.default_rng(7)
    folder = tmp_path / "comic"
    d = synthetic.random_drawing(rng)
    write(folder, "1_1.png", png_bytes(synthetic.render(d)))
    write(folder, "99999999999999999999_1.png", png_bytes(synthetic.render(synthetic.recolor(d, rng))))  # no page
    huge = 99999999999999999999999
    (folder / "pages.jsonl").write_text(json.dumps({"page": 1, "status": "ok"}) + "\n"
                                        + json.dumps({"page": huge, "status": "ok"}) + "\n")
    out, env = tmp_path / "out", server_env(neo4j_server)
    common = ["--out", out, "--store", tmp_path / "store"]
    problem = f"{folder / 'pages.jsonl'} line 2: page {huge} is out of range (0 to 2,147,483,647); fix or remove that line"

    run = invoke("run", folder, *common, env=env)

    assert run.exit_code == 0, run.output  # the local outputs are written; the graph waits for the pages file
    assert f"Graph not loaded: {problem}; then `visualdistance load --out {out}`." in run.stdout
    assert sorted(RunFolder(out).read_panels().page.tolist()) == [-1, 1]
    assert neo4j_clean.execute_query("MATCH (p:Panel) RETURN count(p) AS n").records[0]["n"] == 0
    required = invoke("run", folder, *common, "--neo4j", env=env)
    assert required.exit_code == 1 and required.stderr.strip().splitlines()[-1] == f"error: {problem}"
    load = invoke("load", "--out", out, env=env)
    assert load.exit_code == 1 and load.stderr.strip().splitlines() == [f"error: {problem}"]

    scrape = invoke("scrape", "--first", "1", "--last", "2", "--out", folder, "--base-url", "http://127.0.0.1:9", env={})
    assert scrape.exit_code == 1 and scrape.stderr.strip().splitlines()[-1] == f"error: {problem}"


def test_a_damaged_png_is_a_bad_file_without_opencv_lines_on_stderr(tmp_path):
    # issue 19: "[ WARN:0@0.9] global grfmt_png.cpp:793 readFromStreamOrBuffer PNG input buffer is incomplete"
    import subprocess
    import sys

    folder = tmp_path / "comic"
    art = png_bytes(synthetic.render(synthetic.random_drawing(np.random.default_rng(2))))
    write(folder, "1_1.png", art)
    write(folder, "cut.png", art[:-300])  # OpenCV's decoder warns on it before Pillow names the damage
    result = subprocess.run(
        [sys.executable, "-c", "from visualdistance.cli.main import app; app()", "extract", str(folder),
         "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "WARN" not in result.stderr and "libpng" not in result.stderr, result.stderr
    with open(tmp_path / "out" / "bad_files.csv", newline="", encoding="utf-8") as fh:
        assert [r["path"] for r in csv.DictReader(fh)] == ["cut.png"]
