"""`reader seeds import`: load the seed articles that define the topic."""

from __future__ import annotations

from pathlib import Path

import click

from reader.cli.context import AppContext, emit_json, pass_app
from reader.sources.seeds import SeedImportReport, import_seeds


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
    report = import_seeds(app.store, directory or app.settings.seeds_dir)
    after_seed_import(app)
    if as_json:
        emit_json(
            {
                "directory": str(report.directory),
                "new": list(report.new),
                "updated": list(report.updated),
                "unchanged": list(report.unchanged),
                "missing": list(report.missing),
                "errors": [str(e) for e in report.errors],
            }
        )
    else:
        print_report(report)
    if report.errors:
        raise SystemExit(1)


def print_report(report: SeedImportReport) -> None:
    click.echo(
        f"seeds: {report.imported} imported from {report.directory} "
        f"({len(report.new)} new, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged)"
    )
    for name in report.missing:
        click.echo(f"seeds: {name} is in the store but its file is gone (kept)", err=True)
    for error in report.errors:
        click.echo(f"Error: {error}", err=True)


def after_seed_import(app: AppContext) -> None:
    """Seeds define the topic: re-score and regroup when they change."""
    from reader.topic import refresh_topic  # scikit-learn loads only when it is needed

    report = refresh_topic(app.store, app.settings)
    if report.rebuilt:
        click.echo(
            f"topic: profile rebuilt from the seeds; {report.scored} items scored, "
            f"{report.stories} stories"
        )
