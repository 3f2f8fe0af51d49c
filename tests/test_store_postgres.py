"""What only the PostgreSQL backend has: connections that come back, its search syntax
compiled to tsquery, notifications, the schema version, the copy from SQLite, and its story
index (migrated, and grouping as SQLite's does)."""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from bench.topic_data import corpus_news, splits
from reader.cli.main import cli
from reader.config import Settings
from reader.exceptions import StorageError
from reader.models import FeedUpdate, ItemFilter, ItemLink, ItemWrite, LinkKind, SortOrder
from reader.query import parse_query
from reader.store import PostgresStore, SQLiteStore, Store, open_store
from reader.store.postgres import schema
from reader.store.postgres.importer import TABLES
from reader.store.postgres.schema import SCHEMA_VERSION
from reader.store.postgres.tsquery import TsQuery, compile_tsquery
from reader.topic import refresh_topic
from tests.conftest import needs_corpus
from tests.pg_cluster import PostgresCluster, free_port
from tests.test_store import item
from tests.test_stories import LATER, WASHINGTON, add_feed_items

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def pg(pg_url: str) -> PostgresStore:
    with open_store(pg_url) as opened:
        assert isinstance(opened, PostgresStore)
        yield opened


def terminate_other_connections(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


# -- connections ------------------------------------------------------------------------------


def test_an_unreachable_server_at_start_is_one_clear_error() -> None:
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/reader"
    with pytest.raises(StorageError, match=r"^cannot use the PostgreSQL database .*refused"):
        open_store(url)


def test_the_password_never_shows_in_errors() -> None:
    url = f"postgresql://someone:s3cret@127.0.0.1:{free_port()}/reader"
    with pytest.raises(StorageError) as caught:
        open_store(url)
    assert "s3cret" not in str(caught.value) and "someone:***@" in str(caught.value)


def test_dropped_connections_are_replaced_with_one_log_line_and_nothing_lost(
    pg: PostgresStore, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    feed = pg.add_feed("https://example.com/feed")
    pg.write_items(feed.id, [item("a")], now=NOW)
    assert terminate_other_connections(pg_url) >= 1
    with caplog.at_level(logging.WARNING, logger="reader.store.postgres"):
        counts = pg.write_items(feed.id, [item("a"), item("b")], now=NOW)
        assert pg.count_items() == 2
    assert (counts.new, counts.updated) == (1, 0)
    lines = [r.getMessage() for r in caplog.records if "reconnected" in r.getMessage()]
    assert len(lines) == 1 and "database connection lost" in lines[0]


def test_a_server_restart_mid_use_is_survived(
    pg_cluster: PostgresCluster, pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    if os.environ.get("READER_TEST_PG_URL"):
        pytest.skip("restarts only the test suite's own cluster")
    with open_store(pg_url) as store:
        feed = store.add_feed("https://example.com/feed")
        restart = threading.Thread(target=pg_cluster.restart)
        written = 0
        with caplog.at_level(logging.WARNING, logger="reader.store.postgres"):
            restart.start()
            while restart.is_alive() or written < 5:  # writes go on through the restart
                store.write_items(feed.id, [item(f"i{written}")], now=NOW)
                written += 1
        restart.join()
        assert store.count_items() == written
        assert store.integrity_check() == "ok"
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "reconnected" in lines[0], lines


# -- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "compiled"),
    [
        ("liaison office", "('liaison' & 'office')"),
        ('"Asia Desk" weather', "('Asia Desk' & 'weather')"),
        ("liais*", "'liais':*"),
        ("source:second edited", "('second':B & 'edited')"),
        ('title:"nato summit"*', "'nato summit':*A"),
        ("a OR b c", "('a' | ('b' & 'c'))"),
        ("a -b", "('a' & !'b')"),
        ("(a OR b) AND c", "(('a' | 'b') & 'c')"),
        ("NEAR(tokyo nato, 5)", "('tokyo' & 'nato')"),
        ("it's Indo-Pacific", "('it''s' & 'Indo-Pacific')"),
        ("back\\slash", "'back\\\\slash'"),
        ("author:(smith OR jones)", "('smith':C | 'jones':C)"),
    ],
)
def test_parsed_queries_compile_to_tsquery_text(query: str, compiled: str) -> None:
    assert compile_tsquery(parse_query(query), query) == TsQuery(compiled)


def test_only_exclusions_compile_to_everything_but_them() -> None:
    assert compile_tsquery(parse_query("-nato -greenland"), "") == TsQuery(
        "('nato' | 'greenland')", excluding=True
    )


def test_not_alone_lists_every_other_item_newest_first(store: Store) -> None:
    feed = store.add_feed("https://example.com/feed")
    store.write_items(
        feed.id,
        [
            item("old", text="weather", published=NOW - timedelta(days=2)),
            item("nato", text="nato summit"),
            item("new", text="markets", published=NOW),
        ],
        now=NOW - timedelta(days=1),
    )
    assert [h.item.identity for h in store.search("NOT nato")] == ["new", "old"]
    assert all(h.rank == 0.0 for h in store.search("-nato"))


def test_search_finds_stop_words_and_folds_accents_as_sqlite_does(store: Store) -> None:
    feed = store.add_feed("https://example.com/feed")
    store.write_items(
        feed.id,
        [item("band", title="The Who live"), item("cafe", title="Café talks in Zürich")],
        now=NOW,
    )
    assert [h.item.identity for h in store.search('"the who"')] == ["band"]
    assert [h.item.identity for h in store.search("cafe zurich")] == ["cafe"]


def test_search_stems_english_words_on_both_backends(store: Store) -> None:
    feed = store.add_feed("https://example.com/feed")
    store.write_items(feed.id, [item("a", text="ministers were meeting on sanctions")], now=NOW)
    assert [h.item.identity for h in store.search("minister meets sanction")] == ["a"]


def test_integrity_check_finds_a_stale_search_index(pg: PostgresStore, pg_url: str) -> None:
    feed = pg.add_feed("https://example.com/feed")
    pg.write_items(feed.id, [item("a"), item("b")], now=NOW)
    assert pg.integrity_check() == "ok"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE items SET search = to_tsvector('simple', 'nonsense') WHERE id = 1")
    assert pg.integrity_check() == "1 items whose search index is stale"


# -- schema and notification ------------------------------------------------------------------


def test_a_database_from_a_newer_program_is_refused(pg: PostgresStore, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION + 1,))
    try:
        with pytest.raises(StorageError, match="newer than this program"):
            open_store(pg_url)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION,))


def test_every_write_notifies_listeners_after_commit(pg: PostgresStore, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as listener:
        listener.execute("LISTEN reader_changes")
        before = pg.change_counter()
        pg.add_feed("https://example.com/feed")
        heard = [n.payload for n in listener.notifies(timeout=5, stop_after=1)]
    assert heard == [str(before + 1)] and pg.change_counter() == before + 1


def test_two_stores_writing_one_feed_at_once_never_duplicate(pg_url: str) -> None:
    with open_store(pg_url) as one, open_store(pg_url) as two:
        feed = one.add_feed("https://example.com/feed")
        batch = [item(f"n{n}") for n in range(50)]
        results: list[int] = []
        threads = [
            threading.Thread(
                target=lambda s=s: results.append(s.write_items(feed.id, batch, now=NOW).new)
            )
            for s in (one, two)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [0, 50] and one.count_items() == 50


# -- the copy from SQLite ---------------------------------------------------------------------


def fill_everything(store: Store) -> None:
    """Feeds with tags, items with marks, tags, scores, enclosures, a story, a tombstone, meta."""
    one = store.add_feed("https://one.example/feed", title="One", tags=["Asia"])
    two = store.add_feed("https://two.example/feed")
    store.update_feed(
        two.url, FeedUpdate(checked=NOW, title="Two", next_check=NOW + timedelta(hours=1))
    )
    store.write_items(one.id, [item(x, published=NOW - timedelta(days=3)) for x in "abcd"], now=NOW)
    podcast = ItemLink("https://cdn.example/e.mp3", LinkKind.ENCLOSURE, "audio/mpeg", 1234)
    store.write_items(
        two.id, [item("e", source_names=("Reuters", "AP"), enclosures=(podcast,))], now=NOW
    )
    ids = {i.identity: i.id for i in store.get_items()}
    store.mark_items([ids["a"], ids["b"]], read=True)
    store.mark_items([ids["c"]], starred=True)
    store.add_tags(ids["d"], ["Japan", "liaison office"])
    store.set_scores({ids["a"]: (0.9, ["nato", "japan"]), ids["e"]: (0.4, [])})
    store.set_stories([("Same event", [ids["c"], ids["e"]])])
    store.prune_items(NOW + timedelta(days=1))  # "a" and "b" become tombstones
    store.seeds_source()
    store.set_meta("topic.profile", "abc123")


def snapshot(store: Store) -> dict[str, object]:
    """Everything a user can see through the store API."""
    feeds = store.get_feeds(include_seeds=True)
    return {
        "feeds": feeds,
        "items": store.get_items(sort=SortOrder.OLDEST, with_content=True),
        "tags": store.get_tags(),
        "stories": store.get_stories(min_sources=1),
        "versions": {f.url: store.get_item_versions(f.id) for f in feeds},
        "meta": store.get_meta("topic.profile"),
        "search": sorted(h.item.id for h in store.search("text")),  # ranks differ by backend
    }


def test_db_migrate_copies_everything_and_the_copy_reads_the_same(
    db_path: Path, pg_url: str
) -> None:
    with SQLiteStore(db_path) as lite:
        fill_everything(lite)
        before = snapshot(lite)

    result = CliRunner().invoke(cli, ["--db", str(db_path), "db", "migrate", "--to", pg_url])

    assert result.exit_code == 0, result.output
    assert "items: 3 rows" in result.output and "deleted_items: 2 rows" in result.output
    with open_store(pg_url) as pg:
        assert snapshot(pg) == before
        assert pg.integrity_check() == "ok"
        assert pg.count_items(ItemFilter(starred=True)) == 1
        feed = pg.get_feed("https://two.example/feed")
        pg.write_items(feed.id, [item("f")], now=NOW)  # new ids follow the copied ones
        assert pg.get_item_ids(feed.id)["f"] > max(i.id for i in before["items"])  # type: ignore[attr-defined]


def test_db_migrate_refuses_a_target_that_holds_feeds_and_keeps_it(
    db_path: Path, pg: PostgresStore, pg_url: str
) -> None:
    with SQLiteStore(db_path) as lite:
        lite.add_feed("https://one.example/feed")
    pg.add_feed("https://already.example/feed")
    result = CliRunner().invoke(cli, ["--db", str(db_path), "db", "migrate", "--to", pg_url])
    assert isinstance(result.exception, StorageError)
    assert "is not empty (sources: 1 rows); copy into an empty database" in str(result.exception)
    assert [f.url for f in pg.get_feeds()] == ["https://already.example/feed"]


def test_the_copy_names_every_sqlite_table(db_path: Path) -> None:
    import sqlite3

    SQLiteStore(db_path).close()
    conn = sqlite3.connect(db_path)
    tables = {
        r[0]
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not r[0].startswith(("sqlite_", "items_fts"))
    }
    conn.close()
    assert tables == {t.sqlite_name for t in TABLES}


# -- the story index --------------------------------------------------------------------------


def _story_index_key(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT a.attname FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid"
            " AND a.attnum = ANY(x.indkey) WHERE x.indrelid = 'story_postings'::regclass"
            " AND x.indisprimary ORDER BY array_position(x.indkey::int2[], a.attnum)"
        ).fetchall()
    return [str(r[0]) for r in rows]


def _postings(url: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT day, term, item_id, source_id, weight FROM story_postings"
            " ORDER BY item_id, term"
        ).fetchall()


def _rewind_to_the_term_ordered_index(url: str) -> None:
    """The story index as schema version 8 finds it (by term first), and the version before."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE old_postings (term text NOT NULL, day integer NOT NULL,"
            " item_id bigint NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
            " source_id bigint NOT NULL, weight double precision NOT NULL,"
            " PRIMARY KEY (term, day, item_id));"
            " INSERT INTO old_postings SELECT term, day, item_id, source_id, weight"
            "  FROM story_postings;"
            " DROP TABLE story_postings;"
            " ALTER TABLE old_postings RENAME TO story_postings;"
            " CREATE INDEX story_postings_by_item ON story_postings (item_id);"
        )
        version = schema.MIGRATIONS.index(schema._apply_v8)
        conn.execute("UPDATE schema_version SET version = %s", (version,))


def test_an_older_database_gets_its_story_index_keyed_by_day_on_open(pg_url: str) -> None:
    with open_store(pg_url) as store:
        add_feed_items(store, "https://reuters.example/feed", [WASHINGTON[0]])
        refresh_topic(store, Settings(), now=LATER)
    rows = _postings(pg_url)
    assert _story_index_key(pg_url) == ["day", "term", "item_id"] and rows
    _rewind_to_the_term_ordered_index(pg_url)
    assert _story_index_key(pg_url) == ["term", "day", "item_id"]
    with open_store(pg_url) as store:
        assert _story_index_key(pg_url) == ["day", "term", "item_id"]
        assert _postings(pg_url) == rows
        assert store.integrity_check() == "ok"
        # The index still finds the stored report for a new one.
        add_feed_items(store, "https://gt.example/feed", [WASHINGTON[1]])
        refresh_topic(store, Settings(), now=LATER)
        assert [sorted(i.identity for i in s.items) for s in store.get_stories()] == [
            ["gt-1", "reuters-1"]
        ]
    assert set(rows) < set(_postings(pg_url))


def _group_news_a_day_at_a_time(store: Store, first: date, last: date) -> list[list[str]]:
    """The tuned sources' real news of these days, written and grouped a day at a time (each
    source's items of the day in one write, a refresh after each day) as the daemon would;
    the stories it makes, as their items' identities."""
    sources = sorted(set(splits()["story_sources"]["tuned"]))
    news = [
        n for n in corpus_news() if n.path in sources and n.date and first <= n.date.date() <= last
    ]
    by_day: dict[date, dict[str, list[ItemWrite]]] = {}
    for number, found in enumerate(news):
        title, _, rest = found.text.partition("\n")
        write = ItemWrite(str(number), title, None, None, found.date, None, None, rest, str(number))
        assert found.date is not None
        by_day.setdefault(found.date.date(), {}).setdefault(found.path, []).append(write)
    feeds = {path: store.add_feed(f"http://corpus.invalid/{path}").id for path in sources}
    later = datetime(2026, 11, 1, tzinfo=UTC)
    for day in sorted(by_day):
        for path, writes in by_day[day].items():
            store.write_items(feeds[path], writes, now=later)
        refresh_topic(store, Settings(), now=later)
    return sorted(sorted(i.identity for i in s.items) for s in store.get_stories(min_sources=1))


@needs_corpus
def test_both_backends_group_the_same_real_news_into_the_same_stories(
    db_path: Path, pg_url: str
) -> None:
    first, last = date(2026, 2, 12), date(2026, 2, 18)  # the Munich conference week, 277 items
    with SQLiteStore(db_path) as lite:
        expected = _group_news_a_day_at_a_time(lite, first, last)
    with open_store(pg_url) as pg:
        found = _group_news_a_day_at_a_time(pg, first, last)
    assert sum(len(story) > 1 for story in expected) >= 10
    assert found == expected


def test_db_migrate_unpacks_the_story_index_into_one_row_per_key_term(
    db_path: Path, pg_url: str
) -> None:
    from reader.models import StoryChanges

    with SQLiteStore(db_path) as lite:
        feed = lite.add_feed("https://one.example/feed")
        lite.write_items(feed.id, [item("a"), item("b")], now=NOW)
        ids = sorted(lite.get_item_ids(feed.id).values())
        keys = ((ids[0], feed.id, 19000, "summit", 0.8), (ids[0], feed.id, 19000, "geneva", 0.6))
        keys += ((ids[1], feed.id, 19001, "summit", 1.0),)
        lite.apply_story_changes(StoryChanges(grouped=tuple(ids), postings=keys))
        stored = lite.story_index(18990, 19010)
    result = CliRunner().invoke(cli, ["--db", str(db_path), "db", "migrate", "--to", pg_url])
    assert result.exit_code == 0, result.output
    assert "story_postings: 3 rows" in result.output
    with open_store(pg_url) as pg:
        assert pg.story_index(18990, 19010) == stored
