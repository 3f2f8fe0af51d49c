"""The SQLite store through its typed API: schema, items, marks, tags, search, pruning."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reader.exceptions import (
    FeedExistsError,
    FeedNotFoundError,
    InvalidSearchQueryError,
    ItemNotFoundError,
    StorageError,
)
from reader.models import FeedUpdate, FeedWrite, ItemFilter, ItemWrite, SortOrder, Validators
from reader.store import SQLiteStore, open_store
from reader.store.sqlite.schema import _V1, SCHEMA_VERSION, _split

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


def item(identity: str, title: str = "A title", text: str = "Some text", **kw: object) -> ItemWrite:
    fields: dict[str, object] = dict(
        identity=identity,
        title=title,
        link=f"https://example.com/{identity}",
        author=None,
        published=None,
        updated=None,
        content_html=f"<p>{text}</p>",
        text=text,
        content_hash=f"{title}|{text}",
    )
    fields.update(kw)
    return ItemWrite(**fields)  # type: ignore[arg-type]


def test_new_database_is_migrated_to_the_current_schema(db_path: Path) -> None:
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sources", "items", "tags", "item_tags", "source_tags", "items_fts"} <= tables


def test_reopening_keeps_data_and_does_not_migrate_again(db_path: Path) -> None:
    with open_store(db_path) as store:
        store.add_feed("https://example.com/feed")
    with open_store(db_path) as store:
        assert [f.url for f in store.get_feeds()] == ["https://example.com/feed"]


def test_version_2_database_keeps_its_search_after_the_index_moves_to_external_content(
    db_path: Path,
) -> None:
    with open_store(db_path) as store:
        feed = store.add_feed("https://example.com/feed", title="Asia Desk")
        store.write_items(
            feed.id, [item("a", title="NATO liaison office", text="Tokyo talks")], now=NOW
        )
    conn = sqlite3.connect(db_path)
    with conn:  # back to version 2's index, the copy of the text included
        conn.executescript(
            "DROP VIEW items_search_text; DROP TRIGGER sources_delete_items;"
            " DROP TRIGGER sources_fts_rename;"
            " DROP TRIGGER items_fts_update;"
            " DROP TRIGGER items_fts_delete; DROP TABLE items_fts;"
            " ALTER TABLE sources DROP COLUMN removed;"  # and what came after version 4
            " ALTER TABLE items DROP COLUMN enclosures;"
        )
        for statement in _split(_V1):
            if "items_fts" in statement:
                conn.execute(statement)
        conn.execute(
            "INSERT INTO items_fts (rowid, title, author, source, body)"
            " SELECT id, title, '', 'Asia Desk ', text FROM items"
        )
        conn.execute("PRAGMA user_version = 2")
    conn.close()
    with open_store(db_path) as store:
        [hit] = store.search('liaison "asia desk" tokyo', highlight=("<", ">"))
        assert hit.item.identity == "a" and "<liaison>" in hit.snippet
        assert store.integrity_check() == "ok"
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_index_stays_consistent_through_renames_edits_pruning_and_removal(
    store: SQLiteStore,
) -> None:
    feed = store.add_feed("https://example.com/feed")
    update = FeedUpdate(checked=NOW, title="First Name")
    store.write_items(
        feed.id, [item("a"), item("b")], now=NOW, feed_url=feed.url, feed_update=update
    )
    store.update_feed(feed.url, FeedUpdate(checked=NOW, title="Second Name"))
    store.write_items(feed.id, [item("a", text="edited words")], now=NOW)
    assert [h.item.identity for h in store.search("source:second edited")] == ["a"]
    assert store.integrity_check() == "ok"
    store.update_feed(
        feed.url, FeedUpdate(checked=NOW, new_url="https://example.com/moved", title="Third")
    )
    assert store.integrity_check() == "ok"
    store.remove_feed("https://example.com/moved")
    assert store.search("edited") == []
    assert store.integrity_check() == "ok"


def test_a_rename_by_any_writer_reindexes_the_feed_items(db_path: Path) -> None:
    with open_store(db_path) as store:
        feed = store.add_feed("https://example.com/feed", title="Old Desk")
        store.write_items(feed.id, [item("a")], now=NOW)
    conn = sqlite3.connect(db_path)
    with conn:  # not through the store: the schema itself keeps the index in step
        conn.execute("UPDATE sources SET user_title = 'New Desk' WHERE id = ?", (feed.id,))
    conn.close()
    with open_store(db_path) as store:
        assert [h.item.identity for h in store.search('source:"new desk"')] == ["a"]
        assert store.search('source:"old desk"') == []
        assert store.integrity_check() == "ok"


def test_database_from_a_newer_program_is_refused(db_path: Path) -> None:
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer than this program"):
        open_store(db_path)


def test_unknown_url_scheme_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="unsupported database URL scheme 'mysql'"):
        open_store("mysql://somewhere/db")


def test_feeds_are_added_once_and_removed_with_their_items(store: SQLiteStore) -> None:
    feed = store.add_feed("https://example.com/feed", title="Example", tags=["NATO"])
    with pytest.raises(FeedExistsError):
        store.add_feed("https://example.com/feed")
    store.write_items(feed.id, [item("a"), item("b")], now=NOW)
    assert store.get_feed(feed.url).item_count == 2
    store.remove_feed(feed.url)
    assert store.count_items() == 0
    with pytest.raises(FeedNotFoundError):
        store.get_feed(feed.url)


def test_changed_items_update_in_place_keeping_marks_and_tags(store: SQLiteStore) -> None:
    feed = store.add_feed("https://example.com/feed")
    counts = store.write_items(feed.id, [item("a"), item("b")], now=NOW)
    assert (counts.new, counts.updated) == (2, 0)
    (first,) = store.get_items(ItemFilter(ids=(1,)))
    store.mark_items([first.id], read=True, starred=True)
    store.add_tags(first.id, ["keep"])

    counts = store.write_items(
        feed.id, [item("a", text="Rewritten"), item("b")], now=NOW + timedelta(hours=1)
    )

    assert (counts.new, counts.updated) == (0, 1)
    again = store.get_item(first.id)
    assert again.text == "Rewritten"
    assert again.read and again.starred and again.tags == ("keep",)
    assert again.first_seen == NOW
    assert store.count_items() == 2


def test_validators_are_saved_with_the_items_they_describe(store: SQLiteStore) -> None:
    feed = store.add_feed("https://example.com/feed")
    update = FeedUpdate(checked=NOW, validators=Validators(etag='"v1"'), title="Feed title")
    store.write_items(feed.id, [item("a")], now=NOW, feed_url=feed.url, feed_update=update)
    saved = store.get_feed(feed.url)
    assert saved.validators.etag == '"v1"'
    assert saved.title == "Feed title"
    assert saved.last_updated == NOW


def test_failed_updates_count_errors_and_success_clears_them(store: SQLiteStore) -> None:
    feed = store.add_feed("https://example.com/feed")
    store.update_feed(feed.url, FeedUpdate(checked=NOW, error="HTTP 500"))
    store.update_feed(feed.url, FeedUpdate(checked=NOW, error="HTTP 502"))
    failing = store.get_feed(feed.url)
    assert (failing.last_error, failing.error_count) == ("HTTP 502", 2)
    store.update_feed(feed.url, FeedUpdate(checked=NOW))
    healed = store.get_feed(feed.url)
    assert (healed.last_error, healed.error_count) == (None, 0)


def test_permanent_move_changes_the_url_unless_it_is_taken(store: SQLiteStore) -> None:
    store.add_feed("https://old.example.com/feed")
    store.add_feed("https://taken.example.com/feed")
    store.update_feed(
        "https://old.example.com/feed",
        FeedUpdate(checked=NOW, new_url="https://new.example.com/feed"),
    )
    store.update_feed(
        "https://new.example.com/feed",
        FeedUpdate(checked=NOW, new_url="https://taken.example.com/feed"),
    )
    assert sorted(f.url for f in store.get_feeds()) == [
        "https://new.example.com/feed",
        "https://taken.example.com/feed",
    ]


def test_due_feeds_are_the_enabled_ones_whose_time_has_come(store: SQLiteStore) -> None:
    for name in ("never", "due", "later", "off"):
        store.add_feed(f"https://example.com/{name}")
    store.update_feed("https://example.com/due", FeedUpdate(checked=NOW, next_check=NOW))
    store.update_feed(
        "https://example.com/later", FeedUpdate(checked=NOW, next_check=NOW + timedelta(hours=1))
    )
    store.update_feed("https://example.com/off", FeedUpdate(checked=NOW, disable_reason="410"))
    due = [f.url for f in store.get_due_feeds(NOW)]
    assert due == ["https://example.com/never", "https://example.com/due"]


def test_marks_round_trip_and_mark_all_read_respects_the_filter(store: SQLiteStore) -> None:
    one = store.add_feed("https://one.example.com/feed", title="One")
    two = store.add_feed("https://two.example.com/feed", title="Two")
    store.write_items(one.id, [item("a"), item("b")], now=NOW)
    store.write_items(two.id, [item("c")], now=NOW)
    ids = [i.id for i in store.get_items(sort=SortOrder.OLDEST)]
    assert store.mark_items(ids[:1], starred=True) == 1
    with pytest.raises(ItemNotFoundError):
        store.mark_items([ids[0], 999], read=True)  # all or nothing
    assert store.count_items(ItemFilter(unread=True)) == 3
    assert store.mark_items([ids[0]], read=True) == 1
    assert store.count_items(ItemFilter(unread=True)) == 2
    assert store.count_items(ItemFilter(starred=True)) == 1
    assert store.mark_all_read(ItemFilter(source="One")) == 1
    assert store.count_items(ItemFilter(unread=True)) == 1
    store.mark_items(ids[:1], read=False, starred=False)
    first = store.get_item(ids[0])
    assert not first.read and not first.starred


def test_tags_are_trimmed_and_case_insensitive(store: SQLiteStore) -> None:
    feed = store.add_feed("https://example.com/feed", tags=["Asia"])
    store.write_items(feed.id, [item("a"), item("b")], now=NOW)
    a, b = (i.id for i in store.get_items(sort=SortOrder.OLDEST))
    store.add_tags(a, ["  Japan  ", "liaison   office"])
    store.add_tags(b, ["japan"])
    assert store.get_item(b).tags == ("Japan",)
    assert store.get_item(a).tags == ("Japan", "liaison office")
    counts = {t.name: t.items for t in store.get_tags()}
    assert counts == {"Asia": 2, "Japan": 2, "liaison office": 1}
    assert store.count_items(ItemFilter(tag="JAPAN")) == 2
    assert store.count_items(ItemFilter(tag="asia")) == 2  # the feed's tag reaches its items
    store.remove_tags(a, ["JAPAN", "liaison office"])
    assert store.get_item(a).tags == ()
    assert {t.name for t in store.get_tags()} == {"Asia", "Japan"}
    with pytest.raises(ItemNotFoundError):
        store.add_tags(12345, ["x"])


def test_search_ranks_title_hits_first_and_highlights(store: SQLiteStore) -> None:
    feed = store.add_feed("https://example.com/feed", title="Asia Desk")
    store.write_items(
        feed.id,
        [
            item("body", title="Other news", text="the liaison office in Tokyo was discussed"),
            item("title", title="NATO liaison office", text="nothing else"),
            item("none", title="Weather", text="rain"),
        ],
        now=NOW,
    )
    hits = store.search("liaison office", highlight=("<", ">"))
    assert [h.item.identity for h in hits] == ["title", "body"]
    assert "<liaison>" in hits[1].snippet
    assert [h.item.identity for h in store.search('"Asia Desk" weather')] == ["none"]
    assert [h.item.identity for h in store.search("liais*")] == ["title", "body"]


@pytest.mark.parametrize("query", ["AND", "NEAR(", "", "   "])
def test_a_search_with_nothing_to_look_for_is_a_clear_error(store: SQLiteStore, query: str) -> None:
    with pytest.raises(InvalidSearchQueryError, match="nothing to search for"):
        store.search(query)


def test_search_index_follows_edits_and_deletes(store: SQLiteStore) -> None:
    feed = store.add_feed("https://example.com/feed")
    store.write_items(feed.id, [item("a", text="first wording")], now=NOW)
    store.write_items(feed.id, [item("a", text="second wording")], now=NOW)
    assert store.search("first") == []
    assert len(store.search("second")) == 1
    store.remove_feed(feed.url)
    assert store.search("second") == []
    assert store.integrity_check() == "ok"


def test_an_identity_repeated_in_one_write_is_inserted_then_updated_in_order(
    store: SQLiteStore,
) -> None:
    feed = store.add_feed("https://example.com/feed")
    writes = [item("x", title="one"), item("y"), item("x", title="two"), item("z")]
    counts = store.write_items(feed.id, writes, now=NOW)
    assert (counts.new, counts.updated) == (3, 1)
    stored = store.get_items(ItemFilter(source_id=feed.id), sort=SortOrder.OLDEST)
    assert [(i.identity, i.title) for i in sorted(stored, key=lambda i: i.id)] == [
        ("x", "two"),
        ("y", "A title"),
        ("z", "A title"),
    ]
    assert [h.item.identity for h in store.search("two")] == ["x"]
    assert store.integrity_check() == "ok"


def test_feeds_written_in_one_transaction_are_each_indexed_under_their_own_name(
    store: SQLiteStore,
) -> None:
    east = store.add_feed("https://example.com/east")
    west = store.add_feed("https://example.com/west")
    writes = [
        FeedWrite(
            feed.id,
            feed.url,
            (item(f"{name}-1", text=f"{name} harbour"), item(f"{name}-2", text="shared words")),
            FeedUpdate(checked=NOW, title=f"{name.title()} Desk"),
        )
        for feed, name in ((east, "east"), (west, "west"))
    ]
    counts = store.write_feeds(writes)
    assert [(c.new, c.updated) for c in counts] == [(2, 0), (2, 0)]
    assert [h.item.identity for h in store.search('source:"west desk" harbour')] == ["west-1"]
    assert sorted(h.item.identity for h in store.search("shared")) == [
        "east-2",
        "west-2",
    ]
    # Written again unchanged: nothing is indexed twice.
    store.write_feeds(writes)
    assert len(store.search("shared")) == 2
    assert store.integrity_check() == "ok"


def test_a_batch_indexes_its_rows_before_an_update_or_a_move_touches_them(
    store: SQLiteStore,
) -> None:
    # One transaction indexes its new rows once, at its end; a repeated identity (an update
    # of a row inserted just before) and a move that renames an untitled feed come earlier.
    moving = store.add_feed("https://example.com/old")
    plain_feed = store.add_feed("https://example.com/plain")
    writes = [
        FeedWrite(
            moving.id,
            moving.url,
            (item("m-1", text="harbour words"), item("m-2")),
            FeedUpdate(checked=NOW, new_url="https://example.com/moved"),
        ),
        FeedWrite(
            plain_feed.id,
            plain_feed.url,
            (item("p-1", title="first"), item("p-2"), item("p-1", title="second")),
            FeedUpdate(checked=NOW),
        ),
    ]
    counts = store.write_feeds(writes)
    assert [(c.new, c.updated) for c in counts] == [(2, 0), (2, 1)]
    assert [h.item.identity for h in store.search('source:"example.com/moved" harbour')] == ["m-1"]
    assert [h.item.identity for h in store.search("title:second")] == ["p-1"]
    assert store.search("title:first") == []
    assert store.integrity_check() == "ok"


def test_search_by_feed_name_follows_the_title_written_with_the_items(store: SQLiteStore) -> None:
    feed = store.add_feed("https://example.com/feed")
    first = FeedUpdate(checked=NOW, title="Pacific Wire")
    store.write_items(feed.id, [item("a")], now=NOW, feed_url=feed.url, feed_update=first)
    assert [h.item.identity for h in store.search('source:"Pacific Wire"')] == ["a"]
    renamed = FeedUpdate(checked=NOW, title="Tokyo Bulletin")
    store.write_items(feed.id, [item("b")], now=NOW, feed_url=feed.url, feed_update=renamed)
    assert sorted(h.item.identity for h in store.search("source:Tokyo")) == ["a", "b"]
    assert store.search("source:Pacific") == []
    assert store.integrity_check() == "ok"


def test_pruned_items_leave_tombstones_and_spare_starred_and_tagged(store: SQLiteStore) -> None:
    feed = store.add_feed("https://example.com/feed")
    store.write_items(feed.id, [item(x) for x in "abcd"], now=NOW)
    ids = {i.identity: i.id for i in store.get_items()}
    store.mark_items(ids.values(), read=True)
    store.mark_items([ids["b"]], starred=True)
    store.add_tags(ids["c"], ["keep"])

    pruned = store.prune_items(NOW + timedelta(days=1))

    assert pruned == 2
    assert sorted(i.identity for i in store.get_items()) == ["b", "c"]
    versions = store.get_item_versions(feed.id)
    assert versions["a"].deleted and not versions["b"].deleted
    counts = store.write_items(feed.id, [item(x) for x in "abcd"], now=NOW + timedelta(days=2))
    assert counts.new == 0  # pruned items do not come back
    assert store.count_items() == 2


def test_newest_and_relevance_sorting(store: SQLiteStore) -> None:
    feed = store.add_feed("https://example.com/feed")
    store.write_items(
        feed.id,
        [
            item("old", published=NOW - timedelta(days=2)),
            item("new", published=NOW),
            item("undated"),
        ],
        now=NOW - timedelta(days=1),
    )
    newest = [i.identity for i in store.get_items()]
    assert newest == ["new", "undated", "old"]
    ids = store.get_item_ids(feed.id)
    store.set_scores({ids["old"]: (0.9, ["nato"]), ids["undated"]: (0.1, [])})
    ranked = store.get_items(sort=SortOrder.RELEVANCE)
    assert [i.identity for i in ranked] == ["old", "undated", "new"]
    assert ranked[0].score_terms == ("nato",)
    assert store.count_items(ItemFilter(min_score=0.5)) == 1


def test_change_counter_grows_with_writes_from_another_connection(db_path: Path) -> None:
    with open_store(db_path) as reader_side, open_store(db_path) as writer_side:
        before = reader_side.change_counter()
        feed = writer_side.add_feed("https://example.com/feed")
        writer_side.write_items(feed.id, [item("a")], now=NOW)
        assert reader_side.change_counter() > before


def test_stories_group_items_and_report_their_sources(store: SQLiteStore) -> None:
    one = store.add_feed("https://one.example.com/feed", title="One")
    two = store.add_feed("https://two.example.com/feed", title="Two")
    store.write_items(one.id, [item("a"), item("b")], now=NOW)
    store.write_items(two.id, [item("c")], now=NOW)
    ids = {i.identity: i.id for i in store.get_items()}
    store.set_stories([("Same event", [ids["a"], ids["c"]]), ("Alone", [ids["b"]])])
    stories = store.get_stories()
    assert [(s.title, sorted(s.sources)) for s in stories] == [("Same event", ["One", "Two"])]
    assert store.get_item(ids["a"]).story_size == 2
