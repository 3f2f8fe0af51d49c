"""The store: one typed API (`Store`) over a database; SQL stays inside this package."""

from __future__ import annotations

from pathlib import Path

from reader.exceptions import StorageError
from reader.store.base import Store
from reader.store.sqlite import SQLiteStore

__all__ = ["SQLiteStore", "Store", "open_store"]


def open_store(location: Path | str) -> SQLiteStore:
    """Open the store at a path (or ``sqlite:///path`` URL), creating and migrating it.

    Other URL schemes name other backends; only SQLite ships today.
    """
    text = str(location)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    elif "://" in text:
        scheme = text.split("://", 1)[0]
        raise StorageError(f"unsupported database URL scheme {scheme!r}; use a file path")
    return SQLiteStore(Path(text).expanduser())
