"""`reader opml import|export`: subscription lists in and out."""

from __future__ import annotations

from pathlib import Path

import click

from reader.cli.context import AppContext, fail, pass_app


@click.group()
def opml() -> None:
    """Import or export subscriptions as OPML."""


@opml.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def import_command(app: AppContext, file: Path) -> None:
    """Subscribe to the feeds in FILE; every folder a feed is in becomes one of its tags.

    A feed listed twice (or already subscribed) is added once; feeds already subscribed get
    the file's folders as tags too.
    """
    report = app.reader.import_opml(file)
    click.echo(
        f"opml: {len(report.added)} feeds added, {len(report.duplicates)} already there"
        + (f", {len(report.retagged)} given new tags" if report.retagged else "")
        + (f", {len(report.skipped)} skipped" if report.skipped else "")
    )
    for url, reason in report.skipped:
        click.echo(f"opml: skipped {url}: {reason}", err=True)


@opml.command("export")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def export_command(app: AppContext, file: Path | None) -> None:
    """Write every feed as OPML 2.0 to FILE (default: standard output), one folder per tag."""
    document = app.reader.export_opml()
    if file is None:
        click.echo(document, nl=False)
        return
    try:
        file.write_text(document, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {file}: {exc.strerror or exc}")
    click.echo(f"opml: wrote {file}")
