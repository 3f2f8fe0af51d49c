"""The story index in the store: look-ups by each item's own window, its layout on disk (one
row per item, by day first, so new reports go into a few adjacent pages) kept when an older
store opens, and a full regroup's walk (stopped, killed, resumed)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from reader.config import Settings
from reader.sources.seeds import import_seeds
from reader.store import SQLiteStore, open_store
from reader.store.sqlite import schema
from reader.store.sqlite.story_keys import unpack_keys
from reader.topic import refresh as refresh_module
from reader.topic import refresh_topic
from reader.topic.refresh import REGROUP_KEY

from .conftest import SEEDS_DIR
from .test_stories import LATER, NOW, UNRELATED, WASHINGTON, add_feed_items

A_YEAR = timedelta(days=365)


def story_members(store: SQLiteStore) -> list[list[str]]:
    return sorted(sorted(i.identity for i in s.items) for s in store.get_stories())


def test_one_batch_with_reports_a_year_apart_finds_each_its_own_window(
    store: SQLiteStore,
) -> None:
    reuters, gt = WASHINGTON
    add_feed_items(
        store,
        "https://reuters.example/feed",
        [reuters, replace(reuters, identity="reuters-2", published=NOW + A_YEAR)],
    )
    refresh_topic(store, Settings(), now=LATER)
    assert store.get_stories() == []  # one source: no story yet
    # One batch: a report near each stored one, a year apart (two windows, nothing between).
    add_feed_items(
        store,
        "https://gt.example/feed",
        [gt, replace(gt, identity="gt-2", published=NOW + A_YEAR + timedelta(hours=20))],
    )
    report = refresh_topic(store, Settings(), now=LATER)
    assert report.grouped == 2
    assert story_members(store) == [["gt-1", "reuters-1"], ["gt-2", "reuters-2"]]


def _rewind_to_the_term_ordered_index(db_path: Path) -> None:
    """The story index as version 10 found it (one row per key term, by term first)."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "CREATE TABLE story_postings (term TEXT NOT NULL, day INTEGER NOT NULL,"
            " item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
            " source_id INTEGER NOT NULL, weight REAL NOT NULL,"
            " PRIMARY KEY (term, day, item_id)) WITHOUT ROWID"
        )
        conn.executemany(
            "INSERT INTO story_postings (item_id, source_id, day, term, weight)"
            " VALUES (?, ?, ?, ?, ?)",
            _index_entries(db_path),
        )
        conn.execute("CREATE INDEX story_postings_by_item ON story_postings (item_id)")
        conn.execute("DROP TABLE story_keys")
        conn.execute(f"PRAGMA user_version = {schema.MIGRATIONS.index(schema._apply_v10)}")
    conn.close()


def _index_entries(db_path: Path) -> set[tuple[int, int, int, str, float]]:
    """(item, source, day, term, weight) of every key term in the story index."""
    conn = sqlite3.connect(db_path)
    rows = conn.execute("SELECT item_id, source_id, day, terms, weights FROM story_keys")
    entries = {
        (item, source, day, term, weight)
        for item, source, day, terms, weights in rows
        for term, weight in unpack_keys(terms, weights)
    }
    conn.close()
    return entries


def _index_key(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    key = [str(r[1]) for r in sorted(conn.execute("PRAGMA table_info(story_keys)"),
                                     key=lambda r: r[5]) if r[5]]  # fmt: skip
    conn.close()
    return key


def test_an_older_store_keeps_its_story_index_in_one_row_per_item_by_day(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "reader.db"
    with open_store(db_path) as store:
        add_feed_items(store, "https://reuters.example/feed", [WASHINGTON[0]])
        refresh_topic(store, Settings(), now=LATER)
    entries = _index_entries(db_path)
    assert _index_key(db_path) == ["day", "item_id"] and len(entries) > 10
    _rewind_to_the_term_ordered_index(db_path)
    with open_store(db_path) as store:  # versions 10 (by day) and 13 (one row per item)
        assert store.integrity_check() == "ok"
        assert _index_entries(db_path) == entries  # every weight carried over, bit for bit
        # The index still finds the stored report for a new one.
        add_feed_items(store, "https://gt.example/feed", [WASHINGTON[1]])
        refresh_topic(store, Settings(), now=LATER)
        assert story_members(store) == [["gt-1", "reuters-1"]]
    assert _index_key(db_path) == ["day", "item_id"]
    assert entries < _index_entries(db_path)


def test_a_stopped_full_regroup_goes_on_in_date_order_where_it_stopped(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refresh_module, "GROUP_BATCH", 2)
    import_seeds(store, SEEDS_DIR, now=NOW)
    add_feed_items(store, "https://reuters.example/feed", [WASHINGTON[0], UNRELATED])
    add_feed_items(store, "https://gt.example/feed", [WASHINGTON[1]])
    refresh_topic(store, Settings(), now=LATER)
    whole = story_members(store)
    assert ["gt-1", "reuters-1"] in whole
    stopped = refresh_topic(
        store,
        Settings(),
        force=True,
        # After the walk's first batch (re-scoring asks too, before the walk has a position).
        should_stop=lambda: store.get_meta(REGROUP_KEY) is not None,
    )
    assert stopped.stopped and stopped.grouped == 2
    assert store.get_meta(REGROUP_KEY)  # the walk's position
    assert store.count_ungrouped() == 0  # nothing was queued again
    rest = refresh_topic(store, Settings())
    assert not rest.stopped and rest.grouped == len(store.get_items()) - 2
    assert store.get_meta(REGROUP_KEY) is None
    assert story_members(store) == whole  # the same stories as grouping item by item
