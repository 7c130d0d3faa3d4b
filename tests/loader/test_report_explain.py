"""eval --explain's page, on generated panels: a missed pair and a false link, each with its picture."""

import numpy as np
from PIL import Image

from tests import synthetic
from visualdistance.analysis.linking import find_links
from visualdistance.analysis.presets import DRAWING, all_signatures
from visualdistance.loader.report.explain import explain, step_counts
from visualdistance.loader.extract import extract_folder
from visualdistance.loader.labels import read_truth


def test_missed_pairs_and_false_links_get_a_row_a_picture_and_a_step(tmp_path, rng):
    folder = tmp_path / "set"
    folder.mkdir()
    a = synthetic.random_drawing(rng, (7, 8))
    images = {
        "a.png": synthetic.place(synthetic.render_sprite(a, 160), at=(200, 150)),
        "copy.png": synthetic.place(synthetic.render_sprite(a, 160), at=(205, 148)),  # labelled another group: a false link
        "other.png": synthetic.place(synthetic.render_sprite(synthetic.random_drawing(rng), 160), at=(200, 150)),  # labelled with a: missed
    }
    for name, img in images.items():
        Image.fromarray(img).save(folder / name)
    (folder / "labels.csv").write_text("file,group\na.png,1\ncopy.png,2\nother.png,1\n")
    panels = extract_folder(folder, all_signatures(), tmp_path / "store", workers=1).panels
    truth, keep = read_truth(folder / "labels.csv", list(panels.paths))
    panels = panels.take(keep)
    links = find_links(panels.signatures, panels.source, DRAWING)

    found = explain(folder, panels, truth, links, DRAWING, tmp_path / "explain")

    assert sorted((e.kind, e.file_a, e.file_b) for e in found) == [("false link", "a.png", "copy.png"), ("missed", "a.png", "other.png")]
    assert step_counts(found)["false link (linked)"] == 1
    assert next(e for e in found if e.kind == "missed").diagnosis.step != "linked"
    page = (tmp_path / "explain" / "index.html").read_text()
    for e in found:
        assert e.picture in page
        picture = np.asarray(Image.open(tmp_path / "explain" / e.picture))
        assert picture.shape[0] == 160 and picture.shape[1] > 5 * 160  # two panels, two drawings, the overlay


def test_a_false_link_of_the_rules_says_what_the_shared_room_test_found(tmp_path):
    from tests.analysis.test_regions import figure, paste, scene
    from visualdistance.analysis.presets import DRAWING_REGIONS, expensive_signatures

    folder = tmp_path / "set"
    folder.mkdir()
    first = paste(scene(70), figure(3, 130), (60, 220))
    images = {"room.png": first, "object_added.png": paste(first, figure(9, 60), (250, 330)),
              "elsewhere.png": paste(scene(71), figure(3, 200), (300, 80))}
    for name, img in images.items():
        Image.fromarray(img).save(folder / name)
    # labelled apart, the panel with an object added is a false link of the rules: its figure is still there
    (folder / "labels.csv").write_text("file,group\nroom.png,1\nobject_added.png,2\nelsewhere.png,1\n")
    signatures = all_signatures() + expensive_signatures(DRAWING_REGIONS)
    panels = extract_folder(folder, signatures, tmp_path / "store", workers=1).panels
    truth, keep = read_truth(folder / "labels.csv", list(panels.paths))
    panels = panels.take(keep)
    links = find_links(panels.signatures, panels.source, DRAWING_REGIONS)

    found = explain(folder, panels, truth, links, DRAWING_REGIONS, tmp_path / "explain")

    false = {frozenset((e.file_a, e.file_b)): e for e in found if e.kind == "false link"}
    # the rules' link keeps the figure; the figure's region link to the third scene is no rule's: no room test
    assert set(false) == {frozenset(("room.png", "object_added.png")), frozenset(("elsewhere.png", "object_added.png"))}
    room = false[frozenset(("room.png", "object_added.png"))].room
    assert "keeps 0.9" in room or "keeps 1.00" in room, room
    assert false[frozenset(("elsewhere.png", "object_added.png"))].room is None
    assert "shared-room test" in (tmp_path / "explain" / "index.html").read_text()
