"""Every real-world feed and OPML file of the shared corpus, served over loopback and ingested.

One update over all ~1,080 files: it must finish without an unhandled exception, record each
bad document as an error on its own feed while the others update, store exactly the entries
feedparser sees for the real news feeds, and be idempotent (the second round is all 304).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import feedparser
import pytest

from reader.config import FetchSettings, Settings
from reader.models import UpdateReport
from reader.store import SQLiteStore, open_store
from reader.update import update_feeds
from tests.conftest import CORPUS, corpus_rows, needs_corpus
from tests.loopback_server import LoopbackServer

pytestmark = [needs_corpus, pytest.mark.slow]

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def clock() -> datetime:
    return NOW


class Ingested:
    """The corpus served, subscribed and updated twice (shared by this module's tests)."""

    def __init__(self, server: LoopbackServer, store: SQLiteStore) -> None:
        self.server = server
        self.store = store
        self.rows = [r for r in corpus_rows() if r[4] != "license"]
        self.url_of = {row[0]: server.url(row[0]) for row in self.rows}
        self.kind_of = {self.url_of[row[0]]: row[4] for row in self.rows}
        for url in self.url_of.values():
            store.add_feed(url)
        settings = Settings(fetch=FetchSettings(allow=(server.authority,), timeout=20.0))
        self.first: UpdateReport = asyncio.run(update_feeds(store, settings, now=clock))
        self.second: UpdateReport = asyncio.run(
            update_feeds(store, settings, feeds=store.get_feeds(), now=clock)
        )


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    with LoopbackServer() as server:
        server.files("feeds", CORPUS / "feeds")
        server.files("opml", CORPUS / "opml")
        with open_store(tmp_path_factory.mktemp("corpus") / "reader.db") as store:
            yield Ingested(server, store)


def test_every_corpus_file_gets_a_result_and_a_recorded_check(ingested: Ingested) -> None:
    assert len(ingested.first.results) == len(ingested.rows) > 1000
    feeds = {f.url: f for f in ingested.store.get_feeds()}
    for result in ingested.first.results:
        feed = feeds[result.url]
        assert feed.last_checked == NOW
        if result.error is None:
            assert feed.last_error is None
        else:
            assert feed.last_error is not None, result.url


def test_documents_that_are_not_feeds_are_errors_on_their_own_feed(ingested: Ingested) -> None:
    errors = {r.url: r.error for r in ingested.first.errors}
    not_feeds = [
        url
        for path, url in ingested.url_of.items()
        if ingested.kind_of[url] in ("html", "opml") or (CORPUS / path).stat().st_size == 0
    ]
    assert len(not_feeds) > 30
    for url in not_feeds:
        assert errors.get(url), f"{url} was taken as a feed"
    # ... and they did not stop the rest: most of the corpus updated, every new item stored.
    assert len(errors) < len(ingested.rows) / 4
    assert ingested.first.new == ingested.store.count_items() > 0


def test_news_feeds_store_every_entry_feedparser_sees(ingested: Ingested) -> None:
    feeds = {f.url: f for f in ingested.store.get_feeds()}
    news = [
        (path, url) for path, url in ingested.url_of.items() if ingested.kind_of[url] == "news-real"
    ]
    assert len(news) >= 40
    for path, url in news:
        expected = len(feedparser.parse((CORPUS / path).read_bytes()).entries)
        assert feeds[url].last_error is None, f"{path}: {feeds[url].last_error}"
        assert feeds[url].item_count == expected, path


def test_second_round_changes_nothing_and_is_all_not_modified(ingested: Ingested) -> None:
    second = ingested.second
    assert (second.new, second.updated) == (0, 0)
    succeeded = {r.url for r in ingested.first.results if r.error is None}
    not_modified = {r.url for r in second.results if r.not_modified}
    assert succeeded <= not_modified
    assert {r.url for r in second.errors} == {r.url for r in ingested.first.errors}
