"""Settings: a small typed config loaded once from TOML.

Every setting has a default, so an empty file (or none) works. Unknown sections or keys and
wrong types are a `ConfigError` naming the file, the line and the key. Relative paths in a
file are taken relative to that file's folder.
"""

from __future__ import annotations

import os
import re
import shutil
import tomllib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from reader.exceptions import ConfigError, InvalidSearchQueryError
from reader.models import Rule, RuleAction, RuleActionKind
from reader.query import parse_query

APP_NAME = "reader"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The source checkout (holds `seeds/` and `config/` when run from a clone)."""
PACKAGE_DATA = Path(__file__).resolve().parent / "_data"
"""An installed copy's seeds and starting config (`seeds/`, `config/`), built into the
package from the checkout's folders by `setup.py`; absent in a checkout."""


def in_checkout() -> bool:
    """Whether the program runs from its source checkout (`seeds/` and `config/` beside it)."""
    return (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "seeds").is_dir()


def user_data_dir() -> Path:
    """The user's data folder: the database, and an installed copy's seeds and feed list."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def shipped(folder: str, name: str = "") -> Path:
    """A file or folder the program ships with: the checkout's own, else the package's."""
    base = PROJECT_ROOT if in_checkout() else PACKAGE_DATA
    return base / folder / name if name else base / folder


def install_defaults() -> tuple[Path, ...]:
    """On an installed copy's first start, copy the shipped seeds and feed list to the
    user's data folder and the settings file to the user's config folder, where they can be
    edited; nothing that is already there is touched. Returns what was copied (nothing in a
    checkout, which uses `seeds/` and `config/` where they are)."""
    if in_checkout() or not PACKAGE_DATA.is_dir():
        return ()
    copies = [
        (PACKAGE_DATA / "seeds", user_data_dir() / "seeds"),
        (PACKAGE_DATA / "config" / "feeds.opml", user_data_dir() / "feeds.opml"),
        (
            PACKAGE_DATA / "config" / "reader.toml",
            Path(platformdirs.user_config_dir(APP_NAME)) / "reader.toml",
        ),
    ]
    copied: list[Path] = []
    for source, target in copies:
        if target.exists() or not source.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)
        copied.append(target)
    return tuple(copied)


@dataclass(frozen=True)
class DatabaseSettings:
    path: str = ""
    """The database file or URL; empty means `reader.db` in the user data dir. `READER_DB`
    wins."""
    url: str = ""
    """A ``postgresql://user@host/dbname`` URL: the store is that database (wins over `path`)."""


@dataclass(frozen=True)
class SeedsSettings:
    dir: str = ""
    """The seed articles folder; empty means the project's `seeds/`."""
    max_file_bytes: int = 1024 * 1024
    """A seed file larger than this is not imported (a pasted article is a few KiB)."""


@dataclass(frozen=True)
class FeedsSettings:
    opml: str = ""
    """The starting feed list imported on first start; empty means `config/feeds.opml`."""


@dataclass(frozen=True)
class FetchSettings:
    allow: tuple[str, ...] = ()
    """Exact host:port exceptions to the private-address block (also `READER_FETCH_ALLOW`)."""
    timeout: float = 30.0
    """Whole-request deadline in seconds, headers and body together."""
    connect_timeout: float = 10.0
    """Seconds to wait for a connection."""
    max_body_bytes: int = 10 * 1024 * 1024
    """Cap on a decoded response body."""
    max_items: int = 1000
    """Cap on items kept from one feed document."""
    max_field_chars: int = 200_000
    """Cap on the length of any one text field of an item."""
    concurrency: int = 32
    """Requests in flight at once, over all hosts."""
    per_host: int = 4
    """Requests in flight at once to one host."""
    max_redirects: int = 5
    """Redirects followed before giving up."""
    parse_workers: int = 0
    """Processes that parse feeds; 0 means one per core."""
    contact: str = ""
    """A URL or e-mail address sent in the User-Agent, so feed owners can reach you."""
    full_text: bool = False
    """Fetch each new item's linked page and keep its article (feeds may say otherwise)."""
    extract_timeout: float = 10.0
    """Seconds one article's extraction may take before the summary is kept instead."""


@dataclass(frozen=True)
class ScheduleSettings:
    interval: int = 1800
    """Default time between checks of a feed."""
    min_interval: int = 300
    """Never check a feed more often than this."""
    max_interval: int = 86400
    """Never leave a feed longer than this."""
    dispatch_every: int = 5
    """How often the dispatcher looks for due feeds."""
    batch_size: int = 100
    """Most feeds handed to one update by the dispatcher."""
    max_backoff: int = 86400
    """Longest wait after repeated errors."""
    lease: int = 120
    """Seconds a daemon holds the feeds it took; renewed while it lives, so other daemons on
    the same PostgreSQL database take them only after it stops or dies."""


@dataclass(frozen=True)
class RetentionSettings:
    days: int = 0
    """Prune read items first seen this many days ago; 0 keeps everything."""
    keep_per_feed: int = 50
    """Always keep at least this many newest items of each feed."""
    every: int = 3600
    """How often the daemon prunes, in seconds."""


@dataclass(frozen=True)
class TopicSettings:
    keywords: tuple[str, ...] = ()
    """Extra terms that define the topic, besides the seeds."""
    exclude: tuple[str, ...] = ()
    """Terms that push an item down (off-topic markers)."""
    hide_below: float = 0.0
    """Hide items scoring below this from the Topic view (0 shows all)."""
    story_days: int = 7
    """Reports of one story fall within this many days of each other."""
    refresh_every: int = 600
    """How often the daemon regroups stories and re-scores after profile changes (0: never)."""


@dataclass(frozen=True)
class SearchSettings:
    timeout: float = 10.0
    """Seconds a search may run before it stops and says so (0: no limit)."""


@dataclass(frozen=True)
class ReaderSettings:
    mark_read_on_open: bool = True
    """Opening an item in the terminal reader marks it read."""
    refresh_every: float = 2.0
    """Seconds between checks for items stored by the daemon."""


@dataclass(frozen=True)
class AlertSettings:
    min_score: float = 0.0
    """Alert on a new item scoring at least this (0: no score alerts)."""
    query: str = ""
    """Alert on a new item this query finds (`reader.query` syntax; "": none)."""
    command: tuple[str, ...] = ()
    """A program and its arguments (no shell), given the item as JSON on standard input."""
    webhook: str = ""
    """A URL the item is POSTed to as JSON (through the same guarded client as feeds)."""
    timeout: float = 10.0
    """Seconds an alert's command or webhook may take; past that it is logged and dropped."""


@dataclass(frozen=True)
class ExportSettings:
    atom: str = ""
    """Write the Topic view as an Atom feed to this file after each daemon update ("": no)."""
    limit: int = 50
    """Items in the exported feed, best first."""
    min_score: float = 0.0
    """Leave out items scoring below this."""


@dataclass(frozen=True)
class LogSettings:
    level: str = "INFO"
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
        if self.log.file:
            return self._resolve(self.log.file)
        return Path(platformdirs.user_state_dir(APP_NAME)) / "reader.log"

    @property
    def atom_export_path(self) -> Path | None:
        return self._resolve(self.export.atom) if self.export.atom else None

    @property
    def fetch_allow(self) -> frozenset[str]:
        """The configured allow list plus `READER_FETCH_ALLOW`."""
        extra = os.environ.get("READER_FETCH_ALLOW", "")
        return frozenset(self.fetch.allow) | {p.strip() for p in extra.split(",") if p.strip()}


def default_config_path() -> Path | None:
    """The settings file used when none is named: env, user config, then the shipped one."""
    env = os.environ.get("READER_CONFIG")
    if env:
        return Path(env).expanduser()
    user = Path(platformdirs.user_config_dir(APP_NAME)) / "reader.toml"
    if user.is_file():
        return user
    project = shipped("config", "reader.toml")
    return project if project.is_file() else None


def load_settings(path: Path | str | None = None) -> Settings:
    """Load settings from `path` (or the default file); defaults where a key is absent."""
    path = Path(path) if path is not None else default_config_path()
    if path is None:
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            path, f"not valid TOML: {exc}", line=int(match.group(1)) if match else None
        ) from None
    return _build(data, path, text)


def _build(data: dict[str, Any], path: Path, text: str) -> Settings:
    sections: dict[str, Any] = {}
    hints = typing.get_type_hints(Settings)
    for name, table in data.items():
        if name == "rules":
            sections[name] = _rules(table, path, text)
            continue
        if name == "source" or name not in hints:
            raise ConfigError(path, "unknown section", key=name, line=_line_of(text, name, None))
        if not isinstance(table, dict):
            raise ConfigError(path, "must be a table", key=name, line=_line_of(text, name, None))
        section_type = hints[name]
        section_hints = typing.get_type_hints(section_type)
        values: dict[str, Any] = {}
        for key, value in table.items():
            dotted = f"{name}.{key}"
            line = _line_of(text, key, name)
            if key not in section_hints:
                raise ConfigError(path, "unknown key", key=dotted, line=line)
            values[key] = _check(value, section_hints[key], path, dotted, line)
            problem = _FIELD_CHECKS.get(dotted, _no_problem)(values[key])
            if problem is not None:
                raise ConfigError(path, problem, key=dotted, line=line)
        sections[name] = section_type(**values)
    return replace(Settings(**sections), source=path)


def _no_problem(_value: Any) -> str | None:
    return None


def _header_comment_problem(value: str) -> str | None:
    """Why `value` cannot go inside the User-Agent's comment, or None if it can."""
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


def _score_problem(value: float) -> str | None:
    return "must be from 0 to 1" if value > 1 else None


def _webhook_problem(value: str) -> str | None:
    if value and not value.startswith(("http://", "https://")):
        return "must be an http(s) URL"
    return None


_FIELD_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "fetch.contact": _header_comment_problem,
    "alerts.query": _query_problem,
    "alerts.min_score": _score_problem,
    "alerts.webhook": _webhook_problem,
    "export.min_score": _score_problem,
}
"""Checks beyond the type, by dotted key: a message for a bad value, else None."""


def _check(value: Any, hint: Any, path: Path, key: str, line: int | None) -> Any:
    """Coerce a TOML value to the field's type, or say what was expected."""
    origin = typing.get_origin(hint)
    if origin is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(path, "expected a list of strings", key=key, line=line)
        return tuple(value)
    if origin in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(path, "expected true or false", key=key, line=line)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(path, "expected a whole number", key=key, line=line)
        if value < 0:
            raise ConfigError(path, "must not be negative", key=key, line=line)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(path, "expected a number", key=key, line=line)
        if value < 0:
            raise ConfigError(path, "must not be negative", key=key, line=line)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(path, "expected a string", key=key, line=line)
        return value
    raise ConfigError(path, f"unsupported setting type {hint!r}", key=key, line=line)


RULE_KEYS = ("query", "action", "name")
RULE_ACTIONS = "mark-read, star, hide, tag:NAME, score+0.2 or score-0.2"
_SCORE_ACTION = re.compile(r"score\s*([+-])\s*(\d+(?:\.\d*)?|\.\d+)")


def parse_rule_action(value: str) -> RuleAction | None:
    """A rule's action as written (``mark-read``, ``tag:NAME``, ``score+0.2``...), or None."""
    value = value.strip()
    plain_kinds = (RuleActionKind.MARK_READ, RuleActionKind.STAR, RuleActionKind.HIDE)
    for kind in plain_kinds:
        if value.lower() == kind.value:
            return RuleAction(kind)
    if value.lower().startswith("tag:") and value[4:].strip():
        return RuleAction(RuleActionKind.TAG, tag=" ".join(value[4:].split()))
    score = _SCORE_ACTION.fullmatch(value.lower())
    if score:
        delta = float(score.group(2)) * (1 if score.group(1) == "+" else -1)
        if 0 < abs(delta) <= 1:
            return RuleAction(RuleActionKind.SCORE, score_delta=delta)
    return None


def _rules(tables: Any, path: Path, text: str) -> tuple[Rule, ...]:
    """``[[rules]]`` tables as `Rule`s; a bad one names its file, line and key."""
    if not isinstance(tables, list):
        raise ConfigError(path, "write rules as [[rules]] tables", key="rules")
    rules: list[Rule] = []
    for index, table in enumerate(tables):
        where = f"rules[{index + 1}]"

        def bad(
            message: str, key: str | None, *, index: int = index, where: str = where
        ) -> ConfigError:
            line = _rule_line(text, index, key)
            return ConfigError(path, message, key=f"{where}.{key}" if key else where, line=line)

        if not isinstance(table, dict):
            raise bad("must be a table", None)
        for key in table:
            if key not in RULE_KEYS:
                raise bad(f"unknown key (a rule takes {', '.join(RULE_KEYS)})", key)
        for key in ("query", "action"):
            if not isinstance(table.get(key), str) or not table[key].strip():
                raise bad("missing" if key not in table else "expected a non-empty string", key)
        name = table.get("name", "")
        if not isinstance(name, str):
            raise bad("expected a string", "name")
        try:
            node = parse_query(table["query"])
        except InvalidSearchQueryError as exc:
            raise bad(f"not a query: {exc.hint}", "query") from None
        action = parse_rule_action(table["action"])
        if action is None:
            raise bad(f"unknown action {table['action']!r}; use {RULE_ACTIONS}", "action")
        rules.append(Rule(query=table["query"], node=node, action=action, name=name))
    return tuple(rules)


def _rule_line(text: str, index: int, key: str | None) -> int | None:
    """The line of `key` in the `index`-th ``[[rules]]`` table (its header when no key)."""
    seen = -1
    inside = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if re.match(r"^\[\[\s*rules\s*\]\]", line):
            seen += 1
            inside = seen == index
            if inside and key is None:
                return number
            continue
        if line.startswith("["):
            inside = False
            continue
        if inside and key is not None and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", line):
            return number
    return None


def _line_of(text: str, key: str, section: str | None) -> int | None:
    """The 1-based line where `key` is set (inside `[section]` when given)."""
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1)
            if section is None and current == key:
                return number
            continue
        if (
            section is not None
            and current == section
            and re.match(rf"^[\"']?{re.escape(key)}[\"']?\s*=", line)
        ):
            return number
    return None
