"""Deadlines for whole responses, which requests' own timeouts cannot give.

requests' timeout bounds each wait for the socket, not a response: a server
that sends a byte every few seconds holds a request forever. A _Watch ends the
request its thread is making (it shuts the socket, which wakes a read blocked
in another thread) once its deadline passes or the run stops; the connections
of a scraper session tell the thread's watch which socket is theirs.
"""

from __future__ import annotations

import socket
import threading
import time

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


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
