"""Shared fixtures: a real store (SQLite file, PostgreSQL database) per test, the seeds, the
corpus, and a throwaway PostgreSQL cluster for the session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.store import Store, open_store
from tests.pg_cluster import ClusterUnavailable, PostgresCluster

PROJECT = Path(__file__).resolve().parents[1]
SEEDS_DIR = PROJECT / "seeds"
CORPUS = PROJECT.parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"shared corpus not present at {CORPUS} (only in the dev workspace)"
)

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "reader.db"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """A PostgreSQL server of our own for the whole session, removed afterwards."""
    try:
        cluster = PostgresCluster()
    except ClusterUnavailable as exc:
        pytest.skip(str(exc))
    try:
        try:
            cluster.start()
        except ClusterUnavailable as exc:
            pytest.skip(str(exc))
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def pg_server_url(request: pytest.FixtureRequest) -> str:
    """A database the tests may wipe: READER_TEST_PG_URL, else one in our own cluster."""
    url = os.environ.get("READER_TEST_PG_URL")
    if url:
        return url
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database("reader_test")


def fresh_pg_database(request: pytest.FixtureRequest, name: str) -> str:
    """A new, empty database `name` in the session's own cluster, for a longer-lived store."""
    if os.environ.get("READER_TEST_PG_URL"):
        pytest.skip("needs the test session's own PostgreSQL cluster (READER_TEST_PG_URL is set)")
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    return cluster.create_database(name)


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    """The test database, emptied: every table but the schema version, ids from 1 again."""
    import psycopg

    open_store(pg_server_url).close()  # created and migrated on first use
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " AND tablename <> 'schema_version'"
            )
        ]
        conn.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        conn.execute("INSERT INTO changes (counter) VALUES (0)")
    return pg_server_url


@pytest.fixture(params=BACKENDS)
def store_location(request: pytest.FixtureRequest, db_path: Path) -> Path | str:
    """Where the test's store lives, once per backend."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return db_path


@pytest.fixture
def store(store_location: Path | str) -> Iterator[Store]:
    with open_store(store_location) as opened:
        yield opened


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep tests away from the user's own database, settings and logs."""
    monkeypatch.delenv("READER_DB", raising=False)
    monkeypatch.delenv("READER_CONFIG", raising=False)
    monkeypatch.delenv("READER_FETCH_ALLOW", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def corpus_rows() -> list[list[str]]:
    """MANIFEST.tsv rows: local path, source repo, path in repo, license, kind."""
    if not CORPUS.is_dir():
        return []
    text = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip()]
