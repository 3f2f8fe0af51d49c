"""`reader digest` (the period's top stories), `reader export atom` (the Topic feed) and
`reader export newsboat` (the feeds as a Newsboat `urls` file)."""

from __future__ import annotations

import re
import sys
from datetime import timedelta
from pathlib import Path

import click

from reader.cli.context import AppContext, pass_app
from reader.core.digest import digest_html, digest_markdown
from reader.core.reading import write_atomically

_PERIOD = re.compile(r"(\d+)\s*([mhdw])", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_period(value: str) -> timedelta:
    """``30m``, ``12h``, ``1d``, ``2w`` as a timedelta; a click error otherwise."""
    match = _PERIOD.fullmatch(value.strip())
    if match is None or int(match.group(1)) == 0:
        raise click.BadParameter(f"{value!r} is not a period like 12h, 1d or 2w")
    return timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})


def _write(text: str, out: Path | None) -> None:
    if out is None:
        sys.stdout.write(text)
        return
    write_atomically(out, text.encode("utf-8"))
    click.echo(f"wrote {out}", err=True)


@click.command()
@click.option("--since", default="1d", show_default=True, help="Period: 12h, 1d, 2w...")
@click.option(
    "--format", "form", type=click.Choice(["md", "html"]), default="md", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE.")
@click.option("--min-score", type=click.FloatRange(0, 1), help="Only stories scoring at least X.")
@click.option("--limit", type=click.IntRange(min=1), default=30, show_default=True)
@pass_app
def digest(
    app: AppContext,
    since: str,
    form: str,
    out: Path | None,
    min_score: float | None,
    limit: int,
) -> None:
    """The period's top stories on the topic: title, sources, best link and score, for a
    browser (html) or a mail (md)."""
    result = app.reader.digest(parse_period(since), min_score=min_score, limit=limit)
    _write(digest_html(result) if form == "html" else digest_markdown(result), out)


@click.group()
def export() -> None:
    """Publish the topic, or the feeds, for other programs."""


@export.command("atom")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (else stdout)."
)
@click.option("--limit", type=click.IntRange(min=1), help="Items (default: [export] limit).")
@pass_app
def export_atom(app: AppContext, out: Path | None, limit: int | None) -> None:
    """The Topic view, best first, as an Atom feed any reader (or phone) can follow."""
    _write(app.reader.topic_feed(limit=limit), out)


@export.command("newsboat")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE (else stdout)."
)
@pass_app
def export_newsboat(app: AppContext, out: Path | None) -> None:
    """Every feed as a Newsboat `urls` file, with all its tags (OPML carries only one tag per
    feed into Newsboat) and its title; disabled feeds are written commented out."""
    export = app.reader.export_newsboat_urls()
    _write(export.text, out)
    for url, tag in export.unwritable_tags:
        click.echo(
            f"newsboat: tag {tag!r} of {url} left out (Newsboat reads it as an instruction)",
            err=True,
        )
