"""The update pipeline end to end: loopback server -> fetch -> parse -> store (real SQLite)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reader.config import FetchSettings, ScheduleSettings, Settings
from reader.models import FeedResult, ItemFilter, WriteCounts
from reader.store import SQLiteStore
from reader.update import GONE_REASON, UpdatePipeline, http_status_text, update_feeds
from reader.update.pipeline import log_result
from tests.loopback_server import LoopbackServer, loopback_server

__all__ = ["loopback_server"]

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def rss(*items: tuple[str, str], title: str = "Test feed") -> bytes:
    """An RSS 2.0 document with (guid, title) items."""
    entries = "".join(
        f"<item><guid>{guid}</guid><title>{text}</title><link>https://example.org/{guid}</link>"
        f"<description>About {text}.</description>"
        f"<pubDate>Sun, 01 Mar 2026 0{i}:00:00 GMT</pubDate></item>"
        for i, (guid, text) in enumerate(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.org/</link>{entries}</channel></rss>"
    ).encode()


def settings_for(server: LoopbackServer, **fetch: object) -> Settings:
    options: dict[str, object] = {"allow": (server.authority,), "timeout": 5.0, "parse_workers": 1}
    options.update(fetch)
    return Settings(fetch=FetchSettings(**options))  # type: ignore[arg-type]


def clock() -> datetime:
    return NOW


async def test_new_feed_stores_items_title_and_validators(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.feed("a.xml", rss(("1", "NATO summit"), ("2", "Japan reply")))
    store.add_feed(url)
    report = await update_feeds(store, settings_for(loopback_server), now=clock)
    assert (report.checked, report.new, report.updated, report.errors) == (1, 2, 0, ())
    feed = store.get_feed(url)
    assert feed.title == "Test feed"
    assert feed.validators.etag is not None
    assert feed.last_checked == NOW and feed.last_updated == NOW
    assert feed.next_check is not None and feed.next_check > NOW
    assert feed.item_count == 2
    titles = {i.title for i in store.get_items(ItemFilter(source_id=feed.id))}
    assert titles == {"NATO summit", "Japan reply"}


async def test_second_round_is_all_304_and_changes_nothing(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    urls = [
        loopback_server.feed(f"{n}.xml", rss((f"{n}-1", "One"), (f"{n}-2", "Two")))
        for n in range(3)
    ]
    for url in urls:
        store.add_feed(url)
    settings = settings_for(loopback_server)
    await update_feeds(store, settings, feeds=store.get_feeds(), now=clock)
    items_before = store.get_items(with_content=True)
    second = await update_feeds(store, settings, feeds=store.get_feeds(), now=clock)
    assert second.not_modified == 3 and second.new == 0 and second.updated == 0
    assert store.get_items(with_content=True) == items_before
    statuses = [r for r in loopback_server.requests if "If-None-Match" in r.headers]
    assert len(statuses) == 3


async def test_same_bytes_without_validators_are_not_parsed_again(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.feed("plain.xml", rss(("1", "One")), etag=False, last_modified=False)
    store.add_feed(url)
    settings = settings_for(loopback_server)
    await update_feeds(store, settings, now=clock)
    assert store.get_feed(url).body_hash is not None
    report = await update_feeds(store, settings, feeds=[store.get_feed(url)], now=clock)
    assert report.results[0].not_modified
    assert store.get_feed(url).item_count == 1


async def test_changed_and_added_items_are_counted_and_marks_kept(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.feed("a.xml", rss(("1", "One"), ("2", "Two")))
    feed = store.add_feed(url)
    settings = settings_for(loopback_server)
    await update_feeds(store, settings, now=clock)
    first = store.get_items(ItemFilter(source_id=feed.id))
    store.mark_items([i.id for i in first], read=True)
    loopback_server.set_body("a.xml", rss(("1", "One, revised"), ("2", "Two"), ("3", "Three")))
    report = await update_feeds(store, settings, feeds=[store.get_feed(url)], now=clock)
    assert (report.new, report.updated) == (1, 1)
    by_link = {i.link: i for i in store.get_items(ItemFilter(source_id=feed.id))}
    revised, added = by_link["https://example.org/1"], by_link["https://example.org/3"]
    assert revised.title == "One, revised" and revised.read
    assert not added.read


async def test_gone_feed_is_disabled_with_a_reason(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.status("gone.xml", 410)
    store.add_feed(url)
    report = await update_feeds(store, settings_for(loopback_server), now=clock)
    assert report.results[0].disabled
    feed = store.get_feed(url)
    assert not feed.enabled
    assert feed.disabled_reason == GONE_REASON
    assert store.get_due_feeds(NOW + timedelta(days=30)) == []


@pytest.mark.parametrize("status", [404, 500])
async def test_error_status_is_recorded_and_backs_off(
    store: SQLiteStore, loopback_server: LoopbackServer, status: int
) -> None:
    url = loopback_server.status("broken.xml", status)
    store.add_feed(url)
    settings = settings_for(loopback_server)
    await update_feeds(store, settings, now=clock)
    first = store.get_feed(url)
    assert first.last_error == http_status_text(status) and first.error_count == 1
    await update_feeds(store, settings, feeds=[first], now=clock)
    second = store.get_feed(url)
    assert second.error_count == 2
    assert first.next_check is not None and second.next_check is not None
    assert second.next_check - NOW > first.next_check - NOW  # the wait doubled


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_postpones_only_that_feed(
    store: SQLiteStore, loopback_server: LoopbackServer, status: int
) -> None:
    busy = loopback_server.status("busy.xml", status, headers={"Retry-After": "7200"})
    fine = loopback_server.feed("fine.xml", rss(("1", "One")))
    store.add_feed(busy)
    store.add_feed(fine)
    settings = Settings(
        fetch=settings_for(loopback_server).fetch,
        schedule=ScheduleSettings(interval=600, min_interval=60, max_interval=3600),
    )
    report = await update_feeds(store, settings, now=clock)
    assert {r.url: r.error for r in report.results} == {
        busy: f"{http_status_text(status)} (retry after 7200 s)",
        fine: None,
    }
    busy_next, fine_next = store.get_feed(busy).next_check, store.get_feed(fine).next_check
    assert busy_next is not None and busy_next >= NOW + timedelta(seconds=7200)
    assert fine_next is not None and fine_next < NOW + timedelta(seconds=3600)


async def test_permanent_redirect_moves_the_feed_once(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    new = loopback_server.feed("new.xml", rss(("1", "One")))
    old = loopback_server.redirect("old.xml", new, status=301)
    store.add_feed(old)
    report = await update_feeds(store, settings_for(loopback_server), now=clock)
    assert report.results[0].moved_to == new
    assert [f.url for f in store.get_feeds()] == [new]
    assert store.get_feed(new).item_count == 1


async def test_permanent_redirect_onto_an_existing_subscription_keeps_both_apart(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    new = loopback_server.feed("new.xml", rss(("1", "One")))
    old = loopback_server.redirect("old.xml", new, status=308)
    store.add_feed(old)
    store.add_feed(new)
    report = await update_feeds(store, settings_for(loopback_server), now=clock)
    assert all(r.moved_to is None and r.error is None for r in report.results)
    assert sorted(f.url for f in store.get_feeds()) == sorted([new, old])


async def test_temporary_redirect_keeps_the_stored_url(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    new = loopback_server.feed("new.xml", rss(("1", "One")))
    old = loopback_server.redirect("old.xml", new, status=302)
    store.add_feed(old)
    report = await update_feeds(store, settings_for(loopback_server), now=clock)
    assert report.results[0].moved_to is None
    assert store.get_feed(old).item_count == 1


async def test_bad_feeds_fail_alone_while_the_others_update(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    good = loopback_server.feed("good.xml", rss(("1", "One")))
    html = loopback_server.feed(
        "page.html", b"<html><body>not a feed</body></html>", content_type="text/html"
    )
    bomb = loopback_server.gzip_bomb("bomb.xml", 32 * 1024 * 1024)
    for url in (good, html, bomb):
        store.add_feed(url)
    settings = settings_for(loopback_server, max_body_bytes=1024 * 1024)
    report = await update_feeds(store, settings, now=clock)
    errors = {r.url: r.error for r in report.errors}
    assert set(errors) == {html, bomb}
    assert "over 1048576 bytes" in errors[bomb]
    assert store.get_feed(good).item_count == 1
    assert store.get_feed(html).last_error == errors[html]


async def test_loopback_feed_without_allow_entry_is_refused_and_recorded(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.feed("a.xml", rss(("1", "One")))
    store.add_feed(url)
    report = await update_feeds(store, Settings(), now=clock)
    assert report.results[0].error is not None
    assert "non-public address 127.0.0.1" in report.results[0].error
    assert loopback_server.hits["a.xml"] == 0


async def test_allow_entry_from_the_environment_is_honoured(
    store: SQLiteStore, loopback_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = loopback_server.feed("a.xml", rss(("1", "One")))
    store.add_feed(url)
    monkeypatch.setenv("READER_FETCH_ALLOW", f"10.0.0.1:80, {loopback_server.authority}")
    report = await update_feeds(store, Settings(), now=clock)
    assert report.new == 1


async def test_scorer_scores_new_and_changed_items_only(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    url = loopback_server.feed("a.xml", rss(("1", "NATO in Asia"), ("2", "Weather")))
    feed = store.add_feed(url)
    seen: list[str] = []

    def scorer(texts: Sequence[str]) -> list[tuple[float, list[str]]]:
        seen.extend(texts)
        return [(0.9, ["nato"]) if "NATO" in t else (0.1, []) for t in texts]

    settings = settings_for(loopback_server)
    await update_feeds(store, settings, now=clock, scorer=scorer)
    scored = {
        i.title: (i.score, i.score_terms) for i in store.get_items(ItemFilter(source_id=feed.id))
    }
    assert scored == {"NATO in Asia": (0.9, ("nato",)), "Weather": (0.1, ())}
    seen.clear()
    loopback_server.set_body("a.xml", rss(("1", "NATO in Asia"), ("2", "Weather today")))
    await update_feeds(store, settings, feeds=[store.get_feed(url)], now=clock, scorer=scorer)
    assert len(seen) == 1 and "Weather today" in seen[0]


async def test_results_are_reported_and_logged_once_per_feed(
    store: SQLiteStore, loopback_server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    urls = [loopback_server.feed(f"{n}.xml", rss((str(n), "One"))) for n in range(3)]
    urls.append(loopback_server.status("down.xml", 500))
    for url in urls:
        store.add_feed(url)
    results: list[FeedResult] = []
    with caplog.at_level(logging.INFO, logger="reader.update"):
        report = await update_feeds(
            store, settings_for(loopback_server), now=clock, on_result=results.append
        )
    assert sorted(r.url for r in results) == sorted(urls)
    assert sorted(r.url for r in report.results) == sorted(urls)
    lines = [r.getMessage() for r in caplog.records if r.name == "reader.update"]
    assert len(lines) == 4
    failed = f"feed {urls[-1]}: error: HTTP 500 Internal Server Error"
    assert any(line.startswith(failed) for line in lines)
    assert any(line.startswith(f"feed {urls[0]}: ok, 1 new, 0 updated") for line in lines)


async def test_nothing_due_is_an_empty_report(store: SQLiteStore) -> None:
    report = await update_feeds(store, Settings(), now=clock)
    assert report.results == () and report.checked == 0


@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "text/plain", ""])
async def test_feed_served_under_a_wrong_content_type_still_updates(
    store: SQLiteStore, loopback_server: LoopbackServer, content_type: str
) -> None:
    url = loopback_server.feed("odd.xml", rss(("1", "One")), content_type=content_type)
    store.add_feed(url)
    report = await update_feeds(store, settings_for(loopback_server), now=clock)
    assert (report.new, report.errors) == (1, ())


async def test_slow_dripping_feed_fails_at_the_deadline_and_the_rest_update(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    slow = loopback_server.drip("slow.xml", rss(("1", "One")), interval=0.3)
    fine = loopback_server.feed("fine.xml", rss(("2", "Two")))
    store.add_feed(slow)
    store.add_feed(fine)
    report = await update_feeds(store, settings_for(loopback_server, timeout=1.0), now=clock)
    assert {r.url: r.error for r in report.results} == {
        slow: "no complete response within 1 s",
        fine: None,
    }
    assert store.get_feed(slow).last_error == "no complete response within 1 s"


async def test_a_failing_progress_callback_does_not_lose_the_update(
    store: SQLiteStore, loopback_server: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = loopback_server.feed("a.xml", rss(("1", "One")))
    store.add_feed(url)

    def broken(_result: FeedResult) -> None:
        raise RuntimeError("display went away")

    with caplog.at_level(logging.ERROR, logger="reader.update"):
        report = await update_feeds(store, settings_for(loopback_server), on_result=broken)
    assert report.new == 1 and store.get_feed(url).item_count == 1
    assert any("on_result callback failed" in r.getMessage() for r in caplog.records)


async def test_batched_writes_keep_a_failing_feed_apart(store: SQLiteStore) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from reader.exceptions import StorageError
    from reader.models import FeedUpdate, FeedWrite, ItemWrite
    from reader.update.writer import BatchedWriter

    def item(identity: str) -> ItemWrite:
        return ItemWrite(identity, identity, None, None, None, None, None, None, identity)

    first, second = store.add_feed("https://a.example/feed"), store.add_feed("https://b.example/f")
    update = FeedUpdate(checked=NOW)
    with ThreadPoolExecutor(1) as thread:
        writer = BatchedWriter(store, thread)
        results = await asyncio.gather(
            writer.write(FeedWrite(first.id, first.url, (item("1"), item("2")), update)),
            writer.write(FeedWrite(999, "https://gone.example/feed", (item("x"),), update)),
            writer.write(FeedWrite(second.id, second.url, (item("3"),), update)),
            return_exceptions=True,
        )
    assert results[0] == WriteCounts(new=2) and results[2] == WriteCounts(new=1)
    assert isinstance(results[1], StorageError)  # its source is gone: it fails alone
    assert store.get_feed(first.url).item_count == 2
    assert store.get_feed(first.url).last_checked == NOW
    assert store.count_items() == 3


async def test_writes_of_feeds_arriving_one_by_one_share_a_transaction(
    store: SQLiteStore,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from reader.models import FeedUpdate, FeedWrite, ItemWrite
    from reader.update.writer import BatchedWriter

    feeds = [store.add_feed(f"https://{n}.example/feed") for n in range(4)]
    on_their_way = len(feeds)
    with ThreadPoolExecutor(1) as thread:
        writer = BatchedWriter(store, thread, expecting=lambda: on_their_way)

        async def arrive(index: int) -> WriteCounts:
            nonlocal on_their_way
            await asyncio.sleep(0.01 * index)
            on_their_way -= 1
            feed = feeds[index]
            write = ItemWrite(str(index), "t", None, None, None, None, None, None, "h")
            return await writer.write(
                FeedWrite(feed.id, feed.url, (write,), FeedUpdate(checked=NOW))
            )

        before = store.change_counter()
        counts = await asyncio.gather(*(arrive(n) for n in range(len(feeds))))
    assert [c.new for c in counts] == [1, 1, 1, 1]
    assert store.change_counter() - before == 1  # one transaction for the four feeds


@pytest.mark.parametrize("with_items", [True, False])
async def test_a_write_lingers_only_with_items_and_no_longer_than_the_linger(
    store: SQLiteStore, with_items: bool
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from reader.models import FeedUpdate, FeedWrite, ItemWrite
    from reader.update.writer import BatchedWriter

    feed = store.add_feed("https://a.example/feed")
    items = (ItemWrite("1", "t", None, None, None, None, None, None, "h"),) if with_items else ()
    with ThreadPoolExecutor(1) as thread:
        writer = BatchedWriter(store, thread, expecting=lambda: 5)  # never arriving
        writer.LINGER = 0.5
        loop = asyncio.get_running_loop()
        started = loop.time()
        await writer.write(FeedWrite(feed.id, feed.url, items, FeedUpdate(checked=NOW)))
        waited = loop.time() - started
    if with_items:  # it waited for the feeds said to be coming, up to the linger
        assert 0.45 <= waited < 1.5
    else:  # a feed's state alone (a 304) is written at once
        assert waited < 0.45
    assert store.get_feed(feed.url).last_checked == NOW


async def test_an_open_pipeline_is_reused_across_updates_and_left_open(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    first = loopback_server.feed("p1.xml", rss(("1", "One")))
    store.add_feed(first)
    settings = settings_for(loopback_server)
    async with UpdatePipeline(settings) as pipeline:
        assert pipeline.parser_pids == ()  # no document yet: no worker started
        report = await update_feeds(store, settings, now=clock, pipeline=pipeline)
        assert report.new == 1
        workers = pipeline.parser_pids
        assert len(workers) == 1
        second = loopback_server.feed("p2.xml", rss(("2", "Two")))
        store.add_feed(second)
        report = await update_feeds(
            store, settings, feeds=[store.get_feed(second)], now=clock, pipeline=pipeline
        )
        assert (report.new, report.errors) == (1, ())
        assert pipeline.parser_pids == workers  # the same worker process parsed both
    assert pipeline.parser_pids == ()  # closed with the pipeline


async def test_a_first_update_starts_the_parser_at_once_and_an_all_304_one_never_does(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    store.add_feed(loopback_server.feed("fresh.xml", rss(("1", "One"))))
    store.add_feed(f"http://{loopback_server.authority}/missing.xml")  # 404: nothing to parse
    settings = settings_for(loopback_server)
    missing = store.get_feed(f"http://{loopback_server.authority}/missing.xml")
    async with UpdatePipeline(settings) as pipeline:
        # Only the never-fetched 404 feed: the workers start before any document arrives.
        await update_feeds(store, settings, feeds=[missing], now=clock, pipeline=pipeline)
        assert len(pipeline.parser_pids) == 1
        await update_feeds(store, settings, now=clock, pipeline=pipeline)
    fetched = [f for f in store.get_feeds() if f.validators.etag is not None]
    assert len(fetched) == 1
    async with UpdatePipeline(settings) as pipeline:
        report = await update_feeds(store, settings, feeds=fetched, now=clock, pipeline=pipeline)
        assert report.not_modified == 1
        assert pipeline.parser_pids == ()  # every answer a 304: no worker process started


def test_log_line_strips_control_characters_from_url_and_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = FeedResult(
        "https://example.org/\x1b[2Jfeed", error="bad \x1b]0;owned\x07 reply\nsecond line"
    )
    with caplog.at_level(logging.INFO, logger="reader.update"):
        log_result(result)
    [line] = [r.getMessage() for r in caplog.records if r.name == "reader.update"]
    assert line.startswith("feed https://example.org/ [2Jfeed: error: bad ]0;owned reply second")
    assert not any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in line)


async def test_a_store_failure_on_one_feed_is_its_error_and_the_others_are_stored(
    db_path: Path, loopback_server: LoopbackServer
) -> None:
    from reader.exceptions import StorageError
    from reader.models import FeedWrite

    class FullForOneFeed(SQLiteStore):
        """A store that cannot take one feed's writes (as a full disk would refuse them)."""

        refused: int | None = None

        def write_feeds(self, writes: Sequence[FeedWrite]) -> list[WriteCounts]:
            if any(write.source_id == self.refused for write in writes):
                raise StorageError("database or disk is full")
            return super().write_feeds(writes)

    with FullForOneFeed(db_path) as store:
        bad = store.add_feed(loopback_server.feed("bad.xml", rss(("1", "One"))))
        good = store.add_feed(loopback_server.feed("good.xml", rss(("2", "Two"))))
        store.refused = bad.id
        report = await update_feeds(store, settings_for(loopback_server), now=clock)
        errors = {r.url: r.error for r in report.results}
        assert errors == {
            bad.url: "could not store the update: database or disk is full",
            good.url: None,
        }
        assert store.get_feed(good.url).item_count == 1
        assert store.get_feed(bad.url).item_count == 0
        assert store.get_feed(bad.url).last_checked is None  # nothing half-written


async def test_scoring_runs_off_the_store_thread(
    store: SQLiteStore, loopback_server: LoopbackServer
) -> None:
    import threading

    store.add_feed(loopback_server.feed("a.xml", rss(("1", "NATO in Asia"))))
    threads: list[str] = []

    def scorer(texts: Sequence[str]) -> list[tuple[float, list[str]]]:
        threads.append(threading.current_thread().name)
        return [(0.5, []) for _ in texts]

    report = await update_feeds(store, settings_for(loopback_server), now=clock, scorer=scorer)
    assert report.new == 1
    assert len(threads) == 1 and threads[0].startswith("reader-score")
