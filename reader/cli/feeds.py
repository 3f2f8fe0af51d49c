"""`reader feeds ...`: subscribe, list and unsubscribe."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import click
from rich.table import Table
from rich.text import Text

from reader.cli.context import (
    AppContext,
    emit_json,
    fail,
    feed_json,
    pass_app,
    safe,
    short_date,
    table_console,
)


@click.group()
def feeds() -> None:
    """Subscribe to feeds, list them, remove them."""


def check_feed_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        fail(f"not an http(s) feed URL: {url!r}")
    return url.strip()


@feeds.command("add")
@click.argument("url")
@click.option("--title", help="A title of your own for the feed.")
@click.option("--tag", "tags", multiple=True, help="A feed tag (repeatable).")
@pass_app
def add(app: AppContext, url: str, title: str | None, tags: tuple[str, ...]) -> None:
    """Subscribe to the feed at URL."""
    feed = app.reader.add_feed(check_feed_url(url), title=title, tags=tags)
    click.echo(f"added {feed.url}" + (f" [{', '.join(feed.tags)}]" if feed.tags else ""))


@feeds.command("remove")
@click.argument("url")
@pass_app
def remove(app: AppContext, url: str) -> None:
    """Unsubscribe from URL and delete its items."""
    app.reader.remove_feed(url)
    click.echo(f"removed {url}")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def list_feeds(app: AppContext, as_json: bool) -> None:
    """Every feed with its last and next check, item counts and last error."""
    all_feeds = app.reader.get_feeds()
    if as_json:
        emit_json([feed_json(f) for f in all_feeds])
        return
    if not all_feeds:
        click.echo("no feeds yet: add one with `reader feeds add URL` or `reader opml import FILE`")
        return
    now = datetime.now(UTC)
    table = Table(box=None, pad_edge=False)
    for column in ("feed", "items", "unread", "last check", "next check", "status"):
        table.add_column(column, no_wrap=column != "feed")
    for feed in all_feeds:
        if not feed.enabled:
            status = Text(f"disabled: {safe(feed.disabled_reason)}", style="red")
        elif feed.last_error:
            status = Text(f"error x{feed.error_count}: {safe(feed.last_error)}", style="yellow")
        else:
            status = Text("ok" if feed.last_checked else "never checked", style="green")
        next_check = (
            "due"
            if feed.next_check is None or feed.next_check <= now
            else short_date(feed.next_check)
        )
        name = Text(safe(feed.name))
        name.append(f"\n{safe(feed.url)}", style="dim")
        table.add_row(
            name,
            str(feed.item_count),
            str(feed.unread_count),
            short_date(feed.last_checked) or "never",
            next_check if feed.enabled else "-",
            status,
        )
    table_console().print(table)
