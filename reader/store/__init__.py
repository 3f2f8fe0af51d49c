"""The store: one typed API (`Store`) over a database; SQL stays inside this package.

`open_store` picks the backend from the location: a file path (or ``sqlite:///path``) is an
SQLite file; a ``postgresql://`` (or ``postgres://``) URL is a PostgreSQL database.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from reader.config import DATABASE_URL_SCHEMES as POSTGRES_SCHEMES
from reader.exceptions import StorageError
from reader.store.base import Store
from reader.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from reader.store.postgres import PostgresStore

__all__ = ["PostgresStore", "SQLiteStore", "Store", "copy_to_postgres", "open_store"]


def open_store(location: Path | str) -> Store:
    """Open the store at a path or URL, creating and migrating it."""
    text = str(location)
    if text.startswith("sqlite:///"):
        return SQLiteStore(Path(text.removeprefix("sqlite:///")).expanduser())
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme in POSTGRES_SCHEMES:
            from reader.store.postgres import PostgresStore  # psycopg loads only when used

            return PostgresStore(text)
        raise StorageError(
            f"unsupported database URL scheme {scheme!r}; use a file path or a postgresql:// URL"
        )
    return SQLiteStore(Path(text).expanduser())


def copy_to_postgres(
    source: Path, target_url: str, *, on_table: Callable[[str, int], None] | None = None
) -> list[tuple[str, int]]:
    """Copy the SQLite store at `source` into an empty PostgreSQL database, checking counts.

    Returns the rows copied per table; raises `StorageError` (keeping nothing) on a mismatch.
    """
    if target_url.split("://", 1)[0].lower() not in POSTGRES_SCHEMES:
        raise StorageError("the copy's target must be a postgresql:// URL")
    from reader.store.postgres.importer import copy_sqlite_to_postgres

    return list(copy_sqlite_to_postgres(source, target_url, on_table=on_table).counts)


def __getattr__(name: str) -> object:
    if name == "PostgresStore":
        from reader.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(name)
