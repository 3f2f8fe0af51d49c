"""`reader tui` (also plain `reader`): the terminal reader."""

from __future__ import annotations

import click

from reader.cli.context import AppContext, pass_app


@click.command("tui")
@pass_app
def tui(app: AppContext) -> None:
    """Open the terminal reader: read, tag and mark items (press ? for keys)."""
    from reader.tui import ReaderApp  # Textual loads only for this command

    ReaderApp(app.reader).run()
