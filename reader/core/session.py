"""The update use case: due feeds -> fetch -> parse -> store -> score, then stories regrouped.

An `UpdateSession` holds what is worth keeping between updates: the fetch and parse pipeline
(HTTP connections, parser worker processes) and the topic scorer. `Reader.update_feeds` opens
one for a single update; the daemon keeps one open for its life.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING

from reader.config import Settings
from reader.models import Feed, FeedResult, UpdateReport
from reader.store.base import Store

if TYPE_CHECKING:
    from reader.core.grouping import GroupAlong
    from reader.update import Scorer

PIPELINE_CLOSE_WAIT = 2.0
"""Seconds the parser workers get to exit on close before they are killed."""

YOUNG_COLLECTION_THRESHOLD = 10_000
"""Allocations between two collections of the youngest generation during an update (Python's
default is 700)."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector runs less often inside (its thresholds raised).

    An update allocates many objects that live a while (parsed items waiting for the store,
    responses, grouping state), and every collection walks the young ones again; the older
    generations' collections walk everything the process holds. On a first update of 300
    feeds x 50 items the collector took about 0.3-0.5 s of the command's main process (two
    full collections); with the youngest generation collected every 10,000 allocations rather
    than every 700, about 0.1 s and none full. Garbage without cycles is freed at once either
    way; cycles wait a little longer.
    """
    saved = gc.get_threshold()
    gc.set_threshold(max(saved[0], YOUNG_COLLECTION_THRESHOLD), *saved[1:])
    try:
        yield
    finally:
        gc.set_threshold(*saved)


class UpdateSession:
    """An open update pipeline and topic scorer, for one update or many.

    Use as an async context manager. Updates through one session share its HTTP connections
    and parser processes; the parser workers start with the first document, so a session
    whose updates are all "not modified" never starts any.
    """

    def __init__(
        self,
        store: Store,
        settings: Settings,
        scorer: Callable[[], Scorer],
        after_update: Callable[[bool], Awaitable[object]] | None = None,
        location: str | None = None,
        *,
        single: bool = False,
        parse_soon: bool = False,
    ) -> None:
        """`location` is where the store is (a path or URL), when known: stories are then
        grouped along an update in a process of their own (`reader.core.grouping`).
        `single`: the session serves one update, so its parser workers stop as soon as the
        feeds are in, while the stories' grouping and the topic refresh finish.
        `parse_soon`: its first update will parse (a feed never fetched), so the parser
        workers start now, their interpreters loading while this process loads the rest."""
        from reader.parse.pool import ParserPool

        pool = None
        if parse_soon:
            fetch = settings.fetch
            pool = ParserPool(workers=fetch.parse_workers, deadline=fetch.timeout)
            pool.spawn()
        from reader.update import UpdatePipeline  # the fetch stack loads only when it runs

        self._store = store
        self._settings = settings
        self._scorer = scorer
        self._after_update = after_update
        self._location = location
        self._single = single
        self._parse_soon = parse_soon
        self._pipeline = UpdatePipeline(settings, pool)

    async def __aenter__(self) -> UpdateSession:
        await self._pipeline.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self, wait: float = PIPELINE_CLOSE_WAIT) -> None:
        """Stop the parser workers (killed after `wait` seconds) and close the connections."""
        await self._pipeline.close(wait)

    @property
    def parser_pids(self) -> tuple[int, ...]:
        """The parser worker processes' ids (none before the first document)."""
        return self._pipeline.parser_pids

    async def update_feeds(
        self,
        feeds: Sequence[Feed] | None = None,
        *,
        on_result: Callable[[FeedResult], None] | None = None,
        regroup: bool = True,
        now: Callable[[], datetime] | None = None,
    ) -> UpdateReport:
        """Update `feeds` (default: the due ones), scoring new and changed items as they are
        stored; then, if anything arrived and `regroup`, bring the topic's stories up to date.

        `on_result` is called on the event loop as each feed finishes (progress displays).
        A feed's failure is its `FeedResult.error`; the other feeds go on. A failure of the
        database stops the update (`UpdateReport.stopped_by`) and skips the regrouping.
        """
        with fewer_collections():
            return await self._update_feeds(feeds, on_result, regroup, now)

    async def _finish_grouping(self, grouping: GroupAlong, *, relearn: bool) -> None:
        """Let the grouping along end; meanwhile, with `relearn`, bring the profile and its
        term statistics up to date from the stored items (`prepare_topic`, the refresh's
        first step, relearns them once a first update stored enough items), so the refresh
        after does not do it with nothing else running."""
        from reader.topic.refresh import prepare_topic

        if not relearn:
            await grouping.finish()
            return
        outcomes = await asyncio.gather(
            grouping.finish(),
            asyncio.to_thread(prepare_topic, self._store, self._settings),
            return_exceptions=True,
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _update_feeds(
        self,
        feeds: Sequence[Feed] | None,
        on_result: Callable[[FeedResult], None] | None,
        regroup: bool,
        now: Callable[[], datetime] | None,
    ) -> UpdateReport:
        from reader.core.grouping import GroupAlong
        from reader.topic import refresh_topic
        from reader.update import update_feeds

        scorer = await asyncio.to_thread(self._scorer)  # building the model reads the seeds
        clock = {} if now is None else {"now": now}
        # Stories are grouped as items are stored, so the refresh after has little left.
        grouping = (
            GroupAlong(self._store, self._settings.topic.story_days, self._location)
            if regroup
            else None
        )
        if grouping is not None and self._parse_soon:
            grouping.start_early()  # items will come: its process loads while feeds are fetched
        self._parse_soon = False  # said of the session's first update only

        def stored(result: FeedResult) -> None:
            if grouping is not None and result.new:
                grouping.stored(result.new)
            if on_result is not None:
                on_result(result)

        try:
            report = await update_feeds(
                self._store,
                self._settings,
                feeds=feeds,
                scorer=scorer,
                on_result=stored,
                pipeline=self._pipeline,
                **clock,
            )
        except BaseException:
            if grouping is not None:
                grouping.kill()
                await grouping.finish()
            raise
        # A single update parses nothing more: its workers' exit overlaps the work after.
        closing = (
            asyncio.ensure_future(self._pipeline.close_parser(PIPELINE_CLOSE_WAIT))
            if self._single
            else None
        )
        try:
            refresh = regroup and bool(report.new or report.updated) and report.stopped_by is None
            if grouping is not None:
                await self._finish_grouping(grouping, relearn=refresh)
            if refresh:
                # The queues only: a due whole-store walk is the daemon's, never the update's.
                await asyncio.to_thread(refresh_topic, self._store, self._settings, walks=False)
            if report.new and self._after_update is not None:
                # Alerts need stories (one alert per story): with `regroup` off (the daemon),
                # they wait for the next regroup, which sends them itself.
                await self._after_update(regroup)
        finally:
            if closing is not None:
                await closing
        return report
