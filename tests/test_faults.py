"""Faults made to happen for real, in-process: a database that is full (SQLite's own page cap,
the fault a full disk raises), damaged or empty; a search with a deadline; big seeds and bodies.

The same faults on a real full filesystem and with real daemons are in test_faults_e2e.py.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reader.config import RetentionSettings, SearchSettings, Settings
from reader.core import Reader
from reader.core.retention import PRUNE_BATCH, prune_old_items
from reader.daemon import Daemon
from reader.exceptions import (
    DatabaseCorruptError,
    DatabaseError,
    DatabaseReadOnlyError,
    DiskFullError,
    SearchTimeoutError,
    SeedFileError,
)
from reader.models import ItemFilter, ItemWrite
from reader.sources.seeds import import_seeds
from reader.store import SQLiteStore, Store
from reader.store.base import SEARCH_BODY_CHARS
from reader.update import update_feeds
from tests.conftest import SEEDS_DIR
from tests.loopback_server import LoopbackServer, loopback_server
from tests.test_daemon import fast_settings, rss, serve_feeds, wait_for

__all__ = ["loopback_server"]  # the fixture, imported for pytest

PROJECT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def sqlite_store(db_path: Path) -> Iterator[SQLiteStore]:
    """An SQLite store: the faults below are made with SQLite's own knobs."""
    with SQLiteStore(db_path) as opened:
        yield opened


def fill_database(store: SQLiteStore, spare_pages: int = 0) -> None:
    """Make the database full: it may grow by `spare_pages` pages, then every write that needs
    a new page fails with SQLITE_FULL, exactly as on a full disk."""
    conn = store._db.conn  # the store's own connection: the cap is per connection
    pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    conn.execute(f"PRAGMA max_page_count = {pages + spare_pages}")


def free_database(store: SQLiteStore) -> None:
    """Room again (as if space were freed on the disk)."""
    store._db.conn.execute("PRAGMA max_page_count = 1073741823")


def item(identity: str, text: str, **fields: object) -> ItemWrite:
    values: dict[str, object] = {
        "identity": identity,
        "title": f"Item {identity}",
        "link": None,
        "author": None,
        "published": NOW,
        "updated": None,
        "content_html": None,
        "text": text,
        "content_hash": f"{identity}-{len(text)}",
    }
    values.update(fields)
    return ItemWrite(**values)  # type: ignore[arg-type]


def reader_cli(db: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(db), *args],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**_clean_env(), **env},
    )


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("READER_")}


# -- the store names the database and the fault ----------------------------------------------


def test_a_full_database_is_a_disk_full_error_naming_the_file(sqlite_store: SQLiteStore) -> None:
    store = sqlite_store
    feed = store.add_feed("https://a.example/feed")
    fill_database(store)
    with pytest.raises(DiskFullError) as raised:
        store.write_items(feed.id, [item(str(n), "words " * 500) for n in range(200)], now=NOW)
    error = raised.value
    assert error.location == str(store.path.resolve())  # type: ignore[union-attr]
    assert str(error).startswith(f"database {error.location}: disk full; free space")
    assert store.count_items() == 0  # the transaction rolled back whole
    free_database(store)
    store.write_items(feed.id, [item("1", "words")], now=NOW)
    assert store.count_items() == 1


def test_a_read_only_database_says_so_and_what_to_do(db_path: Path) -> None:
    with SQLiteStore(db_path) as store:
        store.add_feed("https://a.example/feed")
    with SQLiteStore(db_path) as store:
        store._db.conn.execute("PRAGMA query_only = 1")  # SQLite refuses writes: SQLITE_READONLY
        with pytest.raises(DatabaseReadOnlyError, match="make the file and its folder writable"):
            store.add_feed("https://b.example/feed")


def damage(path: Path) -> None:
    """Overwrite stretches of a database file, as a failing disk or a bad copy would (at a
    few places, so the damage does not depend on which table the middle page holds)."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        for fraction in (0.3, 0.5, 0.7):
            offset = int(size * fraction)
            handle.seek(offset - offset % 4096)
            handle.write(b"\xde\xad\xbe\xef" * 4096)


def big_store(db_path: Path, items: int = 3000) -> None:
    with SQLiteStore(db_path) as store:
        feed = store.add_feed("https://a.example/feed")
        store.write_items(
            feed.id,
            [item(str(n), f"alliance summit talks {n} " * 40) for n in range(items)],
            now=NOW,
        )


def test_a_damaged_database_is_one_line_naming_it_and_reader_db_check(db_path: Path) -> None:
    big_store(db_path)
    damage(db_path)
    with SQLiteStore(db_path) as store, pytest.raises(DatabaseCorruptError) as raised:
        store.search("alliance", limit=5000)
    assert str(raised.value) == (
        f"database {db_path.resolve()}: database disk image is malformed;"
        " run `reader db check`, or restore the file from a copy"
    )

    searched = reader_cli(db_path, "search", "alliance", "--limit", "5000")
    assert searched.returncode == 1
    assert searched.stderr.splitlines() == [f"Error: {raised.value}"]

    checked = reader_cli(db_path, "db", "check")
    assert checked.returncode == 1
    assert "structure: " in checked.stdout and "problem(s):" in checked.stdout
    assert checked.stderr.startswith("Error: the database is damaged: restore it from a copy")


def test_a_file_that_is_not_a_database_is_named_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("shopping list: milk, eggs\n" * 100, encoding="utf-8")
    result = reader_cli(path, "feeds", "list")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Error: database {path}: file is not a database;"
        " check that it names a reader database, or restore it from a copy"
    ]
    assert "Traceback" not in result.stderr


def test_an_empty_file_given_as_db_becomes_a_new_database_and_says_so_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    first = reader_cli(path, "feeds", "list")
    assert first.returncode == 0
    assert first.stderr.splitlines() == [f"{path}: was an empty file; made a new database in it"]
    second = reader_cli(path, "feeds", "list")
    assert second.returncode == 0 and second.stderr == ""


def test_db_check_finds_an_index_out_of_step_and_rebuilds_it(db_path: Path) -> None:
    big_store(db_path, items=50)
    ok = reader_cli(db_path, "db", "check")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines()[1:] == ["structure: ok", "full-text index: ok"]
    # A writer that went around the store's triggers: the index still lists a gone row.
    with sqlite3.connect(db_path) as conn:
        conn.execute("DROP TRIGGER items_fts_delete")
        conn.execute("DELETE FROM items WHERE id = 1")
    broken = reader_cli(db_path, "db", "check")
    assert broken.returncode == 1
    assert "full-text index: does not match the items" in broken.stdout
    assert broken.stderr.strip().endswith("rebuild it with `reader db check --rebuild-index`")
    rebuilt = reader_cli(db_path, "db", "check", "--rebuild-index")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "full-text index: rebuilt from the items" in rebuilt.stdout


# -- an update on a full database -------------------------------------------------------------


async def test_an_update_stops_at_once_when_the_database_fills_and_keeps_what_was_committed(
    sqlite_store: SQLiteStore,
    loopback_server: LoopbackServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = sqlite_store
    urls = [loopback_server.feed(f"f{n}.xml", rss(f"f{n}", 40, words=300)) for n in range(60)]
    for url in urls:
        store.add_feed(url)
    fill_database(store, spare_pages=60)
    settings = fast_settings(loopback_server, tmp_path)

    with caplog.at_level(logging.INFO, logger="reader"):
        report = await update_feeds(store, settings)

    assert report.stopped_by is not None
    assert report.stopped_by.startswith(f"database {Path(store.path).resolve()}: disk full")
    assert report.checked + report.not_done == len(urls) and report.not_done > 0
    assert report.errors == ()  # a full database is no feed's fault
    stored = {f.url: f for f in store.get_feeds()}
    done = {r.url for r in report.results}
    assert sum(stored[u].item_count for u in done) == report.new == store.count_items()
    for url in set(urls) - done:  # left as they were: still due, no error, no validators
        assert stored[url].last_error is None and stored[url].last_checked is None
    assert not [r for r in caplog.records if r.exc_info]  # no traceback
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []

    free_database(store)
    again = await update_feeds(store, settings)
    assert again.stopped_by is None and again.errors == ()
    assert store.count_items() == 40 * len(urls)
    assert store.integrity_check() == "ok"


async def test_the_daemon_pauses_on_a_full_database_and_resumes_when_it_has_room(
    sqlite_store: SQLiteStore,
    loopback_server: LoopbackServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = sqlite_store
    serve_feeds(loopback_server, store, 20, items=30)
    fill_database(store)
    settings = fast_settings(loopback_server, tmp_path, max_backoff=1)
    daemon = Daemon(Reader(store, settings))
    with caplog.at_level(logging.INFO, logger="reader"):
        running = asyncio.create_task(daemon.run(handle_signals=False))
        await wait_for(lambda: daemon.storage_fault is not None)
        await asyncio.sleep(3.5)  # three or four pauses of a second
        hits_while_full = sum(loopback_server.hits.values())
        free_database(store)
        await wait_for(lambda: store.count_items() == 20 * 30)
        daemon.request_stop()
        await asyncio.wait_for(running, timeout=5)

    lines = [r.getMessage() for r in caplog.records if r.name == "reader.daemon"]
    pauses = [line for line in lines if "disk full" in line]
    assert 2 <= len(pauses) <= 6, lines  # one line per pause, not one per feed
    assert pauses[0].endswith("every job pauses for 1 s")
    assert "still failing: pausing again" in pauses[1]
    assert "the database takes writes again; jobs resume" in lines
    assert not [r for r in caplog.records if r.exc_info]
    # Paused means paused: only the first dispatch fetched (each feed at most once).
    assert hits_while_full <= 20
    assert store.integrity_check() == "ok"


# -- long jobs stop between batches ------------------------------------------------------------


def test_retention_prunes_in_batches_and_a_stop_keeps_the_batches_done(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    total = PRUNE_BATCH * 2 + 10
    store.write_items(feed.id, [item(str(n), "old news") for n in range(total)], now=NOW)
    store.mark_all_read()
    later = datetime(2026, 6, 1, tzinfo=UTC)
    settings = RetentionSettings(days=30, keep_per_feed=0)
    asked: list[int] = []

    def stop_after_first() -> bool:
        asked.append(1)
        return True

    assert prune_old_items(store, settings, later, should_stop=stop_after_first) == PRUNE_BATCH
    assert store.count_items() == total - PRUNE_BATCH
    assert len(store.get_item_versions(feed.id)) == total  # tombstones for the pruned
    assert prune_old_items(store, settings, later) == total - PRUNE_BATCH
    assert store.count_items() == 0


def test_a_stopped_topic_refresh_keeps_its_scores_and_goes_on_next_time(store: Store) -> None:
    from reader.topic.refresh import RESCORE_KEY, SCORE_BATCH, refresh_topic

    import_seeds(store, SEEDS_DIR)
    feed = store.add_feed("https://a.example/feed")
    store.write_items(
        feed.id, [item(str(n), "NATO allies meet") for n in range(SCORE_BATCH * 2)], now=NOW
    )
    calls: list[int] = []

    def stop_at_second_ask() -> bool:
        calls.append(1)
        return len(calls) >= 2

    report = refresh_topic(store, Settings(), should_stop=stop_at_second_ask)
    assert report.stopped and report.scored == 2 * SCORE_BATCH  # asked after each batch
    assert store.get_meta(RESCORE_KEY) is not None  # the re-scoring is not done yet
    scored = store.count_items(ItemFilter(min_score=0.0))
    assert scored == 2 * SCORE_BATCH
    finished = refresh_topic(store, Settings())
    assert not finished.stopped
    assert store.count_items(ItemFilter(min_score=0.0)) == store.count_items()


# -- bounded inputs ---------------------------------------------------------------------------


def test_a_seed_file_over_the_cap_is_named_and_the_others_are_imported(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "good.txt").write_text("Allies meet\n\nNATO ministers met in Brussels.\n")
    big = folder / "dump.txt"
    big.write_text("NATO allies met again. " * 100_000)  # 2.3 MB
    started = time.monotonic()
    report = import_seeds(store, folder, max_file_bytes=1024 * 1024)
    assert time.monotonic() - started < 5
    assert report.new == ("good.txt",)
    [error] = report.errors
    assert isinstance(error, SeedFileError) and error.path == big
    assert str(error) == (
        f"{big}: 2.2 MiB is over the 1.0 MiB cap on a seed file ([seeds] max_file_bytes);"
        " a seed is one article: split the file or raise the cap"
    )


def test_reader_seeds_import_reports_a_too_big_seed_and_exits_1(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "good.txt").write_text("Allies meet\n\nNATO ministers met in Brussels.\n")
    (folder / "dump.txt").write_bytes(b"NATO allies met again. " * 60_000)
    config = tmp_path / "reader.toml"
    config.write_text("[seeds]\nmax_file_bytes = 1000000\n")
    result = reader_cli(tmp_path / "r.db", "--config", str(config), "seeds", "import", str(folder))
    assert result.returncode == 1
    assert "seeds: 1 imported" in result.stdout
    assert f"Error: {folder / 'dump.txt'}: 1.3 MiB is over the 976.6 KiB cap" in result.stderr


def test_search_over_a_huge_stored_body_is_bounded_and_finds_its_start(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    # 6 MB in one body, as an old database or a raised cap may hold: the unbounded snippet
    # took over a minute on this, and grows with the square of the length.
    huge = "NATO allies meet in Brussels. " * 200_000
    store.write_items(
        feed.id, [item("huge", huge), item("small", "NATO summit in Vilnius")], now=NOW
    )
    started = time.monotonic()
    hits = store.search("nato", limit=10)
    assert time.monotonic() - started < 5
    assert {h.item.identity for h in hits} == {"huge", "small"}
    tail_word = "zanzibar"
    store.write_items(
        feed.id, [item("tail", "x " * SEARCH_BODY_CHARS + tail_word)], now=NOW
    )  # a word past the indexed part of a body is not searched
    assert store.search(tail_word) == []
    assert (store.get_item(store.get_item_ids(feed.id)["tail"]).text or "").endswith(tail_word)
    assert store.integrity_check() == "ok"


MANY = 20_000
"""Items enough for a query listing them all to outlast a one-millisecond deadline."""


def many_reports(store: Store) -> None:
    feed = store.add_feed("https://a.example/feed")
    store.write_items(feed.id, [item(str(n), f"report {n}") for n in range(MANY)], now=NOW)


def test_a_search_past_its_deadline_stops_and_says_so(store: Store) -> None:
    many_reports(store)
    with pytest.raises(SearchTimeoutError) as raised:
        store.search("-nato", limit=MANY, timeout=0.001)  # lists every item: a long query
    assert str(raised.value) == (
        "search '-nato' stopped after 0.001 s; try more specific words, or a field such as"
        " title:word"
    )
    assert len(store.search("-nato", limit=MANY, timeout=30.0)) == MANY  # in time: all there
    assert len(store.search("report", limit=5, timeout=30.0)) == 5


def test_the_reader_gives_searches_the_configured_deadline(store: Store) -> None:
    many_reports(store)
    quick = Reader(store, Settings(search=SearchSettings(timeout=0.001)))
    with pytest.raises(SearchTimeoutError):
        quick.search("-nato", limit=MANY)
    unlimited = Reader(store, Settings(search=SearchSettings(timeout=0)))
    assert len(unlimited.search("-nato", limit=MANY)) == MANY


def test_a_database_from_before_the_bound_is_reindexed_on_open(db_path: Path) -> None:
    from reader.store.sqlite import schema

    with SQLiteStore(db_path) as store:
        feed = store.add_feed("https://a.example/feed")
        store.write_items(feed.id, [item("small", "NATO summit")], now=NOW)
    # Back to the version before the bound: the old view and triggers, an unbounded body.
    with sqlite3.connect(db_path) as conn:
        for statement in schema._split(schema._V3):
            if statement.startswith(("CREATE VIEW", "CREATE TRIGGER items_fts_update")) or (
                statement.startswith(("CREATE TRIGGER items_fts_delete", "CREATE TRIGGER sources"))
            ):
                name = statement.split()[2]
                kind = "VIEW" if statement.startswith("CREATE VIEW") else "TRIGGER"
                conn.execute(f"DROP {kind} {name}")
                conn.execute(statement)
        conn.execute(
            "INSERT INTO items (source_id, identity, title, first_seen, sort_date, text)"
            " VALUES (?, 'big', 'Big', '2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z', ?)",
            (feed.id, "alliance " * 30_000 + "zanzibar"),
        )
        conn.execute(
            "INSERT INTO items_fts (rowid, title, author, source, body)"
            " SELECT id, title, author, source, body FROM items_search_text"
            " WHERE id = (SELECT id FROM items WHERE identity = 'big')"
        )
        before_the_bound = schema.MIGRATIONS.index(schema._apply_v7)
        conn.execute(f"PRAGMA user_version = {before_the_bound}")
    with SQLiteStore(db_path) as store:
        assert store.integrity_check() == "ok"
        assert [h.item.identity for h in store.search("alliance")] == ["big"]
        assert store.search("zanzibar") == []  # past the bound: no longer indexed
        assert store.check().ok


def test_database_errors_are_storage_errors_with_a_location(tmp_path: Path) -> None:
    error = DiskFullError("/x/reader.db", "disk full")
    assert isinstance(error, DatabaseError) and error.location == "/x/reader.db"
    assert str(error) == (
        "database /x/reader.db: disk full; free space on its disk (what was stored so far is kept)"
    )


def test_postgresql_errors_are_classified_as_the_sqlite_ones() -> None:
    psycopg = pytest.importorskip("psycopg")
    from reader.exceptions import DatabaseUnavailableError, StorageError
    from reader.store.postgres._db import database_error

    where = "postgresql://reader@db.example/reader"
    cases = {
        psycopg.errors.DiskFull("could not extend file: No space left on device"): DiskFullError,
        psycopg.errors.DataCorrupted("invalid page in block 7"): DatabaseCorruptError,
        psycopg.errors.ReadOnlySqlTransaction("read-only transaction"): DatabaseReadOnlyError,
        psycopg.errors.TooManyConnections("too many clients"): DatabaseUnavailableError,
    }
    for error, kind in cases.items():
        ours = database_error(error, where)
        assert type(ours) is kind and str(ours).startswith(f"database {where}: ")
    assert str(database_error(cases_key(cases, DiskFullError), where)).startswith(
        f"database {where}: disk full (could not extend file"
    )
    plain = database_error(psycopg.errors.UniqueViolation("duplicate key"), where)
    assert type(plain) is StorageError


def cases_key(cases: dict[object, type], kind: type) -> BaseException:
    return next(error for error, k in cases.items() if k is kind)  # type: ignore[return-value]


def test_a_read_only_postgresql_database_is_named_with_what_to_do(pg_url: str) -> None:
    import psycopg

    from reader.store.postgres import PostgresStore
    from reader.store.urls import redact

    name = psycopg.conninfo.conninfo_to_dict(pg_url)["dbname"]
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    try:
        with pytest.raises(DatabaseReadOnlyError) as raised:
            PostgresStore(pg_url)  # opening writes (the schema check) and is refused
        assert str(raised.value).startswith(f"database {redact(pg_url)}: cannot execute")
        assert str(raised.value).endswith("point --db at a writable database")
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SET default_transaction_read_only = off")
            admin.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
