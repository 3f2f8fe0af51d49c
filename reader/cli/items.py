"""`reader items ...`: list, show, mark and tag items."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import click
from rich.table import Table
from rich.text import Text

from reader.cli.context import (
    AppContext,
    emit_json,
    fail,
    item_date,
    item_json,
    link_line,
    pass_app,
    safe,
    short_date,
    source_label,
    table_console,
)
from reader.core import item_body
from reader.exceptions import ItemNotFoundError
from reader.models import Item, ItemFilter, SortOrder


@click.group()
def items() -> None:
    """List, show, mark and tag items."""


def print_items(listing: list[Item]) -> None:
    """A table of items; every field from the network is drawn as plain text."""
    if not listing:
        click.echo("no items")
        return
    now = datetime.now(UTC)
    table = Table(box=None, pad_edge=False)
    for column, justify in (("id", "right"), ("", "left"), ("date", "left"), ("score", "right")):
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("title / source")
    for item in listing:
        marks = ("N" if not item.read else " ") + ("*" if item.starred else " ")
        title = Text(safe(item.title) or "(untitled)", style="bold" if not item.read else "")
        title.append(f"  {safe(source_label(item))}", style="dim")
        if item.tags:
            title.append("  " + " ".join(f"#{safe(t)}" for t in item.tags), style="cyan")
        score = "" if item.score is None else f"{item.score:.2f}"
        table.add_row(str(item.id), marks, item_date(item, now), score, title)
    table_console().print(table)


@items.command("list")
@click.option("--unread", is_flag=True, help="Only unread items.")
@click.option("--starred", is_flag=True, help="Only starred items.")
@click.option("--tag", help="Only items with this tag (on the item or its feed).")
@click.option("--source", help="Only items of this source (feed title or URL, or 'seeds').")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option(
    "--sort",
    type=click.Choice([s.value for s in SortOrder]),
    default=SortOrder.NEWEST.value,
    show_default=True,
)
@click.option("--min-score", type=click.FloatRange(0, 1), help="Only items scoring at least X.")
@click.option(
    "--query",
    "-q",
    help='Only items the query finds: words and filters, e.g. "nato tag:x is:unread newer:7d"'
    " (see `reader search --help`).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def list_items(
    app: AppContext,
    unread: bool,
    starred: bool,
    tag: str | None,
    source: str | None,
    limit: int,
    sort: str,
    min_score: float | None,
    query: str | None,
    as_json: bool,
) -> None:
    """List items, newest first by default (hidden items only with --query is:hidden)."""
    where = replace(
        app.reader.query_filter(query) if query else ItemFilter(),
        unread=unread,
        starred=starred,
        tag=tag,
        source=source,
        min_score=min_score,
    )
    listing = app.reader.get_items(where, sort=SortOrder(sort), limit=limit)
    if as_json:
        emit_json([item_json(i) for i in listing])
    else:
        print_items(listing)


@items.command("show")
@click.argument("item_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def show(app: AppContext, item_id: int, as_json: bool) -> None:
    """Show one item in full, with its links numbered (what it carries first)."""
    item = app.reader.get_item(item_id)
    if as_json:
        emit_json(item_json(item, content=True))
        return
    click.echo(safe(item.title) or "(untitled)")
    fields = [
        ("source", source_label(item)),
        ("author", item.author),
        ("date", short_date(item.date) if item.dated else f"none given; {item_date(item)}"),
        ("link", item.link),
        ("sources", ", ".join(item.source_names)),
        ("tags", ", ".join(item.tags)),
        ("marks", ("unread" if not item.read else "read") + (", starred" if item.starred else "")),
        ("score", None if item.score is None else f"{item.score:.3f}"),
        ("matched", ", ".join(item.score_terms)),
        ("story", f"{item.story_size} sources" if item.story_size > 1 else None),
        ("text", "the linked article (full text)" if item.full_text else None),
        ("hidden", "yes (by a rule)" if item.hidden else None),
    ]
    for name, value in fields:
        if value:
            click.echo(f"{name + ':':9}{safe(value)}")
    click.echo()
    body = item_body(item)  # as the terminal reader lays it out: bullets, quotes, [numbers]
    click.echo(body.plain.strip())
    if body.links:
        click.echo()
        click.echo("links:")
        for number, link in enumerate(body.links, start=1):
            click.echo(f"  {link_line(number, link)}")


@items.command("mark")
@click.argument("item_ids", nargs=-1, required=True, type=int)
@click.option("--read", is_flag=True, help="Mark read.")
@click.option("--unread", is_flag=True, help="Mark unread.")
@click.option("--star", is_flag=True, help="Star.")
@click.option("--unstar", is_flag=True, help="Remove the star.")
@pass_app
def mark(
    app: AppContext, item_ids: tuple[int, ...], read: bool, unread: bool, star: bool, unstar: bool
) -> None:
    """Mark items read or unread, starred or not; flags given together apply together.

    All or nothing: if any ID is not an item, no item is changed.
    """
    if read and unread:
        fail("--read and --unread contradict each other: nothing was changed")
    if star and unstar:
        fail("--star and --unstar contradict each other: nothing was changed")
    if not (read or unread or star or unstar):
        fail("say how to mark: --read, --unread, --star or --unstar")
    to_read = True if read else (False if unread else None)
    to_star = True if star else (False if unstar else None)
    try:
        found = app.reader.mark_items(item_ids, read=to_read, starred=to_star)
    except ItemNotFoundError as exc:
        fail(f"{exc}: nothing was changed")
    done = [name for name, given in (("read", read), ("unread", unread)) if given]
    done += [name for name, given in (("starred", star), ("unstarred", unstar)) if given]
    click.echo(f"marked {found} item{'s' if found != 1 else ''} {' and '.join(done)}")


@items.command("tag")
@click.argument("item_id", type=int)
@click.argument("tags", nargs=-1, required=True)
@pass_app
def tag(app: AppContext, item_id: int, tags: tuple[str, ...]) -> None:
    """Add TAGS to an item."""
    if not any(t.strip() for t in tags):
        fail("a tag cannot be empty")
    app.reader.add_tags(item_id, tags)
    click.echo(f"item {item_id}: {', '.join(app.reader.get_item(item_id).tags)}")


@items.command("untag")
@click.argument("item_id", type=int)
@click.argument("tags", nargs=-1, required=True)
@pass_app
def untag(app: AppContext, item_id: int, tags: tuple[str, ...]) -> None:
    """Remove TAGS from an item."""
    app.reader.remove_tags(item_id, tags)
    remaining = app.reader.get_item(item_id).tags
    click.echo(f"item {item_id}: {', '.join(remaining) if remaining else '(no tags)'}")


@items.command("full-text")
@click.argument("item_id", type=int)
@pass_app
def full_text(app: AppContext, item_id: int) -> None:
    """Fetch the item's linked article now and keep it as the item's text."""
    item = app.reader.fetch_full_text(item_id)
    words = len((item.text or "").split())
    click.echo(f"item {item_id}: kept the article from {safe(item.link)} ({words} words)")
