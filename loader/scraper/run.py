"""A scrape over a range of pages: which pages still need work, one page with its images, and the thread
pool that runs them politely (one rate limiter, a bounded number of pages in flight) and records each."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from datetime import datetime, timezone

import requests

from visualdistance.loader.files import remove_temp_files
from visualdistance.loader.pages import read_pages
from visualdistance.loader.progress import Advance, Progress, silent
from visualdistance.loader.scraper.config import (
    MISSING_STATUSES,
    FetchError,
    ImageRejected,
    Refused,
    ScrapeConfig,
    ScrapeSummary,
    _Stopped,
)
from visualdistance.loader.scraper.fetch import RateLimiter, fetch, make_session
from visualdistance.loader.scraper.folder import PagesWriter, _folder_lock, is_complete, save_image
from visualdistance.loader.scraper.parse import page_url, parse_page, url_refusal


def pages_to_fetch(config: ScrapeConfig) -> list[int]:
    """Page numbers in ``config.first..config.last`` that are not complete yet."""
    done: dict[int, dict] = read_pages(config.pages_path) if config.pages_path.is_file() else {}
    return [
        n
        for n in range(config.first, config.last + 1)
        if n not in done or not is_complete(done[n], config.out_dir)
    ]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def scrape_page(
    page: int,
    session: requests.Session,
    config: ScrapeConfig,
    limiter: RateLimiter | None = None,
    stop: threading.Event | None = None,
) -> dict:
    """Fetch one page and its images; returns its pages-file record (never raises for HTTP trouble).

    Status "ok": the page was read; images that were refused or are not images
    are listed in ``skipped_images``. "missing": the page answered 404/410.
    "failed": the page, or one of its images, could not be fetched; retried next run.
    """
    record: dict = {
        "page": page,
        "url": page_url(config.base_url, page),
        "status": "failed",
        "http_status": None,
        "title": None,
        "text": None,
        "chat": None,
        "images": [],
        "image_urls": [],
        "skipped_images": [],
        "fetched_at": _now(),
        "error": None,
    }
    page_deadline = time.monotonic() + config.page_timeout
    try:
        got = fetch(session, record["url"], config, limiter=limiter, stop=stop, page_deadline=page_deadline)
        record["http_status"] = got.status
        if got.status in MISSING_STATUSES:
            record["status"] = "missing"
            return record
        if got.status != 200:
            record["error"] = f"HTTP {got.status}"
            return record
        content = parse_page(got.body, config.base_url, config.selector, encoding=got.charset)
        record.update(title=content.title, text=content.text, chat=content.chat, image_urls=content.image_urls)
        for n, url in enumerate(content.image_urls, start=1):
            reason = url_refusal(url, config)
            if reason is None:
                try:
                    image = fetch(
                        session, url, config, limiter=limiter, max_bytes=config.max_image_bytes, stop=stop,
                        page_deadline=page_deadline,
                    )
                except Refused as exc:
                    reason = str(exc)
                except FetchError as exc:
                    record["error"] = f"image {n} ({url}): {exc}"
                    return record
                else:
                    if image.status != 200:
                        reason = f"HTTP {image.status}"
                    else:
                        try:
                            record["images"].append(
                                save_image(image.body, image.content_type, url, config.out_dir, page, n)
                            )
                        except ImageRejected as exc:
                            reason = str(exc)
            if reason is not None:
                # Data URLs can be huge; the reason is what matters.
                shown = url if len(url) <= 300 else url[:300] + "..."
                record["skipped_images"].append({"url": shown, "reason": reason})
        record["status"] = "ok"
    except (FetchError, Refused) as exc:
        record["error"] = str(exc)
    except _Stopped:
        raise
    except Exception as exc:  # a bug or a disk error must not kill the other pages; it is recorded
        record["error"] = f"unexpected {type(exc).__name__}: {exc}"
    return record


def scrape(config: ScrapeConfig, progress: Progress = silent) -> ScrapeSummary:
    """Scrape pages ``config.first..config.last`` into ``config.out_dir``; returns a summary.

    Pages already complete in the pages file are skipped. progress: one stage,
    "scraping", advanced as each page is recorded; an exception its advance
    raises (or Ctrl-C) stops the run cleanly and propagates: finished pages
    stay recorded, the pages in flight are abandoned and redone next time.
    """
    started = time.monotonic()
    config.out_dir.mkdir(parents=True, exist_ok=True)
    summary = ScrapeSummary()
    with _folder_lock(config.out_dir):
        remove_temp_files(config.out_dir)
        todo = pages_to_fetch(config)
        summary.skipped = (config.last - config.first + 1) - len(todo)
        with progress(len(todo), "scraping", "pages") as advance:
            if todo:
                _run_pool(config, todo, summary, advance)
    summary.elapsed_s = time.monotonic() - started
    return summary


def _run_pool(
    config: ScrapeConfig,
    todo: list[int],
    summary: ScrapeSummary,
    advance: Advance,
) -> None:
    limiter = RateLimiter(config.delay)
    stop = threading.Event()
    # requests.Session is not documented as thread-safe: one per worker thread.
    local = threading.local()
    sessions: list[requests.Session] = []
    sessions_lock = threading.Lock()

    def work(page: int) -> dict:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = make_session(config.user_agent)
            with sessions_lock:
                sessions.append(session)
        return scrape_page(page, session, config, limiter, stop)

    recorded: set[Future] = set()
    in_a_row = 0
    with PagesWriter(config.pages_path) as writer:

        def record(fut: Future) -> dict:
            rec = fut.result()
            writer.write(rec)
            recorded.add(fut)
            summary.add(rec)
            return rec

        pool = ThreadPoolExecutor(max_workers=config.concurrency, thread_name_prefix="scrape")
        futures = [pool.submit(work, n) for n in todo]
        try:
            for fut in as_completed(futures):
                rec = record(fut)
                advance(1)
                in_a_row = in_a_row + 1 if rec["status"] == "failed" else 0
                if config.max_consecutive_failures and in_a_row >= config.max_consecutive_failures:
                    summary.aborted = f"{in_a_row} pages failed in a row; last: {rec['error']}"
                    break
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            # Pages that finished while we were stopping are complete: keep them.
            for fut in futures:
                if fut not in recorded and fut.done() and not fut.cancelled() and fut.exception() is None:
                    record(fut)
            for session in sessions:
                session.close()
