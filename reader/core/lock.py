"""One daemon per database: an exclusive `flock` on ``<db>.daemon.lock`` that holds the PID.

`flock` is released by the kernel when the holder dies, even on ``kill -9``, so a stale lock
file never blocks a restart; the PID inside is only there to tell the user who holds it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from types import TracebackType

from reader.exceptions import StoreLockedError


def lock_path_for(db_path: Path) -> Path:
    """The lock file that guards the daemon role of the database at `db_path`.

    The path is resolved first, so two spellings of one database share one lock.
    """
    db_path = db_path.expanduser().resolve()
    return db_path.with_name(db_path.name + ".daemon.lock")


class DaemonLock:
    """The daemon role on one database, held from `acquire` until `release` (or death)."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = lock_path_for(db_path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock and write our PID; raise `StoreLockedError` naming the holder."""
        if self._fd is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"PID {holder}" if holder is not None else "an unknown process"
            raise StoreLockedError(
                f"another reader daemon ({who}) is already running on {self.db_path}"
                f" (lock file {self.path})"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # Rewrite in place (not a new file): the holder is whoever has the flock on this inode.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        """Give the lock up; the file stays (removing it would race with a new holder)."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> DaemonLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def daemon_pid(db_path: Path) -> int | None:
    """The PID of the daemon running on `db_path`, or None when no daemon holds the lock.

    0 means a daemon holds the lock but has not written its PID yet (it is starting).
    """
    path = lock_path_for(db_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            for _ in range(10):  # the holder writes its PID right after locking
                pid = _read_pid(fd)
                if pid is not None:
                    return pid
                time.sleep(0.02)
            return 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
