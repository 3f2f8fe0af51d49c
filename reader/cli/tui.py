"""`reader tui` (also plain `reader`): the terminal reader."""

from __future__ import annotations

import sys

import click

from reader.cli.context import AppContext, fail, pass_app


def check_terminal() -> None:
    """Refuse (one line, exit 1) when stdin or stdout is not a terminal: the reader would
    draw into a pipe, or wait for keys that never come."""
    streams = (("input", sys.stdin), ("output", sys.stdout))
    redirected = [name for name, stream in streams if not stream.isatty()]
    if redirected:
        which = " and ".join(redirected) + (" are" if len(redirected) > 1 else " is")
        fail(
            f"the reader needs a terminal, but its {which} redirected; in scripts use"
            " `reader items list`, `reader search` or `reader fetch`"
        )


@click.command("tui")
@pass_app
def tui(app: AppContext) -> None:
    """Open the terminal reader: read, tag and mark items (press ? for keys).

    Needs a terminal: with input or output redirected it says so and exits 1.
    """
    check_terminal()
    from reader.tui import ReaderApp  # Textual loads only for this command

    ReaderApp(app.reader).run()
