"""The settings schema: every section, key, default and allowed value, declared once.

Each key is a typed dataclass field with its default; a key whose values are narrower than its
type says so with `setting(...)` (bounds, choices, or a check returning what is wrong). The
loader (`reader.config.load`) enforces all of it when the file is read, for every command.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from reader.config.places import in_checkout, shipped, user_data_dir, user_log_file
from reader.exceptions import InvalidSearchQueryError
from reader.models import Rule
from reader.query import parse_query

T = TypeVar("T")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DATABASE_URL_SCHEMES = ("postgresql", "postgres")
"""Schemes of a database server's URL (a SQLite store is a path or ``sqlite:///PATH``)."""


@dataclass(frozen=True)
class Allowed:
    """What a setting's value must be beyond its type (numbers are never negative)."""

    at_least: float = 0
    more_than: float | None = None
    at_most: float | None = None
    choices: tuple[str, ...] = ()
    """Allowed words, in any case (kept in the case written here)."""
    problem: Callable[[Any], str | None] | None = None
    """Says what is wrong with a value, or None when it is fine."""


def setting(
    default: T,
    *,
    at_least: float = 0,
    more_than: float | None = None,
    at_most: float | None = None,
    choices: tuple[str, ...] = (),
    problem: Callable[[Any], str | None] | None = None,
) -> T:
    """A field whose values are narrower than its type."""
    allowed = Allowed(at_least, more_than, at_most, choices, problem)
    return field(default=default, metadata={"allowed": allowed})


def _header_comment_problem(value: str) -> str | None:
    if not value.isascii() or not value.isprintable() or any(c in value for c in "()\\"):
        return "must be printable ASCII without parentheses (it is sent in the User-Agent)"
    return None


def _query_problem(value: str) -> str | None:
    if not value:
        return None
    try:
        parse_query(value)
    except InvalidSearchQueryError as exc:
        return f"not a query: {exc.hint}"
    return None


def _webhook_problem(value: str) -> str | None:
    if value and not value.startswith(("http://", "https://")):
        return "must be an http(s) URL"
    return None


def _database_url_problem(value: str) -> str | None:
    if value and value.split("://", 1)[0].lower() not in DATABASE_URL_SCHEMES:
        return "must be a postgresql:// URL (a SQLite file goes in [database] path)"
    return None


_HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]/]+):\d{1,5}")


def _allow_problem(values: tuple[str, ...]) -> str | None:
    bad = [value for value in values if not _HOST_PORT.fullmatch(value)]
    return f"each entry must be HOST:PORT, not {bad[0]!r}" if bad else None


def _command_problem(argv: tuple[str, ...]) -> str | None:
    return "the program (first word) must not be empty" if argv and not argv[0].strip() else None


@dataclass(frozen=True)
class Section:
    """A ``[section]`` of the settings file."""

    def conflict(self) -> tuple[str, str] | None:
        """A (key, message) when keys that are fine alone do not go together."""
        return None


@dataclass(frozen=True)
class DatabaseSettings(Section):
    path: str = ""
    """The database file or URL; empty means `reader.db` in the user data dir. `READER_DB`
    wins."""
    url: str = setting("", problem=_database_url_problem)
    """A ``postgresql://user@host/dbname`` URL: the store is that database (wins over `path`)."""


@dataclass(frozen=True)
class SeedsSettings(Section):
    dir: str = ""
    """The seed articles folder; empty means the project's `seeds/`."""
    max_file_bytes: int = setting(1024 * 1024, at_least=1)
    """A seed file larger than this is not imported (a pasted article is a few KiB)."""


@dataclass(frozen=True)
class FeedsSettings(Section):
    opml: str = ""
    """The starting feed list imported on first start; empty means `config/feeds.opml`."""


@dataclass(frozen=True)
class FetchSettings(Section):
    allow: tuple[str, ...] = setting((), problem=_allow_problem)
    """Exact host:port exceptions to the private-address block (also `READER_FETCH_ALLOW`)."""
    timeout: float = setting(30.0, more_than=0)
    """Whole-request deadline in seconds, headers and body together."""
    connect_timeout: float = setting(10.0, more_than=0)
    """Seconds to wait for a connection."""
    max_body_bytes: int = setting(10 * 1024 * 1024, at_least=1)
    """Cap on a decoded response body."""
    max_items: int = setting(1000, at_least=1)
    """Cap on items kept from one feed document."""
    max_field_chars: int = setting(200_000, at_least=1)
    """Cap on the length of any one text field of an item."""
    concurrency: int = setting(32, at_least=1)
    """Requests in flight at once, over all hosts."""
    per_host: int = setting(4, at_least=1)
    """Requests in flight at once to one host."""
    max_redirects: int = 5
    """Redirects followed before giving up."""
    parse_workers: int = 0
    """Processes that parse feeds; 0 means one per core."""
    contact: str = setting("", problem=_header_comment_problem)
    """A URL or e-mail address sent in the User-Agent, so feed owners can reach you."""
    full_text: bool = False
    """Fetch each new item's linked page and keep its article (feeds may say otherwise)."""
    extract_timeout: float = setting(10.0, more_than=0)
    """Seconds one article's extraction may take before the summary is kept instead."""


@dataclass(frozen=True)
class ScheduleSettings(Section):
    interval: int = setting(1800, at_least=1)
    """Default time between checks of a feed."""
    min_interval: int = setting(300, at_least=1)
    """Never check a feed more often than this."""
    max_interval: int = setting(86400, at_least=1)
    """Never leave a feed longer than this."""
    dispatch_every: int = setting(5, at_least=1)
    """How often the dispatcher looks for due feeds."""
    batch_size: int = setting(100, at_least=1)
    """Most feeds handed to one update by the dispatcher."""
    max_backoff: int = setting(86400, at_least=1)
    """Longest wait after repeated errors."""
    lease: int = setting(120, at_least=1)
    """Seconds a daemon holds the feeds it took; renewed while it lives, so other daemons on
    the same PostgreSQL database take them only after it stops or dies."""

    def conflict(self) -> tuple[str, str] | None:
        if self.min_interval > self.max_interval:
            return "min_interval", f"must not be more than max_interval ({self.max_interval})"
        return None


@dataclass(frozen=True)
class RetentionSettings(Section):
    days: int = 0
    """Prune read items first seen this many days ago; 0 keeps everything."""
    keep_per_feed: int = 50
    """Always keep at least this many newest items of each feed."""
    every: int = setting(3600, at_least=1)
    """How often the daemon prunes, in seconds."""


@dataclass(frozen=True)
class TopicSettings(Section):
    keywords: tuple[str, ...] = ()
    """Extra terms that define the topic, besides the seeds."""
    exclude: tuple[str, ...] = ()
    """Terms that push an item down (off-topic markers)."""
    hide_below: float = setting(0.0, at_most=1)
    """Hide items scoring below this from the Topic view (0 shows all)."""
    story_days: int = setting(7, at_least=1)
    """Reports of one story fall within this many days of each other."""
    refresh_every: int = 600
    """How often the daemon regroups stories and re-scores after profile changes (0: never)."""


@dataclass(frozen=True)
class SearchSettings(Section):
    timeout: float = 10.0
    """Seconds a search may run before it stops and says so (0: no limit)."""


@dataclass(frozen=True)
class ReaderSettings(Section):
    mark_read_on_open: bool = True
    """Opening an item in the terminal reader marks it read."""
    refresh_every: float = setting(2.0, more_than=0)
    """Seconds between checks for items stored by the daemon."""


@dataclass(frozen=True)
class AlertSettings(Section):
    min_score: float = setting(0.0, at_most=1)
    """Alert on a new item scoring at least this (0: no score alerts)."""
    query: str = setting("", problem=_query_problem)
    """Alert on a new item this query finds (`reader.query` syntax; "": none)."""
    command: tuple[str, ...] = setting((), problem=_command_problem)
    """A program and its arguments (no shell), given the item as JSON on standard input."""
    webhook: str = setting("", problem=_webhook_problem)
    """A URL the item is POSTed to as JSON (through the same guarded client as feeds)."""
    timeout: float = setting(10.0, more_than=0)
    """Seconds an alert's command or webhook may take; past that it is logged and dropped."""


@dataclass(frozen=True)
class ExportSettings(Section):
    atom: str = ""
    """Write the Topic view as an Atom feed to this file after each daemon update ("": no)."""
    limit: int = setting(50, at_least=1)
    """Items in the exported feed, best first."""
    min_score: float = setting(0.0, at_most=1)
    """Leave out items scoring below this."""


@dataclass(frozen=True)
class LogSettings(Section):
    level: str = setting("INFO", choices=LOG_LEVELS)
    """Log level for the daemon and fetches."""
    file: str = ""
    """Log file; empty means `reader.log` in the user state dir."""


@dataclass(frozen=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    seeds: SeedsSettings = field(default_factory=SeedsSettings)
    feeds: FeedsSettings = field(default_factory=FeedsSettings)
    fetch: FetchSettings = field(default_factory=FetchSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    topic: TopicSettings = field(default_factory=TopicSettings)
    search: SearchSettings = field(default_factory=SearchSettings)
    reader: ReaderSettings = field(default_factory=ReaderSettings)
    log: LogSettings = field(default_factory=LogSettings)
    alerts: AlertSettings = field(default_factory=AlertSettings)
    export: ExportSettings = field(default_factory=ExportSettings)
    rules: tuple[Rule, ...] = ()
    """``[[rules]]`` tables, in file order: applied to new items when they are stored."""
    source: Path | None = None
    """The file these settings came from, if any."""

    # -- resolved paths ---------------------------------------------------------------------

    def _resolve(self, value: str) -> Path:
        path = Path(value).expanduser()
        if not path.is_absolute() and self.source is not None:
            path = self.source.parent / path
        return path

    @property
    def db_location(self) -> str:
        """Where the store is: a file path or a database URL (``READER_DB``, then `url`,
        then `path`).

        A URL (``scheme://...``) is passed through as it is; a path is resolved.
        """
        value = os.environ.get("READER_DB") or self.database.url or self.database.path
        if "://" in value:
            return value
        return str(self.db_path)

    @property
    def db_path(self) -> Path:
        env = os.environ.get("READER_DB")
        if env:
            return Path(env).expanduser()
        if self.database.path:
            return self._resolve(self.database.path)
        return user_data_dir() / "reader.db"

    @property
    def seeds_dir(self) -> Path:
        """`[seeds] dir`, else the checkout's `seeds/`, else the user's copy (made on the
        first start), else the seeds shipped in the package."""
        if self.seeds.dir:
            return self._resolve(self.seeds.dir)
        copy = user_data_dir() / "seeds"
        return copy if not in_checkout() and copy.is_dir() else shipped("seeds")

    @property
    def feeds_opml(self) -> Path:
        """`[feeds] opml`, else the checkout's `config/feeds.opml`, else the user's copy,
        else the list shipped in the package."""
        if self.feeds.opml:
            return self._resolve(self.feeds.opml)
        copy = user_data_dir() / "feeds.opml"
        return copy if not in_checkout() and copy.is_file() else shipped("config", "feeds.opml")

    @property
    def log_path(self) -> Path:
        return self._resolve(self.log.file) if self.log.file else user_log_file()

    @property
    def atom_export_path(self) -> Path | None:
        return self._resolve(self.export.atom) if self.export.atom else None

    @property
    def fetch_allow(self) -> frozenset[str]:
        """The configured allow list plus `READER_FETCH_ALLOW`."""
        extra = os.environ.get("READER_FETCH_ALLOW", "")
        return frozenset(self.fetch.allow) | {p.strip() for p in extra.split(",") if p.strip()}
