"""File names that are not UTF-8, or hold newlines and markup: ids, paths and terminal forms."""

import os

from visualdistance.loader.names import has_undecodable, printable, safe_text


def test_a_name_that_is_not_utf8_gets_an_escaped_id_and_keeps_its_bytes():
    name = os.fsdecode(b"sub/x\xe9.png")  # what os.walk hands over on Linux
    assert safe_text(name) == "sub/x\\xe9.png"
    assert has_undecodable(name) and not has_undecodable("sub/é.png")
    assert safe_text(name).encode("utf-8")  # valid Unicode, unlike the name itself
    assert os.fsencode(name) == b"sub/x\xe9.png"


def test_valid_names_are_their_own_id_and_printable_keeps_one_line():
    for name in ("1_1.png", "ünïcode 🎨.png", "a,b\"c.png", "[bold]x[/].png"):
        assert safe_text(name) == name
    assert printable("two\nlines.png") == "two\\nlines.png"
    assert printable(os.fsdecode(b"x\xe9\t.png")) == "x\\xe9\\t.png"
