"""The application layer (`reader.core`): the use cases as the CLI, the reader and the daemon
call them, on a real SQLite file and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from reader.cli.main import cli
from reader.config import FeedsSettings, FetchSettings, RetentionSettings, SeedsSettings, Settings
from reader.core import Reader, database_file, make_reader
from reader.core.lock import DaemonLock
from reader.exceptions import FeedNotFoundError, StorageError
from reader.models import FeedUpdate, ItemWrite
from reader.store import SQLiteStore
from tests.loopback_server import LoopbackServer, loopback_server

from .conftest import PROJECT, SEEDS_DIR

__all__ = ["loopback_server"]

STARTING_FEEDS = PROJECT / "config" / "feeds.opml"


def rss(name: str, count: int) -> bytes:
    items = "".join(
        f"<item><guid>{name}-{n}</guid><title>{name} {n}</title>"
        f"<link>https://example.org/{name}/{n}</link></item>"
        for n in range(count)
    )
    return f'<rss version="2.0"><channel><title>{name}</title>{items}</channel></rss>'.encode()


def test_a_store_opens_from_a_path_a_sqlite_url_or_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    with make_reader(path, settings=Settings()) as reader:
        reader.add_feed("https://example.org/feed.xml")
    with make_reader(f"sqlite:///{path}", settings=Settings()) as reader:
        assert [f.url for f in reader.get_feeds()] == ["https://example.org/feed.xml"]
        assert reader.location == f"sqlite:///{path}"
    settings = Settings(database=replace(Settings().database, path=str(path)))
    with make_reader(settings=settings) as reader:
        assert len(reader.get_feeds()) == 1


def test_an_unknown_database_url_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="unsupported database URL scheme 'nosuch'"):
        make_reader("nosuch://db.example/reader", settings=Settings())


def test_db_option_takes_a_url_and_reports_an_unknown_scheme_in_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "r.db"
    result = runner.invoke(
        cli, ["--db", f"sqlite:///{path}", "feeds", "add", "--as-is", "https://e.org/f"]
    )
    assert result.exit_code == 0, result.output
    assert path.is_file()
    result = runner.invoke(cli, ["--db", "nosuch://host/db", "feeds", "list"])
    assert result.exit_code != 0
    assert "unsupported database URL scheme" in str(result.exception)


def test_database_file_is_none_for_a_server_url() -> None:
    assert database_file("/tmp/r.db") == Path("/tmp/r.db")
    assert database_file("sqlite:////tmp/r.db") == Path("/tmp/r.db")
    assert database_file("postgresql://db.example/reader") is None


def start_settings(tmp_path: Path, *, seeds: Path = SEEDS_DIR) -> Settings:
    return Settings(
        seeds=SeedsSettings(dir=str(seeds)), feeds=FeedsSettings(opml=str(STARTING_FEEDS))
    )


def test_start_up_imports_seeds_and_subscribes_the_starting_list_only_once(
    store: SQLiteStore, tmp_path: Path
) -> None:
    reader = Reader(store, start_settings(tmp_path))
    first = reader.start_up()
    assert first.seeds is not None and len(first.seeds.seeds.new) == 5
    assert first.seeds.topic.rebuilt and first.seeds.topic.scored == 5
    assert first.feeds is not None and len(first.feeds.added) >= 20
    removed = first.feeds.added[0]
    reader.remove_feed(removed)

    second = reader.start_up()

    assert second.seeds is not None and len(second.seeds.seeds.unchanged) == 5
    assert second.feeds is None and second.feeds_error is None
    assert removed not in {feed.url for feed in reader.get_feeds()}  # a removal sticks


def test_start_up_without_a_seeds_folder_still_subscribes(
    store: SQLiteStore, tmp_path: Path
) -> None:
    reader = Reader(store, start_settings(tmp_path, seeds=tmp_path / "none"))
    report = reader.start_up()
    assert report.seeds is None
    assert report.seeds_error is not None and "no such folder" in report.seeds_error
    assert report.feeds is not None and report.feeds.added


def test_feeds_to_update_are_the_due_ones_all_enabled_or_the_named(store: SQLiteStore) -> None:
    reader = Reader(store, Settings())
    due = reader.add_feed("https://a.example/feed")
    later = reader.add_feed("https://b.example/feed")
    off = reader.add_feed("https://c.example/feed")
    now = datetime.now(UTC)
    store.update_feed(later.url, FeedUpdate(checked=now, next_check=now + timedelta(hours=1)))
    store.set_feed_enabled(off.url, False)

    assert [f.url for f in reader.feeds_to_update()] == [due.url]
    assert {f.url for f in reader.feeds_to_update(due_only=False)} == {due.url, later.url}
    assert [f.url for f in reader.feeds_to_update([off.url])] == [off.url]
    with pytest.raises(FeedNotFoundError):
        reader.feeds_to_update(["https://nowhere.example/feed"])


def test_an_update_session_serves_several_updates_with_one_parser(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    settings = Settings(
        fetch=FetchSettings(allow=(loopback_server.authority,), timeout=5.0, parse_workers=1)
    )
    reader = Reader(store, settings)
    url = loopback_server.feed("one.xml", rss("one", 2))
    reader.add_feed(url)

    async def twice() -> tuple[int, int, tuple[int, ...], tuple[int, ...]]:
        async with reader.update_session() as session:
            first = await session.update_feeds()
            workers = session.parser_pids
            loopback_server.set_body("one.xml", rss("one", 3))
            second = await session.update_feeds(reader.feeds_to_update([url]))
            return first.new, second.new, workers, session.parser_pids

    first_new, second_new, workers_before, workers_after = asyncio.run(twice())
    assert (first_new, second_new) == (2, 1)
    assert len(workers_before) == 1 and workers_after == workers_before
    assert all(item.score is not None for item in reader.get_items())  # scored as stored


def test_a_single_update_session_stops_its_parser_workers_once_the_update_is_done(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    settings = Settings(
        fetch=FetchSettings(allow=(loopback_server.authority,), timeout=5.0, parse_workers=1)
    )
    reader = Reader(store, settings)
    reader.add_feed(loopback_server.feed("one.xml", rss("one", 2)))
    during: list[int] = []

    async def once() -> tuple[int, tuple[int, ...]]:
        async with reader.update_session(single=True) as session:
            report = await session.update_feeds(
                on_result=lambda _result: during.extend(session.parser_pids)
            )
            return report.new, session.parser_pids  # the session is still open

    new, after = asyncio.run(once())
    assert new == 2
    assert len(during) == 1 and after == () and _gone(during[0])


def test_a_session_whose_update_will_parse_starts_its_parser_workers_at_once(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    settings = Settings(
        fetch=FetchSettings(allow=(loopback_server.authority,), timeout=5.0, parse_workers=1)
    )
    reader = Reader(store, settings)
    reader.add_feed(loopback_server.feed("one.xml", rss("one", 2)))

    async def once() -> tuple[tuple[int, ...], tuple[int, ...], int]:
        session = reader.update_session(parse_soon=True)
        spawned = session.parser_pids  # before the session is even entered
        async with session:
            report = await session.update_feeds()
            return spawned, session.parser_pids, report.new

    spawned, after, new = asyncio.run(once())
    assert len(spawned) == 1 and after == spawned and new == 2


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_status_names_the_daemon_holding_the_database(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with make_reader(path, settings=Settings()) as reader:
        reader.add_feed("https://a.example/feed")
        assert reader.status().daemon_pid is None
        lock = reader.daemon_lock()
        assert isinstance(lock, DaemonLock)
        with lock:
            status = reader.status(next_checks=3)
        assert status.daemon_pid is not None and status.daemon_pid > 0
        assert status.location == str(path)
        assert status.stats.feeds == 1
        assert [f.url for f in status.next_checks] == ["https://a.example/feed"]


def test_prune_follows_the_retention_settings(store: SQLiteStore) -> None:
    feed = store.add_feed("https://a.example/feed")
    long_ago = datetime.now(UTC) - timedelta(days=10)
    old = [
        ItemWrite(
            identity=f"old-{n}",
            title=f"old {n}",
            link=None,
            author=None,
            published=long_ago,
            updated=None,
            content_html=None,
            text="old",
            content_hash=f"h{n}",
        )
        for n in range(3)
    ]
    store.write_items(feed.id, old, now=long_ago)
    store.mark_all_read()
    assert Reader(store, Settings()).prune() == 0  # days = 0: retention is off
    reader = Reader(store, Settings(retention=RetentionSettings(days=5, keep_per_feed=1)))
    assert reader.prune() == 2  # the newest one of the feed stays
    assert reader.count_items() == 1
