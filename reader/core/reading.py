"""The reading-depth use cases of `Reader`: discovery, full articles, saved views, rules,
digests, the Topic feed and alerts. A mixin, so `reader.core.reader` stays one screenful per
concern; every method speaks `reader.models` types like the rest of `Reader`.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from reader.config import Settings
from reader.core.alerts import AlertReport, send_alerts
from reader.core.digest import Digest, build_digest, topic_atom
from reader.models import Feed, Item, ItemFilter, Rule, SavedView, SortOrder
from reader.query import AgeIs, QueryNode, parse_query
from reader.store.base import Store

if TYPE_CHECKING:
    from reader.core.discovery import Discovery
    from reader.update import Scorer

HIDDEN_FILTER = ItemFilter(hidden=True)
"""The Hidden view: what rules hid, and nothing else."""


def topic_filter(settings: Settings) -> ItemFilter:
    """The Topic view: everything not hidden, minus what scores below `topic.hide_below`."""
    hide_below = settings.topic.hide_below
    return ItemFilter(min_score=hide_below) if hide_below > 0 else ItemFilter()


class ReadingUseCases:
    """Mixed into `Reader`, which provides the store, the settings and the scorer."""

    _store: Store
    settings: Settings

    def _update_scorer(self) -> Scorer | None:
        raise NotImplementedError

    # -- feeds: discovery and full articles --------------------------------------------------

    def discover_feeds(self, url: str) -> Discovery:
        """The feeds at `url` (the URL itself when it is a feed, else the ones its page links
        to, else one at a common path); `DiscoveryError` saying what was tried."""
        from reader.core.discovery import discover_feeds

        return asyncio.run(discover_feeds(self.settings, url))

    def set_feed_full_text(self, url: str, full_text: bool | None) -> Feed:
        """Fetch each new item's article for this feed (True), never (False), or as
        ``[fetch] full_text`` says (None)."""
        self._store.set_feed_full_text(url, full_text)
        return self._store.get_feed(url)

    def fetch_full_text(self, item_id: int) -> Item:
        """Fetch the item's linked article now and keep it as its body (re-scored); the item.
        `NoArticleError` when there is none (the item keeps its text)."""
        from reader.core.articles import fetch_item_article

        return asyncio.run(
            fetch_item_article(self._store, self.settings, item_id, self._update_scorer)
        )

    # -- saved views -----------------------------------------------------------------------

    def get_views(self) -> list[SavedView]:
        """The saved views, by name."""
        return self._store.get_views()

    def add_view(self, name: str, query: str) -> SavedView:
        """Save `query` as a view; `InvalidSearchQueryError` if it cannot run,
        `ViewExistsError` if the name is taken."""
        name = " ".join(name.split())
        parse_query(query)
        return self._store.add_view(name, query.strip())

    def remove_view(self, name: str) -> None:
        """Forget a saved view; `ViewNotFoundError` if unknown."""
        self._store.remove_view(" ".join(name.split()))

    def query_filter(self, query: str | QueryNode) -> ItemFilter:
        """The listing filter of a query (as typed, or parsed)."""
        return ItemFilter(query=parse_query(query) if isinstance(query, str) else query)

    # -- rules -----------------------------------------------------------------------------

    @property
    def rules(self) -> tuple[Rule, ...]:
        """The ``[[rules]]`` of the settings, in the order they apply."""
        return self.settings.rules

    def test_rule(self, query: str | QueryNode, *, limit: int = 20) -> tuple[int, list[Item]]:
        """What a rule with this query would find in the store as it is (hidden items too):
        how many, and the newest `limit` of them. Nothing is changed."""
        where = ItemFilter(
            query=parse_query(query) if isinstance(query, str) else query, hidden=None
        )
        return self._store.count_items(where), self._store.get_items(where, limit=limit)

    # -- digests, the Topic feed, alerts ---------------------------------------------------

    def digest(
        self,
        since: timedelta,
        *,
        min_score: float | None = None,
        limit: int = 30,
        now: datetime | None = None,
    ) -> Digest:
        """The top stories among the items dated within `since` of `now` (not hidden)."""
        now = now or datetime.now(UTC)
        seconds = max(1, int(since.total_seconds()))
        where = ItemFilter(query=AgeIs(newer=True, seconds=seconds), min_score=min_score)
        items = self._store.get_items(where, sort=SortOrder.RELEVANCE)
        return build_digest(items, since=now - since, until=now, min_score=min_score, limit=limit)

    def topic_feed(self, *, limit: int | None = None, now: datetime | None = None) -> str:
        """The Topic view (best first, `[export]` limit and floor) as an Atom document."""
        export = self.settings.export
        where = topic_filter(self.settings)
        if export.min_score > 0:
            where = ItemFilter(min_score=max(export.min_score, where.min_score or 0.0))
        items = self._store.get_items(
            where, sort=SortOrder.RELEVANCE, limit=limit or export.limit, with_content=True
        )
        return topic_atom(items, title="Topic", now=now or datetime.now(UTC))

    def export_atom(self, path: Path, *, limit: int | None = None) -> int:
        """Write the Topic feed to `path` (atomically: readers never see half a file);
        return how many bytes."""
        document = self.topic_feed(limit=limit).encode("utf-8")
        write_atomically(path, document)
        return len(document)

    def after_update(self, alerts: bool = True) -> AlertReport:
        """What follows an update that brought items (and a regroup of the stories): alerts
        (when `alerts`), and the Topic feed file when ``[export] atom`` names one. Failures
        are logged, never raised."""
        return asyncio.run(self.after_update_async(alerts))

    async def after_update_async(self, alerts: bool = True) -> AlertReport:
        """`after_update` on a running event loop (update sessions, the daemon)."""
        from reader.core.alerts import log

        report = await send_alerts(self._store, self.settings) if alerts else AlertReport()
        target = self.settings.atom_export_path
        if target is not None:
            try:
                await asyncio.to_thread(self.export_atom, target)
            except OSError as exc:
                log.warning("could not write the Topic feed to %s: %s", target, exc)
        return report


def write_atomically(path: Path, data: bytes) -> None:
    """Replace `path` with `data` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


__all__: Sequence[str] = ["HIDDEN_FILTER", "ReadingUseCases", "topic_filter", "write_atomically"]
