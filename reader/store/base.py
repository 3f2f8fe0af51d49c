"""The store's typed API: every caller outside `reader/store/` uses this and nothing else.

It speaks only in `reader.models` types, so another backend (PostgreSQL) can sit behind it
without touching callers. Methods raise `StorageError` subclasses, never backend errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Protocol

from reader.models import (
    DaemonInfo,
    Feed,
    FeedRemoval,
    FeedUpdate,
    FeedWrite,
    IndexedItem,
    Item,
    ItemFilter,
    ItemVersion,
    ItemWrite,
    RegroupWrite,
    Rule,
    SavedView,
    SearchHit,
    SortOrder,
    StoreCheck,
    StoreStats,
    Story,
    StoryCandidate,
    StoryCentroid,
    StoryChanges,
    StoryLead,
    TagCount,
    WriteCounts,
)
from reader.query import QueryNode

SEARCH_BODY_CHARS = 200_000
"""The characters of an item's body the full-text index holds, on every backend (the default
cap on a feed's text field). A snippet is computed over the indexed text at a cost that grows
fast with its length (with its square in SQLite), so an unbounded body (a 50 MB seed) made one
search take hours; words past this point of a body are not searched."""


class Store(Protocol):
    """Feeds, items, tags, marks, search and topic data, in one database."""

    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> Store:
        """Use as a context manager that closes the store on exit."""
        ...

    def __exit__(self, *_: object) -> None: ...

    # -- feeds (sources) -------------------------------------------------------------------

    def add_feed(
        self,
        url: str,
        *,
        title: str | None = None,
        tags: Sequence[str] = (),
        full_text: bool | None = None,
    ) -> Feed:
        """Subscribe to `url`; raise `FeedExistsError` if it is already there. `full_text`
        fetches each new item's article (None: ``[fetch] full_text`` decides).

        A removed feed that kept items is subscribed again, with those items."""
        ...

    def get_feed(self, url: str) -> Feed:
        """The feed with this URL; raise `FeedNotFoundError`."""
        ...

    def get_feeds(self, *, include_seeds: bool = False) -> list[Feed]:
        """All feeds with item and unread counts, by name."""
        ...

    def remove_feed(self, url: str, *, purge: bool = False) -> FeedRemoval:
        """Unsubscribe and delete the feed's items; raise `FeedNotFoundError`.

        Starred and tagged items are kept (`Item.source_removed`) unless `purge`; a feed that
        keeps items stays out of every feed listing, and `add_feed` of its URL brings it back.
        """
        ...

    def set_feed_tags(self, url: str, tags: Sequence[str]) -> None:
        """Replace the feed-level tags."""
        ...

    def set_feed_title(self, url: str, title: str | None) -> None:
        """Set (or clear, with None or "") the user's own title for the feed."""
        ...

    def set_feed_full_text(self, url: str, full_text: bool | None) -> None:
        """Turn full articles on or off for the feed (None: ``[fetch] full_text`` decides)."""
        ...

    def set_feed_interval(self, url: str, seconds: int | None) -> None:
        """Set (or clear, with None) the feed's own check interval."""
        ...

    def set_feed_enabled(self, url: str, enabled: bool) -> None:
        """Enable or disable fetching of the feed; enabling clears its errors and makes it due."""
        ...

    def get_due_feeds(self, now: datetime, *, limit: int | None = None) -> list[Feed]:
        """Enabled feeds whose next check is at or before `now`, oldest due first."""
        ...

    def get_scheduled_feeds(self, *, limit: int) -> list[Feed]:
        """The next `limit` enabled feeds in the order they fall due (never checked first)."""
        ...

    def update_feed(self, url: str, update: FeedUpdate) -> None:
        """Record what an update learned about a feed (checks, validators, errors)."""
        ...

    def seeds_source(self) -> Feed:
        """The built-in seeds source, created on first use."""
        ...

    # -- items -----------------------------------------------------------------------------

    def get_item_versions(self, source_id: int) -> dict[str, ItemVersion]:
        """What the store knows of a source's items (pruned ones too), by identity."""
        ...

    def write_items(
        self,
        source_id: int,
        items: Sequence[ItemWrite],
        *,
        now: datetime,
        feed_url: str | None = None,
        feed_update: FeedUpdate | None = None,
    ) -> WriteCounts:
        """Insert new items and update changed ones, keeping the user's marks and tags.

        When `feed_update` is given it is applied in the same transaction, so validators
        are never saved without the items they describe.
        """
        ...

    def write_feeds(
        self, writes: Sequence[FeedWrite], *, rules: Sequence[Rule] = ()
    ) -> list[WriteCounts]:
        """`write_items` for several feeds in one transaction (one commit instead of many).

        Each feed's items are first seen at its `feed_update.checked`. `rules` are applied,
        in order, to the new items their queries find, in the same transaction (so nobody
        sees a new item before its rules did their work). If any part fails, nothing of the
        batch is written.
        """
        ...

    def get_item(self, item_id: int) -> Item:
        """One item; raise `ItemNotFoundError`."""
        ...

    def get_items(
        self,
        where: ItemFilter = ItemFilter(),
        *,
        sort: SortOrder = SortOrder.NEWEST,
        limit: int | None = None,
        offset: int = 0,
        with_content: bool = False,
    ) -> list[Item]:
        """Items matching `where`, in `sort` order; bodies only when `with_content`."""
        ...

    def count_items(self, where: ItemFilter = ItemFilter()) -> int:
        """How many items match `where`."""
        ...

    def get_item_ids(self, source_id: int) -> dict[str, int]:
        """Item ids by identity for one source."""
        ...

    def mark_items(
        self, ids: Iterable[int], *, read: bool | None = None, starred: bool | None = None
    ) -> int:
        """Set read and/or starred on items, all or none; return how many were marked.

        Raise `ItemNotFoundError` (naming every missing id) and change nothing if any id is
        not an item."""
        ...

    def mark_all_read(self, where: ItemFilter = ItemFilter()) -> int:
        """Mark every unread item matching `where` read; return how many changed."""
        ...

    def delete_items(self, source_id: int, identities: Sequence[str]) -> int:
        """Delete items of a source by identity (without a tombstone); return how many."""
        ...

    def prune_items(
        self, before: datetime, *, keep_per_feed: int = 0, limit: int | None = None
    ) -> int:
        """Delete read feed items first seen before `before`, leaving tombstones; return how
        many went.

        Starred, tagged and seed items are never pruned; the newest `keep_per_feed` items
        of each feed are kept. With `limit`, at most that many go (the oldest first), in one
        short transaction: callers prune a big store in batches.
        """
        ...

    # -- tags ------------------------------------------------------------------------------

    def add_tags(self, item_id: int, tags: Sequence[str]) -> None:
        """Tag an item (names trimmed, case-insensitive); raise `ItemNotFoundError`."""
        ...

    def remove_tags(self, item_id: int, tags: Sequence[str]) -> None:
        """Untag an item; unknown tags are ignored."""
        ...

    def get_tags(self) -> list[TagCount]:
        """Every tag in use (on items or feeds) with counts, by name."""
        ...

    # -- search ----------------------------------------------------------------------------

    def search(
        self,
        query: str | QueryNode,
        *,
        limit: int = 50,
        highlight: tuple[str, str] = ("[", "]"),
        timeout: float | None = None,
    ) -> list[SearchHit]:
        """Full-text search, best first, for a query as typed or already parsed.

        Plain text always runs (see `reader.query`). A query of nothing but exclusions lists
        every other item, newest first. `InvalidSearchQueryError` (with a hint) when a query
        cannot run at all; `SearchTimeoutError` when it runs longer than `timeout` seconds
        (None or 0: no limit). Snippets come from a bounded part of each body, so no stored
        body can make a search slow.
        """
        ...

    # -- topic -----------------------------------------------------------------------------

    def set_scores(self, scores: Mapping[int, tuple[float, Sequence[str]]]) -> None:
        """Store relevance scores (and the terms behind them) by item id."""
        ...

    def unscored_item_ids(self, *, limit: int) -> list[int]:
        """Ids of items nobody scored yet (the scoring queue), oldest first."""
        ...

    def item_ids_after(self, after: int, *, limit: int) -> list[int]:
        """Item ids above `after`, ascending: the walk of a rescoring pass."""
        ...

    def texts_after(
        self, after: int, *, limit: int, max_chars: int, through: int | None = None
    ) -> list[tuple[int, str]]:
        """(item id, title + summary + body cut to `max_chars`) of the first `limit` items
        above `after` (and not above `through`, if given), by id: a re-scoring walk's batch,
        read in one statement."""
        ...

    def shared_location(self) -> str | None:
        """Where another process of this machine opens this same store (a file's path, a
        database URL); None when none can (a database in memory). A URL may hold a password:
        hand it over by environment, never in a command line."""
        ...

    def bulk_writes(self) -> AbstractContextManager[None]:
        """A block of many large writes (a re-scoring walk): a backend may hold more in
        memory and defer housekeeping (SQLite: a bigger page cache, fewer WAL checkpoints)
        inside it. Every write in it is still a whole transaction of its own."""
        ...

    def get_texts(
        self,
        *,
        ids: Sequence[int] | None = None,
        since: datetime | None = None,
        max_chars: int | None = None,
    ) -> list[tuple[int, str]]:
        """(item id, title + summary + body) pairs by id, each cut to `max_chars` if given."""
        ...

    def sample_texts(self, *, limit: int, max_chars: int) -> list[str]:
        """The texts of the `limit` newest items, each cut to `max_chars`: the background
        the topic's term statistics are learned from."""
        ...

    def ungrouped_leads(self, *, limit: int, max_chars: int) -> list[StoryLead]:
        """Up to `limit` items waiting to be grouped into stories, oldest date first."""
        ...

    def count_ungrouped(self) -> int:
        """How many items wait to be grouped into stories."""
        ...

    def story_candidates(
        self, keys: Sequence[tuple[int, int, int, str, float]], *, story_days: int, floor: float
    ) -> list[StoryCandidate]:
        """Grouped items similar to items being grouped, found through the story index.

        `keys` are (item id, source id, day, term, weight) of the items being grouped; an
        indexed item of another source is a candidate of one of them when it is dated within
        `story_days` of it and the dot product of their key vectors (computed by the backend,
        over the index) is at least `floor`.
        """
        ...

    def story_centroids(self, story_ids: Sequence[int]) -> dict[int, StoryCentroid]:
        """The centroids of these stories (those that have one), by id."""
        ...

    def story_term_counts(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The stories' term statistics for these terms: (items grouped since the index was
        last cleared, how many of them use each term that any uses)."""
        ...

    def apply_story_changes(self, changes: StoryChanges) -> dict[int, int]:
        """Write one grouping batch in one transaction (merges, then joins, then new stories,
        then index entries and term counts; the grouped items leave the queue). Return the new
        stories' ids by their position in `changes.new_stories`."""
        ...

    def leads_after(
        self, after: str | None, *, limit: int, max_chars: int
    ) -> tuple[list[StoryLead], str | None]:
        """Up to `limit` items in date order (sort date, then id) after the position `after`
        (None: from the first): a full regroup's walk over every item. Returns them and the
        position of the last one (an opaque string; None when there are none)."""
        ...

    def reset_stories(self) -> int:
        """Drop every story, index entry and term count (a full regroup's walk over every item
        follows); return how many items there are."""
        ...

    def story_index(self, first_day: int, last_day: int) -> list[IndexedItem]:
        """The story index's entries of the items dated from `first_day` to `last_day` (day
        numbers), with their stories: what a full regroup reads of days it does not hold."""
        ...

    def story_ids(self) -> list[int]:
        """The ids of every story, ascending (a full regroup numbers new stories as the store
        would: one above the highest)."""
        ...

    def apply_regroup(self, write: RegroupWrite) -> None:
        """Write a full regroup's checkpoint in one transaction (see `RegroupWrite`): merges
        first, then stories, items, index entries, term counts, the queue and meta values."""
        ...

    def set_stories(self, stories: Sequence[tuple[str, Sequence[int]]]) -> None:
        """Replace all stories: each a title and its item ids."""
        ...

    def get_stories(self, *, min_sources: int = 2, limit: int | None = None) -> list[Story]:
        """Stories with at least `min_sources` sources, biggest and newest first."""
        ...

    def get_meta(self, key: str) -> str | None:
        """A small named value kept in the store (profile hashes, daemon state)."""
        ...

    def set_meta(self, key: str, value: str | None) -> None:
        """Set or (with None) delete a named value."""
        ...

    # -- several daemons ---------------------------------------------------------------------

    def claim_due_feeds(
        self, now: datetime, *, holder: str, limit: int, lease: timedelta
    ) -> list[Feed]:
        """Take up to `limit` due feeds for the daemon `holder`, oldest due first, leased to
        it for `lease`: feeds another daemon's live lease covers are left alone, and a feed's
        lease ends when its state is written. On SQLite (one daemon per file): the due feeds.
        """
        ...

    def renew_daemon(self, daemon: DaemonInfo, *, lease: timedelta) -> None:
        """Record that `daemon` is alive now and extend its leases by `lease` from now."""
        ...

    def release_leases(self, holder: str, feed_ids: Sequence[int]) -> None:
        """End `holder`'s leases on these feeds (their update is over, written or not)."""
        ...

    def release_daemon(self, holder: str) -> None:
        """The daemon `holder` leaves: its leases end and it is no longer listed."""
        ...

    def get_daemons(self) -> list[DaemonInfo]:
        """Daemons that said they are attached, with the leases each holds now."""
        ...

    def exclusive(self, name: str) -> AbstractContextManager[bool]:
        """Hold the database-wide lock `name` inside the block; True if we got it (a job
        that must run on one daemon at a time skips its turn when False)."""

    # -- saved views, full articles, alerts ------------------------------------------------

    def get_views(self) -> list[SavedView]:
        """The saved views, by name."""
        ...

    def add_view(self, name: str, query: str) -> SavedView:
        """Save a query under a name; `ViewExistsError` if the name is taken (any case)."""
        ...

    def remove_view(self, name: str) -> None:
        """Forget a saved view; `ViewNotFoundError` if there is none of that name."""
        ...

    def set_full_text(self, item_id: int, *, content_html: str, text: str) -> None:
        """Keep an item's fetched article as its body (the feed's text becomes the summary);
        raise `ItemNotFoundError`."""
        ...

    def get_alert_candidates(self, after_id: int, *, min_score: float | None) -> list[Item]:
        """Feed items stored after item `after_id`, not hidden, not alerted yet, scoring at
        least `min_score` (when given), best first, with their bodies."""
        ...

    def alerted_stories(self, story_ids: Sequence[int]) -> set[int]:
        """Which of these stories hold an item an alert was already sent for."""
        ...

    def record_alerts(self, item_ids: Sequence[int], when: datetime) -> None:
        """Remember that alerts went out for these items."""
        ...

    def last_item_id(self) -> int:
        """The greatest item id so far (0 for none): a mark for "items stored after now"."""
        ...

    # -- housekeeping ----------------------------------------------------------------------

    def change_counter(self) -> int:
        """A number that grows whenever any process changes items, marks or feeds."""
        ...

    def stats(self, now: datetime) -> StoreStats:
        """Counts for `reader status`."""
        ...

    def check_writable(self) -> None:
        """Raise the `DatabaseError` a write would meet now (a full disk, a read-only file):
        a write that needs new space, undone in the same transaction."""
        ...

    def check(self) -> StoreCheck:
        """Check the database's consistency and whether the full-text index matches the items
        (for `reader db check`); problems are reported, not raised."""
        ...

    def rebuild_search_index(self) -> None:
        """Build the full-text index again from the items (it holds nothing else)."""
        ...

    def integrity_check(self) -> str:
        """The backend's own consistency check; ``ok`` when all is well."""
        ...
