"""The PostgreSQL connection pool: short transactions, reconnection, and error translation.

Every store method hands its work to `Database.read` or `Database.write` as a function of a
connection. The function may run more than once: when the connection drops or the server
restarts mid-transaction, the transaction is rolled back by the server and the whole
function runs again on a fresh connection, until `RECONNECT_WINDOW` has passed. Our write
transactions are idempotent (items are diffed against what is stored inside the transaction),
so a retry neither loses nor duplicates anything. One log line says what happened.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import psycopg
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from reader.exceptions import (
    DatabaseCorruptError,
    DatabaseError,
    DatabaseIOError,
    DatabaseReadOnlyError,
    DatabaseUnavailableError,
    DiskFullError,
    StorageError,
)
from reader.store.postgres.schema import migrate
from reader.store.urls import redact

logger = logging.getLogger("reader.store.postgres")

T = TypeVar("T")

CONNECT_TIMEOUT = 10
"""Seconds to wait for the server when opening a connection."""

RECONNECT_WINDOW = 60.0
"""Seconds a store call keeps trying to reach a restarting server before it gives up."""

POOL_SIZE = 8
"""Connections one store keeps at most (the TUI's workers, a daemon's writer and readers)."""

NOTIFY_CHANNEL = "reader_changes"
"""`LISTEN reader_changes` to hear about every committed write (the payload is the counter)."""

_BUMP = (
    "WITH bumped AS (UPDATE changes SET counter = counter + 1 RETURNING counter)"
    f" SELECT pg_notify('{NOTIFY_CHANNEL}', counter::text) FROM bumped"
)

# SQLSTATEs after which the whole transaction may simply run again.
_RETRY_STATES = {
    "40001",  # serialization failure
    "40P01",  # deadlock detected
    "57P01",  # admin shutdown (server restarting)
    "57P02",  # crash shutdown
    "57P03",  # cannot connect now (server starting up)
}


def to_db(value: datetime | None) -> datetime | None:
    """A UTC datetime to whole seconds, as SQLite stores it (naive is taken as UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0)


def from_db(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def now_utc() -> datetime:
    return datetime.now(UTC)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


_FAULTS: dict[str, type[DatabaseError]] = {
    "53100": DiskFullError,  # disk_full
    "58030": DatabaseIOError,  # io_error
    "XX001": DatabaseCorruptError,  # data_corrupted
    "XX002": DatabaseCorruptError,  # index_corrupted
    "53300": DatabaseUnavailableError,  # too_many_connections
}
"""SQLSTATEs that mean the database itself failed, whatever was asked."""


def database_error(exc: BaseException, display: str) -> StorageError:
    """A server error as ours: a `DatabaseError` subclass when the database itself failed (a
    full disk, damage, read-only), a plain `StorageError` otherwise (a bug or a misuse)."""
    state = getattr(exc, "sqlstate", None)
    fault = _FAULTS.get(state or "")
    if fault is DiskFullError:
        return DiskFullError(display, f"disk full ({first_line(exc)})")
    if fault is not None:
        return fault(display, first_line(exc))
    if state == "25006":  # read_only_sql_transaction
        return DatabaseReadOnlyError(
            display,
            first_line(exc),
            "the server takes no writes here (a standby, or default_transaction_read_only):"
            " point --db at a writable database",
        )
    if state == "42501":  # insufficient_privilege
        return DatabaseReadOnlyError(
            display, first_line(exc), "grant the database user the rights to write its tables"
        )
    return StorageError(f"database {display}: {first_line(exc)}")


def _retryable(exc: BaseException, conn: psycopg.Connection | None) -> bool:
    """True when the error is the connection's or the server's, not the statement's."""
    if isinstance(exc, PoolClosed):  # the store was closed: nothing to wait for
        return False
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, psycopg.Error):
        return False
    if conn is not None and (conn.broken or conn.closed):
        return True
    state = exc.sqlstate
    if state is None:
        return isinstance(exc, psycopg.OperationalError)
    return state in _RETRY_STATES or state.startswith("08")


class Database:
    """A connection pool on one database, with retrying transaction runners."""

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self.display = redact(url)
        params = {
            "autocommit": True,
            "connect_timeout": CONNECT_TIMEOUT,
            "application_name": "reader",
            "options": "-c timezone=UTC",
        }
        # One direct connection first: a wrong URL or a server that is down is one clear
        # error here, not a pool retrying in the background.
        try:
            with psycopg.connect(url, **params) as conn:  # type: ignore[arg-type]
                migrate(conn)
        except psycopg.Error as exc:
            error = database_error(exc, self.display)
            if isinstance(error, DatabaseError):
                raise error from None
            raise StorageError(
                f"cannot use the PostgreSQL database {self.display}: {first_line(exc)}"
            ) from None
        # The pool warns on every failed attempt while a server restarts; we say it once.
        logging.getLogger("psycopg.pool").setLevel(logging.ERROR)
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs=params,
            open=False,
            timeout=CONNECT_TIMEOUT,
            name="reader",
        )
        self.pool.open(wait=True, timeout=CONNECT_TIMEOUT)

    def close(self) -> None:
        self.pool.close()

    def read(self, work: Callable[[psycopg.Connection], T]) -> T:
        """Run `work` on a connection in autocommit (each statement sees committed data)."""
        return self._run(work, write=False)

    def read_consistent(self, work: Callable[[psycopg.Connection], T]) -> T:
        """Run `work` in one read-only transaction: every statement sees one snapshot."""

        def in_transaction(conn: psycopg.Connection) -> T:
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                return work(conn)

        return self._run(in_transaction, write=False)

    def write(self, work: Callable[[psycopg.Connection], T]) -> T:
        """Run `work` in one transaction that also bumps the change counter (and notifies)."""
        return self._run(work, write=True)

    def _run(self, work: Callable[[psycopg.Connection], T], *, write: bool) -> T:
        started = time.monotonic()
        problem: str | None = None
        while True:
            conn: psycopg.Connection | None = None
            try:
                with self.pool.connection() as conn:
                    if write:
                        with conn.transaction():
                            result = work(conn)
                            conn.execute(_BUMP)
                    else:
                        result = work(conn)
                if problem is not None:
                    logger.warning(
                        "database connection lost (%s); reconnected to %s after %.1fs",
                        problem,
                        self.display,
                        time.monotonic() - started,
                    )
                return result
            except (psycopg.Error, PoolTimeout) as exc:
                if not _retryable(exc, conn):
                    raise database_error(exc, self.display) from exc
                if problem is None:
                    problem = first_line(exc)
                waited = time.monotonic() - started
                if waited > RECONNECT_WINDOW:
                    raise DatabaseUnavailableError(
                        self.display,
                        f"lost the connection and could not reconnect within"
                        f" {RECONNECT_WINDOW:.0f} s ({problem})",
                    ) from exc
                if exc.__class__.__name__ not in ("SerializationFailure", "DeadlockDetected"):
                    # A broken pool connection is thrown away on return; ask for a fresh one.
                    self.pool.check()
                time.sleep(min(0.1 * 2 ** min(int(waited), 5), 2.0))
