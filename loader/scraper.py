"""A polite, resumable scraper for Homestuck-style story pages.

Page N lives at ``<base_url>/story/N``. Each page yields one record in
``<out_dir>/pages.jsonl`` (title, narration, chat log, image URLs, local file
names) and its panel images saved as ``<out_dir>/<page>_<n>.<ext>``.

The pieces are small and separately testable: :func:`parse_page` (pure, HTML in,
record fields out), :func:`fetch` (one GET with retries and backoff),
:func:`save_image` (validate, then write atomically), :func:`read_pages` (the
pages file back as a dict) and :func:`scrape`, which runs them over a range of
pages with a thread pool and one shared rate limiter.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable
from urllib.parse import unquote, urljoin, urlsplit

import requests
import urllib3
from bs4 import BeautifulSoup, CData, NavigableString, Tag
from PIL import Image
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from visualdistance.loader.files import remove_temp_files, write_atomic
from visualdistance.loader.images import IMAGE_EXTENSIONS
from visualdistance.loader.locks import exclusive
from visualdistance.loader.pages import PAGES_FILE, page_problem, read_pages
from visualdistance.loader.progress import Advance, Progress, silent

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


# ---------------------------------------------------------------------------
# configuration and results


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


# ---------------------------------------------------------------------------
# parsing (pure)


@dataclass
class PageContent:
    """What one story page says: title, narration, chat log and panel image URLs."""

    title: str | None
    text: str | None
    chat: str | None
    image_urls: list[str]


_BREAK = "\ue000"  # private-use char marking a line break while HTML whitespace is collapsed
_END = object()
_BLOCK_TAGS = frozenset(
    "address article aside blockquote dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 "
    "header hr li main nav ol p pre section table td th tr ul".split()
)
# Buttons ("Show Pesterlog") are interface, not story text.
_SKIP_TAGS = frozenset({"script", "style", "button", "noscript", "template"})


def _text_of(tag: Tag) -> str:
    """Visible text of `tag`: HTML whitespace collapsed, one line per <br> or block."""
    parts: list[str] = []
    # An explicit stack, not recursion: malformed pages can nest thousands deep.
    stack: list[object] = list(reversed(tag.contents))
    while stack:
        node = stack.pop()
        if node is _END:
            parts.append(_BREAK)
        elif isinstance(node, Tag):
            if node.name in _SKIP_TAGS:
                continue
            if node.name == "br":
                parts.append(_BREAK)
                continue
            if node.name in _BLOCK_TAGS:
                parts.append(_BREAK)
                stack.append(_END)
            stack.extend(reversed(node.contents))
        elif type(node) in (NavigableString, CData):  # not comments, doctypes, PIs
            parts.append(str(node))
    lines = (" ".join(chunk.split()) for chunk in "".join(parts).split(_BREAK))
    return "\n".join(line for line in lines if line)


def _joined_text(soup: BeautifulSoup, selector: str, sep: str = "\n") -> str | None:
    tags = soup.select(selector)
    # Unclosed tags can nest one match inside another (<p>one<p>two); the outer
    # one's text already holds the inner one's, so count each piece of text once.
    chosen = {id(t) for t in tags}
    outer = [t for t in tags if not any(id(parent) in chosen for parent in t.parents)]
    texts = [t for t in (_text_of(tag) for tag in outer) if t]
    return sep.join(texts) if texts else None


def parse_page(
    html: str | bytes,
    base_url: str,
    selector: str = DEFAULT_SELECTOR,
    encoding: str | None = None,
) -> PageContent:
    """Parse one story page. `html` as text, or bytes with an optional declared encoding.

    Image ``src`` values are resolved against `base_url` (not the page URL), in
    document order; ``img`` tags without a ``src`` are ignored.
    """
    if isinstance(html, bytes) and encoding:
        try:
            html = html.decode(encoding, errors="replace")
        except LookupError:  # a charset Python does not know: let the parser sniff instead
            pass
    # html.parser is forgiving with unclosed tags and needs no extra dependency.
    soup = BeautifulSoup(html, "html.parser")
    title = _joined_text(soup, TITLE_SELECTOR, sep=" ")
    title = title.replace("\n", " ") if title else None  # a title is one line, even with <br> in it
    text = _joined_text(soup, TEXT_SELECTOR)
    chat = _joined_text(soup, CHAT_SELECTOR)
    base = base_url if base_url.endswith("/") else base_url + "/"
    urls: list[str] = []
    for img in soup.select(selector):
        src = img.get("src")
        if isinstance(src, list):  # bs4 hands back a list for multi-valued attributes
            src = " ".join(src)
        src = (src or "").strip()
        if not src:
            continue
        try:
            urls.append(urljoin(base, src))
        except ValueError:  # e.g. a malformed IPv6 host; keep it so it is reported as skipped
            urls.append(src)
    return PageContent(title=title, text=text, chat=chat, image_urls=urls)


def page_url(base_url: str, page: int) -> str:
    """The URL of story page `page` under `base_url`."""
    return f"{base_url.rstrip('/')}/story/{page}"


def url_refusal(url: str, config: ScrapeConfig) -> str | None:
    """Why `url` must not be fetched under `config`, or None when it may be."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        return "invalid URL"
    if parts.scheme not in ("http", "https"):
        return f"unsupported scheme {parts.scheme or '(none)'!r}"
    if not host:
        return "no host in URL"
    if host != config.host and not config.allow_other_hosts:
        return f"other host {host!r} not allowed"
    return None


# ---------------------------------------------------------------------------
# HTTP


class RateLimiter:
    """Spaces the starts of all requests, across threads, at least `delay` seconds apart."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self, stop: threading.Event | None = None) -> None:
        # Reserve a slot under the lock, sleep outside it, so N threads make
        # one request per `delay` in total rather than N.
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.delay
        pause = start - now
        if pause > 0:
            if stop is None:
                time.sleep(pause)
            elif stop.wait(pause):
                raise _Stopped()


@dataclass
class Fetched:
    """A finished response: final URL (after redirects), status, media type, charset, body."""

    url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    attempts: int


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


def describe_error(exc: BaseException) -> str:
    """A one-line, human reason for a requests exception (no object reprs)."""
    text = str(exc)
    if isinstance(exc, requests.Timeout) or "timed out" in text.lower():
        return "timed out"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS/SSL error"
    if isinstance(exc, requests.ConnectionError):
        if "Name or service not known" in text or "nodename nor servname" in text or "NameResolution" in text:
            return "host name not found"
        errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
        if errno:
            return f"connection failed: {errno.group(1).strip().lower()}"
        return "connection failed"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection broken mid-response"
    return f"{type(exc).__name__}: {text[:200]}"


def _parse_retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit():
        return min(float(value.strip()), MAX_RETRY_AFTER_S)
    return None  # HTTP-date form is rare enough to fall back to plain backoff


# --- deadlines -------------------------------------------------------------
#
# requests' timeout bounds each wait for the socket, not a response: a server
# that sends a byte every few seconds holds a request forever. A _Watch ends the
# request its thread is making (it shuts the socket, which wakes a read blocked
# in another thread) once its deadline passes or the run stops; the connections
# of a scraper session tell the thread's watch which socket is theirs.

_current = threading.local()  # .watch: the _Watch of the request this thread is making, if any
_WATCH_TICK_S = 0.05


class _Watch:
    """Ends the request this thread makes at `deadline` (time.monotonic), or as soon as `stop` is set.

    `why` says what ended it: None, "stopped", or "deadline".
    """

    def __init__(self, deadline: float, stop: threading.Event | None) -> None:
        self.deadline, self.stop = deadline, stop
        self.why: str | None = None
        self._socks: list = []
        self._lock = threading.Lock()
        self._done = threading.Event()

    def __enter__(self) -> "_Watch":
        _current.watch = self
        threading.Thread(target=self._run, name="scrape-watch", daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        _current.watch = None
        self._done.set()

    def attach(self, sock) -> None:
        """A connection sends this thread's request over `sock`: the socket to shut."""
        if sock is None:
            return
        with self._lock:
            self._socks.append(sock)
            if self.why:
                _shut(sock)

    def _run(self) -> None:
        while not self._done.wait(_WATCH_TICK_S):
            why = "stopped" if self.stop is not None and self.stop.is_set() else (
                "deadline" if time.monotonic() >= self.deadline else None)
            if why:
                with self._lock:
                    self.why = why
                    for sock in self._socks:
                        _shut(sock)
                return


def _shut(sock) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class _Watched:
    """Mixed into urllib3's connections: the socket a request goes out on is given to the thread's _Watch
    (before the response is read, while the connection still holds it: a response that closes the
    connection takes the socket over)."""

    def request(self, *args, **kwargs):
        watch = getattr(_current, "watch", None)
        if watch is not None:
            watch.attach(self.sock)  # a kept-alive connection's
        result = super().request(*args, **kwargs)  # type: ignore[misc]
        if watch is not None:
            watch.attach(self.sock)  # connected by the request
        return result


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections answer to the thread's _Watch."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _Late(Exception):
    """A response or a page went past its deadline; str(error) says which."""


def _read_capped(response: requests.Response, max_bytes: int, ended: Callable[[], bool] = lambda: False) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise Refused(f"too large ({int(declared)} bytes > {max_bytes})")
    buf = bytearray()
    # read1: whatever one read of the socket brings, so a trickle is seen (and ended by its deadline) as it
    # comes; the cap applies after decompression, so a small gzip bomb cannot get past it.
    while True:
        try:
            chunk = response.raw.read1(64 * 1024, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise requests.exceptions.ReadTimeout(exc) from None
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from None
        except (urllib3.exceptions.ProtocolError, urllib3.exceptions.SSLError, OSError) as exc:
            raise requests.exceptions.ChunkedEncodingError(exc) from None
        if not chunk or ended():  # ended: a watch shut the socket; what still comes in is not read
            return bytes(buf)
        buf += chunk
        if len(buf) > max_bytes:
            raise Refused(f"too large (over {max_bytes} bytes)")


def _get_once(
    session: requests.Session,
    url: str,
    config: ScrapeConfig,
    limiter: RateLimiter | None,
    max_bytes: int,
    stop: threading.Event | None,
    page_deadline: float = math.inf,
) -> tuple[str, requests.Response, bytes]:
    """One attempt: GET `url`, following redirects by hand so each hop is host-checked.

    Each response (headers and body) must come within config.response_timeout and before
    `page_deadline` (time.monotonic()); _Late when it does not, _Stopped as soon as `stop` is set.
    """
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        if limiter is not None:
            limiter.wait(stop)
        if stop is not None and stop.is_set():
            raise _Stopped()
        started = time.monotonic()
        if started >= page_deadline:
            raise _Late(f"the page took longer than {config.page_timeout:g} s")
        response_deadline = started + config.response_timeout
        with _Watch(min(response_deadline, page_deadline), stop) as watch:
            try:
                with session.get(current, timeout=config.timeout, stream=True, allow_redirects=False) as response:
                    if response.is_redirect:
                        target = urljoin(current, response.headers["Location"])
                        reason = url_refusal(target, config)
                        if reason:
                            raise Refused(f"redirect refused: {reason}")
                        current = target
                        continue
                    if response.status_code in RETRY_STATUSES:
                        raise _Retryable(
                            f"HTTP {response.status_code}", _parse_retry_after(response.headers.get("Retry-After"))
                        )
                    body = _read_capped(response, max_bytes, lambda: watch.why is not None)
                    if not watch.why:
                        return current, response, body
            except (requests.RequestException, OSError):
                if not watch.why:
                    raise
            # the watch shut the socket: whatever the read saw (an error, or what looks like the end), it was cut
            if watch.why == "stopped":
                raise _Stopped()
            if response_deadline <= page_deadline:
                raise _Late(f"no whole response within {config.response_timeout:g} s")
            raise _Late(f"the page took longer than {config.page_timeout:g} s")
    raise Refused(f"more than {MAX_REDIRECTS} redirects")


def fetch(
    session: requests.Session,
    url: str,
    config: ScrapeConfig,
    *,
    limiter: RateLimiter | None = None,
    max_bytes: int = MAX_PAGE_BYTES,
    stop: threading.Event | None = None,
    page_deadline: float = math.inf,
) -> Fetched:
    """GET `url` with up to ``config.retries`` retries and exponential backoff.

    Retries timeouts (a response not whole within config.response_timeout
    included), connection errors, 429 and 5xx. Returns any other response
    (2xx, 404, 403, ...) as :class:`Fetched`. Raises :class:`FetchError` once
    retries are used up, on an error not worth retrying, or once `page_deadline`
    (time.monotonic()) has passed; :class:`Refused` for a redirect off the
    allowed hosts or a body over `max_bytes`.
    """
    last_reason = "no attempt made"
    for attempt in range(config.retries + 1):
        retry_after: float | None = None
        try:
            final_url, response, body = _get_once(session, url, config, limiter, max_bytes, stop, page_deadline)
        except _Late as exc:
            if time.monotonic() >= page_deadline:
                raise FetchError(str(exc)) from None
            last_reason = f"timed out: {exc}"
        except _Retryable as exc:
            last_reason, retry_after = str(exc), exc.retry_after
        except (requests.Timeout, requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            last_reason = describe_error(exc)
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema):
            raise Refused("invalid URL") from None
        except requests.RequestException as exc:  # undecodable body and the like: retrying won't help
            raise FetchError(describe_error(exc)) from None
        else:
            media, _, params = response.headers.get("Content-Type", "").partition(";")
            charset = re.search(r"charset=\"?([\w.:-]+)", params, re.IGNORECASE)
            return Fetched(
                url=final_url,
                status=response.status_code,
                content_type=media.strip().lower(),
                charset=charset.group(1) if charset else None,
                body=body,
                attempts=attempt + 1,
            )
        if attempt == config.retries:
            break
        pause = min(config.backoff * 2**attempt, MAX_BACKOFF_S)
        if retry_after is not None:
            pause = max(pause, retry_after)
        if time.monotonic() + pause >= page_deadline:
            raise FetchError(f"{last_reason}; no time left to retry within the page's {config.page_timeout:g} s")
        if stop is None:
            time.sleep(pause)
        elif stop.wait(pause):
            raise _Stopped()
    attempts = config.retries + 1
    raise FetchError(f"{last_reason} ({attempts} attempt{'s' if attempts > 1 else ''})")


def make_session(user_agent: str) -> requests.Session:
    """A session that names itself with `user_agent`, whose requests end at their deadlines (see _Watch)."""
    session = requests.Session()
    session.headers["User-Agent"] = user_agent
    for prefix in ("http://", "https://"):
        session.mount(prefix, _WatchedAdapter())
    return session


# ---------------------------------------------------------------------------
# files


def check_image(body: bytes, content_type: str) -> str:
    """Return the Pillow format of `body` ("GIF", "PNG", ...) or raise :class:`ImageRejected`.

    Both must hold: the server says ``image/*`` and the bytes decode as one of
    the accepted formats.
    """
    if not content_type.startswith("image/"):
        raise ImageRejected(f"not an image (Content-Type {content_type or 'missing'!r})")
    try:
        # `formats` limits which decoders ever see remote bytes.
        with Image.open(io.BytesIO(body), formats=list(FORMAT_EXTENSIONS)) as im:
            fmt = im.format or ""
            im.verify()
    except Exception as exc:  # UnidentifiedImageError, truncated data, decompression bombs, ...
        raise ImageRejected(f"not a valid image ({type(exc).__name__})") from None
    if fmt not in FORMAT_EXTENSIONS:
        raise ImageRejected(f"unsupported image format {fmt!r}")
    return fmt


def image_name(page: int, n: int, url: str, fmt: str) -> str:
    """Local file name ``<page>_<n>.<ext>``; ext from the URL path when whitelisted, else from `fmt`.

    Nothing of the remote name but a whitelisted extension is used, so the
    name cannot point outside the output folder.
    """
    try:
        suffix = PurePosixPath(unquote(urlsplit(url).path)).suffix.lower()
    except ValueError:
        suffix = ""
    ext = suffix.lstrip(".") if suffix in IMAGE_EXTENSIONS else FORMAT_EXTENSIONS[fmt]
    return f"{int(page)}_{int(n)}.{ext}"


def save_image(body: bytes, content_type: str, url: str, out_dir: Path, page: int, n: int) -> str:
    """Validate `body` as an image and write it as ``out_dir/<page>_<n>.<ext>``; returns the name.

    Raises :class:`ImageRejected` (and writes nothing) when it is not an image.
    """
    fmt = check_image(body, content_type)
    name = image_name(page, n, url, fmt)
    write_atomic(Path(out_dir) / name, body)
    return name


def is_complete(record: dict, out_dir: Path) -> bool:
    """True when `record` needs no more work: ok or missing, and every image file is on disk."""
    if record.get("status") not in ("ok", "missing"):
        return False
    return all((Path(out_dir) / name).is_file() for name in record.get("images", []))


class PagesWriter:
    """Appends records to the pages file, one fsynced JSON line each."""

    def __init__(self, path: Path) -> None:
        self._f = open(path, "ab")
        # A run killed mid-write leaves a line without its newline; end it, so
        # the next record does not get glued onto the torn one.
        if self._f.tell() > 0:
            with open(path, "rb") as r:
                r.seek(-1, os.SEEK_END)
                if r.read(1) != b"\n":
                    self._f.write(b"\n")

    def write(self, record: dict) -> None:
        self._f.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        self._f.close()

    def __enter__(self) -> "PagesWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _folder_lock(out_dir: Path):
    """An exclusive lock on ``out_dir/.scrape.lock`` while a scrape runs."""
    return exclusive(out_dir / LOCK_FILE, lambda: ScrapeLocked(f"another scrape is already writing to {out_dir}"))


# ---------------------------------------------------------------------------
# orchestration


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

