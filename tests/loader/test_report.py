"""The HTML report's structure: files, counts, escaping, exports, thumbnails, why-matched images."""

from __future__ import annotations

import html
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import igraph as ig
import numpy as np
import pytest
from PIL import Image

from tests.report_run import HOSTILE, PlantedRun
from visualdistance.analysis.data import Clustering, Links, Panels
from visualdistance.analysis.figures import figures_of_links
from visualdistance.analysis.report import (
    BOTH,
    NEITHER,
    ONLY_A,
    ONLY_B,
    present,
    bit_map,
    page_order,
    plan_clusters,
    xor_rgb,
)
from visualdistance.analysis.presets import get_preset
from visualdistance.loader.run_folder import MethodInfo, RunFolder, RunInfo, RunOutput
from visualdistance.loader.report import ReportResult, build_report, make_thumbnails, paginate, thumb_name


def build(planted_run: PlantedRun, dest: Path, images: Path | None = None, per_page: int = 3) -> tuple[ReportResult, RunOutput]:
    r = RunFolder(planted_run.out).read(through="communities")
    result = build_report(
        r.panels, r.links, r.clustering, r.info, images or planted_run.images, dest,
        per_page=per_page,
    )
    return result, r


def pages_of(dest: Path) -> list[Path]:
    return [dest / "index.html"] + sorted(dest.glob("page-*.html"), key=lambda p: int(re.findall(r"\d+", p.name)[0]))


def all_html(dest: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in [*dest.glob("*.html"), *dest.glob("why/*.html")]}


# ------------------------------------------------------------- pure pieces


def test_xor_image_colours_each_pixel_by_which_map_has_it():
    a = np.array([[1, 1], [0, 0]], bool)
    b = np.array([[1, 0], [1, 0]], bool)
    img = xor_rgb(a, b)
    assert img.shape == (2, 2, 3) and img.dtype == np.uint8
    assert tuple(img[0, 0]) == BOTH
    assert tuple(img[0, 1]) == ONLY_A
    assert tuple(img[1, 0]) == ONLY_B
    assert tuple(img[1, 1]) == NEITHER
    with pytest.raises(ValueError):
        xor_rgb(a, np.zeros((3, 3), bool))


def _panels(pages: list[int], positions: list[int]) -> Panels:
    n = len(pages)
    i = np.zeros(n, np.int32)
    ids = np.array([f"p{k}.png" for k in range(n)], dtype=object)
    return Panels(ids, ids.copy(), np.arange(n, dtype=np.int32), i, np.array(pages, np.int32),
                  np.array(positions, np.int32), i + 100, i + 100, np.array(["0" * 64] * n, dtype=object))


def _links(pairs: list[tuple[int, int, float, bool]]) -> Links:
    a, b, w, m = (np.array(x) for x in zip(*pairs))
    d = {"edges": (1 - w).astype(np.float32) * 100}
    return Links(a.astype(np.int32), b.astype(np.int32), d, {"edges": np.full(len(a), 50, np.float32)},
                 np.ones(len(a), np.uint32), m.astype(bool), w.astype(np.float32), ("edges",))


def test_plan_orders_by_page_marks_the_original_and_who_faces_the_other_way():
    # Panel 3 (page 2, position 1) is the earliest; panel 1 ties on page 2 but comes later by position.
    # Panel 4 has no page and goes last. 0 is a mirrored copy of 3; 2 copies 0 directly, so it is mirrored too.
    panels = _panels([7, 2, 9, 2, -1, 5], [1, 2, 1, 1, -1, 1])
    links = _links([(0, 3, 0.9, True), (1, 3, 0.8, False), (0, 2, 0.7, False), (2, 4, 0.5, True),
                    (1, 2, 0.1, True),  # weak and inconsistent: not on the strongest paths
                    (4, 5, 0.6, False)])
    clustering = Clustering("r", "test", {}, np.array([0, 0, 0, 0, 0, 1], np.int32))
    with pytest.raises(ValueError):  # a membership per panel, or the plan would show the wrong panels
        plan_clusters(panels.take(np.arange(5)), links, clustering)
    (plan,) = plan_clusters(panels, links, Clustering("r", "t", {}, np.array([0, 0, 0, 0, 0, -1], np.int32)))

    assert plan.rows.tolist() == [3, 1, 0, 2, 4]
    assert plan.original == 3
    assert dict(zip(plan.rows.tolist(), plan.mirrored.tolist())) == {3: False, 1: False, 0: True, 2: True, 4: False}
    assert plan.via[0] == -1 and (plan.via[1:] >= 0).all()  # every member but the original is explained
    assert {0, 1, 2, 3} <= set(plan.shown.tolist())  # the spanning links
    assert plan.internal_links == 5 and plan.mirrored_links == 3
    assert plan.neighbours == {}
    weights = links.weight[plan.shown]
    assert (np.diff(weights) <= 0).all()  # strongest first


def test_plans_come_largest_first_with_links_to_neighbour_clusters():
    panels = _panels([1, 2, 3, 4, 5], [1] * 5)
    links = _links([(0, 1, 0.5, False), (2, 3, 0.5, False), (3, 4, 0.5, False), (1, 2, 0.2, False)])
    plans = plan_clusters(panels, links, Clustering("r", "t", {}, np.array([1, 1, 0, 0, 0], np.int32)))
    assert [p.cluster for p in plans] == [0, 1]
    assert plans[0].neighbours == {1: 1} and plans[1].neighbours == {0: 1}


def test_a_cluster_names_the_figures_its_members_show_and_where_else_they_appear():
    # 0-1 one drawing (a cluster), 2-3 another; 1's figure is also in 4 (page 9) and 3 (page 4); 0 shares only its
    # room with 5: neither a tie nor a figure. A figure ties no cluster: 0-1 and 2-3 stay apart.
    panels = _panels([1, 2, 3, 4, 9, 6], [1] * 6)
    links = replace(_links([(0, 1, 0.9, False), (2, 3, 0.8, False), (1, 4, 0.5, False), (1, 3, 0.4, True),
                            (0, 5, 0.9, False)]), kind=np.array([0, 0, 2, 2, 3], np.int8))
    box = {k: np.array([0, 0, 10, 10, 0], np.float32) for k in "xywh"}
    links = replace(links, box_a={**box, "w": box["w"] * 2}, box_b=box)
    figures = figures_of_links(links)
    assert figures.n_figures == 1 and figures.panel.tolist() == [1, 3, 4]
    plans = plan_clusters(panels, links, Clustering("r", "t", {}, np.array([0, 0, 1, 1, -1, -1], np.int32)),
                          figures=figures)
    by_id = {p.cluster: p for p in plans}
    assert by_id[0].figures.tolist() == [0] and by_id[0].figure_elsewhere[0].tolist() == [3, 4]  # page order
    # the figure, not only the region links of its members: 4 shows it too (linked to 1 only)
    assert by_id[1].figures.tolist() == [0] and by_id[1].figure_elsewhere[0].tolist() == [1, 4]
    # region and room links tie no cluster to another and explain no member
    assert by_id[0].neighbours == {} and by_id[0].internal_links == 1
    # without figures (a method without region links) a plan names none
    assert all(not len(p.figures) for p in plan_clusters(panels, links, Clustering("r", "t", {}, np.array([0, 0, 1, 1, -1, -1], np.int32))))


def test_page_order_puts_panels_without_a_page_last():
    panels = _panels([-1, 3, 3, 1], [-1, 2, 1, 5])
    assert page_order(panels, np.arange(4)).tolist() == [3, 2, 1, 0]


def test_pagination_caps_clusters_and_panels_per_page():
    class P:
        def __init__(self, size):
            self.size = size

    plans = [P(3) for _ in range(7)]
    assert [len(p) for p in paginate(plans, 3)] == [3, 3, 1]
    assert [len(p) for p in paginate([P(5), P(5), P(20), P(1)], 50, max_panels=10)] == [2, 1, 1]
    assert paginate([], 50) == [[]]


def test_thumbnail_of_an_animated_file_shows_the_frame_asked_for(tmp_path):
    frames = [Image.new("RGB", (320, 200), c) for c in ((250, 0, 0), (0, 0, 250))]
    src = tmp_path / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=100)
    sha = make_thumbnails(src, {1: tmp_path / "f1.webp", 0: tmp_path / "f0.webp"})
    assert len(sha) == 64
    with Image.open(tmp_path / "f1.webp") as t1, Image.open(tmp_path / "f0.webp") as t0:
        assert max(t1.size) == 160
        r, g, b = t1.convert("RGB").getpixel((80, 50))
        assert b > 200 and r < 50
        assert t0.convert("RGB").getpixel((80, 50))[0] > 200


def test_thumbnail_names_hash_the_panel_id():
    name = thumb_name(HOSTILE, "ab" * 32)
    assert re.fullmatch(r"[0-9a-f]{16}-abababababab\.webp", name)
    assert thumb_name(HOSTILE, "cd" * 32) != name


# ------------------------------------------------------- report of a real run


def test_report_files_and_counts_follow_the_data(planted_run, tmp_path):
    dest = tmp_path / "report"
    result, r = build(planted_run, dest, per_page=3)
    n_clusters = r.clustering.n_clusters
    assert n_clusters == 8
    sizes = r.clustering.sizes()

    assert result.clusters == n_clusters and result.pages == -(-n_clusters // 3)
    pages = pages_of(dest)
    assert len(pages) == result.pages and all(p.exists() for p in pages)
    sections = [re.findall(r'<section class="cluster" id="cluster-(\d+)" data-size="(\d+)"', p.read_text()) for p in pages]
    assert [len(s) for s in sections] == [3, 3, 2]
    shown = [(int(c), int(s)) for page in sections for c, s in page]
    assert sorted(c for c, _ in shown) == list(range(n_clusters))
    assert all(sizes[c] == s for c, s in shown)
    assert [s for _, s in shown] == sorted((s for _, s in shown), reverse=True)

    assert sorted(p.name for p in (dest / "why").glob("cluster-*.html")) == sorted(f"cluster-{c}.html" for c in range(n_clusters))
    thumbs = list((dest / "thumbs").iterdir())
    assert len(thumbs) == int(sizes.sum()) == result.panels_shown == result.thumbs_made
    assert all(t.stat().st_size < 20_000 for t in thumbs)  # small thumbnails, not copies of the panels
    for name in ("clusters.csv", "clusters.json", "links.csv", "links.json", "graph.graphml"):
        assert (dest / "data" / name).stat().st_size > 0
    assert (dest / "data/links.csv").read_text() == (planted_run.out / "links.csv").read_text()
    assert (dest / "data/clusters.csv").read_text() == (planted_run.out / "clusters.csv").read_text()
    assert not list(dest.rglob("*.tmp"))

    index = (dest / "index.html").read_text()
    method = r.info.method
    rule = next(iter(method.rules.values()))
    for fact in (method.preset, r.clustering.run_id, rule.threshold, f"{len(r.panels)}</b><span>panels"):
        assert fact in index


def test_original_and_mirrored_badges_follow_the_planted_truth(planted_run, tmp_path):
    dest = tmp_path / "report"
    build(planted_run, dest, per_page=50)
    page = (dest / "index.html").read_text()
    items = re.findall(r'<li class="panel([^"]*)">.*?<code class="pid" title="([^"]*)">', page)
    kinds = {html.unescape(pid): cls for cls, pid in items}
    assert len(kinds) == sum(1 for g, _ in planted_run.groups.values() if g >= 0)
    for pid, (group, kind) in planted_run.groups.items():
        if group < 0:
            assert pid not in kinds
            continue
        assert ("original" in kinds[pid]) == (kind == "original"), pid
        assert ("mirrored" in kinds[pid]) == (kind == "mirror"), pid


def test_a_hostile_panel_id_is_escaped_everywhere_and_its_link_still_works(planted_run, tmp_path):
    dest = tmp_path / "report"
    build(planted_run, dest)
    pages = all_html(dest)
    assert any(html.escape(HOSTILE) in text for text in pages.values())
    for path, text in pages.items():
        assert "<script>'q'" not in text and "<img src=x" not in text, path
    # The thumbnail links to the original file by a relative, percent-encoded path.
    index = next(t for t in pages.values() if html.escape(HOSTILE) in t and "class=\"thumb\"" in t)
    hrefs = [html.unescape(h) for h in re.findall(r'<a class="thumb" href="([^"]+)"', index)]
    hostile_href = next(h for h in hrefs if "onerror" in unquote(h))
    assert "#" not in hostile_href and "?" not in hostile_href and "<" not in hostile_href
    assert (dest / unquote(hostile_href)).resolve() == (planted_run.images / HOSTILE).resolve()
    assert not any(HOSTILE in p.name for p in dest.rglob("*"))


def test_graphml_parses_and_carries_clusters(planted_run, tmp_path):
    dest = tmp_path / "report"
    build(planted_run, dest)
    r = RunFolder(planted_run.out).read(through="communities")
    g = ig.Graph.Read_GraphML(str(dest / "data/graph.graphml"))
    index = {pid: i for i, pid in enumerate(r.panels.ids)}
    linked = set(r.links.a.tolist()) | set(r.links.b.tolist()) | set(np.flatnonzero(r.clustering.membership >= 0).tolist())
    assert g.vcount() == len(linked) and g.ecount() == len(r.links)
    for v in g.vs:
        assert int(v["cluster"]) == r.clustering.membership[index[v["label"]]]
    assert HOSTILE in g.vs["label"]
    assert sum(bool(x) for x in g.es["mirrored"]) == int(r.links.mirrored.sum())
    assert {"weight", "rule", "dist_edges", "threshold_edges"} <= set(g.es.attributes())
    originals = [v["label"] for v in g.vs if v["original"]]
    assert sorted(originals) == sorted(p for p, (grp, k) in planted_run.groups.items() if k == "original" and grp >= 0)


def test_why_matched_images_are_the_bit_maps_and_their_xor(planted_run, tmp_path):
    dest = tmp_path / "report"
    build(planted_run, dest)
    r = RunFolder(planted_run.out).read(through="communities")
    (edges,) = present(r.info.method.drawable, r.panels.signatures)
    index = {pid: i for i, pid in enumerate(r.panels.ids)}
    checked_mirrored = checked_direct = 0
    for page in (dest / "why").glob("cluster-*.html"):
        for k, body in re.findall(r'<section class="link" id="link-(\d+)">(.*?)</section>', page.read_text()):
            k = int(k)
            a_id, b_id = (html.unescape(x) for x in re.findall(r"<code>(.*?)</code>", body)[:2])
            a, b = index[a_id], index[b_id]
            assert {a, b} == {int(r.links.a[k]), int(r.links.b[k])}
            maps = re.findall(r'<img src="(maps/[^"]+)"', body)
            assert len(maps) == 3
            pixels = [np.asarray(Image.open(dest / "why" / m).convert("RGB")) for m in maps]
            mirrored = bool(r.links.mirrored[k])
            ma, mb = bit_map(r.panels.signatures, edges, a), bit_map(r.panels.signatures, edges, b, mirrored)
            assert (pixels[2] == xor_rgb(ma, mb)).all()
            assert ((pixels[0] == BOTH).all(axis=2) == ma).all()
            # The red and blue pixels are exactly what the edges distance counts.
            differing = (pixels[2] == ONLY_A).all(axis=2) | (pixels[2] == ONLY_B).all(axis=2)
            assert differing.sum() == r.links.distances["edges"][k]
            checked_mirrored += mirrored
            checked_direct += not mirrored
    assert checked_mirrored and checked_direct


def test_thumbnails_are_made_once_and_remade_when_the_file_changes(planted_run, tmp_path):
    dest = tmp_path / "report"
    first, r = build(planted_run, dest)
    stamps = {p.name: p.stat().st_mtime_ns for p in (dest / "thumbs").iterdir()}
    again, _ = build(planted_run, dest)
    assert again.thumbs_made == 0 and again.thumbs_reused == first.panels_shown
    assert {p.name: p.stat().st_mtime_ns for p in (dest / "thumbs").iterdir()} == stamps

    # A panel whose file changed since (another sha256) gets a new thumbnail; the old one goes.
    panels = r.panels
    row = int(np.flatnonzero(r.clustering.membership >= 0)[0])
    old = thumb_name(str(panels.ids[row]), str(panels.sha256[row]))
    panels.sha256[row] = "f" * 64
    result = build_report(panels, r.links, r.clustering, r.info, planted_run.images, dest)
    assert result.thumbs_made == 1 and result.changed_images == [panels.ids[row]]
    assert not (dest / "thumbs" / old).exists()
    assert (dest / "thumbs" / thumb_name(str(panels.ids[row]), "f" * 64)).exists()


def test_a_missing_image_shows_a_placeholder_and_is_reported(planted_run, tmp_path):
    images = tmp_path / "images"
    shutil.copytree(planted_run.images, images)
    os.remove(images / "12_1.png")
    dest = tmp_path / "report"
    result, _ = build(planted_run, dest, images=images)
    assert result.missing_images == ["12_1.png"]
    assert (dest / "thumbs/missing.png").exists()
    assert "could not be read" in (dest / "index.html").read_text()
    # Once the image is back, the next build makes its thumbnail and drops the placeholder.
    shutil.copy(planted_run.images / "12_1.png", images / "12_1.png")
    again, _ = build(planted_run, dest, images=images)
    assert again.missing_images == [] and again.thumbs_made == 1
    assert not (dest / "thumbs/missing.png").exists()


def test_a_rebuild_with_fewer_pages_removes_the_extra_pages(planted_run, tmp_path):
    dest = tmp_path / "report"
    build(planted_run, dest, per_page=1)
    assert (dest / "page-8.html").exists()
    build(planted_run, dest, per_page=4)
    assert sorted(p.name for p in dest.glob("page-*.html")) == ["page-2.html"]


def test_every_link_and_image_in_the_report_resolves(planted_run, tmp_path):
    dest = tmp_path / "report"
    build(planted_run, dest, per_page=3)
    pages = all_html(dest)
    checked = 0
    for page, text in pages.items():
        for ref in re.findall(r'(?:href|src)="([^"]*)"', text):
            ref = html.unescape(ref)
            if ref.startswith("data:"):
                continue
            path, _, fragment = ref.partition("#")
            target = (page.parent / unquote(path)).resolve() if path else page
            assert target.is_file(), f"{page.name}: {ref!r} points at nothing"
            if fragment:
                assert f'id="{fragment}"' in target.read_text(encoding="utf-8"), f"{page.name}: no #{fragment} in {target.name}"
            checked += 1
    assert checked > 100


def test_why_matched_draws_the_methods_image_metrics_or_edges_for_context(planted_run):
    sigs = RunFolder(planted_run.out).read_panels().signatures
    drawable = lambda name: present(MethodInfo.of(get_preset(name)).drawable, sigs)  # noqa: E731
    (edges,) = drawable("combined")
    assert (edges.signature, edges.shape, edges.used) == ("edges", (100, 100), True)
    (binary,) = drawable("original-binary")
    assert binary.signature == "binary" and binary.used
    (context,) = drawable("original-phash")
    # context comes from the first preset with an image metric: the default's drawing edges
    assert (context.signature, context.shape, context.used) == ("drawing_edges", (128, 128), False)
    assert present(MethodInfo.of(get_preset("combined")).drawable, {}) == []


def test_the_run_record_describes_the_method_as_it_was_not_as_the_preset_is_now(planted_run, tmp_path):
    """A preset changed (or gone) after the run does not change what its report says."""
    out = tmp_path / "out"
    shutil.copytree(planted_run.out, out)
    info = RunFolder(out).read_info()
    renamed = replace(info, method=replace(info.method, preset="gone-since", description="as it was then"))
    RunFolder(out).write_info(renamed)
    assert RunFolder(out).read_info() == renamed  # one writer, one reader, nothing lost
    r = RunFolder(out).read(through="communities")
    dest = tmp_path / "report"
    build_report(r.panels, r.links, r.clustering, r.info, planted_run.images, dest)
    index = (dest / "index.html").read_text()
    assert "gone-since" in index and "as it was then" in index
    assert list((dest / "why" / "maps").iterdir())  # maps drawn from the recorded signatures, no preset looked up


def test_a_panel_that_stands_for_repeated_frames_says_which():
    from visualdistance.loader.report.markup import _page_label

    panels = _panels([4, 4, 4], [1, 1, 1])
    panels.frame[:] = [0, 3, 5]
    panels.last_frame = np.array([2, 3, 9], np.int32)
    assert [_page_label(panels, r) for r in range(3)] == ["page 4 · frames 0–2", "page 4 · frame 3", "page 4 · frames 5–9"]


def test_pictures_of_one_file_in_a_cluster_are_one_thumbnail_with_the_rest_on_demand(tmp_path):
    from visualdistance.analysis.data import Clustering
    from visualdistance.loader.report import build_report

    # a.gif has two pictures (frames 0-4 and 5-6) in the cluster, b.png one
    panels = _panels([1, 1, 2], [1, 1, 1])
    panels.ids = np.array(["a.gif", "a.gif#5", "b.png"], dtype=object)
    panels.paths = np.array(["a.gif", "a.gif", "b.png"], dtype=object)
    panels.source = np.array([0, 0, 1], np.int32)
    panels.frame[:] = [0, 5, 0]
    panels.last_frame = np.array([4, 6, 0], np.int32)
    links = _links([(0, 2, 0.9, False), (1, 2, 0.8, False)])
    clustering = Clustering("r1", "leiden", {}, np.zeros(3, np.int32))
    images = tmp_path / "img"
    images.mkdir()
    dest = tmp_path / "report"
    build_report(panels, links, clustering, RunInfo(method=MethodInfo("x")), images, dest)
    page = (dest / "index.html").read_text()
    assert page.count('<li class="panel') == 3  # every member is still there
    head, more = page.split('<details class="more">', 1)
    assert '5 frames</span>' in head and 'title="a.gif"' in head
    assert "+1 more of this file (7 frames)" in more and 'title="a.gif#5"' in more.split("</details>")[0]


def test_why_matched_never_contradicts_the_distances_it_shows(planted_run, tmp_path):
    # issue 19: "difference: 118 pixels" beside a drawing distance of 0, and "layout ... over threshold"
    # for a metric that pair was never measured with
    from visualdistance.analysis.communities import leiden
    from visualdistance.analysis.linking import find_links

    r = RunFolder(planted_run.out).read(through="communities")
    method = get_preset("drawing")
    links = find_links(r.panels.signatures, r.panels.source, method)
    links.distances["layout"][:3] = np.nan  # pairs never measured with layout
    clustering = leiden(len(r.panels), links.a, links.b, links.weight)
    info = replace(r.info, method=MethodInfo.of(method))
    dest = tmp_path / "report"
    build_report(r.panels, links, clustering, info, planted_run.images, dest)

    aligned = counted = verdicts = 0
    for page in (dest / "why").glob("cluster-*.html"):
        for k, body in re.findall(r'<section class="link" id="link-(\d+)">(.*?)</section>', page.read_text()):
            k = int(k)
            for caption in re.findall(r'<figure class="map diff">.*?<figcaption>(.*?)</figcaption>', body):
                caption = html.unescape(caption)
                said = re.fullmatch(r"difference: ([\d,]+) pixels \(the (\w+) distance\)", caption)
                if said:  # a count called the distance is the distance
                    assert float(said.group(1).replace(",", "")) == links.distances[said.group(2)][k], caption
                    counted += 1
                else:
                    assert re.fullmatch(r"[\d,]+ pixels differ as drawn; the drawing distance, .*, is measured another way \(below\)",
                                        caption), caption
                    aligned += 1
            for metric, d, verdict in re.findall(
                r'<tr><td>(\w+)</td><td class=num>([^<]*)</td><td class=num>[^<]*</td><td>.*?</td><td class="\w+">([^<]*)</td></tr>', body
            ):
                verdicts += 1
                if d == "—":
                    assert verdict in ("not measured", "not measured mirrored", "recorded only"), (metric, verdict)
                elif verdict == "over threshold":
                    assert float(d.replace(",", "")) >= links.thresholds[metric][k], (metric, d)
    assert aligned > 5 and counted > 5 and verdicts > 10
    assert sum(p.read_text().count(">not measured<") for p in (dest / "why").glob("*.html")) >= 1
