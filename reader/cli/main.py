"""`reader`: the command-line entry point. Each command group lives in its own module."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import click

from reader import __version__
from reader.cli.context import AppContext
from reader.core import database_file
from reader.exceptions import ReaderError


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    "db",
    metavar="PATH|URL",
    envvar="READER_DB",
    help="Database file or URL (default: reader.db in the user data dir; env READER_DB).",
)
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="READER_CONFIG",
    help="Settings file (default: ~/.config/reader/reader.toml, else config/reader.toml).",
)
@click.version_option(__version__, prog_name="reader")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config: Path | None) -> None:
    """A topic-focused feed aggregator and terminal reader."""
    app = AppContext(config_path=config, db_override=db)
    ctx.obj = app
    ctx.call_on_close(app.close)
    app.settings  # noqa: B018 - load now, so a bad settings file is reported by every command
    named = database_file(db) if db is not None else None
    if named is not None and not named.parent.is_dir():
        # A typo in --db must not quietly start an empty database somewhere new.
        raise click.ClickException(f"--db {db}: the folder {named.parent} does not exist")
    if ctx.invoked_subcommand is None:
        default = cli.get_command(ctx, "tui")
        if default is None:
            click.echo(ctx.get_help())
            return
        ctx.invoke(default)


# -- command registration: one line per command module ---------------------------------------
# (modules are imported here, not at the top, so each registers itself in one place)
from reader.cli import feeds, items, opml, search, seeds  # noqa: E402

cli.add_command(seeds.seeds)
cli.add_command(feeds.feeds)
cli.add_command(opml.opml)
cli.add_command(items.items)
cli.add_command(search.search)
from reader.cli import daemon as daemon_cli  # noqa: E402

cli.add_command(daemon_cli.daemon)
cli.add_command(daemon_cli.status)
from reader.cli import tui as tui_cli  # noqa: E402

cli.add_command(tui_cli.tui)
from reader.cli import fetch as fetch_cli  # noqa: E402

cli.add_command(fetch_cli.fetch)
from reader.cli import stories as stories_cli  # noqa: E402

cli.add_command(stories_cli.stories)
from reader.cli import start as start_cli  # noqa: E402

cli.add_command(start_cli.start)
from reader.cli import db as db_cli  # noqa: E402

cli.add_command(db_cli.db)
from reader.cli import digest as digest_cli  # noqa: E402
from reader.cli import views as views_cli  # noqa: E402

cli.add_command(views_cli.views)
cli.add_command(views_cli.rules)
cli.add_command(digest_cli.digest)
cli.add_command(digest_cli.export)
# -- end of command registration --------------------------------------------------------------


def main() -> None:
    """Run the CLI; a `ReaderError` becomes one line on stderr and exit status 1."""
    try:
        _run()
    finally:
        # The command is over (the store closed with its context): spare the interpreter's
        # last collection over every object scikit-learn and friends made. It took about a
        # second, half of the daemon's allowance between SIGTERM and exit.
        gc.freeze()


def _run() -> None:
    try:
        cli.main(standalone_mode=False, prog_name="reader")
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.UsageError as exc:
        command = exc.ctx.command_path if exc.ctx is not None else "reader"
        click.echo(f"Error: {exc.format_message()} (see '{command} --help')", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(1)
    except ReaderError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except BrokenPipeError:
        # The reader of our output went away (`| head`): nothing more to say, to anyone.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as exc:
        # A write that failed (a full disk, a read-only folder): one line, never a traceback.
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"Error: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
