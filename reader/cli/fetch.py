"""`reader fetch`: update feeds now, with a progress bar and a summary (or one JSON document)."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reader.cli.context import AppContext, emit_json, fail, iso, pass_app, safe
from reader.models import FeedResult, UpdateReport


def report_json(report: UpdateReport) -> dict[str, Any]:
    """The update summary as one JSON document (stable keys)."""
    return {
        "started": iso(report.started),
        "finished": iso(report.finished),
        "checked": report.checked,
        "new": report.new,
        "updated": report.updated,
        "not_modified": report.not_modified,
        "errors": len(report.errors),
        "stopped_by": report.stopped_by,
        "not_done": report.not_done,
        "feeds": [
            {
                "url": r.url,
                "new": r.new,
                "updated": r.updated,
                "not_modified": r.not_modified,
                "error": r.error,
                "moved_to": r.moved_to,
                "disabled": r.disabled,
                "duration": round(r.duration, 3),
            }
            for r in report.results
        ],
    }


def report_lines(report: UpdateReport) -> list[str]:
    """The update summary as text: one line of counts, then one line per failed feed."""
    seconds = (report.finished - report.started).total_seconds()
    lines = [
        f"checked {report.checked} feed{'s' if report.checked != 1 else ''} in {seconds:.1f} s:"
        f" {report.new} new, {report.updated} updated, {report.not_modified} not modified,"
        f" {len(report.errors)} error{'s' if len(report.errors) != 1 else ''}"
    ]
    for result in report.results:
        if result.moved_to:
            lines.append(f"moved: {safe(result.url)} -> {safe(result.moved_to)}")
    for result in report.errors:
        state = " (disabled)" if result.disabled else ""
        lines.append(f"error: {safe(result.url)}: {safe(result.error)}{state}")
    if report.stopped_by is not None:
        lines.append(
            f"stopped: {report.not_done} feed{'s' if report.not_done != 1 else ''}"
            " not updated (they stay due)"
        )
    return lines


def stopped_error(report: UpdateReport) -> None:
    """Exit with status 1 and the database's one-line error if the update stopped on it."""
    if report.stopped_by is not None:
        fail(report.stopped_by)


@click.command("fetch")
@click.option("--all", "fetch_all", is_flag=True, help="Fetch every enabled feed, due or not.")
@click.option(
    "--feed",
    "feed_urls",
    multiple=True,
    metavar="URL",
    help="Fetch this feed (repeatable), due or not, enabled or not.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON document.")
@pass_app
def fetch(app: AppContext, fetch_all: bool, feed_urls: tuple[str, ...], as_json: bool) -> None:
    """Fetch the feeds that are due (or --all, or --feed URL) and store new items.

    Exit status 1 when feeds were checked and every one failed.
    """
    feeds = app.reader.feeds_to_update(feed_urls, due_only=not fetch_all)
    total = len(feeds)

    console = Console(stderr=True)
    show_progress = sys.stderr.isatty() and total > 0
    progress = Progress(
        TextColumn("fetching"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[errors]} errors"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not show_progress,
    )
    with progress:
        task = progress.add_task("fetch", total=total, errors=0)
        errors = 0

        def advance(result: FeedResult) -> None:
            nonlocal errors
            errors += result.error is not None
            progress.update(task, advance=1, errors=errors)

        report = app.reader.update_feeds(feeds, on_result=advance)

    if as_json:
        emit_json(report_json(report))
    else:
        for line in report_lines(report):
            click.echo(line)
    stopped_error(report)
    exit_if_all_failed(report)


def exit_if_all_failed(report: UpdateReport) -> None:
    """Exit 1 (after the summary) when feeds were checked and every one of them failed:
    a script or timer should notice that nothing could be fetched."""
    if report.checked and len(report.errors) == report.checked:
        click.echo(f"Error: every feed failed ({report.checked} checked)", err=True)
        raise SystemExit(1)
