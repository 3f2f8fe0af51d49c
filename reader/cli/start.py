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
from reader.cli.fetch import report_lines
from reader.cli.items import print_items
from reader.cli.seeds import after_seed_import, print_report
from reader.cli.tui import tui
from reader.daemon.lock import daemon_pid
from reader.exceptions import OPMLError, SeedFileError
from reader.models import SortOrder
from reader.sources.opml import import_opml
from reader.sources.seeds import import_seeds

FEEDS_IMPORTED_KEY = "start.feeds_opml_imported"
"""Store meta key: set once the starting feed list was imported, so removals stick."""

_DAEMON_STOP_SECONDS = 10


@click.command("start")
@click.option("--no-daemon", is_flag=True, help="Do not start the background fetch daemon.")
@pass_app
def start(app: AppContext, no_daemon: bool) -> None:
    """Import the seeds and (first time) the topic's feeds, start fetching, open the reader.

    Without a terminal, runs one update and prints the best-ranked items instead.
    """
    store = app.store
    settings = app.settings
    try:
        print_report(import_seeds(store, settings.seeds_dir))
        after_seed_import(app)
    except SeedFileError as exc:  # no seeds folder: the reader still works on feeds alone
        click.echo(f"seeds: {exc}", err=True)
    if store.get_meta(FEEDS_IMPORTED_KEY) is None:
        try:
            subscribed = import_opml(store, settings.feeds_opml)
        except OPMLError as exc:
            click.echo(f"feeds: {exc}", err=True)
        else:
            click.echo(
                f"feeds: subscribed to {len(subscribed.added)} feeds from {settings.feeds_opml}"
            )
            store.set_meta(FEEDS_IMPORTED_KEY, str(settings.feeds_opml))

    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    if not interactive:
        from reader.topic import update_scored  # the fetch stack loads only when it is needed

        click.echo("not a terminal: running one update instead of the reader")
        for line in report_lines(update_scored(store, settings)):
            click.echo(line)
        print_items(store.get_items(sort=SortOrder.RELEVANCE, limit=20))
        return

    daemon = None if no_daemon else _start_daemon(app)
    try:
        click.get_current_context().invoke(tui)
    finally:
        if daemon is not None:
            _stop_daemon(daemon)


def _start_daemon(app: AppContext) -> subprocess.Popen[bytes] | None:
    """Start `reader daemon` in the background unless one already runs on this database."""
    holder = daemon_pid(app.db_path)
    if holder is not None:
        click.echo(f"daemon: already running (PID {holder})")
        return None
    command = [sys.executable, "-m", "reader", "--db", str(app.db_path)]
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
