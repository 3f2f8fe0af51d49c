"""`reader stories`: reports of one event from several sources, grouped together."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.text import Text

from reader.cli.context import AppContext, emit_json, item_date, item_json, pass_app, safe
from reader.models import Story


@click.group()
def stories() -> None:
    """Stories: the same event reported by several sources."""


def story_json(story: Story) -> dict[str, Any]:
    """A story in the JSON shape of `reader stories list --json`."""
    return {
        "id": story.id,
        "title": story.title,
        "sources": list(story.sources),
        "items": [item_json(item) for item in story.items],
    }


@stories.command("list")
@click.option(
    "--min-sources",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Only stories reported by at least this many sources (1 lists every story).",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="List at most this many.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def list_stories(app: AppContext, min_sources: int, limit: int | None, as_json: bool) -> None:
    """List stories, biggest and newest first, with their items and sources.

    Stories are regrouped by the daemon and by `reader stories refresh`.
    """
    found = app.reader.get_stories(min_sources=min_sources, limit=limit)
    if as_json:
        emit_json([story_json(story) for story in found])
        return
    if not found:
        if min_sources > 1:
            click.echo(f"no stories with {min_sources}+ sources (--min-sources 1 lists all)")
        else:
            click.echo("no stories")
        return
    console = Console(soft_wrap=True)
    for story in found:
        head = Text(f"{story.id:>6}  ", style="dim")
        head.append(safe(story.title) or "(untitled)", style="bold")
        sources = ", ".join(safe(s) for s in story.sources)
        head.append(f"  {len(story.items)} items from {sources}", style="dim")
        console.print(head)
        for item in story.items:
            line = Text(f"        {item.id:>6}  ", style="dim")
            score = "" if item.score is None else f"{item.score:.2f}"
            line.append(f"{score:>4}  ")
            line.append(safe(item.title) or "(untitled)")
            line.append(f"  {safe(item.source)}  {item_date(item)}", style="dim")
            console.print(line)


@stories.command("refresh")
@click.option(
    "--force",
    is_flag=True,
    help="Re-score every item even if the topic is unchanged, and regroup all of history.",
)
@pass_app
def refresh(app: AppContext, force: bool) -> None:
    """Score items against the seeds and regroup recent stories now (the daemon does it too)."""
    report = app.reader.refresh_topic(force=force)
    if report.fingerprint is None:
        click.echo("no seeds and no [topic] keywords: items left unscored")
    click.echo(
        f"scored {report.scored} items"
        + (" (topic changed)" if report.rebuilt else "")
        + f"; {report.stories} stories of {report.storied_items} items"
        + f" ({report.score_seconds + report.group_seconds:.2f}s)"
    )
    if report.busy:
        # Another process (the daemon, most likely) holds the stories: this one left them.
        click.echo(
            "stories: another process is grouping them now; nothing was grouped here"
            + (": run `reader stories refresh --force` again when it is done" if force else ""),
            err=True,
        )
        if force:
            raise SystemExit(1)
