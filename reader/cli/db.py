"""`reader db check` (is the database sound, does its full-text index match the items?) and
`reader db migrate --to URL` (move an SQLite store into a PostgreSQL database)."""

from __future__ import annotations

import click

from reader.cli.context import AppContext, fail, pass_app
from reader.core import database_file, redact

REBUILD_HINT = "rebuild it with `reader db check --rebuild-index`"


@click.group("db")
def db() -> None:
    """The store itself: check it, or move it to a shared PostgreSQL database."""


@db.command("check")
@click.option(
    "--rebuild-index",
    is_flag=True,
    help="Build the full-text index again from the items (it holds nothing else).",
)
@pass_app
def check(app: AppContext, rebuild_index: bool) -> None:
    """Check the database (its own integrity check) and its full-text index.

    Prints what it found and exits with status 1 on a problem, saying what to do: a
    full-text index out of step is rebuilt with --rebuild-index; a damaged database is
    restored from a copy.
    """
    reader = app.reader
    where = database_file(app.location)
    click.echo(f"database: {where.resolve() if where is not None else redact(app.location)}")
    if rebuild_index:
        reader.rebuild_search_index()
        click.echo("full-text index: rebuilt from the items")
    found = reader.check_database()
    if found.problems:
        click.echo(f"structure: {len(found.problems)} problem(s):")
        for problem in found.problems:
            click.echo(f"  {problem}")
    else:
        click.echo("structure: ok")
    if found.index_problem is None:
        click.echo("full-text index: ok")
    else:
        click.echo(f"full-text index: does not match the items ({found.index_problem})")
    if found.problems:
        fail(
            "the database is damaged: restore it from a copy (stop the daemon first), or save"
            " what can be read with: sqlite3 DB .recover | sqlite3 NEW.db"
        )
    if found.index_problem is not None:
        fail(f"the full-text index does not match the items: {REBUILD_HINT}")


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
