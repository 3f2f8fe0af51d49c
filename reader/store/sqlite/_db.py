"""The SQLite connection: pragmas, short transactions, retries, and time conversion."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from reader.exceptions import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseError,
    DatabaseIOError,
    DatabaseReadOnlyError,
    DiskFullError,
    StorageError,
)

BUSY_TIMEOUT_MS = 10_000
_LOCKED_RETRIES = 5

# Times are stored as fixed-width UTC text so they sort as strings and read well in a shell.
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_db(value: datetime | None) -> str | None:
    """A UTC datetime as stored text (naive datetimes are taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


def from_db(value: str | None) -> datetime | None:
    """Stored text back to an aware UTC datetime."""
    if value is None:
        return None
    return datetime.strptime(value, _TIME_FORMAT).replace(tzinfo=UTC)


NEARLY_FULL_BYTES = 256 * 1024
"""An I/O error on a filesystem with less free space than this is taken as a full disk: SQLite
reports some out-of-space failures (growing the WAL index, a short write) as I/O errors."""


def location_of(path: Path | str) -> str:
    """The database as messages name it: an absolute path (``:memory:`` as it is)."""
    return str(path) if str(path) == ":memory:" else os.path.abspath(path)


def free_bytes(path: Path | str) -> int | None:
    """Free space (for this user) on the filesystem of the database at `path`; None if unknown."""
    if str(path) == ":memory:":
        return None
    try:
        stat = os.statvfs(Path(location_of(path)).parent)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def database_error(exc: sqlite3.Error, path: Path | str) -> StorageError:
    """SQLite's error as ours: a `DatabaseError` subclass when the database itself failed
    (full, broken, read-only, locked), a plain `StorageError` otherwise (a bug or a misuse)."""
    where = location_of(path)
    cause = str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    if primary == sqlite3.SQLITE_FULL:
        return DiskFullError(where, "disk full")
    if primary == sqlite3.SQLITE_IOERR:
        free = free_bytes(path)
        if free is not None and free < NEARLY_FULL_BYTES:
            return DiskFullError(where, f"disk full ({cause})")
        return DatabaseIOError(where, cause)
    if primary == sqlite3.SQLITE_CORRUPT:
        return DatabaseCorruptError(where, cause)
    if primary == sqlite3.SQLITE_NOTADB:
        return DatabaseCorruptError(
            where, cause, "check that it names a reader database, or restore it from a copy"
        )
    if primary == sqlite3.SQLITE_READONLY:
        return DatabaseReadOnlyError(where, cause)
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseBusyError(where, cause)
    if primary == sqlite3.SQLITE_CANTOPEN:
        return DatabaseError(where, cause, "check that its folder exists and can be written")
    return StorageError(f"database {where}: {cause}")


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (creating) a database file with WAL, a busy timeout and foreign keys."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db: sqlite3.Connection | None = None
    try:
        db = sqlite3.connect(
            str(path),
            isolation_level=None,  # we issue BEGIN ourselves, to keep transactions short
            check_same_thread=False,  # the TUI calls from worker threads; a lock serializes
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")  # durable enough under WAL; much faster
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA temp_store = MEMORY")
    except sqlite3.Error as exc:
        if db is not None:
            db.close()
        raise database_error(exc, path) from exc
    return db


BULK_CACHE_KIB = 16_000
"""The page cache (KiB) inside `Database.bulk`: a re-scoring write of 5,000 rows dirties
about 10 MB of item and index pages, and SQLite's default cache (2 MB) spills them to the WAL
before the commit, some twice."""

BULK_CHECKPOINT_PAGES = 16_384
"""WAL pages (64 MB) before a checkpoint inside `Database.bulk` (SQLite's default: 1,000).
Consecutive writes of a walk rewrite the same score index pages: checkpointed after each
commit, each was copied into the database again every time."""


class Database:
    """One connection shared by threads, with transaction helpers that retry on lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.conn = connect(path)
        self.lock = threading.RLock()

    def error(self, exc: sqlite3.Error) -> StorageError:
        """`exc` as the store raises it (see `database_error`)."""
        return database_error(exc, self.path)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent read (one implicit transaction per statement under WAL)."""
        with self.lock:
            try:
                yield self.conn
            except sqlite3.Error as exc:
                raise self.error(exc) from exc

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short `BEGIN IMMEDIATE` transaction that also bumps the change counter.

        IMMEDIATE takes the write lock up front, so a transaction that reads then writes
        never fails half-way with SQLITE_BUSY; waiting for the lock is bounded by the busy
        timeout and a few retries.
        """
        with self.lock:
            self._begin()
            try:
                yield self.conn
                self.conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'changes'"
                )
                self.conn.execute("COMMIT")
            except BaseException as exc:
                if self.conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):  # keep the first error
                        self.conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self.error(exc) from exc
                raise

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Many large writes: a bigger page cache and fewer WAL checkpoints inside the block
        (the first commit after it checkpoints what the WAL holds, as any commit over
        SQLite's threshold does)."""
        with self.lock:
            try:
                cache = int(self.conn.execute("PRAGMA cache_size").fetchone()[0])
                pages = int(self.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
                self.conn.execute(f"PRAGMA cache_size = {-BULK_CACHE_KIB}")
                self.conn.execute(f"PRAGMA wal_autocheckpoint = {BULK_CHECKPOINT_PAGES}")
            except sqlite3.Error as exc:
                raise self.error(exc) from exc
        try:
            yield
        finally:
            with self.lock:
                try:
                    self.conn.execute(f"PRAGMA cache_size = {cache}")
                    self.conn.execute(f"PRAGMA wal_autocheckpoint = {pages}")
                except sqlite3.Error as exc:
                    raise self.error(exc) from exc

    def _begin(self) -> None:
        for attempt in range(_LOCKED_RETRIES):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.Error as exc:
                error = self.error(exc)
                if not isinstance(error, DatabaseBusyError):
                    raise error from exc
                if attempt == _LOCKED_RETRIES - 1:
                    raise DatabaseBusyError(
                        error.location, f"stayed locked by another process ({exc})"
                    ) from exc
                time.sleep(0.05 * (attempt + 1))


def now_utc() -> datetime:
    return datetime.now(UTC)
