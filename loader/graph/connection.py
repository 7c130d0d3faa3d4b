"""Where the Neo4j server is and how to reach it: settings, errors in one line, a checked connection.

Settings come from options, else the NEO4J_* environment variables (`ENV_VARS`,
read by `env_settings` and nowhere else), else the local `scripts/neo4j` server's
folder, else the defaults.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence
from urllib.parse import urlsplit

from neo4j import Driver, GraphDatabase, RoutingControl
from neo4j import exceptions as neo4j_errors

from visualdistance import cypher

DEFAULT_URI = "bolt://127.0.0.1:7687"
DEFAULT_USER = "neo4j"
DEFAULT_DATABASE = "neo4j"
DEFAULT_HTTP_PORT = 7474
#: seconds to open a connection, and to get one that answers (the Bolt handshake and login included)
CONNECT_TIMEOUT_S = 5.0
ANSWER_TIMEOUT_S = 10.0


class GraphError(Exception):
    """A Neo4j problem explained in one line (unreachable, refused, no such database, failed statement)."""


class CorpusTaken(GraphError):
    """A load refused before writing anything: its corpus name already holds another folder's panels."""


# ------------------------------------------------------------ settings


@dataclass(frozen=True)
class Settings:
    """Where the graph lives. `source` says where uri and password came from, for messages."""

    uri: str = DEFAULT_URI
    user: str = DEFAULT_USER
    password: str | None = None
    database: str = DEFAULT_DATABASE
    http_url: str | None = None
    source: str = "default"

    @property
    def configured(self) -> bool:
        """Whether something said where the server is (an option, NEO4J_URI, a local scripts/neo4j server),
        rather than the bare default."""
        return self.source != "default"

    @property
    def browser_url(self) -> str:
        """Neo4j Browser's address: the HTTP side of the same host."""
        if self.http_url:
            return self.http_url.rstrip("/") + "/browser/"
        host = urlsplit(self.uri).hostname or "127.0.0.1"
        return f"http://{host}:{DEFAULT_HTTP_PORT}/browser/"


def checkout_root() -> Path:
    """The source checkout this package runs from (an editable install), where scripts/neo4j keeps .neo4j/."""
    return Path(__file__).resolve().parents[2]  # <checkout>/loader/graph/connection.py


def local_roots() -> list[Path]:
    """Folders that may hold the .neo4j/ state of `scripts/neo4j`: the working folder, then the checkout."""
    roots = [Path.cwd(), checkout_root()]
    return list(dict.fromkeys(r.resolve() for r in roots))


def local_server(root: Path) -> Settings | None:
    """Settings of the `scripts/neo4j` server kept under `root`/.neo4j, or None when there is none.

    The password is the generated one in .neo4j/password; the ports are read
    back from the conf file that `scripts/neo4j start` wrote.
    """
    home = root / ".neo4j"
    try:
        password = (home / "password").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    conf = home / "conf" / "neo4j.conf"
    text = conf.read_text(encoding="utf-8") if conf.is_file() else ""

    def port(setting: str, default: int) -> int:
        found = re.findall(rf"^{re.escape(setting)}=127\.0\.0\.1:(\d+)\s*$", text, flags=re.M)
        return int(found[-1]) if found else default

    bolt = port("server.bolt.listen_address", 7687)
    http = port("server.http.listen_address", DEFAULT_HTTP_PORT)
    return Settings(
        uri=f"bolt://127.0.0.1:{bolt}",
        password=password or None,
        http_url=f"http://127.0.0.1:{http}",
        source=f"scripts/neo4j ({home})",
    )


def find_local_server(roots: Sequence[Path] | None = None) -> Settings | None:
    """The first `scripts/neo4j` server state found under `roots` (default: `local_roots()`)."""
    for root in local_roots() if roots is None else roots:
        found = local_server(root)
        if found:
            return found
    return None


#: the environment variables that configure the server, by Settings field
ENV_VARS = {"uri": "NEO4J_URI", "user": "NEO4J_USER", "password": "NEO4J_PASSWORD", "database": "NEO4J_DATABASE",
            "http_url": "NEO4J_HTTP_URL"}


def env_settings(local: Settings | None = None, **given: str | None) -> Settings:
    """Settings from the values `given` (uri=, user=, ...; None = not given), else the NEO4J_* variables
    (ENV_VARS), else `local` (see resolve_settings)."""
    values = {field: given.get(field) if given.get(field) is not None else os.environ.get(var) for field, var in ENV_VARS.items()}
    return resolve_settings(**values, local=local)


def resolve_settings(
    uri: str | None = None,
    user: str | None = None,
    password: str | None = None,
    database: str | None = None,
    http_url: str | None = None,
    local: Settings | None = None,
) -> Settings:
    """Settings from explicit values (options or NEO4J_* variables), filling gaps from `local`.

    No uri: the local `scripts/neo4j` server when `local` is given, else
    bolt://127.0.0.1:7687. No password: the local server's, but only when the
    uri is that server's (a password is never sent to another host).
    """
    base = local if (local and (uri is None or uri == local.uri)) else None
    return Settings(
        uri=uri or (base.uri if base else DEFAULT_URI),
        user=user or DEFAULT_USER,
        password=password if password is not None else (base.password if base else None),
        database=database or DEFAULT_DATABASE,
        http_url=http_url or (base.http_url if base else None),
        source="given" if uri else (base.source if base else "default"),
    )


# ---------------------------------------------------------- connecting


def explain(exc: Exception, settings: Settings) -> str:
    """One line saying what went wrong talking to Neo4j and what to do about it."""
    where = settings.uri
    if isinstance(exc, neo4j_errors.Neo4jError) and exc.code == "Neo.ClientError.Security.AuthenticationRateLimit":
        return (
            f"Neo4j at {where} refuses user {settings.user!r} for now after several wrong passwords in a row: "
            "wait a few seconds, then try again with the right one (NEO4J_PASSWORD or --password)"
        )
    if isinstance(exc, neo4j_errors.AuthError):
        return (
            f"Neo4j at {where} refused user {settings.user!r}: wrong password? Set NEO4J_PASSWORD or --password "
            "(`scripts/neo4j env` prints the local server's)"
        )
    if isinstance(exc, neo4j_errors.ClientError) and exc.code == "Neo.ClientError.Database.DatabaseNotFound":
        return (
            f"Neo4j at {where} has no database {settings.database!r} "
            f"(Community edition has one, 'neo4j'; set NEO4J_DATABASE or --database)"
        )
    if isinstance(exc, (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError)):
        return (
            f"cannot reach Neo4j at {where}: is it running? Start the local one with `scripts/neo4j start` "
            "or set NEO4J_URI"
        )
    if isinstance(exc, neo4j_errors.Neo4jError):
        return f"Neo4j at {where} failed: {exc.code}: {exc.message}"
    return f"Neo4j at {where} failed: {type(exc).__name__}: {exc}"


@contextmanager
def errors_explained(settings: Settings) -> Iterator[None]:
    """Turn any driver error inside the block into a GraphError with a one-line message."""
    try:
        yield
    except (neo4j_errors.Neo4jError, neo4j_errors.DriverError, OSError) as exc:
        raise GraphError(explain(exc, settings)) from exc


@contextmanager
def connect(settings: Settings) -> Iterator[Driver]:
    """A driver that has answered once on `settings.database`; GraphError (one line) when it cannot.

    Driver errors raised inside the block become GraphErrors too.
    """
    auth = (settings.user, settings.password or "")
    try:
        # Short timeouts: an unreachable server should say so within seconds. The connection timeout
        # covers the TCP connect only; a port that accepts and never answers (another program, a
        # hung server) is bounded by the acquisition timeout, 60 s by default. No notifications: the
        # driver would log each as a block of text (query, position, advice).
        driver = GraphDatabase.driver(settings.uri, auth=auth, connection_timeout=CONNECT_TIMEOUT_S,
                                      connection_acquisition_timeout=ANSWER_TIMEOUT_S,
                                      notifications_min_severity="OFF")
    except Exception as exc:  # the driver raises ValueError, ConfigurationError or ImportError for a bad URI
        raise GraphError(f"cannot use Neo4j URI {settings.uri!r}: {exc}") from exc
    try:
        with errors_explained(settings):
            driver.verify_connectivity()
            # verify_connectivity does not check the database; a query there does.
            driver.execute_query(cypher.load("ping"), database_=settings.database, routing_=RoutingControl.READ)
            yield driver
    finally:
        driver.close()
