"""What every command shares: settings, the `Reader` (opened on first use), and output helpers."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console

from reader.config import Settings, load_settings
from reader.core import Reader, database_file, item_body, make_reader
from reader.models import Feed, Item, ItemLink
from reader.textsafe import plain


@dataclass
class AppContext:
    """Handed to every command as `ctx.obj`: the settings, and the `Reader` opened on first use."""

    config_path: Path | None = None
    db_override: str | None = None
    """`--db` (or `READER_DB`): a database file or URL."""
    _settings: Settings | None = field(default=None, repr=False)
    _reader: Reader | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    @property
    def location(self) -> str:
        """The database: `--db`, else the settings' (a file path or a URL)."""
        return self.db_override or self.settings.db_location

    @property
    def reader(self) -> Reader:
        if self._reader is None:
            file = database_file(self.location)
            empty = file is not None and file.is_file() and file.stat().st_size == 0
            self._reader = make_reader(self.location, settings=self.settings)
            if empty:  # once: from now on the file holds a database
                click.echo(
                    f"{self.location}: was an empty file; made a new database in it", err=True
                )
        return self._reader

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


pass_app = click.make_pass_decorator(AppContext)


def fail(message: str) -> NoReturn:
    """A user error: one clear line on stderr, exit status 1."""
    raise click.ClickException(message)


def emit_json(document: Any) -> None:
    """Print one JSON document, in one write: `json.dump` writes each of its many small
    pieces apart, a system call each when output is unbuffered (`PYTHONUNBUFFERED`)."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def item_json(item: Item, *, content: bool = False) -> dict[str, Any]:
    """An item in the stable JSON shape of every listing."""
    document: dict[str, Any] = {
        "id": item.id,
        "title": item.title,
        "link": item.link,
        "source": item.source,
        "published": iso(item.published),
        "read": item.read,
        "starred": item.starred,
        "tags": list(item.tags),
        "score": None if item.score is None else round(item.score, 4),
    }
    if content:
        document.update(
            author=item.author,
            updated=iso(item.updated),
            first_seen=iso(item.first_seen),
            source_names=list(item.source_names),
            score_terms=list(item.score_terms),
            story_id=item.story_id,
            source_removed=item.source_removed,
            links=[link_json(link) for link in item_body(item).links],
            content_html=item.content_html,
            text=item.text,
            summary=item.summary,
            full_text=item.full_text,
            hidden=item.hidden,
        )
    return document


def link_json(link: ItemLink) -> dict[str, Any]:
    """One of an item's links (`items show --json`, in the order `items show` numbers them)."""
    return {
        "url": link.url,
        "kind": link.kind.value,
        "type": link.media_type,
        "length": link.length,
        "title": link.title,
    }


def link_line(number: int, link: ItemLink) -> str:
    """``[1] URL (enclosure, audio/mpeg, 35.2 MB)``: a link as `items show` lists it."""
    details = [link.kind.value]
    details += [d for d in (link.media_type, _size(link.length), link.title) if d]
    return f"[{number}] {plain(link.url)} ({', '.join(plain(d) for d in details)})"


def _size(length: int | None) -> str | None:
    if length is None:
        return None
    size = float(length)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return None


def source_label(item: Item) -> str:
    """The item's source as listings show it, saying when the feed was removed."""
    return f"{item.source} (removed feed)" if item.source_removed else item.source


def feed_json(feed: Feed) -> dict[str, Any]:
    return {
        "url": feed.url,
        "title": feed.name,
        "full_text": feed.full_text,
        "link": feed.link,
        "tags": list(feed.tags),
        "enabled": feed.enabled,
        "disabled_reason": feed.disabled_reason,
        "items": feed.item_count,
        "unread": feed.unread_count,
        "last_checked": iso(feed.last_checked),
        "next_check": iso(feed.next_check),
        "last_updated": iso(feed.last_updated),
        "last_error": feed.last_error,
        "error_count": feed.error_count,
    }


PIPED_WIDTH = 200
"""Columns for tables written to a pipe or file, where no terminal says how wide to be."""


UNLIMITED_WIDTH = 100_000
"""Columns for `--wide` tables: every cell whole, one line per row."""


def table_console(*, wide: bool = False) -> Console:
    """A console for tables: the terminal's width, a wide page when output is piped, or no
    limit at all (`wide`: no cell is cut or wrapped)."""
    if wide:
        return Console(soft_wrap=False, width=UNLIMITED_WIDTH)
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else PIPED_WIDTH)


def short_date(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def item_date(item: Item, now: datetime | None = None) -> str:
    """An item's date for listings; an item its feed gave no date says when it was first
    seen instead (``seen 3 m ago``), so it never passes for a publication time."""
    if item.dated or item.first_seen is None:
        return short_date(item.date)
    return f"seen {age(item.first_seen, now or datetime.now(UTC))} ago"


def age(moment: datetime, now: datetime) -> str:
    """How long ago `moment` was, in the largest whole unit: ``3 m``, ``5 h``, ``2 d``."""
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def safe(text: str | None) -> str:
    """Text from the network made safe for a terminal (no control characters)."""
    return plain(text or "")
