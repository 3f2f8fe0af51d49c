"""The background fetch daemon: scheduler jobs, the one-daemon lock, logs and retention."""

from __future__ import annotations

from reader.daemon.app import Daemon, PeriodicJob, UpdateFeeds
from reader.daemon.lock import DaemonLock, daemon_pid, lock_path_for

__all__ = ["Daemon", "DaemonLock", "PeriodicJob", "UpdateFeeds", "daemon_pid", "lock_path_for"]
