"""The schema and its forward migrations, applied in order on open."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable

from reader.exceptions import StorageError
from reader.store.base import SEARCH_BODY_CHARS
from reader.store.sqlite.story_keys import apply_v13 as _apply_v13

_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);
INSERT INTO meta (key, value) VALUES ('changes', '0');

CREATE TABLE sources (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL DEFAULT 'feed' CHECK (kind IN ('feed', 'seeds')),
    title           TEXT,
    user_title      TEXT,
    link            TEXT,
    added           TEXT NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 1,
    disabled_reason TEXT,
    etag            TEXT,
    last_modified   TEXT,
    body_hash       TEXT,
    last_checked    TEXT,
    last_updated    TEXT,
    next_check      TEXT,
    last_error      TEXT,
    error_count     INTEGER NOT NULL DEFAULT 0,
    update_interval INTEGER,
    ttl             INTEGER
);
CREATE INDEX sources_due ON sources (enabled, next_check);

CREATE TABLE stories (
    id      INTEGER PRIMARY KEY,
    title   TEXT NOT NULL
);

CREATE TABLE items (
    id           INTEGER PRIMARY KEY,
    source_id    INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    identity     TEXT NOT NULL,
    title        TEXT,
    link         TEXT,
    author       TEXT,
    published    TEXT,
    updated      TEXT,
    first_seen   TEXT NOT NULL,
    sort_date    TEXT NOT NULL,
    content_html TEXT,
    text         TEXT,
    summary      TEXT,
    source_names TEXT,
    content_hash TEXT,
    read         INTEGER NOT NULL DEFAULT 0,
    starred      INTEGER NOT NULL DEFAULT 0,
    score        REAL,
    score_terms  TEXT,
    story_id     INTEGER REFERENCES stories (id) ON DELETE SET NULL,
    UNIQUE (source_id, identity)
);
CREATE INDEX items_by_date ON items (sort_date);
CREATE INDEX items_unread_by_date ON items (read, sort_date);
CREATE INDEX items_starred_by_date ON items (starred, sort_date);
CREATE INDEX items_source_by_date ON items (source_id, sort_date);
CREATE INDEX items_by_score ON items (score);
CREATE INDEX items_by_story ON items (story_id);

-- Items pruned by retention: their identities stay so a later fetch does not re-add them.
CREATE TABLE deleted_items (
    source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    identity  TEXT NOT NULL,
    deleted   TEXT NOT NULL,
    PRIMARY KEY (source_id, identity)
) WITHOUT ROWID;

CREATE TABLE tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE item_tags (
    item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    tag_id  INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (item_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX item_tags_by_tag ON item_tags (tag_id);
CREATE TABLE source_tags (
    source_id INTEGER NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    tag_id    INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (source_id, tag_id)
) WITHOUT ROWID;

-- Full-text index over title, author, source and body; the triggers keep it in sync.
CREATE VIRTUAL TABLE items_fts USING fts5 (
    title, author, source, body,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, author, source, body)
    VALUES (
        new.id, coalesce(new.title, ''), coalesce(new.author, ''),
        (SELECT coalesce(user_title, title, url) FROM sources WHERE id = new.source_id)
            || ' ' || coalesce(new.source_names, ''),
        coalesce(new.text, '')
    );
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF title, author, text, source_names ON items
BEGIN
    DELETE FROM items_fts WHERE rowid = old.id;
    INSERT INTO items_fts (rowid, title, author, source, body)
    VALUES (
        new.id, coalesce(new.title, ''), coalesce(new.author, ''),
        (SELECT coalesce(user_title, title, url) FROM sources WHERE id = new.source_id)
            || ' ' || coalesce(new.source_names, ''),
        coalesce(new.text, '')
    );
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    DELETE FROM items_fts WHERE rowid = old.id;
END;
"""


def _apply_v1(db: sqlite3.Connection) -> None:
    for statement in _split(_V1):
        db.execute(statement)


def _split(script: str) -> list[str]:
    """Split a script into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _apply_v2(db: sqlite3.Connection) -> None:
    """Relevance order (score, then date) read straight off an index, deep pages included."""
    db.execute("DROP INDEX IF EXISTS items_by_score")
    db.execute("CREATE INDEX items_by_score_date ON items (score, sort_date)")


# The name the index holds for an item's feed: its display name and the item's source names.
_SOURCE_OF = """(SELECT coalesce(user_title, title, url) FROM sources WHERE id = {row}.source_id)
            || ' ' || coalesce({row}.source_names, '')"""


def _fts_values(row: str) -> str:
    """The indexed column values (title, author, source, body) of `row` (new, old, i)."""
    return (
        f"coalesce({row}.title, ''), coalesce({row}.author, ''), "
        f"{_SOURCE_OF.format(row=row)}, coalesce({row}.text, '')"
    )


_V3 = f"""
DROP TRIGGER items_fts_insert;
DROP TRIGGER items_fts_update;
DROP TRIGGER items_fts_delete;
DROP TABLE items_fts;
CREATE VIEW items_search_text (id, title, author, source, body) AS
    SELECT i.id, {_fts_values("i")} FROM items i;
CREATE VIRTUAL TABLE items_fts USING fts5 (
    title, author, source, body,
    content = 'items_search_text', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts (rowid, title, author, source, body)
    VALUES (new.id, {_fts_values("new")});
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF title, author, text, source_names ON items
BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, author, source, body)
    VALUES ('delete', old.id, {_fts_values("old")});
    INSERT INTO items_fts (rowid, title, author, source, body)
    VALUES (new.id, {_fts_values("new")});
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, author, source, body)
    VALUES ('delete', old.id, {_fts_values("old")});
END;
CREATE TRIGGER sources_delete_items BEFORE DELETE ON sources BEGIN
    DELETE FROM items WHERE source_id = old.id;
END;
CREATE TRIGGER sources_fts_rename AFTER UPDATE OF title, user_title, url ON sources
WHEN coalesce(old.user_title, old.title, old.url)
    IS NOT coalesce(new.user_title, new.title, new.url)
BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, author, source, body)
    SELECT 'delete', id, coalesce(title, ''), coalesce(author, ''),
        coalesce(old.user_title, old.title, old.url) || ' ' || coalesce(source_names, ''),
        coalesce(text, '')
    FROM items WHERE source_id = old.id;
    INSERT INTO items_fts (rowid, title, author, source, body)
    SELECT id, coalesce(title, ''), coalesce(author, ''),
        coalesce(new.user_title, new.title, new.url) || ' ' || coalesce(source_names, ''),
        coalesce(text, '')
    FROM items WHERE source_id = new.id;
END;
INSERT INTO items_fts (items_fts) VALUES ('rebuild');
"""


def _apply_v3(db: sqlite3.Connection) -> None:
    """The full-text index without its own copy of the text (external content).

    Version 1's index stored every item's text a second time: about a quarter of the
    database, and about a fifth of the CPU of writing an item. Now the index reads text from
    `items` (through the `items_search_text` view) when a snippet needs it. An external-content
    index must be told exactly what it indexed to remove a row, so triggers do all of it in
    SQL, whoever writes: item updates and deletes pass the old values, a feed's items are
    deleted before the feed itself (its name is still there to pass), and a feed whose display
    name changes has its items re-indexed under the new name. Search results, ranking and
    snippets are the same as before. (Version 4 indexes new items from the store's code
    instead of a trigger.)
    """
    for statement in _split(_V3):
        db.execute(statement)


def _apply_v4(db: sqlite3.Connection) -> None:
    """New items are indexed by the store's write code, not by a trigger.

    FTS5 (SQLite 3.40) writes its pending terms out as a new index segment at every statement
    savepoint, and a trigger runs inside one for each inserted row: with the insert trigger,
    an update wrote one tiny segment per item and then merged them. Measured with 500 news
    items per transaction, indexing cost 6.5 ms per 50 items through the trigger and 2.3 ms as
    one `INSERT ... SELECT` per batch. So `ItemsMixin` indexes the rows it has just inserted
    (all item inserts go through it), in the same transaction; updates, deletes and renames
    are rare and keep their triggers.
    """
    db.execute("DROP TRIGGER items_fts_insert")


def _apply_v5(db: sqlite3.Connection) -> None:
    """A removed feed can leave its starred and tagged items behind.

    `sources.removed` is when the user unsubscribed; such a source is no longer a feed anyone
    sees, fetches or counts, but the items the user kept still name it. Subscribing to the
    same URL again brings it back, with those items.
    """
    db.execute("ALTER TABLE sources ADD COLUMN removed TEXT")


def _apply_v6(db: sqlite3.Connection) -> None:
    """Items keep what they carry: enclosures (podcasts, videos, images) and thumbnails, as
    one JSON list read with the item's body. (The links of the text are read from the body.)"""
    db.execute("ALTER TABLE items ADD COLUMN enclosures TEXT")


def _fts_values_bounded(row: str) -> str:
    """`_fts_values` with the body cut to `SEARCH_BODY_CHARS` (schema version 7 on)."""
    return (
        f"coalesce({row}.title, ''), coalesce({row}.author, ''), "
        f"{_SOURCE_OF.format(row=row)}, substr(coalesce({row}.text, ''), 1, {SEARCH_BODY_CHARS})"
    )


_V7_BIG = f"length(text) > {SEARCH_BODY_CHARS}"

_V7 = f"""
DROP VIEW items_search_text;
CREATE VIEW items_search_text (id, title, author, source, body) AS
    SELECT i.id, {_fts_values_bounded("i")} FROM items i;
DROP TRIGGER items_fts_update;
CREATE TRIGGER items_fts_update AFTER UPDATE OF title, author, text, source_names ON items
BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, author, source, body)
    VALUES ('delete', old.id, {_fts_values_bounded("old")});
    INSERT INTO items_fts (rowid, title, author, source, body)
    VALUES (new.id, {_fts_values_bounded("new")});
END;
DROP TRIGGER items_fts_delete;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, author, source, body)
    VALUES ('delete', old.id, {_fts_values_bounded("old")});
END;
DROP TRIGGER sources_fts_rename;
CREATE TRIGGER sources_fts_rename AFTER UPDATE OF title, user_title, url ON sources
WHEN coalesce(old.user_title, old.title, old.url)
    IS NOT coalesce(new.user_title, new.title, new.url)
BEGIN
    INSERT INTO items_fts (items_fts, rowid, title, author, source, body)
    SELECT 'delete', id, coalesce(title, ''), coalesce(author, ''),
        coalesce(old.user_title, old.title, old.url) || ' ' || coalesce(source_names, ''),
        substr(coalesce(text, ''), 1, {SEARCH_BODY_CHARS})
    FROM items WHERE source_id = old.id;
    INSERT INTO items_fts (rowid, title, author, source, body)
    SELECT id, coalesce(title, ''), coalesce(author, ''),
        coalesce(new.user_title, new.title, new.url) || ' ' || coalesce(source_names, ''),
        substr(coalesce(text, ''), 1, {SEARCH_BODY_CHARS})
    FROM items WHERE source_id = new.id;
END;
"""


def _apply_v7(db: sqlite3.Connection) -> None:
    """The full-text index holds at most `SEARCH_BODY_CHARS` of a body, so every search (and
    its snippet) is bounded whatever the stored bodies are.

    Only items with longer bodies are re-indexed: removed with the exact text they were
    indexed with (the old triggers' values), added again through the new view.
    """
    db.execute(
        "INSERT INTO items_fts (items_fts, rowid, title, author, source, body)"
        f" SELECT 'delete', i.id, {_fts_values('i')} FROM items i WHERE {_V7_BIG}"
    )
    for statement in _split(_V7):
        db.execute(statement)
    db.execute(
        "INSERT INTO items_fts (rowid, title, author, source, body)"
        f" SELECT id, title, author, source, body FROM items_search_text WHERE id IN"
        f" (SELECT id FROM items WHERE {_V7_BIG})"
    )


_V8 = """
CREATE INDEX IF NOT EXISTS items_ungrouped ON items (sort_date, id) WHERE grouped = 0;
CREATE INDEX IF NOT EXISTS items_unscored ON items (id) WHERE score IS NULL;
CREATE TABLE IF NOT EXISTS story_postings (
    term      TEXT NOT NULL,
    day       INTEGER NOT NULL,
    item_id   INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL,
    weight    REAL NOT NULL,
    PRIMARY KEY (term, day, item_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS story_postings_by_item ON story_postings (item_id);
UPDATE items SET story_id = NULL WHERE story_id IS NOT NULL;
DELETE FROM stories;
"""


def _apply_v8(db: sqlite3.Connection) -> None:
    """Stories kept up to date item by item.

    A queue of items waiting to be grouped (`grouped = 0`, the default for every new row, so
    every writer enqueues by inserting); an index of each grouped item's key terms by day
    (`story_postings`: a new item finds the reports it may share a story with through its rare
    terms within the story window, never by reading the whole store); each story's centroid
    (what it is about, so a report that shares only a place with it stays out); a queue of
    items waiting for a score. Existing items wait to be grouped once, into new stories (the
    old grouping compared every pair and kept no index).
    """
    for table, column, declaration in (
        ("items", "grouped", "INTEGER NOT NULL DEFAULT 0"),
        ("stories", "centroid", "TEXT"),
    ):
        if not any(row[1] == column for row in db.execute(f"PRAGMA table_info({table})")):
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    for statement in _split(_V8):
        db.execute(statement)


_READING_COLUMNS = (
    ("items", "hidden", "INTEGER NOT NULL DEFAULT 0"),
    ("items", "score_adjust", "REAL NOT NULL DEFAULT 0"),
    ("items", "full_text", "INTEGER NOT NULL DEFAULT 0"),
    ("sources", "full_text", "INTEGER"),
)
_READING = """
CREATE TABLE IF NOT EXISTS views (
    name  TEXT PRIMARY KEY COLLATE NOCASE,
    query TEXT NOT NULL,
    added TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS alerts_sent (
    item_id INTEGER PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
    sent    TEXT NOT NULL
);
"""


def _apply_v9(db: sqlite3.Connection) -> None:
    """Reading depth (issue 14): rules' marks, saved views, full articles and alerts.

    `items.hidden` (a rule's ``hide``: kept, listed only in the Hidden view), `items.score_adjust`
    (a rule's ``score+0.2``, kept apart so re-scoring adds it again), `items.full_text` (the
    text is the linked article's), `sources.full_text` (per-feed switch; NULL follows
    ``[fetch] full_text``), `views` (saved queries) and `alerts_sent` (at most one alert per
    story).
    """
    for table, column, declaration in _READING_COLUMNS:
        # A database rewound to an older version number (tests do) may have them already.
        have = {str(r[1]) for r in db.execute(f"PRAGMA table_info({table})")}
        if column not in have:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
    for statement in _split(_READING):
        db.execute(statement)


_V10 = """
CREATE TABLE story_postings_by_day (
    day       INTEGER NOT NULL,
    term      TEXT NOT NULL,
    item_id   INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL,
    weight    REAL NOT NULL,
    PRIMARY KEY (day, term, item_id)
) WITHOUT ROWID;
INSERT INTO story_postings_by_day (day, term, item_id, source_id, weight)
    SELECT day, term, item_id, source_id, weight FROM story_postings ORDER BY day, term, item_id;
DROP TABLE story_postings;
ALTER TABLE story_postings_by_day RENAME TO story_postings;
CREATE INDEX story_postings_by_item ON story_postings (item_id);
"""


def _apply_v10(db: sqlite3.Connection) -> None:
    """The story index ordered by day first (it was by term first): new items are reports of
    the last few days, so their terms go into a few adjacent pages instead of one page per term
    all over the index, and a look-up reads only the story window's days."""
    layout = {str(r[1]): int(r[5]) for r in db.execute("PRAGMA table_info(story_postings)")}
    if layout.get("day") == 1:  # a database rewound to an older version number (tests do)
        return
    for statement in _split(_V10):
        db.execute(statement)


_V11 = """
CREATE TABLE IF NOT EXISTS story_terms (
    term  TEXT PRIMARY KEY,
    items INTEGER NOT NULL
) WITHOUT ROWID;
"""


def _apply_v11(db: sqlite3.Connection) -> None:
    """The stories' term statistics, kept as items are grouped: how many grouped items use
    each lead term (the row of the empty term counts the items). Stories were grouped with
    statistics learned once from the first items of a store; now every batch is weighed with
    those of all the items grouped before it and its own, as a full regroup in one pass is.
    Existing items count from the next full regroup on."""
    for statement in _split(_V11):
        db.execute(statement)


def _apply_v12(db: sqlite3.Connection) -> None:
    """The unread index covers `hidden` (schema 9's column), so counting unread items (the
    reader's sidebar) reads the index alone, not every row (0.35 s at 100,000 items)."""
    db.execute("DROP INDEX IF EXISTS items_unread_by_date")
    db.execute("CREATE INDEX items_unread_by_date ON items (read, hidden, sort_date)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _apply_v1,
    _apply_v2,
    _apply_v3,
    _apply_v4,
    _apply_v5,
    _apply_v6,
    _apply_v7,
    _apply_v8,
    _apply_v9,
    _apply_v10,
    _apply_v11,
    _apply_v12,
    _apply_v13,
]
"""MIGRATIONS[n] takes a database from version n to n + 1. Only ever append."""

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring the database to the current schema; return the version it was at.

    A failure (a full disk, a read-only file) leaves the database as it was; SQLite's error is
    raised as it is, for the store to name the database in its own error."""
    try:
        db.execute("BEGIN IMMEDIATE")
        found = int(db.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise StorageError(
                f"database schema version {found} is newer than this program's "
                f"({SCHEMA_VERSION}); upgrade the program"
            )
        for version in range(found, SCHEMA_VERSION):
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {version + 1}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # a failed COMMIT may have rolled back
                db.execute("ROLLBACK")
        raise
    return found
