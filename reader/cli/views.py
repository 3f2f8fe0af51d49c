"""`reader views ...` (saved queries) and `reader rules ...` (what happens to new items)."""

from __future__ import annotations

import click

from reader.cli.context import AppContext, emit_json, item_json, pass_app, safe
from reader.cli.items import print_items
from reader.models import ItemFilter


@click.group()
def views() -> None:
    """Saved queries: listed in the reader's sidebar with their unread counts."""


@views.command("add")
@click.argument("name")
@click.argument("query")
@pass_app
def add_view(app: AppContext, name: str, query: str) -> None:
    """Save QUERY (the search syntax, filters included) as the view NAME."""
    view = app.reader.add_view(name, query)
    where = app.reader.query_filter(view.query)
    unread = app.reader.count_items(ItemFilter(query=where.query, unread=True))
    click.echo(f"saved view {safe(view.name)!r}: {safe(view.query)} ({unread} unread)")


@views.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def list_views(app: AppContext, as_json: bool) -> None:
    """Every saved view with its query, item and unread counts."""
    rows = []
    for view in app.reader.get_views():
        where = app.reader.query_filter(view.query)
        total = app.reader.count_items(where)
        unread = app.reader.count_items(ItemFilter(query=where.query, unread=True))
        rows.append((view, total, unread))
    if as_json:
        emit_json([{"name": v.name, "query": v.query, "items": t, "unread": u} for v, t, u in rows])
        return
    if not rows:
        click.echo('no saved views: add one with `reader views add NAME "QUERY"`')
    for view, total, unread in rows:
        click.echo(f"{safe(view.name)}\t{safe(view.query)}\t{total} items, {unread} unread")


@views.command("remove")
@click.argument("name")
@pass_app
def remove_view(app: AppContext, name: str) -> None:
    """Forget the saved view NAME (its items stay)."""
    app.reader.remove_view(name)
    click.echo(f"removed view {safe(name)!r}")


@click.group()
def rules() -> None:
    """Rules from the settings' [[rules]] tables, applied to new items as they are stored."""


@rules.command("list")
@pass_app
def list_rules(app: AppContext) -> None:
    """Every rule in the order it applies, with how many stored items its query finds."""
    configured = app.reader.rules
    if not configured:
        source = app.reader.settings.source or "the settings file"
        click.echo(f"no rules: add [[rules]] tables (query, action) to {source}")
        return
    for number, rule in enumerate(configured, start=1):
        count, _ = app.reader.test_rule(rule.node, limit=0)
        name = f"{safe(rule.name)}: " if rule.name else ""
        click.echo(f"{number}. {name}{safe(rule.query)} -> {rule.action}  ({count} stored match)")


@rules.command("test", context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True, metavar="QUERY...")
@click.option("--limit", type=click.IntRange(min=0), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def test_rule(app: AppContext, words: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Show which stored items a rule with QUERY would find (nothing is changed)."""
    count, found = app.reader.test_rule(" ".join(words), limit=limit)
    if as_json:
        emit_json({"matches": count, "items": [item_json(i) for i in found]})
        return
    click.echo(f"{count} stored item{'s' if count != 1 else ''} match" + (":" if found else ""))
    if found:
        print_items(found)
