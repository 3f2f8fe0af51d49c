"""`reader db migrate --to URL`: move an SQLite store into a PostgreSQL database."""

from __future__ import annotations

import click

from reader.cli.context import AppContext, pass_app
from reader.core import redact


@click.group("db")
def db() -> None:
    """The store itself: move it to a shared PostgreSQL database."""


@db.command("migrate")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="URL",
    help="An empty PostgreSQL database: postgresql://user@host/dbname.",
)
@pass_app
def migrate(app: AppContext, target: str) -> None:
    """Copy this SQLite store (feeds, items, marks, tags, tombstones, scores, stories) into
    an empty PostgreSQL database, then check every count. Nothing is kept on a mismatch, and
    the SQLite file is left as it was."""
    reader = app.reader
    click.echo(f"copying {redact(app.location)} to {redact(target)}")
    counts = reader.copy_to_postgres(
        target, on_table=lambda name, rows: click.echo(f"  {name}: {rows} rows")
    )
    total = sum(rows for _, rows in counts)
    click.echo(
        f"done: {total} rows copied and counted again on both sides."
        f" Point readers and daemons at it: reader --db {redact(target)} (or [database] url)."
    )
