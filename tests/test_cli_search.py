"""The search commands run as a user runs them: the installed ``lcgraph`` script, real processes, the real
models and an on-disk store and index.

Every command loads the models (about 15 s), so the module shares one home. Its saved index is seeded from
the session's search service (the same catalog texts give the same vector ids, so nothing needs encoding);
the CLI then loads it from ``<home>/index`` as it would after any earlier run. Building and rebuilding a
saved index is covered in ``tests/kg/search/test_service.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kg.config import Settings
from kg.graph import KnowledgeGraph
from kg.search.engine import SearchEngine
from kg.search.graph_source import GraphSource
from kg.search.service import SearchService
from tests.conftest import free_port

LCGRAPH = str(Path(sys.executable).parent / "lcgraph")
NEED = "Hoe houden we bedrijven en scholen betrokken als het eerste enthousiasme voorbij is?"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LCGRAPH_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([LCGRAPH, *args], capture_output=True, text=True, env=env, timeout=300)


def as_json(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    body: dict[str, Any] = json.loads(done.stdout)
    return body


def seed_index(home: Path, like: SearchService) -> None:
    """Save an index for ``home``'s graph with the vectors the session service already computed."""
    settings = Settings(home=home)
    kg = KnowledgeGraph.open(settings)
    try:
        engine = SearchEngine(
            GraphSource(kg),
            embedder=like.engine.embedder,
            chunk_embedder=like.engine.chunk_embedder,
            directory=settings.index_path,
        )
        for channel in like.engine._channels:
            ids = channel.index.ids()
            if ids:
                engine.preload(channel.name, ids, channel.index.vectors(ids))
        service = SearchService(kg, engine)
        try:
            report = service.sync()
        finally:
            service.close()
        assert report.encoded["entities"] == 0, report
    finally:
        kg.close()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, search_service: SearchService) -> Path:
    home = tmp_path_factory.mktemp("lcgraph-search-home")
    loaded = run(home, "load")
    assert loaded.returncode == 0, loaded.stderr
    seed_index(home, search_service)
    return home


def test_search_json_with_filters(home: Path) -> None:
    """`lcgraph search --json` returns ranked, explained hits that respect the type and sector filters."""
    body = as_json(run(home, "search", NEED, "--type", "case", "--sector", "logistics", "-k", "5", "--json"))
    assert body["query"] == NEED and body["language"] == "nl"
    assert 0 < len(body["results"]) <= 5
    for hit in body["results"]:
        assert hit["item"]["type"] == "Case" and "sector-logistics" in hit["facets"]["sector"]
        assert hit["why"]


def test_similar_case_json(home: Path) -> None:
    """`lcgraph similar case/gas-erop --json` lists k other cases, each with an explanation."""
    body = as_json(run(home, "similar", "case/gas-erop", "-k", "3", "--json"))
    assert body["source"]["id"] == "case/gas-erop"
    assert len(body["results"]) == 3
    for item in body["results"]:
        assert item["item"]["type"] == "Case" and item["item"]["id"] != "case/gas-erop"
        assert item["explanation"]


def test_crossovers_json(home: Path) -> None:
    """`lcgraph crossovers --sector energy --json` suggests instruments whose evidence lies elsewhere."""
    body = as_json(run(home, "crossovers", NEED, "--sector", "energy", "-k", "5", "--json"))
    assert body["sector"] == "energy" and 0 < len(body["results"]) <= 5
    for result in body["results"]:
        assert result["reason"]
        for evidence in result["evidence"]:
            assert "sector-energy" not in {s["id"] for s in evidence["sectors"]}


def test_bad_input_is_exit_2_with_one_line(home: Path) -> None:
    """An unknown sector is invalid input: exit code 2 and one line on stderr that names it."""
    done = run(home, "crossovers", NEED, "--sector", "nonsense")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "nonsense" in lines[0], done.stderr
    assert done.stdout == ""


def test_unknown_case_is_exit_4(home: Path) -> None:
    """Similar cases of a case that does not exist: exit code 4 and one line naming it."""
    done = run(home, "similar", "case/no-such-case")
    assert done.returncode == 4, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-case" in lines[0], done.stderr


def test_serve_without_search_answers_503(home: Path) -> None:
    """`lcgraph serve --no-search` starts without loading models; search answers 503, the rest works."""
    port = free_port()
    env = {**os.environ, "LCGRAPH_HOME": str(home), "NO_COLOR": "1"}
    server = subprocess.Popen(
        [LCGRAPH, "serve", "--no-search", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stderr.read() if server.stderr else ""
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "lcgraph serve did not start"
            time.sleep(0.1)
        response = httpx.get(url + "/search", params={"q": "samen leren"}, timeout=10)
        assert response.status_code == 503
        assert response.headers["content-type"].startswith("application/problem+json")
        assert httpx.get(url + "/instruments", timeout=10).status_code == 200
        sparql = httpx.get(url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        assert sparql.status_code == 200  # its worker reads a store snapshot the server made
        snapshots = list((home / "sparql-snapshots").glob(f"{server.pid}-*"))
        assert snapshots
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    assert server.returncode is not None
    # SIGTERM closed the store (uvicorn re-raises the signal after its shutdown, so the app closes it):
    # the snapshots are gone, and the store was flushed rather than left to a log replay at the next start
    assert not [p for p in snapshots if p.exists()]
