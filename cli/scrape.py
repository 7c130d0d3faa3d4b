"""`visualdistance scrape`: download story pages and their panels into a folder."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from visualdistance.cli.errors import fail
from visualdistance.cli.options import (
    AllowOtherHosts,
    Backoff,
    BaseUrl,
    Concurrency,
    Delay,
    FirstPage,
    LastPage,
    MaxImageMb,
    PageTimeout,
    ResponseTimeout,
    Retries,
    ScrapeFolder,
    Selector,
    StopAfterFailures,
    Timeout,
    UserAgent,
)
from visualdistance.cli.progress import console as err_console
from visualdistance.cli.progress import progress_bar, shown
from visualdistance.loader import scraper
from visualdistance.loader.pages import PagesFileError

MAX_FAILURES_SHOWN = 10


def scrape(
    out: ScrapeFolder,
    first: FirstPage = 1,
    last: LastPage = 8130,
    base_url: BaseUrl = scraper.DEFAULT_BASE_URL,
    selector: Selector = scraper.DEFAULT_SELECTOR,
    delay: Delay = 1.0,
    concurrency: Concurrency = 2,
    timeout: Timeout = 20.0,
    response_timeout: ResponseTimeout = 120.0,
    page_timeout: PageTimeout = 600.0,
    retries: Retries = 4,
    backoff: Backoff = 1.0,
    user_agent: UserAgent = scraper.DEFAULT_USER_AGENT,
    allow_other_hosts: AllowOtherHosts = False,
    max_image_mb: MaxImageMb = 32.0,
    stop_after_failures: StopAfterFailures = 10,
) -> None:
    """Download story pages and their panel images into a folder, politely and resumably.

    Page N is read from BASE_URL/story/N. Each panel (an <img> matching --selector) is
    saved as OUT/<page>_<n>.<ext>, n counting the page's panels from 1 in page order.
    The page's title, narration and chat log go to OUT/pages.jsonl, one JSON line per
    page, with its status (ok, missing for a 404, failed) and its image file names.

    Politeness: requests start at least --delay seconds apart across all workers, at
    most --concurrency pages are in progress, every request names the project in its
    User-Agent, and timeouts, connection errors, 429 and 5xx are retried with
    exponential backoff. A response must be whole within --response-timeout and a
    page (with its images and retries) within --page-timeout, however slowly the
    server trickles its bytes; Ctrl-C ends requests in flight at once.

    Resume: run the same command again. Pages recorded as ok or missing whose image
    files are all present are skipped; failed and partly saved pages are fetched again.
    Files are written under a temporary name and renamed, so a file under its final
    name is always complete.

    Safety: images on other hosts are skipped unless --allow-other-hosts; local file
    names are made from the page number and a whitelisted extension only; responses
    that are not images (by Content-Type and by content) are rejected and listed in
    the page's skipped_images.

    Exit status: 0 when no page failed; 1 when pages failed or the run stopped after
    too many failures in a row; 2 for bad options; 130 when interrupted.
    """
    try:
        config = scraper.ScrapeConfig(
            base_url=base_url, first=first, last=last, out_dir=out, selector=selector, delay=delay,
            concurrency=concurrency, timeout=timeout, response_timeout=response_timeout, page_timeout=page_timeout,
            retries=retries, backoff=backoff, user_agent=user_agent, allow_other_hosts=allow_other_hosts,
            max_image_bytes=max(1, int(max_image_mb * 1024 * 1024)), max_consecutive_failures=stop_after_failures,
        )
    except ValueError as exc:
        fail(str(exc), 2)
    summary = _scrape(config)
    _print_summary(summary, config)
    _exit_on_failures(summary)


def _scrape(config: scraper.ScrapeConfig) -> scraper.ScrapeSummary:
    """The scrape with a progress bar; a locked, unreadable or unwritable folder ends the command (exit 1)."""
    try:
        config.out_dir.mkdir(parents=True, exist_ok=True)
        return scraper.scrape(config, progress=progress_bar)
    except (scraper.ScrapeLocked, PagesFileError) as exc:
        fail(str(exc), 1)
    except OSError as exc:
        fail(f"cannot use {exc.filename or config.out_dir}: {exc.strerror or exc}", 1)


def _exit_on_failures(summary: scraper.ScrapeSummary) -> None:
    """Exit 1 when pages failed or the run stopped early, saying that the same command retries them."""
    if summary.aborted:
        err_console.print(f"[bold red]stopped:[/] {shown(summary.aborted)}", highlight=False)
    if summary.failed or summary.aborted:
        err_console.print("run the same command again to retry failed pages", highlight=False)
        raise typer.Exit(1)


def _print_summary(summary: scraper.ScrapeSummary, config: scraper.ScrapeConfig) -> None:
    table = Table(title=shown(f"pages {config.first}-{config.last} into {config.out_dir}"), show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, value in [
        ("pages fetched", summary.fetched),
        ("pages missing (404)", summary.missing),
        ("pages failed", summary.failed),
        ("pages already complete", summary.skipped),
        ("images saved", summary.images_saved),
        ("images rejected", summary.images_rejected),
        ("time", f"{summary.elapsed_s:.1f} s"),
    ]:
        table.add_row(label, str(value))
    out = Console(soft_wrap=True)
    out.print(table)
    failures = sorted(summary.failures.items())
    for page, reason in failures[:MAX_FAILURES_SHOWN]:
        out.print(f"failed: page {page}: {reason}", markup=False, highlight=False)
    if len(failures) > MAX_FAILURES_SHOWN:
        out.print(f"... and {len(failures) - MAX_FAILURES_SHOWN} more (status \"failed\" in {config.pages_path})", markup=False)
