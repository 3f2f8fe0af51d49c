"""The SQLite connection: pragmas, short transactions, retries, and time conversion."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from reader.exceptions import StorageError

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


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (creating) a database file with WAL, a busy timeout and foreign keys."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
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
        raise StorageError(f"cannot open database {path}: {exc}") from exc
    return db


class Database:
    """One connection shared by threads, with transaction helpers that retry on lock."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.conn = connect(path)
        self.lock = threading.RLock()

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
                raise StorageError(f"database error: {exc}") from exc

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
                    raise StorageError(f"database error: {exc}") from exc
                raise

    def _begin(self) -> None:
        for attempt in range(_LOCKED_RETRIES):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise StorageError(f"database error: {exc}") from exc
                if attempt == _LOCKED_RETRIES - 1:
                    raise StorageError(
                        f"database {self.path} stayed locked by another process: {exc}"
                    ) from exc
                time.sleep(0.05 * (attempt + 1))


def now_utc() -> datetime:
    return datetime.now(UTC)
