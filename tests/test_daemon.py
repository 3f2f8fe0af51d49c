"""The daemon in-process: dispatch batches, extra jobs, stopping, retention and the lock.

Real parts throughout: a SQLite file, the real update pipeline and a loopback HTTP server.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from reader.config import FetchSettings, LogSettings, RetentionSettings, ScheduleSettings, Settings
from reader.core import Reader
from reader.core.lock import DaemonLock, daemon_pid, lock_path_for
from reader.core.retention import retention_cutoff
from reader.daemon import Daemon, PeriodicJob
from reader.exceptions import StoreLockedError
from reader.models import FeedUpdate, ItemFilter, ItemWrite
from reader.store import SQLiteStore
from tests.loopback_server import LoopbackServer, loopback_server

__all__ = ["loopback_server"]  # the fixture, imported for pytest

BASE_DATE = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)

FAST_SCHEDULE = ScheduleSettings(
    interval=1, min_interval=1, max_interval=1, dispatch_every=1, batch_size=100, max_backoff=2
)


def rss(name: str, count: int, *, start: int = 0, words: int = 12) -> bytes:
    """An RSS 2.0 document with items ``start .. start+count-1``, newest first."""
    entries = []
    for number in reversed(range(start, start + count)):
        published = format_datetime(BASE_DATE + timedelta(hours=number))
        body = " ".join(f"{name}-word{k}" for k in range(words))
        entries.append(
            f"<item><guid>urn:test:{escape(name)}-{number}</guid>"
            f"<title>{escape(name)} item {number}</title>"
            f"<link>https://example.org/{escape(name)}/{number}</link>"
            f"<pubDate>{published}</pubDate><description>{body}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(name)}</title><link>https://example.org/{escape(name)}</link>"
        + "".join(entries)
        + "</channel></rss>"
    ).encode()


def fast_settings(server: LoopbackServer, tmp_path: Path, **schedule: int) -> Settings:
    """Settings for tests: 1-second intervals, one parse worker, the loopback server allowed."""
    return Settings(
        fetch=FetchSettings(
            allow=(server.authority,), parse_workers=1, timeout=5.0, connect_timeout=2.0
        ),
        schedule=replace(FAST_SCHEDULE, **schedule),
        log=LogSettings(file=str(tmp_path / "reader.log")),
    )


def serve_feeds(
    server: LoopbackServer, store: SQLiteStore, count: int, items: int = 3
) -> list[str]:
    urls = []
    for index in range(count):
        url = server.feed(f"feed{index}.xml", rss(f"feed{index}", items))
        store.add_feed(url)
        urls.append(url)
    return urls


def kept_numbers(store: SQLiteStore, source_id: int) -> list[int]:
    """The item numbers (from `rss`) a feed has in the store."""
    return sorted(int(identity.rsplit("-", 1)[1]) for identity in store.get_item_ids(source_id))


async def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll `condition` (off the loop, it may touch the store) until it holds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(condition):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.05)


# -- dispatch --------------------------------------------------------------------------------


async def test_dispatch_takes_due_feeds_in_bounded_batches_until_none_are_due(
    store: SQLiteStore, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    serve_feeds(loopback_server, store, 5)
    settings = fast_settings(loopback_server, tmp_path, batch_size=2, interval=3600)
    settings = replace(settings, schedule=replace(settings.schedule, max_interval=3600))
    daemon = Daemon(Reader(store, settings))

    report = await daemon.dispatch()

    assert report is not None
    assert daemon.dispatches == 3  # batches of 2, 2 and 1
    assert store.count_items() == 15
    assert store.get_due_feeds(datetime.now(UTC)) == []
    assert await daemon.dispatch() is None  # nothing due: no update at all
    assert daemon.dispatches == 3


async def test_dispatch_leaves_feeds_that_are_not_due_alone(
    store: SQLiteStore, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    due_url, later_url = serve_feeds(loopback_server, store, 2)
    later = datetime.now(UTC) + timedelta(hours=1)
    store.update_feed(later_url, FeedUpdate(checked=datetime.now(UTC), next_check=later))

    await Daemon(Reader(store, fast_settings(loopback_server, tmp_path))).dispatch()

    assert loopback_server.hits["feed0.xml"] == 1
    assert loopback_server.hits["feed1.xml"] == 0
    assert store.get_feed(due_url).item_count == 3
    assert store.get_feed(later_url).item_count == 0


async def test_running_daemon_picks_up_changed_feeds_and_stops_on_request(
    store: SQLiteStore, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    serve_feeds(loopback_server, store, 2)
    daemon = Daemon(Reader(store, fast_settings(loopback_server, tmp_path)))
    running = asyncio.create_task(daemon.run(handle_signals=False))

    await wait_for(lambda: store.count_items() == 6)
    loopback_server.set_body("feed1.xml", rss("feed1", 5))
    await wait_for(lambda: store.count_items() == 8)
    daemon.request_stop()
    await asyncio.wait_for(running, timeout=5)

    titles = {item.title for item in store.get_items(ItemFilter(source="feed1"))}
    assert {"feed1 item 3", "feed1 item 4"} <= titles
    assert store.integrity_check() == "ok"


async def test_running_daemon_reuses_one_set_of_parser_workers_and_stops_them(
    store: SQLiteStore, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    serve_feeds(loopback_server, store, 2)
    daemon = Daemon(Reader(store, fast_settings(loopback_server, tmp_path)))
    running = asyncio.create_task(daemon.run(handle_signals=False))

    await wait_for(lambda: store.count_items() == 6)
    workers = daemon.session.parser_pids
    assert len(workers) == 1
    loopback_server.set_body("feed0.xml", rss("feed0", 4))
    await wait_for(lambda: store.count_items() == 7)
    assert daemon.session.parser_pids == workers  # a later dispatch, the same worker
    daemon.request_stop()
    await asyncio.wait_for(running, timeout=5)

    assert daemon.session is None
    for pid in workers:  # stopped and reaped with the daemon
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def test_stop_cancels_a_stuck_update_and_the_feed_stays_due(
    store: SQLiteStore, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    slow_url = loopback_server.drip("slow.xml", rss("slow", 2), interval=0.5)
    store.add_feed(slow_url)
    daemon = Daemon(Reader(store, fast_settings(loopback_server, tmp_path)), shutdown_grace=0.3)
    running = asyncio.create_task(daemon.run(handle_signals=False))

    await wait_for(lambda: loopback_server.hits["slow.xml"] >= 1)
    daemon.request_stop()
    await asyncio.wait_for(running, timeout=5)

    assert store.count_items() == 0
    assert [feed.url for feed in store.get_due_feeds(datetime.now(UTC))] == [slow_url]
    assert store.integrity_check() == "ok"


async def test_a_feed_still_updating_is_not_dispatched_again(
    store: SQLiteStore, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    body = rss("slow", 2)
    slow_url = loopback_server.drip("slow.xml", body, interval=2.5 / len(body))  # about 2.5 s
    store.add_feed(slow_url)
    # Dispatch every second; once done, the feed is not due for a minute.
    settings = fast_settings(loopback_server, tmp_path, interval=60, max_interval=60)
    daemon = Daemon(Reader(store, settings))
    running = asyncio.create_task(daemon.run(handle_signals=False))

    await wait_for(lambda: store.get_feed(slow_url).item_count == 2)
    daemon.request_stop()
    await asyncio.wait_for(running, timeout=5)

    assert loopback_server.hits["slow.xml"] == 1  # not fetched again while in flight
    assert daemon.dispatches == 1


# -- extra jobs --------------------------------------------------------------------------------


async def test_extra_jobs_run_periodically_sync_and_async(
    store: SQLiteStore, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    runs: list[str] = []

    def rescore() -> None:
        runs.append("sync")

    async def regroup() -> None:
        runs.append("async")

    jobs = [PeriodicJob("rescore", 0.2, rescore), PeriodicJob("regroup", 0.2, regroup)]
    daemon = Daemon(Reader(store, fast_settings(loopback_server, tmp_path)), extra_jobs=jobs)
    running = asyncio.create_task(daemon.run(handle_signals=False))
    await wait_for(lambda: runs.count("sync") >= 2 and runs.count("async") >= 2)
    daemon.request_stop()
    await asyncio.wait_for(running, timeout=5)


async def test_a_failing_extra_job_is_logged_and_runs_again(
    store: SQLiteStore,
    loopback_server: LoopbackServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[int] = []

    def broken() -> None:
        attempts.append(1)
        raise RuntimeError("topic profile unreadable")

    daemon = Daemon(
        Reader(store, fast_settings(loopback_server, tmp_path)),
        extra_jobs=[PeriodicJob("topic-refresh", 0.2, broken)],
    )
    running = asyncio.create_task(daemon.run(handle_signals=False))
    await wait_for(lambda: len(attempts) >= 2)
    daemon.request_stop()
    await asyncio.wait_for(running, timeout=5)
    assert "topic-refresh job failed" in caplog.text
    assert "topic profile unreadable" in caplog.text


def test_extra_jobs_may_not_take_the_daemons_own_names(
    store: SQLiteStore, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    settings = fast_settings(loopback_server, tmp_path)
    with pytest.raises(ValueError, match="dispatch"):
        Daemon(Reader(store, settings), extra_jobs=[PeriodicJob("dispatch", 1, lambda: None)])
    with pytest.raises(ValueError, match="unique"):
        Daemon(
            Reader(store, settings),
            extra_jobs=[PeriodicJob("a", 1, lambda: None), PeriodicJob("a", 1, lambda: None)],
        )


# -- retention ---------------------------------------------------------------------------------


def test_retention_cutoff_is_off_at_zero_days() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    assert retention_cutoff(now, RetentionSettings(days=0)) is None
    assert retention_cutoff(now, RetentionSettings(days=30)) == now - timedelta(days=30)


async def test_retention_prunes_old_read_items_and_the_next_fetch_does_not_bring_them_back(
    store: SQLiteStore, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    url = loopback_server.feed("news.xml", rss("news", 6))
    feed = store.add_feed(url)
    seeds = store.seeds_source()
    long_ago = datetime.now(UTC) - timedelta(days=40)
    seed_item = ItemWrite(
        identity="seed-1", title="seed", link=None, author=None, published=long_ago,
        updated=None, content_html=None, text="seed text", content_hash="s1",
    )  # fmt: skip
    store.write_items(seeds.id, [seed_item], now=long_ago)
    settings = replace(
        fast_settings(loopback_server, tmp_path),
        retention=RetentionSettings(days=30, keep_per_feed=2, every=1),
    )
    # The first fetch happened 40 days ago (injected clock): its items were first seen then.
    await Daemon(Reader(store, settings), now=lambda: long_ago).dispatch()
    ids = store.get_item_ids(feed.id)
    assert len(ids) == 6
    store.mark_all_read()
    store.mark_items([ids["urn:test:news-0"]], starred=True)  # the oldest, starred
    store.add_tags(ids["urn:test:news-1"], ["keep"])  # the next oldest, tagged
    # news-5 and news-4 are the newest two (kept); news-2 and news-3 may go.

    daemon = Daemon(Reader(store, settings))
    assert await daemon.prune() == 2
    assert kept_numbers(store, feed.id) == [0, 1, 4, 5]
    assert [item.identity for item in store.get_items(ItemFilter(source_id=seeds.id))] == ["seed-1"]

    loopback_server.set_body("news.xml", rss("news", 7))  # the same items and one new
    await daemon.dispatch()
    assert kept_numbers(store, feed.id) == [0, 1, 4, 5, 6]
    # news-4 is no longer among the newest two: read and old, it goes now; news-6 is unread.
    assert await daemon.prune() == 1
    assert kept_numbers(store, feed.id) == [0, 1, 5, 6]


# -- the one-daemon lock -----------------------------------------------------------------------


def test_a_second_lock_on_one_database_is_refused_naming_the_holder(db_path: Path) -> None:
    with DaemonLock(db_path):
        assert daemon_pid(db_path) == os.getpid()
        with pytest.raises(StoreLockedError, match=f"PID {os.getpid()}"):
            DaemonLock(db_path).acquire()
    assert daemon_pid(db_path) is None
    with DaemonLock(db_path):  # free again after release
        pass


def test_the_lock_is_shared_by_two_spellings_of_one_path(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(db_path.parent)
    assert lock_path_for(Path(db_path.name)) == lock_path_for(db_path)


def test_no_lock_file_means_no_daemon(tmp_path: Path) -> None:
    assert daemon_pid(tmp_path / "never.db") is None
