"""`reader seeds import`: load the seed articles that define the topic."""

from __future__ import annotations

from pathlib import Path

import click

from reader.cli.context import AppContext, emit_json, pass_app
from reader.core import SeedImportReport, SeedsImported


@click.group()
def seeds() -> None:
    """The seed articles that define the topic."""


@seeds.command("import")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_app
def import_command(app: AppContext, directory: Path | None, as_json: bool) -> None:
    """Import every *.txt in DIRECTORY (default: the configured seeds folder).

    Re-running updates changed files in place; marks and tags are kept.
    """
    imported = app.reader.import_seeds(directory)
    report = imported.seeds
    if as_json:
        emit_json(
            {
                "directory": str(report.directory),
                "new": list(report.new),
                "updated": list(report.updated),
                "unchanged": list(report.unchanged),
                "missing": list(report.missing),
                "errors": [str(e) for e in report.errors],
                "topic": {
                    "rebuilt": imported.topic.rebuilt,
                    "scored": imported.topic.scored,
                    "stories": imported.topic.stories,
                },
            }
        )
    else:
        print_report(imported)
    if report.errors:
        raise SystemExit(1)


def print_report(imported: SeedsImported) -> None:
    """The import's counts, its problems on stderr, and the topic refresh it caused."""
    report: SeedImportReport = imported.seeds
    click.echo(
        f"seeds: {report.imported} imported from {report.directory} "
        f"({len(report.new)} new, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged)"
    )
    for name in report.missing:
        click.echo(f"seeds: {name} is in the store but its file is gone (kept)", err=True)
    for error in report.errors:
        click.echo(f"Error: {error}", err=True)
    topic = imported.topic
    if topic.rebuilt:
        click.echo(
            f"topic: profile rebuilt from the seeds; {topic.scored} items scored, "
            f"{topic.stories} stories"
        )
