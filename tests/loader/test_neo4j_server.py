"""The Neo4j server the suite runs against: reachable, writable, Browser up, auth on."""

import http.server
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

from tests.conftest import REPO

pytestmark = pytest.mark.neo4j


def test_write_then_read_back_with_parameters(neo4j_clean):
    neo4j_clean.execute_query(
        "CREATE (a:Panel {id: $a, path: $path_a})-[:SIMILAR {score: $score}]->(b:Panel {id: $b, path: $path_b})",
        a="strip-0001/1",
        b="strip-0417/3",
        path_a="panels/0001_1.png",
        path_b="panels/0417_3.png",
        score=0.93,
    )

    records = neo4j_clean.execute_query(
        "MATCH (a:Panel {id: $id})-[s:SIMILAR]->(b:Panel) RETURN a.path AS path, b.id AS other, s.score AS score",
        id="strip-0001/1",
    ).records

    assert [r.data() for r in records] == [
        {"path": "panels/0001_1.png", "other": "strip-0417/3", "score": 0.93}
    ]


def test_clean_fixture_starts_from_an_empty_database(neo4j_clean):
    count = neo4j_clean.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    assert count == 0


def test_browser_serves_its_page(neo4j_server):
    response = requests.get(f"{neo4j_server.http_url}/browser/", timeout=10)

    assert response.status_code == 200
    assert "text/html" in response.headers.get("Content-Type", "")
    assert "Neo4j" in response.text


def test_wrong_password_is_refused(neo4j_server):
    # One failed attempt only: Neo4j locks the user for a few seconds after three.
    with GraphDatabase.driver(neo4j_server.uri, auth=(neo4j_server.user, neo4j_server.password + "-wrong")) as driver:
        with pytest.raises(AuthError):
            driver.verify_connectivity()


# ------------------------------------------------ scripts/neo4j start itself


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Impostor:
    """Another process's server on our ports: a plain listener on bolt, HTTP 200 on http."""

    def __init__(self, bolt: int, http_port: int) -> None:
        self.bolt = socket.create_server(("127.0.0.1", bolt))
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", http_port), _Answer200)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
        self.bolt.close()


class _Answer200(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args) -> None:
        pass


def _scratch_checkout(tmp_path: Path) -> Path:
    """A checkout with only scripts/neo4j, its pom and the jars already fetched (linked, not copied)."""
    lib = REPO / ".neo4j" / "lib"
    if not (lib / ".provisioned").is_file():
        pytest.skip("no Neo4j jars in .neo4j/lib (scripts/neo4j start has never run here)")
    root = tmp_path / "checkout"
    (root / "scripts" / "neo4j-server").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "neo4j", root / "scripts" / "neo4j")
    shutil.copy2(REPO / "scripts" / "neo4j-server" / "pom.xml", root / "scripts" / "neo4j-server" / "pom.xml")
    (root / ".neo4j").mkdir()
    (root / ".neo4j" / "lib").symlink_to(lib)
    return root


def test_start_fails_when_another_process_takes_its_port_during_start_up(tmp_path):
    root = _scratch_checkout(tmp_path)
    bolt, http_port = _free_port(), _free_port()
    # The scratch checkout's own default instance (scripts/test exports NEO4J_INSTANCE=test for the suite's server).
    outside = {k: v for k, v in os.environ.items() if k != "NEO4J_INSTANCE"}
    env = {**outside, "NEO4J_BOLT_PORT": str(bolt), "NEO4J_HTTP_PORT": str(http_port), "NEO4J_PASSWORD": "impostor-test"}
    log = root / ".neo4j" / "logs" / "console.log"
    proc = subprocess.Popen([str(root / "scripts" / "neo4j"), "start"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    impostor = None
    try:
        # The ports were free when start checked them; take them as soon as the JVM is launched.
        deadline = time.monotonic() + 120
        while not (log.is_file() and "scripts/neo4j start" in log.read_text(errors="replace")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.01)
        impostor = _Impostor(bolt, http_port)
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if impostor:
            impostor.close()
        subprocess.run([str(root / "scripts" / "neo4j"), "stop"], env=env, capture_output=True, timeout=180)

    assert proc.returncode == 1, (stdout, stderr)
    assert "Neo4j is running" not in stdout
    assert "Address already in use" in stderr and "Neo4j failed to start" in stderr



def test_the_suite_never_empties_the_developers_own_server(neo4j_server):
    # The suite wipes its database; the developer's own graph is the scripts/neo4j server on 7687
    # in .neo4j/. The local server the suite starts (or scripts/test hands it) is the test instance.
    if neo4j_server.source == "docker" or (neo4j_server.source == "env" and os.environ.get("NEO4J_INSTANCE") != "test"):
        pytest.skip(f"a server chosen by hand or by Docker ({neo4j_server.source}): not scripts/neo4j's")
    assert neo4j_server.uri == "bolt://127.0.0.1:7697", neo4j_server.uri
    assert (REPO / ".neo4j-test" / "password").exists()
