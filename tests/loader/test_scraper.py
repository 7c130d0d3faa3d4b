"""The scraper against a real HTTP server on 127.0.0.1 (see tests/local_site.py); no HTTP mocks."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.local_site import Reply, Site, image_bytes, image_reply, story_html
from visualdistance.loader import scraper
from visualdistance.loader.pages import read_pages
from visualdistance.loader.scraper import (
    ImageRejected,
    PagesWriter,
    RateLimiter,
    ScrapeConfig,
    ScrapeLocked,
    check_image,
    image_name,
    parse_page,
    save_image,
    scrape,
)
from visualdistance.loader.scraper.folder import _folder_lock


def config(site: Site, out: Path, first: int = 1, last: int = 1, **overrides) -> ScrapeConfig:
    """A config for the local site with test-sized delays, timeouts and backoff."""
    values = dict(delay=0.0, concurrency=2, timeout=2.0, retries=2, backoff=0.01)
    values.update(overrides)
    return ScrapeConfig(base_url=site.url, first=first, last=last, out_dir=out, **values)


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# ---------------------------------------------------------------------------
# parsing: HTML strings in, record fields out

HOMESTUCK_LIKE = """<!DOCTYPE html>
<html><head><title>Homestuck</title></head><body>
<img class="logo" src="/images/logo.png">
<h2 class="type-hs-header">  John:   Examine   room.  </h2>
<div class="o-story_media">
  <img class="mar-x-auto disp-bl" src="https://cdn.example.org/storyfiles/hs2/00001.gif" alt="">
  <img class="disp-bl mar-x-auto extra" src="/storyfiles/hs2/00001_2.gif">
  <img class="mar-x-auto disp-bl" alt="no src, not a panel">
</div>
<p class="o-story_text">You examine   the room.<br>It is
   a room.<!-- editor's note --></p>
<div class="o_chat-container">
  <button class="o_chat-log-btn">Show Pesterlog</button>
  <p class="o_chat-log">
    <span style="color:#0715cd">EB: hi</span><br/>
    <span style="color:#e00707">TG: <b>sup</b>&nbsp;egbert</span>
  </p>
</div>
</body></html>"""


def test_parse_page_reads_title_narration_chat_and_panels_in_order() -> None:
    content = parse_page(HOMESTUCK_LIKE, "https://www.homestuck.com")
    assert content.title == "John: Examine room."
    assert content.text == "You examine the room.\nIt is a room."
    # The button is interface, not dialogue; <br> and blocks make lines, HTML whitespace collapses.
    assert content.chat == "EB: hi\nTG: sup egbert"
    assert content.image_urls == [
        "https://cdn.example.org/storyfiles/hs2/00001.gif",
        "https://www.homestuck.com/storyfiles/hs2/00001_2.gif",
    ]


def test_parse_page_resolves_relative_src_against_the_base_url() -> None:
    html = "".join(
        f'<img class="mar-x-auto disp-bl" src="{s}">' for s in ["img/a.gif", "/img/b.gif", "../../x.gif", " c.png "]
    )
    content = parse_page(html, "http://h.test/mirror")
    assert content.image_urls == [
        "http://h.test/mirror/img/a.gif",
        "http://h.test/img/b.gif",
        "http://h.test/x.gif",  # dot segments cannot climb above the root
        "http://h.test/mirror/c.png",
    ]


def test_parse_page_survives_malformed_html() -> None:
    html = (
        "<html><body><h2 class=type-hs-header>Broken <i>page</h2>"
        "<div><p class='o-story_text'>text one<p class='o-story_text'>text two</div></div></span>"
        "<img class=\"mar-x-auto disp-bl\" src=/img/1.gif><table><tr><td>"
        '<img src="/img/2.gif" class="mar-x-auto disp-bl"'
    )
    content = parse_page(html, "http://h.test")
    assert content.title == "Broken page"
    assert content.text == "text one\ntext two"
    assert content.chat is None
    assert content.image_urls[0] == "http://h.test/img/1.gif"


def test_parse_page_with_no_panels_and_no_metadata() -> None:
    content = parse_page("<html><body><p>just words</p></body></html>", "http://h.test")
    assert content == scraper.PageContent(title=None, text=None, chat=None, image_urls=[])


def test_parse_page_custom_selector_and_encodings() -> None:
    html = '<h2 class="type-hs-header">Jóhn</h2><img class="panel" src="/p.png"><img class="mar-x-auto disp-bl" src="/q.png">'
    assert parse_page(html, "http://h.test", selector="img.panel").image_urls == ["http://h.test/p.png"]
    # Bytes: the declared charset wins; without one the parser sniffs (here: UTF-8).
    assert parse_page(html.encode("utf-8"), "http://h.test").title == "Jóhn"
    assert parse_page(html.encode("latin-1"), "http://h.test", encoding="latin-1").title == "Jóhn"
    assert parse_page(html.encode("utf-8"), "http://h.test", encoding="no-such-charset").title == "Jóhn"


# ---------------------------------------------------------------------------
# images and files


@pytest.mark.parametrize(
    "url, fmt, expected",
    [
        ("http://h.test/storyfiles/00001.gif", "GIF", "7_2.gif"),
        ("http://h.test/a/B.JPEG", "JPEG", "7_2.jpeg"),
        ("http://h.test/show.php?file=x.gif", "PNG", "7_2.png"),  # query is not the path
        ("http://h.test/evil.exe", "GIF", "7_2.gif"),  # not whitelisted: detected format
        ("http://h.test/../../etc/passwd", "BMP", "7_2.bmp"),
        ("http://h.test/..%2f..%2fx.gif", "GIF", "7_2.gif"),
        ("http://h.test/noext", "JPEG", "7_2.jpg"),
    ],
)
def test_image_name_comes_from_page_number_and_whitelisted_extension(url: str, fmt: str, expected: str) -> None:
    assert image_name(7, 2, url, fmt) == expected


@pytest.mark.parametrize("fmt", ["GIF", "PNG", "JPEG", "WEBP", "BMP"])
def test_check_image_accepts_the_whitelisted_formats(fmt: str) -> None:
    assert check_image(image_bytes(fmt), "image/whatever") == fmt


@pytest.mark.parametrize(
    "body, content_type, reason",
    [
        (image_bytes("GIF"), "text/html", "not an image"),  # right bytes, wrong type
        (b"<html><body>Not found</body></html>", "image/gif", "not a valid image"),  # right type, wrong bytes
        (image_bytes("TIFF"), "image/tiff", "not a valid image"),  # a real image, not an accepted format
        (image_bytes("PNG")[:40], "image/png", "not a valid image"),  # truncated
        (image_bytes("GIF"), "", "not an image"),
    ],
    ids=["html-type", "html-body", "tiff", "truncated-png", "no-type"],
)
def test_check_image_rejects(body: bytes, content_type: str, reason: str) -> None:
    with pytest.raises(ImageRejected, match=reason):
        check_image(body, content_type)


def test_save_image_writes_the_final_name_only_when_valid(tmp_path: Path) -> None:
    (tmp_path / "3_1.gif").write_bytes(b"old")
    with pytest.raises(ImageRejected):
        save_image(b"<html>oops</html>", "image/gif", "http://h.test/a.gif", tmp_path, 3, 1)
    assert files_in(tmp_path) == {"3_1.gif"}  # no temp file left behind, old file untouched
    assert (tmp_path / "3_1.gif").read_bytes() == b"old"

    gif = image_bytes("GIF")
    assert save_image(gif, "image/gif", "http://h.test/a.gif", tmp_path, 3, 1) == "3_1.gif"
    assert files_in(tmp_path) == {"3_1.gif"}
    assert (tmp_path / "3_1.gif").read_bytes() == gif


def test_read_pages_last_record_wins_and_a_torn_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    lines = [
        {"page": 1, "status": "failed"},
        {"page": 2, "status": "ok", "images": []},
        {"page": 1, "status": "ok", "images": ["1_1.gif"]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in lines) + '{"page": 3, "status": "o')
    pages = read_pages(path)
    assert sorted(pages) == [1, 2]
    assert pages[1]["status"] == "ok" and pages[1]["images"] == ["1_1.gif"]


def test_pages_writer_ends_a_torn_line_before_appending(tmp_path: Path) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_text('{"page": 1, "status": "ok", "images": []}\n{"page": 2, "sta')
    with PagesWriter(path) as writer:
        writer.write({"page": 3, "status": "ok", "images": []})
    assert sorted(read_pages(path)) == [1, 3]


@pytest.mark.parametrize(
    "bad",
    [
        dict(base_url="ftp://h.test"),
        dict(base_url="not a url"),
        dict(first=5, last=2),
        dict(concurrency=0),
        dict(retries=-1),
        dict(timeout=0),
        dict(delay=-1),
        dict(selector="img[["),
    ],
)
def test_config_rejects_bad_values(bad: dict, tmp_path: Path) -> None:
    values = dict(base_url="http://h.test", first=1, last=2, out_dir=tmp_path)
    values.update(bad)
    with pytest.raises(ValueError):
        ScrapeConfig(**values)


def test_rate_limiter_spaces_requests_across_threads() -> None:
    limiter, starts, lock = RateLimiter(0.05), [], threading.Lock()

    def worker() -> None:
        for _ in range(3):
            limiter.wait()
            with lock:
                starts.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(3)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    # Slot k is granted no earlier than began + k * delay and a sleep never
    # ends early, so the k-th start cannot be earlier either. Gaps between
    # neighbours would flake: one thread woken late shortens the next gap.
    assert len(starts) == 9
    assert all(start - began >= k * 0.05 - 0.001 for k, start in enumerate(starts))


# ---------------------------------------------------------------------------
# whole scrapes against the local server


def test_scrape_saves_panels_and_records_pages(site: Site, tmp_path: Path) -> None:
    gif, png, jpg = image_reply("GIF", (1, 2, 3)), image_reply("PNG", (4, 5, 6)), image_reply("JPEG", (7, 8, 9))
    site.page(
        1,
        Reply(
            body=story_html(
                [f"{site.url}/img/abs.gif", "/img/rooted.png", "img/relative.jpg"],
                title="Page one",
                text="Narration<br>two lines",
                chat="EB: hello",
            )
        ),
    )
    site.add("/img/abs.gif", gif)
    site.add("/img/rooted.png", png)
    site.add("/img/relative.jpg", jpg)
    # /story/2 is not served: a gap in the numbering
    site.page(3, Reply(body=story_html([], title="Words only")))
    malformed = b"<h2 class=type-hs-header>Torn<p class=o-story_text>half \xff\xfe<img class='mar-x-auto disp-bl' src=/img/abs.gif><div"
    site.page(4, Reply(body=malformed, content_type="text/html"))
    out = tmp_path / "out"

    summary = scrape(config(site, out, 1, 4))

    assert (summary.fetched, summary.missing, summary.failed) == (3, 1, 0)
    assert (summary.images_saved, summary.images_rejected) == (4, 0)
    assert files_in(out) - {"pages.jsonl", ".scrape.lock"} == {"1_1.gif", "1_2.png", "1_3.jpg", "4_1.gif"}
    assert (out / "1_1.gif").read_bytes() == gif.body
    assert (out / "1_2.png").read_bytes() == png.body
    assert (out / "1_3.jpg").read_bytes() == jpg.body

    pages = read_pages(out / "pages.jsonl")
    assert sorted(pages) == [1, 2, 3, 4]
    one = pages[1]
    assert one["status"] == "ok" and one["url"] == f"{site.url}/story/1"
    assert (one["title"], one["text"], one["chat"]) == ("Page one", "Narration\ntwo lines", "EB: hello")
    assert one["images"] == ["1_1.gif", "1_2.png", "1_3.jpg"]
    assert one["image_urls"] == [f"{site.url}/img/abs.gif", f"{site.url}/img/rooted.png", f"{site.url}/img/relative.jpg"]
    assert one["skipped_images"] == []
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", one["fetched_at"])
    assert pages[2]["status"] == "missing" and pages[2]["images"] == []
    assert pages[3]["status"] == "ok" and pages[3]["images"] == [] and pages[3]["title"] == "Words only"
    # Unclosed tags put the narration inside the title; what matters is that the page and its panel come through.
    assert pages[4]["status"] == "ok" and pages[4]["title"].startswith("Torn half") and pages[4]["images"] == ["4_1.gif"]
    # The logo <img> is not a panel and was never requested.
    assert site.hits["/logo.png"] == 0
    assert {h.headers["User-Agent"] for h in site.log} == {scraper.DEFAULT_USER_AGENT}


def test_flaky_500s_succeed_on_retry(site: Site, tmp_path: Path) -> None:
    site.page(1, Reply(500), Reply(502), Reply(body=story_html(["/img/a.gif"])))
    site.add("/img/a.gif", Reply(503, headers={"Retry-After": "0"}), image_reply())
    out = tmp_path / "out"

    summary = scrape(config(site, out, retries=2))

    assert (summary.fetched, summary.failed, summary.images_saved) == (1, 0, 1)
    assert site.hits["/story/1"] == 3 and site.hits["/img/a.gif"] == 2
    assert read_pages(out / "pages.jsonl")[1]["images"] == ["1_1.gif"]


def test_a_response_slower_than_the_timeout_is_retried_then_fails(site: Site, tmp_path: Path) -> None:
    slow = Reply(body=story_html([]), delay=1.0)
    site.page(1, slow)  # always slow
    site.page(2, slow, Reply(body=story_html([])))  # slow once
    out = tmp_path / "out"

    started = time.monotonic()
    summary = scrape(config(site, out, 1, 2, timeout=0.3, retries=1))
    assert time.monotonic() - started < 2.0  # gave up on the timeout, not after the server's sleep

    pages = read_pages(out / "pages.jsonl")
    assert pages[1]["status"] == "failed" and pages[1]["error"] == "timed out (2 attempts)"
    assert pages[2]["status"] == "ok"
    assert site.hits["/story/1"] == 2 and site.hits["/story/2"] == 2
    assert summary.failures == {1: pages[1]["error"]}


def test_html_where_an_image_was_expected_is_rejected(site: Site, tmp_path: Path) -> None:
    site.page(4, Reply(body=story_html(["/img/html.gif", "/img/lying.gif", "/img/gone.gif", "/img/good.gif"])))
    site.add("/img/html.gif", Reply(200, b"<html>an error page</html>", "text/html"))
    site.add("/img/lying.gif", Reply(200, b"<html>an error page</html>", "image/gif"))
    # /img/gone.gif: 404
    site.add("/img/good.gif", image_reply())
    out = tmp_path / "out"

    summary = scrape(config(site, out, 4, 4))

    record = read_pages(out / "pages.jsonl")[4]
    assert record["status"] == "ok"
    assert record["images"] == ["4_4.gif"]  # n is the panel's position on the page, gaps and all
    reasons = {s["url"].rsplit("/", 1)[1]: s["reason"] for s in record["skipped_images"]}
    assert reasons.keys() == {"html.gif", "lying.gif", "gone.gif"}
    assert reasons["html.gif"].startswith("not an image (Content-Type 'text/html')")
    assert reasons["lying.gif"].startswith("not a valid image")
    assert reasons["gone.gif"] == "HTTP 404"
    assert files_in(out) == {"pages.jsonl", ".scrape.lock", "4_4.gif"}
    assert (summary.images_saved, summary.images_rejected) == (1, 3)


def test_hostile_and_foreign_image_urls(site: Site, tmp_path: Path) -> None:
    foreign = f"http://localhost:{site.port}/img/foreign.gif"  # same server, other host name
    site.page(
        8,
        Reply(
            body=story_html(
                [
                    "../../x.gif",
                    foreign,
                    "/img/bounce.gif",
                    "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
                    "javascript:alert(1)",
                    "/img/show.php?id=3",
                ]
            )
        ),
    )
    site.add("/x.gif", image_reply("GIF"))
    site.add("/img/foreign.gif", image_reply("GIF"))
    site.add("/img/bounce.gif", Reply(302, headers={"Location": foreign}))
    site.add("/img/show.php?id=3", image_reply("PNG"))
    out = tmp_path / "nested" / "out"

    scrape(config(site, out, 8, 8))

    record = read_pages(out / "pages.jsonl")[8]
    assert record["status"] == "ok"
    assert record["images"] == ["8_1.gif", "8_6.png"]
    reasons = [s["reason"] for s in record["skipped_images"]]
    assert reasons[0].startswith("other host 'localhost'")
    assert reasons[1].startswith("redirect refused: other host 'localhost'")
    assert reasons[2:] == ["unsupported scheme 'data'", "unsupported scheme 'javascript'"]
    assert site.hits["/img/foreign.gif"] == 0  # neither directly nor through the redirect
    # Nothing was written anywhere but the output folder.
    everything = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")}
    assert everything == {"nested", "nested/out"} | {f"nested/out/{n}" for n in files_in(out)}

    # With the option, the other host is fetched.
    out2 = tmp_path / "allowed"
    scrape(config(site, out2, 8, 8, allow_other_hosts=True))
    assert read_pages(out2 / "pages.jsonl")[8]["images"] == ["8_1.gif", "8_2.gif", "8_3.gif", "8_6.png"]
    assert site.hits["/img/foreign.gif"] == 2


@pytest.mark.parametrize("send_length", [True, False], ids=["declared-length", "undeclared-length"])
def test_oversized_image_is_rejected(site: Site, tmp_path: Path, send_length: bool) -> None:
    big = image_bytes("BMP", size=(200, 200))  # ~120 kB
    site.page(1, Reply(body=story_html(["/img/big.bmp"])))
    site.add("/img/big.bmp", Reply(200, big, "image/bmp", send_length=send_length))
    out = tmp_path / "out"

    scrape(config(site, out, max_image_bytes=50_000))

    record = read_pages(out / "pages.jsonl")[1]
    assert record["status"] == "ok" and record["images"] == []
    assert record["skipped_images"][0]["reason"].startswith("too large")
    assert not list(out.glob("1_*"))


def test_concurrency_is_limited(site: Site, tmp_path: Path) -> None:
    for n in range(1, 9):
        site.page(n, Reply(body=story_html([]), delay=0.1))

    scrape(config(site, tmp_path / "out", 1, 8, concurrency=2))

    assert site.max_in_flight == 2


def test_delay_is_global_across_threads(site: Site, tmp_path: Path) -> None:
    for n in range(1, 6):
        site.page(n, Reply(body=story_html([])))

    began = time.monotonic()  # before the first request could be made
    scrape(config(site, tmp_path / "out", 1, 5, concurrency=3, delay=0.15))

    # The limiter gives request k a start no earlier than k delays after the first; a busy
    # machine only starts requests later, never earlier. So the k-th request the server
    # saw (its clock is this process's) began at least k delays after the scrape began,
    # whatever the gaps between neighbours. Per-thread delays (3 threads) would let
    # the fifth request start after about one delay.
    starts = sorted(h.started for h in site.log)
    assert len(starts) == 5
    assert all(start - began >= k * 0.15 - 0.005 for k, start in enumerate(starts)), [s - began for s in starts]


def test_interrupted_scrape_resumes_without_refetching_finished_pages(site: Site, tmp_path: Path) -> None:
    for n in range(1, 7):
        site.page(n, Reply(body=story_html([f"/img/{n}.gif"])))
        site.add(f"/img/{n}.gif", image_reply())
    out = tmp_path / "out"
    done = []

    @contextmanager
    def interrupt_after_three(total, description, unit):
        def advance(k: int) -> None:
            done.append(k)
            if len(done) == 3:
                raise KeyboardInterrupt

        yield advance

    with pytest.raises(KeyboardInterrupt):
        scrape(config(site, out, 1, 6, concurrency=1, delay=0.05), progress=interrupt_after_three)
    first_run = set(read_pages(out / "pages.jsonl"))
    # Page 4 was in flight: usually abandoned, kept if it finished while stopping.
    assert first_run in ({1, 2, 3}, {1, 2, 3, 4})
    assert site.hits["/story/5"] == site.hits["/story/6"] == 0

    summary = scrape(config(site, out, 1, 6, concurrency=1, delay=0.05))

    assert (summary.skipped, summary.fetched) == (len(first_run), 6 - len(first_run))
    for n in range(1, 7):
        if n in first_run:  # finished pages were not asked for again
            assert site.hits[f"/story/{n}"] == site.hits[f"/img/{n}.gif"] == 1, (n, site.hits)
        else:
            assert 1 <= site.hits[f"/story/{n}"] <= 2, (n, site.hits)
    assert {n: r["images"] for n, r in read_pages(out / "pages.jsonl").items()} == {
        n: [f"{n}_1.gif"] for n in range(1, 7)
    }
    assert all((out / f"{n}_1.gif").read_bytes() == image_bytes() for n in range(1, 7))


def test_failed_and_partial_pages_are_redone_finished_ones_are_not(site: Site, tmp_path: Path) -> None:
    for n in (1, 2, 3):
        site.page(n, Reply(body=story_html([f"/img/{n}.gif"])))
        site.add(f"/img/{n}.gif", image_reply())
    site.add("/img/2.gif", Reply(500))  # fails for good in the first run
    site.page(4, Reply(500))  # the page itself fails
    out = tmp_path / "out"

    first = scrape(config(site, out, 1, 4, retries=1))

    pages = read_pages(out / "pages.jsonl")
    assert [pages[n]["status"] for n in (1, 2, 3, 4)] == ["ok", "failed", "ok", "failed"]
    assert "image 1" in pages[2]["error"] and "HTTP 500 (2 attempts)" in pages[2]["error"]
    assert pages[4]["error"] == "HTTP 500 (2 attempts)"
    assert (first.fetched, first.failed) == (2, 2)

    (out / "3_1.gif").unlink()  # page 3 is now partial
    site.add("/img/2.gif", image_reply())
    site.page(4, Reply(body=story_html([])))

    second = scrape(config(site, out, 1, 4, retries=1))

    assert (second.skipped, second.fetched, second.failed) == (1, 3, 0)
    assert site.hits["/story/1"] == 1 and site.hits["/img/1.gif"] == 1
    assert site.hits["/story/2"] == 2 and site.hits["/story/3"] == 2
    assert {"2_1.gif", "3_1.gif"} <= files_in(out)
    assert all(r["status"] == "ok" for r in read_pages(out / "pages.jsonl").values())


def test_many_failures_in_a_row_stop_the_run(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = ScrapeConfig(
        base_url=f"http://127.0.0.1:{port}", first=1, last=50, out_dir=tmp_path / "out",
        delay=0.05, concurrency=1, retries=0, max_consecutive_failures=3,
    )

    summary = scrape(cfg)

    # The worker may have finished a page or two more while the run was stopping.
    assert 3 <= summary.failed <= 5 and summary.aborted is not None
    assert "connection failed: connection refused" in summary.aborted
    assert sorted(read_pages(cfg.pages_path)) == list(range(1, summary.failed + 1))


def test_one_folder_one_scrape_and_stale_temp_files_are_cleared(site: Site, tmp_path: Path) -> None:
    site.page(1, Reply(body=story_html([])))
    out = tmp_path / "out"
    out.mkdir()
    (out / ".vd-abc123.tmp").write_bytes(b"half an image")
    cfg = config(site, out)

    with _folder_lock(out):
        with pytest.raises(ScrapeLocked):
            scrape(cfg)
    assert site.hits["/story/1"] == 0

    scrape(cfg)
    assert files_in(out) == {"pages.jsonl", ".scrape.lock"}
    assert os.path.getsize(out / "pages.jsonl") > 0


# ---------------------------------------------------------------------------
# deadlines (issue 19, H4): a server that trickles a byte now and then never trips the per-read timeout


@pytest.mark.parametrize("head", [False, True])
def test_a_response_that_trickles_ends_at_its_deadline_and_is_retried(site: Site, tmp_path: Path, head: bool) -> None:
    # 70 bytes, one every 0.1 s: 7 s of response, never 2 s without a byte
    site.page(1, Reply(body=b"<html>" + b" " * 64, trickle=0.1, trickle_head=head))
    started = time.monotonic()
    summary = scrape(config(site, tmp_path, 1, 1, timeout=2.0, response_timeout=1.0, retries=1))
    elapsed = time.monotonic() - started

    assert elapsed < 4, elapsed  # two attempts of 1 s, not 14 s
    record = read_pages(tmp_path / "pages.jsonl")[1]
    assert record["status"] == "failed"
    assert record["error"] == "timed out: no whole response within 1 s (2 attempts)"
    assert site.hits["/story/1"] == 2 and summary.failed == 1


def test_a_page_whose_images_trickle_fails_at_the_page_deadline(site: Site, tmp_path: Path) -> None:
    site.page(1, Reply(body=story_html(["/img/1.gif", "/img/2.gif"])))
    site.add("/img/1.gif", image_reply())
    site.add("/img/2.gif", Reply(200, image_bytes() + b"\0" * 40, "image/gif", trickle=0.1))
    started = time.monotonic()
    scrape(config(site, tmp_path, 1, 1, timeout=2.0, response_timeout=60.0, page_timeout=1.5, retries=3))

    assert time.monotonic() - started < 4
    record = read_pages(tmp_path / "pages.jsonl")[1]
    assert record["status"] == "failed" and site.hits["/img/2.gif"] == 1  # no retry past the page's deadline
    assert record["error"] == f"image 2 ({site.url}/img/2.gif): the page took longer than 1.5 s"
    assert not (tmp_path / "1_2.gif").exists()


def test_stopping_ends_a_request_in_flight_at_once(site: Site, tmp_path: Path) -> None:
    site.page(1, Reply(body=b"<html>" + b" " * 100, trickle=0.1))
    stop = threading.Event()
    cfg = config(site, tmp_path, timeout=30.0, response_timeout=600.0, retries=0)
    outcome: list = []

    def fetch() -> None:
        try:
            scraper.fetch(scraper.make_session("t"), scraper.page_url(site.url, 1), cfg, stop=stop)
        except BaseException as exc:  # noqa: BLE001 - the test looks at what ended it
            outcome.append(exc)

    worker = threading.Thread(target=fetch)
    worker.start()
    while not site.hits["/story/1"]:
        time.sleep(0.01)
    time.sleep(0.3)
    stopped_at = time.monotonic()
    stop.set()
    worker.join(5)
    assert not worker.is_alive() and time.monotonic() - stopped_at < 1
    assert [type(e).__name__ for e in outcome] == ["_Stopped"]
