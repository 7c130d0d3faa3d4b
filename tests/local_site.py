"""A real HTTP server on 127.0.0.1 for tests, serving pages and images made in the test.

The `site` fixture is exposed by the conftest.py of each test folder that uses it.
"""

from __future__ import annotations

import io
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from PIL import Image


@dataclass
class Reply:
    """One canned response; `delay` seconds pass before the status line is sent."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    # > 0: the body goes out one byte every `trickle` seconds (a server that never trips a per-read timeout);
    # with trickle_head, the status line and headers too
    trickle: float = 0.0
    trickle_head: bool = False


@dataclass
class Hit:
    path: str
    started: float
    headers: dict[str, str]


class Site:
    """Routes request paths to replies and records every request it gets.

    ``add(path, r1, r2, ...)`` serves r1 to the first request, r2 to the second,
    and repeats the last one from then on. Unknown paths answer 404.
    """

    def __init__(self) -> None:
        self._routes: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.log: list[Hit] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.url = ""  # set once the server is listening
        self.port = 0

    def add(self, path: str, *replies: Reply) -> None:
        with self._lock:
            self._routes[path] = list(replies)

    def page(self, n: int, *replies: Reply) -> None:
        self.add(f"/story/{n}", *replies)

    def _next_reply(self, path: str, headers: dict[str, str]) -> Reply:
        with self._lock:
            self.hits[path] += 1
            self.log.append(Hit(path, time.monotonic(), headers))
            queue = self._routes.get(path)
            if not queue:
                return Reply(404, b"<html><body>not found</body></html>")
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            site._enter()
            try:
                reply = site._next_reply(self.path, dict(self.headers.items()))
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.trickle:
                    self._trickle(reply)
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                if reply.send_length:
                    self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test); nothing to do
            finally:
                site._leave()

        def _trickle(self, reply: Reply) -> None:
            head = f"HTTP/1.0 {reply.status} OK\r\nContent-Type: {reply.content_type}\r\n"
            if reply.send_length:
                head += f"Content-Length: {len(reply.body)}\r\n"
            head = (head + "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items()) + "\r\n").encode("latin-1")
            if not reply.trickle_head:
                self.wfile.write(head)
                self.wfile.flush()
                head = b""
            for k in range(len(head + reply.body)):
                self.wfile.write((head + reply.body)[k : k + 1])
                self.wfile.flush()
                time.sleep(reply.trickle)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output clean

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True  # a handler still sleeping must not hold up teardown
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A started local web site; add routes to it in the test."""
    # A proxy from the environment would swallow requests meant for 127.0.0.1.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    s = Site()
    server = _QuietServer(("127.0.0.1", 0), _handler(s))
    s.port = server.server_address[1]
    s.url = f"http://127.0.0.1:{s.port}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield s
    finally:
        server.shutdown()
        server.server_close()


def image_bytes(fmt: str = "GIF", color: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (12, 8)) -> bytes:
    """A small image in `fmt`, different bytes for different colours."""
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format=fmt)
    return buf.getvalue()


def image_reply(fmt: str = "GIF", color: tuple[int, int, int] = (200, 30, 30)) -> Reply:
    mime = {"GIF": "image/gif", "PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "BMP": "image/bmp"}
    return Reply(200, image_bytes(fmt, color), mime[fmt])


def story_html(
    srcs: list[str],
    title: str = "A page",
    text: str = "Some narration.",
    chat: str | None = None,
) -> bytes:
    """A Homestuck-like story page with panels at `srcs`."""
    panels = "\n".join(f'<img class="mar-x-auto disp-bl" src="{src}" alt="">' for src in srcs)
    chat_html = f'<div class="o_chat-container"><p class="o_chat-log">{chat}</p></div>' if chat else ""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>site</title></head><body>"
        '<img class="logo" src="/logo.png">'
        f'<h2 class="type-hs-header">{title}</h2>'
        f'<div class="o-story_media">{panels}</div>'
        f'<p class="o-story_text">{text}</p>{chat_html}'
        "</body></html>"
    ).encode("utf-8")
