"""`Reader`: every use case in one place, over one store; the CLI, the reader and the daemon
call it and nothing lower.

`make_reader` opens the store named by the settings (or a path or URL). Each method is one use
case in the store's vocabulary (`reader.models` types in and out); what it takes to do it
(fetch, parse, score, group, import) is this layer's business, so a second store backend or a
new front end changes one place.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from reader.config import Settings, install_defaults, load_settings
from reader.core.lock import DaemonLock, daemon_pid
from reader.core.reading import ReadingUseCases
from reader.core.reports import SeedsImported, StartUpReport, Status
from reader.core.retention import prune_old_items
from reader.core.session import UpdateSession
from reader.exceptions import OPMLError, SeedFileError, StorageError
from reader.models import (
    DaemonInfo,
    Feed,
    FeedRemoval,
    FeedResult,
    Item,
    ItemFilter,
    SearchHit,
    SortOrder,
    StoreCheck,
    Story,
    TagCount,
    UpdateReport,
    tag_key,
)
from reader.query import QueryNode
from reader.sources.newsboat import NewsboatExport, export_newsboat_urls
from reader.sources.opml import OPMLImportReport, export_opml, import_opml
from reader.sources.seeds import import_seeds
from reader.sources.urls import canonical_feed_url
from reader.store import copy_to_postgres, open_store
from reader.store.base import Store
from reader.store.urls import redact

if TYPE_CHECKING:
    from reader.topic import RefreshReport, TopicScorer
    from reader.update import Scorer

FEEDS_IMPORTED_KEY = "start.feeds_opml_imported"
"""Store meta key: set once the starting feed list was imported, so removals stick."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def database_file(location: str) -> Path | None:
    """The SQLite file a store location names; None for a database server's URL."""
    if location.startswith("sqlite:///"):
        return Path(location.removeprefix("sqlite:///")).expanduser()
    if "://" in location:
        return None
    return Path(location).expanduser()


def make_reader(
    location: str | Path | None = None,
    *,
    settings: Settings | None = None,
    config: Path | str | None = None,
) -> Reader:
    """Open the store at `location` (a path or URL; default: the settings' database).

    `settings` wins over `config` (a settings file to load; default: the usual one). The store
    is created and migrated when new.
    """
    if settings is None:
        settings = load_settings(config)
    where = str(location) if location is not None else settings.db_location
    return Reader(open_store(where), settings, location=where)


class Reader(ReadingUseCases):
    """Feeds, items, marks, tags, search, stories and updates over one store.

    Safe to call from several threads as far as the store is (SQLite: one connection behind
    a lock). Close it (or use it as a context manager) to release the store.
    """

    def __init__(self, store: Store, settings: Settings, *, location: str | None = None) -> None:
        self._store = store
        self.settings = settings
        """The settings every use case follows."""
        self.location = location
        """Where the store is (a path or URL), when known."""
        self._scorer: TopicScorer | None = None

    def close(self) -> None:
        """Release the store."""
        self._store.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- feeds -------------------------------------------------------------------------------

    def add_feed(
        self,
        url: str,
        *,
        title: str | None = None,
        tags: Sequence[str] = (),
        full_text: bool | None = None,
    ) -> Feed:
        """Subscribe to `url` (its scheme and host in lower case, so ``HTTP://Host/x`` and
        ``http://host/x`` are one feed); `FeedExistsError` if it is already there.
        `full_text` fetches each new item's article (None: as ``[fetch] full_text`` says)."""
        return self._store.add_feed(
            canonical_feed_url(url), title=title, tags=tags, full_text=full_text
        )

    def remove_feed(self, url: str, *, purge: bool = False) -> FeedRemoval:
        """Unsubscribe and delete the feed's items but its starred and tagged ones (kept,
        marked as from a removed feed) unless `purge`; `FeedNotFoundError` if unknown.
        Subscribing to the URL again brings the kept items back."""
        return self._store.remove_feed(url, purge=purge)

    def edit_feed(
        self,
        url: str,
        *,
        title: str | None = None,
        tags: Sequence[str] | None = None,
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
    ) -> Feed:
        """Change a feed's own title (`""` clears it) and tags: `tags` replaces them, then
        `add_tags` are added and `remove_tags` removed (compared as the store compares tags).
        None leaves a part alone; returns the feed as it now is."""
        feed = self._store.get_feed(url)
        if tags is not None or add_tags or remove_tags:
            gone = {tag_key(t) for t in remove_tags}
            wanted = [*(feed.tags if tags is None else tags), *add_tags]
            self._store.set_feed_tags(url, [t for t in wanted if tag_key(t) not in gone])
        if title is not None:
            self._store.set_feed_title(url, title.strip() or None)
        return self._store.get_feed(url)

    def enable_feed(self, url: str) -> Feed:
        """Fetch the feed again (also after 410 Gone): its errors are cleared, it is due now."""
        self._store.set_feed_enabled(url, True)
        return self._store.get_feed(url)

    def disable_feed(self, url: str) -> Feed:
        """Stop fetching the feed; its items stay."""
        self._store.set_feed_enabled(url, False)
        return self._store.get_feed(url)

    def get_feed(self, url: str) -> Feed:
        """The feed with this URL; `FeedNotFoundError` if unknown."""
        return self._store.get_feed(url)

    def get_feeds(self, *, include_seeds: bool = False) -> list[Feed]:
        """Every feed (and the seeds source, if asked) with item and unread counts, by name."""
        return self._store.get_feeds(include_seeds=include_seeds)

    def get_due_feeds(self, now: datetime | None = None, *, limit: int | None = None) -> list[Feed]:
        """Enabled feeds due at `now` (default: now), the longest overdue first."""
        return self._store.get_due_feeds(now or utc_now(), limit=limit)

    def get_scheduled_feeds(self, *, limit: int) -> list[Feed]:
        """The next `limit` enabled feeds in the order they fall due."""
        return self._store.get_scheduled_feeds(limit=limit)

    # -- items, marks and tags ---------------------------------------------------------------

    def get_item(self, item_id: int) -> Item:
        """One item with its body; `ItemNotFoundError` if unknown."""
        return self._store.get_item(item_id)

    def get_items(
        self,
        where: ItemFilter = ItemFilter(),
        *,
        sort: SortOrder = SortOrder.NEWEST,
        limit: int | None = None,
        offset: int = 0,
        with_content: bool = False,
    ) -> list[Item]:
        """Items matching `where` in `sort` order; bodies only when `with_content`."""
        return self._store.get_items(
            where, sort=sort, limit=limit, offset=offset, with_content=with_content
        )

    def count_items(self, where: ItemFilter = ItemFilter()) -> int:
        """How many items match `where`."""
        return self._store.count_items(where)

    def mark_items(
        self, ids: Iterable[int], *, read: bool | None = None, starred: bool | None = None
    ) -> int:
        """Set read and/or starred on every item of `ids`, or on none: `ItemNotFoundError`
        (naming each missing id) changes nothing. Returns how many were marked."""
        return self._store.mark_items(ids, read=read, starred=starred)

    def mark_all_read(self, where: ItemFilter = ItemFilter()) -> int:
        """Mark every unread item matching `where` read; return how many changed."""
        return self._store.mark_all_read(where)

    def add_tags(self, item_id: int, tags: Sequence[str]) -> None:
        """Tag an item (names trimmed, case-insensitive); `ItemNotFoundError` if unknown."""
        self._store.add_tags(item_id, tags)

    def remove_tags(self, item_id: int, tags: Sequence[str]) -> None:
        """Untag an item; tags it does not have are ignored."""
        self._store.remove_tags(item_id, tags)

    def get_tags(self) -> list[TagCount]:
        """Every tag in use, with item and unread counts, by name."""
        return self._store.get_tags()

    def search(
        self,
        query: str | QueryNode,
        *,
        limit: int = 50,
        highlight: tuple[str, str] = ("[", "]"),
    ) -> list[SearchHit]:
        """Full-text search, best first, for a query as typed or parsed (`reader.query`);
        `InvalidSearchQueryError` (with a hint) when it cannot run at all,
        `SearchTimeoutError` when it runs past `[search] timeout`."""
        return self._store.search(
            query, limit=limit, highlight=highlight, timeout=self.settings.search.timeout
        )

    def change_counter(self) -> int:
        """A number that grows whenever any process changes items, marks or feeds."""
        return self._store.change_counter()

    # -- the topic ---------------------------------------------------------------------------

    def get_stories(self, *, min_sources: int = 2, limit: int | None = None) -> list[Story]:
        """Stories reported by at least `min_sources` sources, biggest and newest first."""
        return self._store.get_stories(min_sources=min_sources, limit=limit)

    def refresh_topic(
        self,
        *,
        force: bool = False,
        should_stop: Callable[[], bool] | None = None,
        walks: bool = True,
    ) -> RefreshReport:
        """Work the topic's queues: score what is unscored, go on re-scoring after a profile
        change, group what waits to be grouped (the cost follows the new items).

        `force` relearns the statistics, re-scores everything and regroups the whole history.
        `should_stop` is asked between batches (what is done stays done). `walks=False`
        leaves a due re-scoring or regrouping walk to the next refresh that walks (the
        daemon's). A `[topic]` phrase that can never match is a `ConfigError`.
        """
        from reader.topic import refresh_topic

        return refresh_topic(
            self._store,
            self.settings,
            force=force,
            should_stop=should_stop,
            walks=walks,
        )

    def prepare_updates(self) -> None:
        """Load what updates need (the topic model) now rather than at the first update, so a
        `[topic]` phrase that can never match is a `ConfigError` at start-up."""
        self._topic_scorer()

    def _update_scorer(self) -> Scorer | None:
        return self._topic_scorer()

    def _topic_scorer(self) -> TopicScorer:
        """The updater's scorer, made once: it follows the store's profile as it changes."""
        if self._scorer is None:
            from reader.topic import TopicScorer

            self._scorer = TopicScorer(self._store, self.settings)
        return self._scorer

    # -- sources in and out ------------------------------------------------------------------

    def import_seeds(self, directory: Path | None = None, *, walks: bool = True) -> SeedsImported:
        """Import the seed articles (default: the settings' folder), then refresh the topic
        they define (`walks=False`: re-scoring for changed seeds is left to the daemon).
        `SeedFileError` when the folder is missing; bad files are reported."""
        seeds = import_seeds(
            self._store,
            directory or self.settings.seeds_dir,
            max_file_bytes=self.settings.seeds.max_file_bytes,
        )
        return SeedsImported(seeds=seeds, topic=self.refresh_topic(walks=walks))

    def import_opml(self, path: Path) -> OPMLImportReport:
        """Subscribe to every feed in an OPML file (folders become feed tags); a broken file
        is an `OPMLError` and imports nothing."""
        return import_opml(self._store, path)

    def export_opml(self) -> str:
        """Every feed as an OPML 2.0 document."""
        return export_opml(self._store.get_feeds())

    def export_newsboat_urls(self) -> NewsboatExport:
        """Every feed as a Newsboat `urls` file, all of each feed's tags kept."""
        return export_newsboat_urls(self._store.get_feeds())

    def start_up(self, *, walks: bool = True) -> StartUpReport:
        """What `reader start` does before reading: the seeds imported (changed files
        updated), and on the first start only, the starting feed list subscribed (so feeds
        the user removes later stay removed). An installed copy's first start first copies
        the seeds, feed list and settings it ships with to the user's folders."""
        installed = install_defaults()
        seeds: SeedsImported | None = None
        seeds_error: str | None = None
        try:
            # `walks=False` when a daemon will re-score for changed seeds: no wait here.
            seeds = self.import_seeds(walks=walks)
        except SeedFileError as exc:  # no seeds folder: the reader still works on feeds alone
            seeds_error = str(exc)
        feeds: OPMLImportReport | None = None
        feeds_error: str | None = None
        if self._store.get_meta(FEEDS_IMPORTED_KEY) is None:
            starting = self.settings.feeds_opml
            try:
                feeds = self.import_opml(starting)
            except OPMLError as exc:
                feeds_error = str(exc)
            else:
                self._store.set_meta(FEEDS_IMPORTED_KEY, str(starting))
        return StartUpReport(seeds, seeds_error, feeds, feeds_error, installed)

    # -- updating ----------------------------------------------------------------------------

    def feeds_to_update(self, urls: Sequence[str] = (), *, due_only: bool = True) -> list[Feed]:
        """The feeds an update takes: `urls` (due or not, enabled or not; unknown ones are a
        `FeedNotFoundError`), else the due feeds, else (`due_only=False`) every enabled feed."""
        if urls:
            return [self._store.get_feed(url) for url in urls]
        if due_only:
            return self.get_due_feeds()
        return [feed for feed in self._store.get_feeds() if feed.enabled]

    def update_session(self, *, single: bool = False, parse_soon: bool = False) -> UpdateSession:
        """An update pipeline to keep open for many updates (see `UpdateSession`); `single`
        for one update only (its parser workers stop once the feeds are in); `parse_soon`
        when its first update will parse (its parser workers start at once)."""
        return UpdateSession(
            self._store,
            self.settings,
            self._topic_scorer,
            self.after_update_async,
            location=self.location,
            single=single,
            parse_soon=parse_soon,
        )

    def update_feeds(
        self,
        feeds: Sequence[Feed] | None = None,
        *,
        on_result: Callable[[FeedResult], None] | None = None,
    ) -> UpdateReport:
        """Update `feeds` (default: the due ones) now: fetch, parse, store and score, then
        regroup the stories if anything arrived. For callers without an event loop (the CLI,
        the reader's worker threads); `on_result` reports each feed as it finishes."""

        from reader.update.decide import never_fetched

        # A feed never fetched will surely be parsed: the parser workers start before the
        # fetch stack loads here, rather than after.
        parse_soon = feeds is not None and any(never_fetched(feed) for feed in feeds)

        async def once() -> UpdateReport:
            async with self.update_session(single=True, parse_soon=parse_soon) as session:
                return await session.update_feeds(feeds, on_result=on_result)

        return asyncio.run(once())

    # -- housekeeping ------------------------------------------------------------------------

    def prune(
        self, now: datetime | None = None, *, should_stop: Callable[[], bool] | None = None
    ) -> int:
        """Retention: delete what `[retention]` allows (old read items, leaving tombstones so
        they never come back), in short batches, asking `should_stop` between them; return
        how many items went. Nothing when `days` is 0."""
        stop = {} if should_stop is None else {"should_stop": should_stop}
        return prune_old_items(self._store, self.settings.retention, now or utc_now(), **stop)

    def check_writable(self) -> None:
        """Raise the store's `DatabaseError` if it cannot take a write now (a full disk);
        how the daemon learns that the database has room again."""
        self._store.check_writable()

    def check_database(self) -> StoreCheck:
        """The store's consistency and its full-text index, checked (`reader db check`)."""
        return self._store.check()

    def rebuild_search_index(self) -> None:
        """Build the full-text index again from the items (when `check_database` says it is
        out of step)."""
        self._store.rebuild_search_index()

    def copy_to_postgres(
        self, target_url: str, *, on_table: Callable[[str, int], None] | None = None
    ) -> list[tuple[str, int]]:
        """Copy this SQLite store into an empty PostgreSQL database, every count checked
        (`reader db migrate`); return the rows copied per table."""
        path = database_file(self.location) if self.location is not None else None
        if path is None:
            raise StorageError("reader db migrate copies an SQLite store: name its file with --db")
        return copy_to_postgres(path, target_url, on_table=on_table)

    # -- several daemons on one database -------------------------------------------------------

    def daemon_identity(self) -> DaemonInfo:
        """Who this process is among the daemons: host, PID and a token (PIDs repeat)."""
        now = utc_now().replace(microsecond=0)
        host, pid = socket.gethostname(), os.getpid()
        holder = f"{host}:{pid}:{secrets.token_hex(3)}"
        return DaemonInfo(holder=holder, host=host, pid=pid, started=now, last_beat=now)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=max(self.settings.schedule.lease, 1))

    def claim_due_feeds(
        self, holder: str, now: datetime | None = None, *, limit: int
    ) -> list[Feed]:
        """Due feeds for the daemon `holder` to update, leased to it (see `Store`)."""
        return self._store.claim_due_feeds(
            now or utc_now(), holder=holder, limit=limit, lease=self.lease
        )

    def release_leases(self, holder: str, feeds: Sequence[Feed]) -> None:
        """The daemon is done with `feeds`: any lease a failed write left ends now."""
        self._store.release_leases(holder, [f.id for f in feeds])

    def daemon_beat(self, daemon: DaemonInfo) -> None:
        """The daemon is alive: listed, and its leases renewed."""
        self._store.renew_daemon(daemon, lease=self.lease)

    def daemon_leave(self, holder: str) -> None:
        """The daemon stops: its leases end (others take its feeds at once), unlisted."""
        self._store.release_daemon(holder)

    def exclusive(self, name: str) -> AbstractContextManager[bool]:
        """A job that must run on one daemon at a time runs inside this when it yields True."""
        return self._store.exclusive(name)

    def daemons(self) -> tuple[DaemonInfo, ...]:
        """The daemons attached; on a file, only the one that holds its lock."""
        listed = tuple(self._store.get_daemons())
        path = database_file(self.location) if self.location is not None else None
        if path is None:
            return listed
        pid = daemon_pid(path)
        return tuple(d for d in listed if d.pid == pid) if pid else ()

    def daemon_lock(self) -> DaemonLock | None:
        """The lock that makes one daemon per database file; None for a database server,
        which several daemons may share."""
        path = database_file(self.location) if self.location is not None else None
        return DaemonLock(path) if path is not None else None

    def daemon_pid(self) -> int | None:
        """The PID of the daemon running on this database (0 while it starts), or None."""
        path = database_file(self.location) if self.location is not None else None
        return daemon_pid(path) if path is not None else None

    def status(self, *, next_checks: int = 5, now: datetime | None = None) -> Status:
        """The daemon, feed and item counts, and the next `next_checks` scheduled checks."""
        from reader.topic.refresh import due_walks

        now = now or utc_now()
        return Status(
            location=redact(self.location or ""),
            daemon_pid=self.daemon_pid(),
            stats=self._store.stats(now),
            next_checks=tuple(self.get_scheduled_feeds(limit=next_checks) if next_checks else ()),
            now=now,
            daemons=self.daemons(),
            shared=self.location is not None and database_file(self.location) is None,
            walks_due=due_walks(self._store),
        )
