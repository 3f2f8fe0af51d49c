"""The story index in the store: look-ups by each item's own window, and its layout on disk
(by day first, so new reports go into a few adjacent pages), kept when an older store opens."""

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
    """The story index as version 10 found it (by term first), and the version before."""
    conn = sqlite3.connect(db_path)
    with conn:
        conn.executescript(
            "CREATE TABLE old_postings (term TEXT NOT NULL, day INTEGER NOT NULL,"
            " item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,"
            " source_id INTEGER NOT NULL, weight REAL NOT NULL,"
            " PRIMARY KEY (term, day, item_id)) WITHOUT ROWID;"
            " INSERT INTO old_postings SELECT term, day, item_id, source_id, weight"
            "  FROM story_postings;"
            " DROP TABLE story_postings;"
            " ALTER TABLE old_postings RENAME TO story_postings;"
            " CREATE INDEX story_postings_by_item ON story_postings (item_id);"
        )
        conn.execute(f"PRAGMA user_version = {schema.MIGRATIONS.index(schema._apply_v10)}")
    conn.close()


def _postings(db_path: Path) -> tuple[list[str], list[tuple[object, ...]]]:
    conn = sqlite3.connect(db_path)
    key = [str(r[1]) for r in sorted(conn.execute("PRAGMA table_info(story_postings)"),
                                     key=lambda r: r[5]) if r[5]]  # fmt: skip
    rows = conn.execute("SELECT * FROM story_postings ORDER BY item_id, term").fetchall()
    conn.close()
    return key, rows


def test_an_older_store_keeps_its_story_index_ordered_by_day(tmp_path: Path) -> None:
    db_path = tmp_path / "reader.db"
    with open_store(db_path) as store:
        add_feed_items(store, "https://reuters.example/feed", [WASHINGTON[0]])
        refresh_topic(store, Settings(), now=LATER)
    key, rows = _postings(db_path)
    assert key == ["day", "term", "item_id"] and rows
    _rewind_to_the_term_ordered_index(db_path)
    assert _postings(db_path)[0] == ["term", "day", "item_id"]
    with open_store(db_path) as store:
        assert store.integrity_check() == "ok"
        # The index still finds the stored report for a new one.
        add_feed_items(store, "https://gt.example/feed", [WASHINGTON[1]])
        refresh_topic(store, Settings(), now=LATER)
        assert story_members(store) == [["gt-1", "reuters-1"]]
    key, after = _postings(db_path)
    assert key == ["day", "term", "item_id"]
    assert set(rows) <= set(after)


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
        should_stop=lambda: bool(store.get_meta(REGROUP_KEY)),  # after the walk's first batch
    )
    assert stopped.stopped and stopped.grouped == 2
    assert store.get_meta(REGROUP_KEY)  # the walk's position
    assert store.count_ungrouped() == 0  # nothing was queued again
    rest = refresh_topic(store, Settings())
    assert not rest.stopped and rest.grouped == len(store.get_items()) - 2
    assert store.get_meta(REGROUP_KEY) is None
    assert story_members(store) == whole  # the same stories as grouping item by item
