"""The story index's rows: one per grouped item, its key terms and their weights packed.

An item's key terms are looked up together (a batch reads the story window's days whole), so
they are kept in one row, not one row per term: a full regroup of 100,000 items writes 100,000
rows instead of 2.1 million, and the index needs no second B-tree of every term to delete an
item's entries. Terms are single words (no spaces); the weights are little-endian doubles,
the floats the grouping computed, bit for bit.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from collections.abc import Iterable, Iterator

_SWAP = sys.byteorder != "little"


def pack_keys(keys: Iterable[tuple[str, float]]) -> tuple[str, bytes]:
    """(terms separated by spaces, weights as little-endian doubles) of an item's keys."""
    terms: list[str] = []
    weights = array("d")
    for term, weight in keys:
        terms.append(term)
        weights.append(weight)
    if _SWAP:
        weights.byteswap()
    return " ".join(terms), weights.tobytes()


def unpack_keys(terms: str, weights: bytes) -> list[tuple[str, float]]:
    """The (term, weight) pairs `pack_keys` packed, in their order."""
    values = array("d")
    values.frombytes(weights)
    if _SWAP:
        values.byteswap()
    return list(zip(terms.split(" "), values, strict=True)) if terms else []


def by_item(
    rows: Iterable[tuple[int, str, int, int, float]],
) -> Iterator[tuple[int, int, int, str, bytes]]:
    """(day, item id, source id, terms, weights) rows, in index order, from per-term postings
    (day, term, item id, source id, weight) ordered by day: the old index, packed, one day in
    memory at a time. An item's keys go strongest first, as grouping orders them."""
    day: int | None = None
    items: dict[int, tuple[int, list[tuple[float, str]]]] = {}

    def packed() -> Iterator[tuple[int, int, int, str, bytes]]:
        for item in sorted(items):
            source, keys = items[item]
            keys.sort(key=lambda k: (-k[0], k[1]))
            yield (day or 0, item, source, *pack_keys((t, w) for w, t in keys))

    for row_day, term, item, source, weight in rows:
        if row_day != day:
            yield from packed()
            day, items = row_day, {}
        items.setdefault(item, (source, []))[1].append((weight, term))
    yield from packed()


_V13 = """
CREATE TABLE IF NOT EXISTS story_keys (
    day       INTEGER NOT NULL,
    item_id   INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE,
    source_id INTEGER NOT NULL,
    terms     TEXT NOT NULL,
    weights   BLOB NOT NULL,
    PRIMARY KEY (day, item_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS story_keys_by_item ON story_keys (item_id);
"""


def apply_v13(db: sqlite3.Connection) -> None:
    """Schema version 13: the story index as one row per grouped item (`story_keys`: its day,
    source, key terms and weights) instead of one row per key term (`story_postings`): a batch
    reads the story window's days whole either way, and a full regroup of 100,000 items wrote
    2.1 million rows and a second B-tree of them by item. The entries are carried over,
    packed, a day at a time."""
    for statement in _V13.split(";"):
        if statement.strip():
            db.execute(statement)
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'story_postings'"
    ).fetchone()
    if found is None:  # a database rewound to an older version number (tests do)
        return
    rows = db.execute(
        "SELECT day, term, item_id, source_id, weight FROM story_postings ORDER BY day"
    )
    db.executemany(
        "INSERT OR REPLACE INTO story_keys (day, item_id, source_id, terms, weights)"
        " VALUES (?, ?, ?, ?, ?)",
        by_item(rows),
    )
    db.execute("DROP TABLE story_postings")
