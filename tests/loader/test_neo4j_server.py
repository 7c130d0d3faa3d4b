"""The Neo4j server the suite runs against: reachable, writable, Browser up, auth on."""

import pytest
import requests
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError

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
