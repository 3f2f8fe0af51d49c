"""The SQLite backend of the store."""

from reader.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore"]
