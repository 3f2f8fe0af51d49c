"""`reader feeds ...`: subscribe, list, edit, enable or disable, and unsubscribe."""

from __future__ import annotations

import sys
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
from reader.exceptions import PageUnreachableError
from reader.models import Feed


@click.group()
def feeds() -> None:
    """Subscribe to feeds, list, edit, enable, disable and remove them."""


def check_feed_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        fail(f"not an http(s) feed URL: {url!r}")
    return url.strip()


def describe(feed: Feed) -> str:
    """One line: the URL, the title the user gave it, its tags, and whether it is fetched."""
    line = safe(feed.url)
    if feed.user_title:
        line += f" {safe(feed.user_title)!r}"
    if feed.tags:
        line += f" [{', '.join(safe(t) for t in feed.tags)}]"
    if not feed.enabled:
        line += f" (disabled: {safe(feed.disabled_reason)})"
    if feed.full_text is not None:
        line += " (full articles)" if feed.full_text else " (no full articles)"
    return line


FULL_TEXT_CHOICES = {"on": True, "off": False, "default": None}


@feeds.command("add")
@click.argument("url")
@click.option("--title", help="A title of your own for the feed.")
@click.option("--tag", "tags", multiple=True, help="A feed tag (repeatable).")
@click.option(
    "--full-text/--no-full-text",
    "full_text",
    default=None,
    help="Fetch each new item's linked article (default: [fetch] full_text).",
)
@click.option("--all", "take_all", is_flag=True, help="Subscribe to every feed the site offers.")
@click.option(
    "--as-is", "as_is", is_flag=True, help="Subscribe to URL without fetching it (offline)."
)
@pass_app
def add(
    app: AppContext,
    url: str,
    title: str | None,
    tags: tuple[str, ...],
    full_text: bool | None,
    take_all: bool,
    as_is: bool,
) -> None:
    """Subscribe to the feed at URL, or find the feeds of the site at URL.

    A feed URL is used as it is. A web page's own feed links (<link rel="alternate">) are
    followed, else the usual places (/feed, /rss, /atom.xml...) are tried. When a page offers
    several feeds they are listed: add the one you want, or use --all. A URL that cannot be
    fetched now is subscribed as given, with a warning; --as-is subscribes without looking.
    """
    url = check_feed_url(url)
    if not as_is:
        try:
            found = app.reader.discover_feeds(url)
        except PageUnreachableError as exc:
            # Nothing learnt either way (a server down, a feed behind an error page): the
            # user named a URL, so it is subscribed; the next update tells how it goes.
            click.echo(f"warning: {exc}; subscribed as given", err=True)
            as_is = True
    if as_is:
        feed = app.reader.add_feed(url, title=title, tags=tags, full_text=full_text)
        click.echo(f"added {describe(feed)}")
        if feed.item_count:
            click.echo(f"{feed.item_count} starred or tagged items kept from before are back")
        return
    if len(found.feeds) > 1 and not take_all:
        click.echo(f"{safe(url)} offers {len(found.feeds)} feeds:")
        for link in found.feeds:
            click.echo(f"  {safe(link.url)}" + (f"  {safe(link.title)}" if link.title else ""))
        fail("add one of them with `reader feeds add URL`, or all of them with --all")
    if not found.is_feed:
        click.echo(
            f"found {len(found.feeds)} feed{'s' if len(found.feeds) != 1 else ''} at {safe(url)}"
        )
    for link in found.feeds:
        feed = app.reader.add_feed(
            link.url,
            title=title if len(found.feeds) == 1 else None,
            tags=tags,
            full_text=full_text,
        )
        click.echo(f"added {describe(feed)}" + ("" if found.is_feed else f"  {safe(link.title)}"))
        if feed.item_count:
            click.echo(f"{feed.item_count} starred or tagged items kept from before are back")


@feeds.command("remove")
@click.argument("url")
@click.option("--purge", is_flag=True, help="Delete starred and tagged items too.")
@click.option("--yes", "-y", "assume_yes", is_flag=True, help="Do not ask (for scripts).")
@pass_app
def remove(app: AppContext, url: str, purge: bool, assume_yes: bool) -> None:
    """Unsubscribe from URL and delete its items, keeping starred and tagged ones.

    Kept items stay readable, marked as from a removed feed; --purge deletes them too. Asks
    first in a terminal; elsewhere --yes is required.
    """
    feed = app.reader.get_feed(url)
    if not assume_yes:
        if not sys.stdin.isatty():
            fail("not asking without a terminal: add --yes to remove the feed")
        items = f"{feed.item_count} item{'s' if feed.item_count != 1 else ''}"
        question = (
            f"Remove {safe(feed.name)} and all its {items}, starred and tagged ones too?"
            if purge
            else f"Remove {safe(feed.name)} and its {items} (starred and tagged ones are kept)?"
        )
        if not click.confirm(question, default=False):
            fail("nothing removed")
    removal = app.reader.remove_feed(url, purge=purge)
    message = f"removed {url}: {removal.deleted} item{'s' if removal.deleted != 1 else ''} deleted"
    if removal.kept:
        message += f", {removal.kept} starred or tagged kept (--purge deletes them)"
    click.echo(message)


@feeds.command("edit")
@click.argument("url")
@click.option("--title", help='A title of your own ("" goes back to the feed\'s own).')
@click.option("--tag", "tags", multiple=True, help="Set the feed's tags to these (repeatable).")
@click.option("--no-tags", is_flag=True, help="Remove every tag from the feed.")
@click.option("--add-tag", "added", multiple=True, help="Add a tag (repeatable).")
@click.option("--remove-tag", "removed", multiple=True, help="Remove a tag (repeatable).")
@click.option(
    "--full-text",
    "full_text",
    type=click.Choice(list(FULL_TEXT_CHOICES)),
    help="Fetch new items' articles: on, off, or default ([fetch] full_text).",
)
@pass_app
def edit(
    app: AppContext,
    url: str,
    title: str | None,
    tags: tuple[str, ...],
    no_tags: bool,
    added: tuple[str, ...],
    removed: tuple[str, ...],
    full_text: str | None,
) -> None:
    """Change a feed's title, tags (they reach every item of the feed) or full articles."""
    if title is None and full_text is None and not (tags or no_tags or added or removed):
        fail(
            "say what to change: --title, --tag, --no-tags, --add-tag, --remove-tag or --full-text"
        )
    if no_tags and tags:
        fail("--tag and --no-tags contradict each other")
    if full_text is not None:
        app.reader.set_feed_full_text(url, FULL_TEXT_CHOICES[full_text])
    feed = app.reader.edit_feed(
        url,
        title=title,
        tags=() if no_tags else (tags or None),
        add_tags=added,
        remove_tags=removed,
    )
    click.echo(f"edited {describe(feed)}")


@feeds.command("enable")
@click.argument("url")
@pass_app
def enable(app: AppContext, url: str) -> None:
    """Fetch URL again (also after 410 Gone): its errors are cleared and it is due now."""
    click.echo(f"enabled {describe(app.reader.enable_feed(url))}")


@feeds.command("disable")
@click.argument("url")
@pass_app
def disable(app: AppContext, url: str) -> None:
    """Stop fetching URL; its items stay."""
    click.echo(f"disabled {describe(app.reader.disable_feed(url))}")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--wide", is_flag=True, help="One line per feed with the whole URL (also when piped)."
)
@pass_app
def list_feeds(app: AppContext, as_json: bool, wide: bool) -> None:
    """Every feed with its last and next check, item counts and last error."""
    all_feeds = app.reader.get_feeds()
    if as_json:
        emit_json([feed_json(f) for f in all_feeds])
        return
    if not all_feeds:
        click.echo("no feeds yet: add one with `reader feeds add URL` or `reader opml import FILE`")
        return
    wide = wide or not sys.stdout.isatty()
    now = datetime.now(UTC)
    table = Table(box=None, pad_edge=False)
    columns = ["feed", "url"] if wide else ["feed"]
    for column in [*columns, "items", "unread", "last check", "next check", "status"]:
        table.add_column(column, no_wrap=wide or column != "feed")
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
        if wide:
            cells: list[Text | str] = [name, safe(feed.url)]
        else:
            name.append(f"\n{safe(feed.url)}", style="dim")
            cells = [name]
        table.add_row(
            *cells,
            str(feed.item_count),
            str(feed.unread_count),
            short_date(feed.last_checked) or "never",
            next_check if feed.enabled else "-",
            status,
        )
    table_console(wide=wide).print(table)
