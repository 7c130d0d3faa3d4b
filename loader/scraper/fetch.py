"""HTTP: one GET with retries, backoff, a rate limit shared by every thread, host checks on every redirect
and a cap on the bytes read; each response ends at its deadline (see `deadlines`)."""

from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urljoin

import requests
import urllib3

from visualdistance.loader.scraper.config import (
    MAX_BACKOFF_S,
    MAX_PAGE_BYTES,
    MAX_REDIRECTS,
    MAX_RETRY_AFTER_S,
    RETRY_STATUSES,
    FetchError,
    Refused,
    ScrapeConfig,
    _Stopped,
)
from visualdistance.loader.scraper.deadlines import _Late, _Watch, _WatchedAdapter
from visualdistance.loader.scraper.parse import url_refusal


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
