"""`visualdistance scrape` end to end against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from tests.local_site import Reply, Site, image_reply, story_html
from visualdistance.cli.main import app
from visualdistance.loader.pages import read_pages

runner = CliRunner()

FAST = ["--delay", "0", "--timeout", "2", "--backoff", "0.01"]


def run(*args: str):
    return runner.invoke(app, ["scrape", *args], catch_exceptions=False)


def summary_value(output: str, label: str) -> str:
    """The value next to `label` in the summary table."""
    match = re.search(rf"{re.escape(label)}\s*\W\s*(\S+)", output)
    assert match, f"no {label!r} row in:\n{output}"
    return match.group(1)


def test_scrape_command_downloads_and_summarises(site: Site, tmp_path: Path) -> None:
    site.page(1, Reply(body=story_html(["/img/1.gif", "/img/html.gif"], title="One")))
    site.add("/img/1.gif", image_reply())
    site.add("/img/html.gif", Reply(200, b"<html></html>", "text/html"))
    out = tmp_path / "out"

    result = run("--first", "1", "--last", "2", "--out", str(out), "--base-url", site.url, *FAST)

    assert result.exit_code == 0, result.output
    assert (out / "1_1.gif").is_file()
    pages = read_pages(out / "pages.jsonl")
    assert pages[1]["title"] == "One" and pages[2]["status"] == "missing"
    expected = {"pages fetched": "1", "pages missing (404)": "1", "pages failed": "0", "images saved": "1", "images rejected": "1"}
    assert {label: summary_value(result.stdout, label) for label in expected} == expected

    # Run again: nothing left to do, nothing asked of the server.
    requests_before = sum(site.hits.values())
    again = run("--first", "1", "--last", "2", "--out", str(out), "--base-url", site.url, *FAST)
    assert again.exit_code == 0
    assert summary_value(again.stdout, "pages already complete") == "2"
    assert sum(site.hits.values()) == requests_before


def test_failed_pages_give_exit_status_1_and_one_line_reasons(site: Site, tmp_path: Path) -> None:
    site.page(1, Reply(503))
    site.page(2, Reply(body=story_html([])))

    result = run("--first", "1", "--last", "2", "--out", str(tmp_path), "--base-url", site.url, "--retries", "1", *FAST)

    assert result.exit_code == 1
    assert "failed: page 1: HTTP 503 (2 attempts)" in result.stdout
    assert "Traceback" not in result.output


def test_unreachable_site_stops_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"

    result = run(
        "--first", "1", "--last", "100", "--out", str(tmp_path), "--base-url", url,
        "--retries", "0", "--stop-after-failures", "2", *FAST,
    )

    assert result.exit_code == 1
    assert "connection failed: connection refused" in result.output
    assert "stopped: 2 pages failed in a row" in result.output
    assert "Traceback" not in result.output
    assert len(read_pages(tmp_path / "pages.jsonl")) < 100


def test_bad_options_exit_2_with_a_message(tmp_path: Path) -> None:
    for args, message in [
        (["--first", "5", "--last", "2"], "first <= last"),
        (["--base-url", "ftp://example.org"], "base URL must be http(s)"),
        (["--concurrency", "0"], "Invalid value for '--concurrency'"),
        (["--selector", "img[["], "invalid CSS selector"),
        # H9, H7 (issue 19): every number is checked by its range before anything runs
        (["--max-image-mb", "-1"], "Invalid value for '--max-image-mb'"),
        (["--max-image-mb", "0"], "Invalid value for '--max-image-mb'"),
        (["--timeout", "0"], "Invalid value for '--timeout'"),
        (["--response-timeout", "-5"], "Invalid value for '--response-timeout'"),
        (["--page-timeout", "nan"], "Invalid value for '--page-timeout'"),
        (["--delay", "-1"], "Invalid value for '--delay'"),
        (["--retries", "-1"], "Invalid value for '--retries'"),
        (["--stop-after-failures", "-1"], "Invalid value for '--stop-after-failures'"),
        (["--first", "-1"], "Invalid value for '--first'"),
        (["--last", "99999999999999999999999"], "Invalid value for '--last'"),
    ]:
        result = run("--out", str(tmp_path / "never"), *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "never").exists()


def test_help_documents_the_command() -> None:
    result = runner.invoke(app, ["scrape", "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    for text in ["BASE_URL/story/N", "pages.jsonl", "Resume", "Exit status", "--delay", "--allow-other-hosts"]:
        assert text in result.output
    assert "scrape" in runner.invoke(app, ["--help"]).output


def test_ctrl_c_stops_cleanly_and_the_next_run_resumes(site: Site, tmp_path: Path) -> None:
    for n in range(1, 16):
        site.page(n, Reply(body=story_html([]), delay=0.1))
    out = tmp_path / "out"
    args = ["scrape", "--first", "1", "--last", "15", "--out", str(out), "--base-url", site.url, "--concurrency", "1", *FAST]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from visualdistance.cli.main import app; app()", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 20
    while not (out / "pages.jsonl").is_file() or (out / "pages.jsonl").stat().st_size == 0:
        assert time.monotonic() < deadline and proc.poll() is None, "the scrape never recorded a page"
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=20)

    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr + stdout
    done = read_pages(out / "pages.jsonl")
    assert 1 <= len(done) < 15
    hits_before = {n: site.hits[f"/story/{n}"] for n in done}

    result = run(*args[1:], "--concurrency", "4")

    assert result.exit_code == 0
    assert summary_value(result.stdout, "pages already complete") == str(len(done))
    assert all(site.hits[f"/story/{n}"] == hits_before[n] for n in done)
    assert len(read_pages(out / "pages.jsonl")) == 15


def test_ctrl_c_ends_a_trickling_response_at_once(site: Site, tmp_path: Path) -> None:
    # H4 (issue 19): a server sending a byte every 2 s held the scrape for 400 s; Ctrl-C did nothing for 50 s
    site.page(1, Reply(body=b"<html>" + b" " * 300, trickle=0.1))  # 30 s of response, never a quiet second
    out = tmp_path / "out"
    args = ["scrape", "--first", "1", "--last", "1", "--out", str(out), "--base-url", site.url,
            "--delay", "0", "--timeout", "3", "--retries", "0"]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from visualdistance.cli.main import app; app()", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 20
    while not site.hits["/story/1"]:
        assert time.monotonic() < deadline and proc.poll() is None, "the scrape never asked for the page"
        time.sleep(0.02)
    time.sleep(0.5)
    interrupted = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=20)

    # Without the fix it took 50 s; the bound leaves room for a loaded CI machine.
    assert time.monotonic() - interrupted < 6
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "interrupted; run the same command again to resume"
    assert "Traceback" not in stderr + stdout
    assert not read_pages(out / "pages.jsonl") if (out / "pages.jsonl").exists() else True


def test_a_trickling_server_fails_the_page_within_its_response_timeout(site: Site, tmp_path: Path) -> None:
    site.page(1, Reply(body=b"<html>" + b" " * 300, trickle=0.1))
    started = time.monotonic()
    result = run("--first", "1", "--last", "1", "--out", str(tmp_path), "--base-url", site.url,
                 "--delay", "0", "--timeout", "3", "--retries", "0", "--response-timeout", "1")
    assert time.monotonic() - started < 10  # the response takes 30 s; a loaded machine may start slowly
    assert result.exit_code == 1
    assert "failed: page 1: timed out: no whole response within 1 s (1 attempt)" in result.stdout
