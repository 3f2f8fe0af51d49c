"""Several daemons on one database: leases on due feeds, the daemon list, once-only jobs.

PostgreSQL shares the work (`FOR UPDATE SKIP LOCKED`, leases that expire, advisory locks);
SQLite keeps one daemon per file, so there a claim is simply the due feeds.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from reader.cli.main import cli
from reader.config import FetchSettings, ScheduleSettings, Settings, TopicSettings
from reader.core import make_reader
from reader.daemon import Daemon
from reader.models import DaemonInfo, FeedUpdate
from reader.store import PostgresStore, Store, open_store
from tests.loopback_server import LoopbackServer, loopback_server

__all__ = ["loopback_server"]  # the fixture, imported for pytest
from tests.test_store import item

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


def daemon(name: str, pid: int = 1) -> DaemonInfo:
    now = datetime.now(UTC).replace(microsecond=0)
    return DaemonInfo(holder=name, host="host-" + name, pid=pid, started=now, last_beat=now)


def add_feeds(store: Store, count: int) -> list[str]:
    urls = [f"https://example.com/{n}" for n in range(count)]
    for url in urls:
        store.add_feed(url)
    return urls


def test_a_claim_takes_due_feeds_oldest_first(store: Store) -> None:
    add_feeds(store, 3)
    store.update_feed("https://example.com/0", FeedUpdate(checked=NOW, next_check=NOW))
    store.update_feed(
        "https://example.com/2", FeedUpdate(checked=NOW, next_check=NOW + timedelta(hours=1))
    )
    claimed = store.claim_due_feeds(NOW, holder="a", limit=10, lease=LEASE)
    assert [f.url for f in claimed] == ["https://example.com/1", "https://example.com/0"]


@pytest.fixture
def pg(pg_url: str) -> PostgresStore:
    with open_store(pg_url) as opened:
        assert isinstance(opened, PostgresStore)
        yield opened


def test_two_daemons_claiming_at_once_never_share_a_feed(pg: PostgresStore, pg_url: str) -> None:
    add_feeds(pg, 200)
    with open_store(pg_url) as other:
        claims: dict[str, list[int]] = {"a": [], "b": []}

        def claim(store: Store, holder: str) -> None:
            while batch := store.claim_due_feeds(NOW, holder=holder, limit=7, lease=LEASE):
                claims[holder] += [f.id for f in batch]

        threads = [
            threading.Thread(target=claim, args=(pg, "a")),
            threading.Thread(target=claim, args=(other, "b")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not set(claims["a"]) & set(claims["b"])
    assert len(claims["a"]) + len(claims["b"]) == 200
    assert claims["a"] and claims["b"]


def test_a_lease_keeps_others_off_until_it_expires(pg: PostgresStore) -> None:
    add_feeds(pg, 2)
    assert len(pg.claim_due_feeds(NOW, holder="a", limit=1, lease=LEASE)) == 1
    [other] = pg.claim_due_feeds(NOW, holder="b", limit=5, lease=LEASE)
    assert other.url == "https://example.com/1"
    assert pg.claim_due_feeds(NOW, holder="c", limit=5, lease=LEASE) == []
    # "a" died: its lease runs out and "c" takes the feed.
    pg.renew_daemon(daemon("a"), lease=timedelta(seconds=-1))
    [taken] = pg.claim_due_feeds(NOW, holder="c", limit=5, lease=LEASE)
    assert taken.url == "https://example.com/0"
    pg.release_leases("b", [other.id])  # "b" is done with it, but did not write it
    [again] = pg.claim_due_feeds(NOW, holder="a", limit=5, lease=LEASE)
    assert again.url == "https://example.com/1"


def test_writing_a_feeds_state_ends_its_lease_and_it_is_not_due_again(pg: PostgresStore) -> None:
    add_feeds(pg, 1)
    [feed] = pg.claim_due_feeds(NOW, holder="a", limit=5, lease=LEASE)
    pg.write_items(
        feed.id,
        [item("x")],
        now=NOW,
        feed_url=feed.url,
        feed_update=FeedUpdate(checked=NOW, next_check=NOW + timedelta(hours=1)),
    )
    pg.renew_daemon(daemon("a"), lease=LEASE)
    assert [d.leases for d in pg.get_daemons()] == [0]
    assert pg.claim_due_feeds(NOW, holder="b", limit=5, lease=LEASE) == []
    later = NOW + timedelta(hours=2)
    assert [f.url for f in pg.claim_due_feeds(later, holder="b", limit=5, lease=LEASE)] == [
        feed.url
    ]


def test_daemons_are_listed_with_their_leases_and_leave_on_release(pg: PostgresStore) -> None:
    add_feeds(pg, 5)
    pg.renew_daemon(daemon("a", pid=11), lease=LEASE)
    pg.renew_daemon(daemon("b", pid=22), lease=LEASE)
    pg.claim_due_feeds(NOW, holder="a", limit=3, lease=LEASE)
    listed = {d.holder: (d.host, d.pid, d.leases) for d in pg.get_daemons()}
    assert listed == {"a": ("host-a", 11, 3), "b": ("host-b", 22, 0)}
    pg.release_daemon("a")
    assert [d.holder for d in pg.get_daemons()] == ["b"]
    assert len(pg.claim_due_feeds(NOW, holder="b", limit=10, lease=LEASE)) == 5


def test_a_once_only_job_runs_on_one_daemon_at_a_time(pg: PostgresStore, pg_url: str) -> None:
    with open_store(pg_url) as other:
        with pg.exclusive("retention") as mine:
            assert mine
            with other.exclusive("retention") as theirs:
                assert not theirs
            with other.exclusive("topic-refresh") as unrelated:
                assert unrelated
        with other.exclusive("retention") as now_theirs:
            assert now_theirs


def test_on_sqlite_a_claim_is_the_due_feeds_and_once_only_work_runs_once_at_a_time(
    db_path: Path,
) -> None:
    with open_store(db_path) as store, open_store(db_path) as other:
        add_feeds(store, 2)
        assert len(store.claim_due_feeds(NOW, holder="a", limit=5, lease=LEASE)) == 2
        with store.exclusive("retention") as mine:
            assert mine
            with other.exclusive("retention") as theirs:  # another connection, as a CLI's
                assert not theirs
            with other.exclusive("topic-stories") as unrelated:
                assert unrelated
        with other.exclusive("retention") as now_theirs:
            assert now_theirs
        store.renew_daemon(daemon("a", pid=7), lease=LEASE)
        assert [(d.holder, d.pid) for d in store.get_daemons()] == [("a", 7)]
        store.release_daemon("a")
        assert store.get_daemons() == []


def rss(number: int) -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {number}</title>'
        f"<item><guid>{number}-1</guid><title>Report {number}</title></item>"
        f"<item><guid>{number}-2</guid><title>Follow-up {number}</title></item>"
        "</channel></rss>"
    ).encode()


async def test_three_daemons_fetch_every_feed_once_and_store_every_item(
    pg_url: str, loopback_server: LoopbackServer, tmp_path: Path
) -> None:
    urls = [loopback_server.feed(f"f{n}.xml", rss(n)) for n in range(60)]
    settings = Settings(
        fetch=FetchSettings(allow=(loopback_server.authority,), timeout=5.0, parse_workers=1),
        schedule=ScheduleSettings(dispatch_every=1, batch_size=4, lease=30),
        topic=TopicSettings(refresh_every=0),
    )
    readers = [make_reader(pg_url, settings=settings) for _ in range(3)]
    for url in urls:
        readers[0].add_feed(url)
    daemons = [Daemon(r) for r in readers]
    running = [asyncio.create_task(d.run(handle_signals=False)) for d in daemons]
    try:
        for _ in range(200):
            await asyncio.sleep(0.1)
            if readers[0].status().stats.feeds_due == 0:
                break
        assert len(readers[0].status().daemons) == 3
    finally:
        for d in daemons:
            d.request_stop()
        await asyncio.wait_for(asyncio.gather(*running), timeout=10)
    assert sorted(loopback_server.hits.values()) == [1] * 60  # each feed once, by one daemon
    assert readers[0].count_items() == 120
    assert readers[0].status().daemons == ()  # each left the list on its way out
    for r in readers:
        r.close()


def test_status_lists_every_daemon_attached(pg: PostgresStore, pg_url: str) -> None:
    add_feeds(pg, 2)
    pg.renew_daemon(daemon("a", pid=4242), lease=LEASE)
    pg.claim_due_feeds(NOW, holder="a", limit=1, lease=LEASE)
    result = CliRunner().invoke(cli, ["--db", pg_url, "status"])
    assert result.exit_code == 0, result.output
    assert "daemons: 1 attached" in result.output
    [line] = [line for line in result.output.splitlines() if "4242" in line]
    assert line.split()[:2] == ["host-a", "4242"] and line.split()[-2:] == ["1", "lease"]
    document = CliRunner().invoke(cli, ["--db", pg_url, "status", "--json"]).output
    assert '"pid": 4242' in document and '"leases": 1' in document
