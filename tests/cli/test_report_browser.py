"""The HTML report in headless Chromium: loads cleanly, every image renders, navigation works.

Needs the Debian packages chromium and chromium-driver (.ci/run installs
them). Without them the tests are skipped with the reason, except when
VISUALDISTANCE_REQUIRE_SERVICES=1 (CI), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image
from typer.testing import CliRunner

from tests.report_run import HOSTILE, SIZE
from visualdistance.cli.main import app

pytestmark = pytest.mark.browser

PER_PAGE = 3
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMEDRIVER = "/usr/bin/chromedriver"


def _unavailable(reason: str) -> None:
    if os.environ.get("VISUALDISTANCE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"headless Chromium is required (VISUALDISTANCE_REQUIRE_SERVICES=1) but unavailable: {reason}", pytrace=False)
    pytest.skip(f"no headless Chromium: {reason}")


@pytest.fixture(scope="module")
def driver(tmp_path_factory) -> Iterator:
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError as exc:
        _unavailable(f"selenium is not installed ({exc})")
    binary = os.environ.get("CHROMIUM") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    chromedriver = os.environ.get("CHROMEDRIVER") or (CHROMEDRIVER if os.path.exists(CHROMEDRIVER) else shutil.which("chromedriver"))
    if not binary:
        _unavailable("no chromium on PATH (apt-get install chromium chromium-driver)")
    if not chromedriver:
        _unavailable(f"no chromedriver at {CHROMEDRIVER} or on PATH (apt-get install chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}", "--window-size=1400,1000"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        browser = webdriver.Chrome(options=options, service=Service(chromedriver))
    except WebDriverException as exc:
        _unavailable(f"{binary} with {chromedriver} did not start: {exc.msg}")
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()



@pytest.fixture(scope="module")
def report(planted_run, tmp_path_factory) -> Path:
    """The report, made by the real command, with few clusters per page so there are several pages."""
    dest = tmp_path_factory.mktemp("browser") / "report"
    result = CliRunner().invoke(app, ["report", "--out", str(planted_run.out), "--to", str(dest), "--per-page", str(PER_PAGE)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return dest


@pytest.fixture(scope="module")
def expected_pages(planted_run) -> list[list[tuple[int, int]]]:
    """(cluster, size) per page, as the data says: largest first, PER_PAGE to a page."""
    doc = json.loads((planted_run.out / "clusters.json").read_text())
    clusters = sorted(((c["id"], c["size"]) for c in doc["clusters"]), key=lambda cs: (-cs[1], cs[0]))
    return [clusters[i : i + PER_PAGE] for i in range(0, len(clusters), PER_PAGE)]


def page_url(report: Path, n: int) -> str:
    return (report / ("index.html" if n == 1 else f"page-{n}.html")).as_uri()


def settle(driver) -> None:
    """Wait until the page and every image on it have loaded (lazy images are asked to load now)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")
    driver.execute_script("document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; });")
    WebDriverWait(driver, 15).until(lambda d: d.execute_script("return Array.from(document.images).every(i => i.complete)"))


def open_page(driver, url: str) -> None:
    driver.get(url)
    settle(driver)


def broken_images(driver) -> list[str]:
    return driver.execute_script("return Array.from(document.images).filter(i => !(i.naturalWidth > 0)).map(i => i.src)")


def severe(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def click(driver, css: str) -> None:
    from selenium.webdriver.common.by import By

    element = driver.find_element(By.CSS_SELECTOR, css)
    # Centre it first: at the top of the window the sticky header would take the click.
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()
    settle(driver)


# ---------------------------------------------------------------------- tests


def test_every_page_loads_cleanly_and_shows_the_clusters_of_the_data(driver, report, expected_pages):
    assert len(expected_pages) >= 3
    for n, expected in enumerate(expected_pages, 1):
        driver.get_log("browser")  # start each page with an empty log
        open_page(driver, page_url(report, n))
        sections = driver.execute_script(
            "return Array.from(document.querySelectorAll('section.cluster'))"
            ".map(s => [s.id, s.querySelectorAll('li.panel').length])"
        )
        assert sections == [[f"cluster-{c}", size] for c, size in expected], f"page {n}"
        images = driver.execute_script("return document.images.length")
        assert images >= sum(size for _, size in expected)
        assert broken_images(driver) == [], f"page {n}"
        assert severe(driver) == [], f"page {n}"
        assert driver.execute_script("return document.querySelectorAll('.badge.original').length") == len(expected)


def test_pagination_contents_and_the_go_to_box_navigate(driver, report, expected_pages):
    last = len(expected_pages)
    open_page(driver, page_url(report, 1))
    click(driver, "nav.pager a[rel=next]")
    assert driver.current_url.endswith("/page-2.html")
    assert driver.execute_script("return document.querySelector('nav.pager a.current').textContent") == "2"
    click(driver, f"header nav.pager a[href='page-{last}.html']")
    assert driver.current_url.endswith(f"/page-{last}.html")
    click(driver, "nav.pager a[rel=prev]")
    assert driver.current_url.endswith(f"/page-{last - 1}.html")

    # The contents on the first page lead to a cluster on a later page, scrolled to: the last cluster
    # there, which lies below the page's top, so reaching it needs a scroll.
    assert last >= 2, "the planted report should span several pages"
    open_page(driver, page_url(report, 1))
    target, _ = expected_pages[-1][-1]
    driver.execute_script("document.querySelector('details.toc').open = true")
    click(driver, f"details.toc a[href='page-{last}.html#cluster-{target}']")
    assert driver.current_url.endswith(f"/page-{last}.html#cluster-{target}")
    assert driver.execute_script("return document.querySelector(':target').id") == f"cluster-{target}"
    top, window, page = driver.execute_script(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return [r.top, window.innerHeight, document.documentElement.scrollHeight]", f"cluster-{target}")
    assert page > window, "the last page fits the window: nothing here would need a scroll"
    assert driver.execute_script("return window.scrollY") > 0
    assert 0 <= top < window  # the cluster is in view

    # The "cluster #" box in the sticky header.
    from selenium.webdriver.common.by import By

    wanted, _ = expected_pages[1][0]
    box = driver.find_element(By.CSS_SELECTOR, "#jump input")
    box.send_keys(str(wanted))
    driver.find_element(By.CSS_SELECTOR, "#jump button").click()
    settle(driver)
    assert driver.current_url.endswith(f"/page-2.html#cluster-{wanted}")
    box = driver.find_element(By.CSS_SELECTOR, "#jump input")
    box.send_keys("999")
    driver.find_element(By.CSS_SELECTOR, "#jump button").click()
    assert driver.find_element(By.ID, "jump-msg").text == "no cluster #999"
    assert severe(driver) == []


def test_why_matched_opens_on_the_link_and_its_images_render(driver, report):
    open_page(driver, page_url(report, 1))
    driver.get_log("browser")
    click(driver, "li.panel a.why")
    assert "/why/cluster-" in driver.current_url and "#link-" in driver.current_url
    target = driver.execute_script(
        "const t = document.querySelector(':target');"
        "return t && [t.className, t.querySelectorAll('figure.map img').length, t.querySelector('table.dist').textContent]"
    )
    assert target is not None, "the link's section is not the page's target"
    assert target[0] == "link" and target[1] == 3 and "matched" in target[2]
    assert driver.execute_script("return document.querySelectorAll('figure.map img').length") >= 3
    assert broken_images(driver) == []
    assert severe(driver) == []
    # And back to the cluster it explains.
    click(driver, "p.crumbs a")
    assert "#cluster-" in driver.current_url
    assert driver.execute_script("return document.querySelector(':target').className") == "cluster"


def test_a_thumbnail_opens_the_full_image_even_with_a_hostile_file_name(driver, report):
    open_page(driver, page_url(report, 1))
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a.thumb')).map(a => [a.title, a.href])"
    )
    hostile = [href for title, href in hrefs if title == HOSTILE]
    if not hostile:  # the cluster holding it is on another page
        for n in range(2, 10):
            if not (report / f"page-{n}.html").exists():
                break
            open_page(driver, page_url(report, n))
            hrefs = driver.execute_script("return Array.from(document.querySelectorAll('a.thumb')).map(a => [a.title, a.href])")
            hostile = [href for title, href in hrefs if title == HOSTILE]
            if hostile:
                break
    assert hostile, "the hostile-named panel is on no page"
    driver.get(hostile[0])
    assert driver.execute_script("return document.images.length && document.images[0].naturalWidth") == SIZE[0]


def test_screenshot_of_the_report_is_not_blank(driver, report, tmp_path):
    open_page(driver, page_url(report, 1))
    shot = tmp_path / "report.png"
    assert driver.save_screenshot(str(shot))
    with Image.open(shot) as img:
        rgb = img.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height)
    assert len(colours) > 200, "too few colours: the page did not draw its thumbnails"
    assert max(n for n, _ in colours) < 0.8 * rgb.width * rgb.height, "one colour covers the page"
