"""`reader daemon` (fetch in the background) and `reader status` (what the daemon is doing)."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from typing import Any

import click

from reader.cli.context import AppContext, emit_json, fail, iso, pass_app, safe, short_date
from reader.config import LOG_LEVELS
from reader.exceptions import (
    DatabaseBusyError,
    DatabaseIOError,
    DatabaseUnavailableError,
    DiskFullError,
)

NEXT_CHECKS_SHOWN = 5

TEMPORARY_FAILURE = 75
"""Exit status when the database cannot be opened for now (a full disk, a server down)."""

PASSING_FAULTS = (DiskFullError, DatabaseIOError, DatabaseBusyError, DatabaseUnavailableError)
"""Database failures that may pass by themselves (a damaged or read-only one needs a person)."""


@click.command("daemon")
@click.option(
    "--log-level",
    type=click.Choice(LOG_LEVELS, case_sensitive=False),
    default=None,
    help="DEBUG, INFO, WARNING or ERROR (default: [log] level in the settings).",
)
@pass_app
def daemon(app: AppContext, log_level: str | None) -> None:
    """Fetch due feeds in the background until Ctrl-C or SIGTERM (runs in the foreground).

    Only one daemon runs per database; a second one exits with status 1 naming the first
    one's PID. A database that cannot be opened for now (a full disk, a server that is down)
    is exit status 75, to be started again later. Logs go to stderr and to the [log] file.
    """
    # Here, not at the top: the scheduler (and asyncio's event loop machinery) is loaded by
    # the daemon alone, not by every command this module registers (`reader status` too).
    from reader.daemon.app import Daemon
    from reader.daemon.jobs import extra_jobs
    from reader.daemon.logs import setup_logging, teardown_logging

    settings = app.settings
    level = log_level or settings.log.level  # both checked: the option's choices, the settings'
    try:
        reader = app.reader
    except PASSING_FAULTS as exc:
        # Not "another daemon runs" (status 1): a full disk or a server that is down passes,
        # so a service manager should start us again later (EX_TEMPFAIL).
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(TEMPORARY_FAILURE) from None
    lock = reader.daemon_lock()  # None for a database server: daemons may share it
    if lock is not None:
        lock.acquire()  # StoreLockedError: the CLI prints it and exits 1
    try:
        try:
            handlers = setup_logging(level, settings.log_path)
        except OSError as exc:
            fail(f"cannot open the log file {settings.log_path}: {exc.strerror or exc}")
        # A stop signal that comes while the daemon is still setting up (loading the topic
        # model takes a moment) is a clean stop too; the event loop takes over afterwards.
        stop_requested: list[int] = []
        previous = {
            signum: signal.signal(signum, lambda signum, _frame: stop_requested.append(signum))
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            reader.prepare_updates()
            runner = Daemon(reader, extra_jobs=extra_jobs(reader))
            if not stop_requested:
                asyncio.run(runner.run())
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            teardown_logging(handlers)
    finally:
        if lock is not None:
            lock.release()


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--next",
    "next_count",
    type=click.IntRange(min=0),
    default=NEXT_CHECKS_SHOWN,
    show_default=True,
    help="How many upcoming feed checks to list.",
)
@pass_app
def status(app: AppContext, as_json: bool, next_count: int) -> None:
    """Whether the daemon runs, feed and item counts, and the next scheduled checks."""
    state = app.reader.status(next_checks=next_count)
    now, pid, stats, upcoming = state.now, state.daemon_pid, state.stats, state.next_checks
    if as_json:
        document: dict[str, Any] = {
            "database": state.location,
            "daemon": {"running": pid is not None, "pid": pid or None},
            "feeds": {
                "total": stats.feeds,
                "enabled": stats.feeds_enabled,
                "due": stats.feeds_due,
                "failing": stats.feeds_failing,
            },
            "items": {"total": stats.items, "unread": stats.unread},
            "last_update": iso(stats.last_update),
            "topic_walks_due": list(state.walks_due),
            "daemons": [
                {
                    "host": d.host,
                    "pid": d.pid,
                    "holder": d.holder,
                    "started": iso(d.started),
                    "last_beat": iso(d.last_beat),
                    "leases": d.leases,
                }
                for d in state.daemons
            ],
            "next_checks": [
                {
                    "url": feed.url,
                    "title": feed.name,
                    "next_check": iso(feed.next_check or now),
                }
                for feed in upcoming
            ],
        }
        emit_json(document)
        return
    if state.shared:
        click.echo(f"daemons: {len(state.daemons)} attached")
        for d in state.daemons:
            leases = f"{d.leases} lease" + ("" if d.leases == 1 else "s")
            click.echo(
                f"  {safe(d.host)}  {d.pid}  last beat {_relative(d.last_beat - now)}  {leases}"
            )
    elif pid is None:
        click.echo("daemon: not running")
    else:
        click.echo(f"daemon: running (PID {pid})" if pid else "daemon: starting")
    click.echo(f"database: {state.location}")
    click.echo(
        f"feeds: {stats.feeds} ({stats.feeds_enabled} enabled), {stats.feeds_due} due now,"
        f" {stats.feeds_failing} failing"
    )
    click.echo(f"items: {stats.items} ({stats.unread} unread)")
    if stats.last_update is None:
        click.echo("last update: never")
    else:
        click.echo(
            f"last update: {short_date(stats.last_update)} UTC"
            f" ({_relative(stats.last_update - now)})"
        )
    if state.walks_due:
        runs = "the daemon runs it" if pid is not None or state.shared else "no daemon runs"
        click.echo(
            f"topic: {' and '.join(state.walks_due)} due ({runs};"
            " `reader stories refresh` does it now)"
        )
    if upcoming:
        click.echo("next checks:")
        for feed in upcoming:
            when = feed.next_check
            label = "due now" if when is None or when <= now else _relative(when - now)
            click.echo(f"  {label:>12}  {safe(feed.name)}")


def _relative(delta: timedelta) -> str:
    """A short human span: "in 5m", "3h ago", "now"."""
    seconds = round(delta.total_seconds())
    span = abs(seconds)
    if span == 0:
        return "now"
    if span < 60:
        text = f"{span}s"
    elif span < 3600:
        text = f"{span // 60}m"
    elif span < 86400:
        text = f"{span // 3600}h{span % 3600 // 60:02d}m"
    else:
        text = f"{span // 86400}d{span % 86400 // 3600}h"
    return f"in {text}" if seconds >= 0 else f"{text} ago"
