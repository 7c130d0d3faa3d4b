"""Shared fixtures: generated drawings as image files, and a real Neo4j server.

## Neo4j

Where the server comes from, first match wins:

1. NEO4J_URI (with NEO4J_USER, default "neo4j", and NEO4J_PASSWORD) from the
   environment; scripts/test sets these after ``NEO4J_INSTANCE=test scripts/neo4j start``.
   NEO4J_HTTP_URL names its HTTP side when that is not http://<host>:7474.
2. A Docker engine, through testcontainers (image neo4j:5.26-community).
3. The test instance of ``scripts/neo4j`` (``NEO4J_INSTANCE=test``: Java + Maven, no
   Docker; its own folder .neo4j-test/ and ports 7697/7484, so the developer's own
   graph in .neo4j/ is never touched); stopped again at the end of the session if
   this fixture started it.

If none works, the tests that need Neo4j are skipped with the reason, except
when VISUALDISTANCE_REQUIRE_SERVICES=1 (CI): then they fail, so a broken
setup can never pass as "all skipped".

Note: ``neo4j_clean`` empties the database it is given. Point NEO4J_URI only
at a database you are happy to lose.
"""

from __future__ import annotations

import os
import secrets
import shlex
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import numpy as np
import pytest
from neo4j import Driver, GraphDatabase
from PIL import Image

from tests import synthetic

REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------ images


def save(img: np.ndarray, path: Path) -> Path:
    """Write an RGB array as an image file (format from the extension)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def drawing(rng) -> synthetic.Drawing:
    """One random line drawing (asymmetric, so its mirror image differs)."""
    return synthetic.random_drawing(rng, n_shapes=(7, 8))


@pytest.fixture
def store_dir(tmp_path) -> Path:
    return tmp_path / "store"


@pytest.fixture(scope="session")
def planted_run(tmp_path_factory):
    """A real run folder over generated drawings with planted reuse (tests/report_run.py), made once per session."""
    from tests.report_run import make_planted_run

    return make_planted_run(tmp_path_factory.mktemp("planted-run"))


# ------------------------------------------------------------ Neo4j

NEO4J_SCRIPT = REPO / "scripts" / "neo4j"
NEO4J_IMAGE = "neo4j:5.26-community"
# The first local start downloads the server jars (about 140 MB) from Maven Central.
LOCAL_START_TIMEOUT_S = 900


@dataclass(frozen=True)
class Neo4jServer:
    uri: str
    user: str
    password: str
    http_url: str
    source: str  # "env", "docker" or "scripts/neo4j", for messages

    def driver(self, **kwargs) -> Driver:
        return GraphDatabase.driver(self.uri, auth=(self.user, self.password), **kwargs)


def _services_required() -> bool:
    return os.environ.get("VISUALDISTANCE_REQUIRE_SERVICES") == "1"


def _unavailable(reason: str) -> None:
    if _services_required():
        pytest.fail(f"Neo4j is required (VISUALDISTANCE_REQUIRE_SERVICES=1) but unavailable: {reason}", pytrace=False)
    pytest.skip(f"no Neo4j server: {reason}")


def _http_url_for(bolt_uri: str) -> str:
    explicit = os.environ.get("NEO4J_HTTP_URL")
    if explicit:
        return explicit.rstrip("/")
    host = urlsplit(bolt_uri).hostname or "127.0.0.1"
    return f"http://{host}:{os.environ.get('NEO4J_HTTP_PORT', '7474')}"


def _docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # no client library, no socket, no daemon: all mean "no Docker"
        return False


def _start_container():
    try:  # testcontainers >= 4.10 moved the module; older releases only have the first path
        from testcontainers.community.neo4j import Neo4jContainer
    except ImportError:
        from testcontainers.neo4j import Neo4jContainer

    password = secrets.token_hex(16)
    container = Neo4jContainer(NEO4J_IMAGE, password=password)
    container.with_exposed_ports(7474)  # the Browser test needs the HTTP side too
    try:
        container.start()
    except Exception:
        container.stop()  # a half-started container would outlive the session
        raise
    host = container.get_container_host_ip()
    server = Neo4jServer(
        uri=container.get_connection_url(),
        user="neo4j",
        password=password,
        http_url=f"http://{host}:{container.get_exposed_port(7474)}",
        source="docker",
    )
    return container, server


def _run_script(*args: str, timeout: float) -> subprocess.CompletedProcess:
    # The test instance: the tests empty their database, so never the developer's own server.
    return subprocess.run(
        [str(NEO4J_SCRIPT), *args], cwd=REPO, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "NEO4J_INSTANCE": "test"},
    )


def _local_server() -> Neo4jServer:
    values = {}
    for line in _run_script("env", timeout=30).stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            # scripts/neo4j quotes values with bash's printf %q; shlex undoes that.
            values[key] = shlex.split(value)[0] if value else ""
    return Neo4jServer(
        uri=values["NEO4J_URI"],
        user=values["NEO4J_USER"],
        password=values["NEO4J_PASSWORD"],
        http_url=values["NEO4J_HTTP_URL"],
        source="scripts/neo4j",
    )


def _check_connects(server: Neo4jServer) -> str | None:
    try:
        with server.driver() as driver:
            driver.verify_connectivity()
    except Exception as exc:
        return f"{server.uri} ({server.source}) does not answer: {type(exc).__name__}: {exc}"
    return None


class _NotHere(Exception):
    """This source of a Neo4j server has none to give; the message says why."""


@contextmanager
def _server_from_env() -> Iterator[Neo4jServer]:
    if not os.environ.get("NEO4J_URI"):
        raise _NotHere("NEO4J_URI: not set")
    server = Neo4jServer(
        uri=os.environ["NEO4J_URI"],
        user=os.environ.get("NEO4J_USER", "neo4j"),
        password=os.environ.get("NEO4J_PASSWORD", ""),
        http_url=_http_url_for(os.environ["NEO4J_URI"]),
        source="env",
    )
    problem = _check_connects(server)
    if problem:
        # Someone asked for this server explicitly: a typo must not turn into skips.
        pytest.fail(f"NEO4J_URI is set but {problem}", pytrace=False)
    yield server


@contextmanager
def _server_from_docker() -> Iterator[Neo4jServer]:
    if not _docker_answers():
        raise _NotHere("Docker: no engine answers")
    try:
        container, server = _start_container()
    except Exception as exc:
        raise _NotHere(f"Docker: {type(exc).__name__}: {exc}") from exc
    try:
        yield server
    finally:
        container.stop()


@contextmanager
def _server_from_script() -> Iterator[Neo4jServer]:
    """The local server of scripts/neo4j, stopped at the end only if this started it."""
    if not NEO4J_SCRIPT.exists():
        raise _NotHere("scripts/neo4j: missing")
    already_running = _run_script("status", timeout=30).returncode == 0
    try:
        started = _run_script("start", timeout=LOCAL_START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise _NotHere(f"scripts/neo4j start: no answer within {LOCAL_START_TIMEOUT_S}s") from None
    try:
        if started.returncode != 0:
            tail = " | ".join((started.stderr or started.stdout).strip().splitlines()[-5:])
            raise _NotHere(f"scripts/neo4j start failed: {tail}")
        try:
            server = _local_server()
        except Exception as exc:
            raise _NotHere(f"scripts/neo4j env: {type(exc).__name__}: {exc}") from exc
        problem = _check_connects(server)
        if problem:
            raise _NotHere(problem)
        yield server
    finally:
        if not already_running:
            _run_script("stop", timeout=180)


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Neo4jServer]:
    """The first source that gives a server: NEO4J_URI, a Docker engine, scripts/neo4j (see the module's doc).

    At the end of the session the database is emptied again: the tests' corpora must not stay in a
    developer's local graph (a plain `visualdistance cluster` would then find "several corpora").
    """
    reasons = []
    for source in (_server_from_env, _server_from_docker, _server_from_script):
        try:
            with source() as server:
                try:
                    yield server
                finally:
                    _wipe_at_end(server)
                return
        except _NotHere as exc:
            reasons.append(str(exc))
    _unavailable("; ".join(reasons))


def _wipe_at_end(server: Neo4jServer) -> None:
    try:
        with server.driver() as driver:
            wipe(driver)
    except Exception as exc:  # a server gone by now has nothing left to clean
        print(f"\nnote: could not empty the test database at {server.uri}: {type(exc).__name__}: {exc}")


def wipe(driver: Driver) -> None:
    """Empty the database: data, constraints and indexes (Neo4j's own LOOKUP indexes stay)."""
    # Constraints first: dropping one also drops the index it owns.
    for record in driver.execute_query("SHOW CONSTRAINTS YIELD name").records:
        driver.execute_query("DROP CONSTRAINT $name IF EXISTS", name=record["name"])
    indexes = driver.execute_query("SHOW INDEXES YIELD name, type WHERE type <> 'LOOKUP' RETURN name")
    for record in indexes.records:
        driver.execute_query("DROP INDEX $name IF EXISTS", name=record["name"])
    driver.execute_query("MATCH (n) DETACH DELETE n")


@pytest.fixture(scope="session")
def neo4j_driver(neo4j_server: Neo4jServer) -> Iterator[Driver]:
    with neo4j_server.driver() as driver:
        yield driver


@pytest.fixture
def neo4j_clean(neo4j_driver: Driver) -> Driver:
    """The session's driver, on a database emptied of data, constraints and indexes.

    Community edition has a single user database (``neo4j``), so tests share it
    and each one starts by wiping what earlier tests left behind.
    """
    wipe(neo4j_driver)
    return neo4j_driver
