"""Copy an SQLite store into an empty PostgreSQL store: everything, ids kept, counts checked.

The copy runs in one PostgreSQL transaction, so a failure leaves the target empty. Rows keep
their ids (item ids a user has noted stay valid); the identity sequences are moved past them.
The search index is written by the target's own trigger as items arrive. Every table of the
SQLite schema must be named in `TABLES`: a table added there and not here is an error, not
a silent loss.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from reader.exceptions import StorageError
from reader.store.postgres._db import Database
from reader.store.sqlite import SQLiteStore
from reader.store.sqlite._db import from_db
from reader.store.sqlite.story_keys import unpack_keys

Convert = Callable[[Any], Any]


def _time(value: Any) -> Any:
    return from_db(value)


def _flag(value: Any) -> bool:
    return bool(value)


def _optional_flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _json_list(value: Any) -> list[str] | None:
    if not value:
        return None
    parsed = json.loads(value)
    return [str(v) for v in parsed] if isinstance(parsed, list) and parsed else None


@dataclass(frozen=True)
class Table:
    """One table to copy: its columns in both schemas and how values convert."""

    name: str
    columns: tuple[str, ...]
    convert: dict[str, Convert]
    where: str = ""
    """A filter on the SQLite side (rows the target makes itself are left out)."""
    has_identity: bool = False
    """Its `id` is an identity column whose sequence must move past the copied ids."""
    packed_from: str | None = None
    """The SQLite table it comes from when that one packs its rows (the story index keeps one
    row per item there, `story_keys`, and one row per key term here)."""

    @property
    def sqlite_name(self) -> str:
        return self.packed_from or self.name


TABLES: tuple[Table, ...] = (
    Table("meta", ("key", "value"), {}, where="WHERE key <> 'changes'"),
    Table(
        "sources",
        (
            "id", "url", "kind", "title", "user_title", "link", "added", "enabled",
            "disabled_reason", "etag", "last_modified", "body_hash", "last_checked",
            "last_updated", "next_check", "last_error", "error_count", "update_interval", "ttl",
            "removed", "full_text",
        ),
        {
            "added": _time, "enabled": _flag, "last_checked": _time,
            "last_updated": _time, "next_check": _time, "removed": _time,
            "full_text": _optional_flag,
        },
        has_identity=True,
    ),
    Table("stories", ("id", "title", "centroid"), {}, has_identity=True),
    Table(
        "items",
        (
            "id", "source_id", "identity", "title", "link", "author", "published", "updated",
            "first_seen", "sort_date", "content_html", "text", "summary", "source_names",
            "content_hash", "read", "starred", "score", "score_terms", "story_id",
            "enclosures", "grouped", "hidden", "score_adjust", "full_text",
        ),
        {
            "published": _time, "updated": _time, "first_seen": _time, "sort_date": _time,
            "source_names": _json_list, "read": _flag, "starred": _flag,
            "score_terms": _json_list, "grouped": _flag, "hidden": _flag, "full_text": _flag,
        },
        has_identity=True,
    ),
    Table(
        "story_postings",
        ("term", "day", "item_id", "source_id", "weight"),
        {},
        packed_from="story_keys",
    ),
    Table("story_terms", ("term", "items"), {}),
    Table("deleted_items", ("source_id", "identity", "deleted"), {"deleted": _time}),
    Table("tags", ("id", "name"), {}, has_identity=True),
    Table("item_tags", ("item_id", "tag_id"), {}),
    Table("source_tags", ("source_id", "tag_id"), {}),
    Table("views", ("name", "query", "added"), {"added": _time}),
    Table("alerts_sent", ("item_id", "sent"), {"sent": _time}),
)  # fmt: skip

_SQLITE_ONLY = ("items_fts",)
"""SQLite tables with no counterpart: the full-text index (a tsvector column there)."""


@dataclass(frozen=True)
class CopyReport:
    """Rows copied per table, counted again on both sides after the copy."""

    counts: tuple[tuple[str, int], ...]
    read: int
    starred: int


def _sqlite_tables(conn: sqlite3.Connection) -> set[str]:
    names = {
        str(r[0])
        for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not str(r[0]).startswith("sqlite_")
    }
    return {n for n in names if not any(n.startswith(f) for f in _SQLITE_ONLY)}


def _rows(conn: sqlite3.Connection, table: Table) -> Iterator[Sequence[Any]]:
    if table.packed_from is not None:
        rows = conn.execute(
            f"SELECT day, item_id, source_id, terms, weights FROM {table.packed_from}"
        )
        for day, item, source, terms, weights in rows:
            for term, weight in unpack_keys(terms, weights):
                yield [term, day, item, source, weight]
        return
    cursor = conn.execute(f"SELECT {', '.join(table.columns)} FROM {table.name} {table.where}")
    converters = [table.convert.get(c) for c in table.columns]
    for row in cursor:
        yield [v if f is None else f(v) for v, f in zip(row, converters, strict=True)]


def _marks(conn: psycopg.Connection) -> tuple[int, int]:
    row = conn.execute(
        "SELECT count(*) FILTER (WHERE read), count(*) FILTER (WHERE starred) FROM items"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def copy_sqlite_to_postgres(
    source: Path, target_url: str, *, on_table: Callable[[str, int], None] | None = None
) -> CopyReport:
    """Copy the SQLite store at `source` into the (empty) PostgreSQL database at `target_url`.

    `on_table(name, rows)` is called after each table. Raises `StorageError` when the target
    already holds feeds or items, or when any count differs after the copy (nothing is kept).
    """
    if not source.is_file():
        raise StorageError(f"no SQLite store at {source}")
    SQLiteStore(source).close()  # brought to the current schema first
    target = Database(target_url)
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        unknown = _sqlite_tables(lite) - {t.sqlite_name for t in TABLES}
        if unknown:
            raise StorageError(
                f"the copy does not know the SQLite table(s) {', '.join(sorted(unknown))}"
            )
        lite.execute("BEGIN")  # one snapshot of the source, even if a daemon still writes

        def work(conn: psycopg.Connection) -> CopyReport:
            for name in ("sources", "items"):
                row = conn.execute(f"SELECT count(*) FROM {name}").fetchone()
                if row is not None and int(row[0]):
                    raise StorageError(
                        f"{target.display} is not empty ({name}: {row[0]} rows);"
                        " copy into an empty database"
                    )
            conn.execute("DELETE FROM meta")
            counts: list[tuple[str, int]] = []
            for table in TABLES:
                copied = _copy_table(lite, conn, table)
                counts.append((table.name, copied))
                if on_table is not None:
                    on_table(table.name, copied)
            _check_counts(lite, conn)
            lite_marks = _marks_sqlite(lite)
            pg_marks = _marks(conn)
            if lite_marks != pg_marks:
                raise StorageError(
                    f"read/starred marks differ after the copy: {lite_marks} in SQLite,"
                    f" {pg_marks} in PostgreSQL; nothing was kept"
                )
            return CopyReport(tuple(counts), read=pg_marks[0], starred=pg_marks[1])

        return target.write(work)
    finally:
        lite.close()
        target.close()


def _copy_table(lite: sqlite3.Connection, conn: psycopg.Connection, table: Table) -> int:
    copied = 0
    columns = ", ".join(table.columns)
    with conn.cursor().copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
        for row in _rows(lite, table):
            copy.write_row(row)
            copied += 1
    if table.has_identity:
        conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
            f" coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
        )
    return copied


def _check_counts(lite: sqlite3.Connection, conn: psycopg.Connection) -> None:
    for table in TABLES:
        count = "count(*)" if table.packed_from is None else "coalesce(sum(length(weights) / 8), 0)"
        source_count = int(
            lite.execute(f"SELECT {count} FROM {table.sqlite_name} {table.where}").fetchone()[0]
        )
        row = conn.execute(f"SELECT count(*) FROM {table.name}").fetchone()
        target_count = int(row[0]) if row is not None else -1
        if source_count != target_count:
            raise StorageError(
                f"{table.name}: {source_count} rows in SQLite but {target_count} in PostgreSQL"
                " after the copy; nothing was kept"
            )


def _marks_sqlite(lite: sqlite3.Connection) -> tuple[int, int]:
    row = lite.execute(
        "SELECT coalesce(sum(read = 1), 0), coalesce(sum(starred = 1), 0) FROM items"
    ).fetchone()
    return int(row[0]), int(row[1])
