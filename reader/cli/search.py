"""`reader search QUERY`: full-text search over every item."""

from __future__ import annotations

import click
from rich.console import Console
from rich.text import Text

from reader.cli.context import AppContext, emit_json, item_date, item_json, pass_app, safe
from reader.query import SEARCH_SYNTAX
from reader.textsafe import one_line

# Highlight markers no feed text can contain (control characters are stripped on the way in).
_OPEN, _CLOSE = "\x02", "\x03"


HELP = f"""Search titles, authors, sources and text for QUERY (one or more words).

\b
{SEARCH_SYNTAX}

Put -- before a query that could read as an option: reader search -- -h."""


@click.command(help=HELP, context_settings={"ignore_unknown_options": True})
@click.argument("words", nargs=-1, required=True, metavar="QUERY...")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@pass_app
def search(app: AppContext, words: tuple[str, ...], limit: int, as_json: bool) -> None:
    query = " ".join(words)
    hits = app.reader.search(query, limit=limit, highlight=(_OPEN, _CLOSE))
    if as_json:
        emit_json(
            [
                item_json(h.item) | {"snippet": h.snippet.replace(_OPEN, "[").replace(_CLOSE, "]")}
                for h in hits
            ]
        )
        return
    if not hits:
        click.echo("no matches")
        return
    console = Console(soft_wrap=True)
    for hit in hits:
        head = Text(f"{hit.item.id:>6}  ", style="dim")
        head.append(safe(hit.item.title) or "(untitled)", style="bold")
        head.append(f"  {safe(hit.item.source)}  {item_date(hit.item)}", style="dim")
        console.print(head)
        console.print(highlighted(hit.snippet, indent=8))


def highlighted(snippet: str, *, indent: int = 0) -> Text:
    """The snippet as plain text with the matches in bold."""
    text = Text(" " * indent)
    rest = snippet
    while _OPEN in rest:
        before, rest = rest.split(_OPEN, 1)
        match, _, rest = rest.partition(_CLOSE)
        text.append(one_line(before))
        text.append(one_line(match), style="bold yellow")
    text.append(one_line(rest))
    return text
