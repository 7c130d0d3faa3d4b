"""A polite, resumable scraper for Homestuck-style story pages.

Page N lives at ``<base_url>/story/N``. Each page yields one record in
``<out_dir>/pages.jsonl`` (title, narration, chat log, image URLs, local file
names) and its panel images saved as ``<out_dir>/<page>_<n>.<ext>``.

Modules, by concern, each small and separately testable: `config` (the
settings, limits, summary and errors), `parse` (pure: HTML in, record fields
out; which URLs may be fetched), `fetch` (one GET with retries, backoff and a
shared rate limit), `deadlines` (whole-response deadlines requests lacks),
`folder` (checked images under safe names, the pages file, the lock) and `run`
(`scrape`: the pages over a thread pool). The pages file is read back by
`loader.pages.read_pages`, which needs no HTTP stack.
"""

from visualdistance.loader.scraper.config import (
    DEFAULT_BASE_URL,
    DEFAULT_SELECTOR,
    DEFAULT_USER_AGENT,
    FetchError,
    ImageRejected,
    Refused,
    ScrapeConfig,
    ScrapeLocked,
    ScrapeSummary,
)
from visualdistance.loader.scraper.fetch import Fetched, RateLimiter, describe_error, fetch, make_session
from visualdistance.loader.scraper.folder import PagesWriter, check_image, image_name, is_complete, save_image
from visualdistance.loader.scraper.parse import PageContent, page_url, parse_page, url_refusal
from visualdistance.loader.scraper.run import pages_to_fetch, scrape, scrape_page

__all__ = [
    "DEFAULT_BASE_URL", "DEFAULT_SELECTOR", "DEFAULT_USER_AGENT", "FetchError", "Fetched", "ImageRejected", "PageContent",
    "PagesWriter", "RateLimiter", "Refused", "ScrapeConfig", "ScrapeLocked", "ScrapeSummary", "check_image",
    "describe_error", "fetch", "image_name", "is_complete", "make_session", "page_url", "pages_to_fetch", "parse_page",
    "save_image", "scrape", "scrape_page", "url_refusal",
]
