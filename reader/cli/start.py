"""`reader start` (what `make run` runs): seeds in, feeds on first start, daemon, reader."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from reader.cli.context import AppContext, pass_app
from reader.cli.fetch import exit_if_all_failed, report_lines, stopped_error
from reader.cli.items import print_items
from reader.cli.seeds import print_report
from reader.cli.tui import tui
from reader.models import SortOrder

_DAEMON_STOP_SECONDS = 10


@click.command("start")
@click.option("--no-daemon", is_flag=True, help="Do not start the background fetch daemon.")
@pass_app
def start(app: AppContext, no_daemon: bool) -> None:
    """Import the seeds and (first time) the topic's feeds, start fetching, open the reader.

    Without a terminal, runs one update and prints the best-ranked items instead (exit
    status 1 if every feed failed).
    """
    reader = app.reader
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    # With a daemon to go on with them, whole-store walks (changed seeds) never delay the
    # reader; without one, the items printed must be ranked by the seeds as they are.
    started = reader.start_up(walks=not interactive or no_daemon)
    for path in started.installed:
        click.echo(f"first start: copied {path.name} to {path.parent}")
    if started.seeds is not None:
        print_report(started.seeds)
    if started.seeds_error is not None:
        click.echo(f"seeds: {started.seeds_error}", err=True)
    if started.feeds is not None:
        click.echo(
            f"feeds: subscribed to {len(started.feeds.added)} feeds from {started.feeds.path}"
        )
    if started.feeds_error is not None:
        click.echo(f"feeds: {started.feeds_error}", err=True)

    if not interactive:
        click.echo("not a terminal: running one update instead of the reader")
        report = reader.update_feeds()
        for line in report_lines(report):
            click.echo(line)
        stopped_error(report)
        print_items(reader.get_items(sort=SortOrder.RELEVANCE, limit=20))
        exit_if_all_failed(report)
        return

    daemon = None if no_daemon else _start_daemon(app)
    try:
        click.get_current_context().invoke(tui)
    finally:
        if daemon is not None:
            _stop_daemon(daemon)


def _start_daemon(app: AppContext) -> subprocess.Popen[bytes] | None:
    """Start `reader daemon` in the background unless one already runs on this database."""
    holder = app.reader.daemon_pid()
    if holder is not None:
        click.echo(f"daemon: already running (PID {holder})")
        return None
    # The database goes by environment, not argv: a URL may hold a password.
    environment = {**os.environ, "READER_DB": app.location}
    command = [sys.executable, "-m", "reader"]
    if app.settings.source is not None:
        command += ["--config", str(app.settings.source)]
    command.append("daemon")
    log_path: Path = app.settings.log_path
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # The daemon logs to its own rotating file; its stderr would scribble over the reader.
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # Ctrl-C in the reader must not reach the daemon directly
        env=environment,
    )
    click.echo(f"daemon: started (PID {process.pid}), logging to {log_path}")
    return process


def _stop_daemon(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait; the daemon commits and exits within seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + _DAEMON_STOP_SECONDS
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
        process.wait()
