"""What a scrape is given and what it reports: its settings, defaults and limits, its summary and its errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from visualdistance.loader.pages import PAGES_FILE, page_problem

DEFAULT_BASE_URL = "https://www.homestuck.com"
DEFAULT_SELECTOR = "img.mar-x-auto.disp-bl"
DEFAULT_USER_AGENT = "visualdistance-scraper/0.1 (+https://github.com/visualdistance; research on reused art)"
TITLE_SELECTOR = "h2.type-hs-header"
TEXT_SELECTOR = "p.o-story_text"
CHAT_SELECTOR = "div.o_chat-container"

LOCK_FILE = ".scrape.lock"

# Extensions a saved image may get, and the Pillow formats accepted as images.
FORMAT_EXTENSIONS = {"GIF": "gif", "PNG": "png", "JPEG": "jpg", "WEBP": "webp", "BMP": "bmp"}

MAX_PAGE_BYTES = 8 * 1024 * 1024
MAX_REDIRECTS = 5
MAX_RETRY_AFTER_S = 120.0
MAX_BACKOFF_S = 60.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MISSING_STATUSES = frozenset({404, 410})


@dataclass
class ScrapeConfig:
    """Everything one scrape needs. Defaults are gentle on the server."""

    base_url: str
    first: int
    last: int
    out_dir: Path
    selector: str = DEFAULT_SELECTOR
    delay: float = 1.0  # seconds between the starts of any two requests, all threads together
    concurrency: int = 2
    timeout: float = 20.0  # per connect / per read, seconds
    # the most one response may take in all (connecting, headers, body), and one page with its images and
    # retries: a server that trickles a byte now and then never trips the per-read timeout
    response_timeout: float = 120.0
    page_timeout: float = 600.0
    retries: int = 4  # extra attempts after the first, on timeouts, connection errors, 429 and 5xx
    backoff: float = 1.0  # first retry waits this long, then doubles
    user_agent: str = DEFAULT_USER_AGENT
    allow_other_hosts: bool = False
    max_image_bytes: int = 32 * 1024 * 1024
    # Stop the run when this many pages in a row fail (site down, blocked, no
    # network) instead of spending retries on thousands of pages; 0 never stops.
    max_consecutive_failures: int = 10

    def __post_init__(self) -> None:
        self.out_dir = Path(self.out_dir)
        self.base_url = self.base_url.strip()
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base URL must be http(s)://host[/path], got {self.base_url!r}")
        if self.first < 0 or self.last < self.first:
            raise ValueError(f"need 0 <= first <= last, got first={self.first} last={self.last}")
        for name, page in (("first", self.first), ("last", self.last)):
            if page_problem(page):
                raise ValueError(f"{name}: {page_problem(page)}")
        for name, value, low in [
            ("delay", self.delay, 0),
            ("backoff", self.backoff, 0),
            ("retries", self.retries, 0),
            ("max_consecutive_failures", self.max_consecutive_failures, 0),
            ("concurrency", self.concurrency, 1),
            ("max_image_bytes", self.max_image_bytes, 1),
        ]:
            if not value >= low:  # NaN too
                raise ValueError(f"{name} must be >= {low}, got {value}")
        for name, value in (("timeout", self.timeout), ("response_timeout", self.response_timeout),
                            ("page_timeout", self.page_timeout)):
            if not value > 0:  # NaN too
                raise ValueError(f"{name} must be > 0, got {value}")
        try:
            BeautifulSoup("", "html.parser").select(self.selector)
        except Exception as exc:  # soupsieve raises its own SelectorSyntaxError
            raise ValueError(f"invalid CSS selector {self.selector!r}: {exc}") from None

    @property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @property
    def pages_path(self) -> Path:
        return self.out_dir / PAGES_FILE


@dataclass
class ScrapeSummary:
    """What one run did. ``skipped`` counts pages already complete before it started."""

    fetched: int = 0
    missing: int = 0
    failed: int = 0
    skipped: int = 0
    images_saved: int = 0
    images_rejected: int = 0
    failures: dict[int, str] = field(default_factory=dict)  # page -> reason
    aborted: str | None = None
    elapsed_s: float = 0.0

    def add(self, record: dict) -> None:
        status = record["status"]
        if status == "ok":
            self.fetched += 1
        elif status == "missing":
            self.missing += 1
        else:
            self.failed += 1
            self.failures[record["page"]] = record.get("error") or "failed"
        self.images_saved += len(record.get("images", []))
        self.images_rejected += len(record.get("skipped_images", []))


class FetchError(Exception):
    """A request failed for good: retries used up, or an error not worth retrying."""


class Refused(Exception):
    """We chose not to fetch or keep something (other host, too large, too many redirects)."""


class ImageRejected(Exception):
    """A response that should have been an image was not an acceptable one."""


class ScrapeLocked(RuntimeError):
    """Another scrape is writing to the same output folder."""


class _Stopped(Exception):
    """The run is stopping; abandon the page in flight without recording it."""
