"""Daemon logging: the project's log lines to stderr and to a rotating file.

The update pipeline (`reader.update`) logs one line per feed update (feed, status, new and
updated counts, duration); the daemon adds one summary line per dispatch.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from reader.config import LOG_LEVELS

LOGGER_NAME = "reader"
"""The logger every part of the project logs under (`reader.daemon`, `reader.update`, ...)."""

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FILE_BYTES = 2 * 1024 * 1024
"""Rotate the log file at this size."""
LOG_FILE_BACKUPS = 3
"""Rotated files kept (``reader.log.1`` ... ``.3``)."""


class _SkipBusyDispatch(logging.Filter):
    """Drop APScheduler's warning that a dispatch was skipped because one is still running.

    That is the design (max_instances=1), not a problem, and at 1-second dispatch intervals
    it would flood the log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()


def level_number(name: str) -> int:
    """A level name (any case) as a `logging` number; `ValueError` names the bad value."""
    upper = name.strip().upper()
    if upper not in LOG_LEVELS:
        raise ValueError(f"unknown log level {name!r}; use one of {', '.join(LOG_LEVELS)}")
    return int(logging.getLevelName(upper))


def setup_logging(level: str, log_path: Path | None) -> list[logging.Handler]:
    """Send the project's and APScheduler's logs to stderr and (if given) a rotating file.

    Returns the handlers added, so a caller (or a test) can remove them again.
    """
    number = level_number(level)
    formatter = logging.Formatter(LOG_FORMAT)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_path, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(_SkipBusyDispatch())
    # APScheduler says "running job" / "executed" at INFO for every dispatch: only in DEBUG.
    scheduler_level = number if number <= logging.DEBUG else max(number, logging.WARNING)
    for name, logger_level in ((LOGGER_NAME, number), ("apscheduler", scheduler_level)):
        logger = logging.getLogger(name)
        logger.setLevel(logger_level)
        logger.propagate = False
        for handler in handlers:
            logger.addHandler(handler)
    return handlers


def teardown_logging(handlers: list[logging.Handler]) -> None:
    """Remove and close handlers added by `setup_logging`."""
    for name in (LOGGER_NAME, "apscheduler"):
        logger = logging.getLogger(name)
        for handler in handlers:
            logger.removeHandler(handler)
    for handler in handlers:
        handler.close()
