"""The background fetch daemon: scheduler jobs (dispatch, retention, topic refresh) and logs."""

from __future__ import annotations

from reader.daemon.app import Daemon, PeriodicJob

__all__ = ["Daemon", "PeriodicJob"]
