"""The update's I/O: due feeds -> fetch -> parse -> diff (pure) -> score -> write -> report.

`update_feeds` runs one update of many feeds concurrently on one event loop: the shared
`Fetcher` bounds the network, the parser pool parses (and normalizes) in worker processes, a
scoring thread scores new and changed items, and one store thread reads and writes, batching
the feeds that are ready into short transactions (each feed's items with its validators, never
apart). What each outcome means is decided in `reader.update.decide`; this module only moves
data. A feed's failure becomes its `FeedResult.error` (and the feed's last error, with
backoff); the other feeds go on. A failure of the database itself (`DatabaseError`: a full
disk, a damaged file) is no feed's fault: the update stops at once, keeps what was committed,
and its report says why (`UpdateReport.stopped_by`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from reader.config import Settings
from reader.exceptions import DatabaseError, FeedError, FeedNotFoundError, StorageError
from reader.fetch import Fetcher
from reader.models import (
    Feed,
    FeedResult,
    ItemFilter,
    ItemWrite,
    ParsedArticle,
    ParsedFeed,
    UpdateReport,
)
from reader.parse.pool import ParserPool
from reader.schedule import RHYTHM_ITEMS
from reader.store.base import Store
from reader.textsafe import plain
from reader.update.articles import wants_full_text, with_articles
from reader.update.decide import (
    Changed,
    Decider,
    Decision,
    Failed,
    FeedCheck,
    NotModified,
    judge_response,
    move_target,
    never_fetched,
)
from reader.update.writer import BatchedWriter

log = logging.getLogger("reader.update")

Scorer = Callable[[Sequence[str]], Sequence[tuple[float, Sequence[str]]]]
"""Topic scoring: item texts in, (score in [0, 1], top terms) out, one per text."""

REMOVED_DURING_UPDATE = "feed was removed during the update"

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def interleave_by_host(feeds: Sequence[Feed]) -> list[Feed]:
    """Feeds reordered round-robin over their hosts, so no host's queue blocks the others."""
    by_host: dict[str, list[Feed]] = {}
    seen: set[str] = set()
    for feed in feeds:
        if feed.url in seen or feed.is_seeds:
            continue
        seen.add(feed.url)
        by_host.setdefault(urlsplit(feed.url).hostname or "", []).append(feed)
    queues = list(by_host.values())
    ordered: list[Feed] = []
    for index in range(max((len(q) for q in queues), default=0)):
        ordered += [q[index] for q in queues if index < len(q)]
    return ordered


def score_text(item: ItemWrite) -> str:
    """What the scorer reads of an item: its title and plain text."""
    return "\n".join(part for part in (item.title, item.summary, item.text) if part)


def apply_scores(items: Sequence[ItemWrite], scorer: Scorer) -> tuple[ItemWrite, ...]:
    """The items with `score` and `score_terms` filled by `scorer`."""
    if not items:
        return ()
    scores = scorer([score_text(item) for item in items])
    if len(scores) != len(items):
        raise ValueError(f"scorer returned {len(scores)} scores for {len(items)} texts")
    return tuple(
        replace(item, score=float(score), score_terms=tuple(terms))
        for item, (score, terms) in zip(items, scores, strict=True)
    )


class _LazyParser:
    """A `ParserPool` started on the first document, so an all-304 update never forks."""

    def __init__(self, pool: ParserPool) -> None:
        self._pool = pool
        self._started = False
        self._lock = asyncio.Lock()

    async def parse_for_store(
        self, body: bytes, *, url: str, content_type: str | None, settings: Settings
    ) -> tuple[ParsedFeed, list[ItemWrite]]:
        await self.start()
        return await self._pool.parse_for_store(
            body,
            url=url,
            content_type=content_type,
            max_items=settings.fetch.max_items,
            max_field_chars=settings.fetch.max_field_chars,
        )

    async def extract_article(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None = None,
        max_chars: int = 200_000,
        deadline: float | None = None,
    ) -> ParsedArticle | None:
        await self.start()
        return await self._pool.extract_article(
            body, url=url, content_type=content_type, max_chars=max_chars, deadline=deadline
        )

    async def start(self) -> None:
        """Start the workers now (they start on the first document otherwise)."""
        async with self._lock:
            if not self._started:
                await self._pool.__aenter__()
                self._started = True

    @property
    def worker_pids(self) -> tuple[int, ...]:
        return self._pool.worker_pids  # none before the start, unless spawned early

    async def close(self, wait: float) -> None:
        if self._started or self._pool.worker_pids:  # started, or spawned early (`spawn`)
            self._started = False
            await self._pool.close(wait)


class UpdatePipeline:
    """The fetch and parse stages kept open across updates: one `Fetcher`, one parser pool.

    `update_feeds` opens a fresh one per call unless given one; a long-lived caller (the
    daemon) opens it once, so its HTTP connections and parser worker processes (each costs an
    interpreter start) are reused by every dispatch. The parser workers start with the first
    document, so an all-304 update never starts any. Use as an async context manager.
    """

    def __init__(self, settings: Settings, parser_pool: ParserPool | None = None) -> None:
        """`parser_pool`: the pool to parse with, its workers perhaps spawned already
        (`ParserPool.spawn`); by default one sized by `[fetch]`, started on the first
        document."""
        fetch = settings.fetch
        self.fetcher = Fetcher(fetch, settings.fetch_allow)
        pool = parser_pool or ParserPool(workers=fetch.parse_workers, deadline=fetch.timeout)
        self.parser = _LazyParser(pool)
        self._open = False

    async def __aenter__(self) -> UpdatePipeline:
        await self.fetcher.__aenter__()
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def parser_pids(self) -> tuple[int, ...]:
        """The parser worker processes' ids (none before the first document)."""
        return self.parser.worker_pids

    async def close_parser(self, wait: float = 2.0) -> None:
        """Stop the parser workers now (killing any still busy after `wait` seconds); a later
        document starts them again. The HTTP client stays open."""
        await self.parser.close(wait)

    async def close(self, wait: float = 2.0) -> None:
        """Stop the parser workers (killing any still busy after `wait` seconds) and close the
        HTTP client. Closing twice is harmless."""
        if not self._open:
            return
        self._open = False
        try:
            await self.parser.close(wait)
        finally:
            await self.fetcher.aclose()


@dataclass(frozen=True)
class _Run:
    """What every feed of one update shares."""

    store: Store
    settings: Settings
    pipeline: UpdatePipeline
    store_thread: ThreadPoolExecutor
    """The one thread that talks to the store (reads and the batched writes)."""
    score_thread: ThreadPoolExecutor
    """Scoring runs here, so the store thread only ever waits on the store."""
    now: Callable[[], datetime]
    scorer: Scorer | None


class _FeedUpdater:
    """The I/O around the `Decider` for one update run: fetch, parse, read, score, write."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.decider = Decider(run.settings.schedule)
        self.fault: DatabaseError | None = None
        """The database failure that stopped this update, if one did."""
        self._before_write: set[asyncio.Task[object]] = set()
        """Feeds' tasks still fetching or parsing: cancelled when the update stops."""
        self.writer = BatchedWriter(
            run.store,
            run.store_thread,
            rules=run.settings.rules,
            expecting=lambda: len(self._before_write),
        )

    def _stop(self, fault: DatabaseError) -> None:
        """The database failed: no more feeds; those not yet writing are cancelled (the ones
        writing get the same error from the writer)."""
        if self.fault is not None:
            return
        self.fault = fault
        log.debug("update stopped: %s", plain(str(fault)))  # the caller reports it
        current = asyncio.current_task()
        for task in self._before_write:
            if task is not current:
                task.cancel()

    async def _in_thread(
        self,
        thread: ThreadPoolExecutor,
        function: Callable[_P, _T],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(thread, lambda: function(*args, **kwargs))

    async def update(self, feed: Feed) -> FeedResult | None:
        """Update one feed; never raises for the feed's own failures. None when the update
        stopped (the database failed) before this feed was done."""
        if self.fault is not None:
            return None
        started = time.monotonic()
        check = FeedCheck(feed, self.run.now())
        task = asyncio.current_task()
        if task is not None:
            self._before_write.add(task)
        try:
            decision = await self._decide(check)
        except asyncio.CancelledError:
            # Cancelled by `_stop` (and by nobody else, such as a daemon's shutdown): done.
            if self.fault is None or task is None or task.uncancel() > 0:
                raise
            return None
        except FeedError as exc:
            decision = self.decider.failed(check, Failed(exc.message))
        except FeedNotFoundError:  # unsubscribed while we fetched: nothing to record
            decision = None
        except DatabaseError as exc:
            self._stop(exc)
            return None
        except Exception as exc:  # a bug must not stop the other feeds
            log.exception("feed %s: unexpected error", plain(feed.url))
            decision = self.decider.failed(
                check, Failed(f"internal error: {type(exc).__name__}: {exc}")
            )
        finally:
            if task is not None:
                self._before_write.discard(task)
        if self.fault is not None:
            return None
        try:
            result = _removed(check) if decision is None else await self._store(check, decision)
        except DatabaseError as exc:
            self._stop(exc)
            return None
        except Exception as exc:  # a bug must not stop the other feeds
            log.exception("feed %s: unexpected error while storing", plain(feed.url))
            result = FeedResult(feed.url, error=f"internal error: {type(exc).__name__}: {exc}")
        result = replace(result, duration=time.monotonic() - started)
        log_result(result)
        return result

    async def _decide(self, check: FeedCheck) -> Decision:
        """Fetch, and as the response requires, read the store or parse; then decide."""
        run, feed = self.run, check.feed
        fetched = await run.pipeline.fetcher.fetch(feed.url, feed.validators)
        check = replace(check, fetched=fetched)
        verdict = judge_response(feed, fetched)
        if isinstance(verdict, Failed):
            return self.decider.failed(check, verdict)
        check = replace(check, moved_to=await self._vetted_move(check))
        if isinstance(verdict, NotModified):
            recent = await self._in_thread(
                run.store_thread,
                run.store.get_items,
                ItemFilter(source_id=feed.id),
                limit=RHYTHM_ITEMS,
            )
            return self.decider.not_modified(check, verdict, recent)
        return await self._parsed(check, verdict)

    async def _parsed(self, check: FeedCheck, verdict: Changed) -> Decision:
        run = self.run
        assert check.fetched is not None
        # The worker also normalizes (content hashes): CPU this process would otherwise spend
        # beside the event loop and the store thread.
        parsed, writes = await run.pipeline.parser.parse_for_store(
            verdict.body,
            url=check.fetched.final_url,
            content_type=check.fetched.content_type,
            settings=run.settings,
        )
        known = await self._in_thread(run.store_thread, run.store.get_item_versions, check.feed.id)
        decision = self.decider.changed(check, verdict, parsed, writes, known)
        if decision.write.items and wants_full_text(check.feed, run.settings):
            # Before scoring: the topic score, the search index and the rules read the article.
            items = await with_articles(
                decision.write.items,
                fetcher=run.pipeline.fetcher,
                extractor=run.pipeline.parser,
                settings=run.settings,
            )
            decision = replace(decision, write=replace(decision.write, items=items))
        if run.scorer is None or not decision.write.items:
            return decision
        scored = await self._in_thread(
            run.score_thread, apply_scores, decision.write.items, run.scorer
        )
        return replace(decision, write=replace(decision.write, items=scored))

    async def _vetted_move(self, check: FeedCheck) -> str | None:
        """Where permanent redirects moved the feed, unless that URL is already subscribed."""
        assert check.fetched is not None
        target = move_target(check.feed, check.fetched)
        if target is None:
            return None
        try:
            await self._in_thread(self.run.store_thread, self.run.store.get_feed, target)
        except FeedNotFoundError:
            return target
        log.info(
            "feed %s: moved to %s, which is already subscribed; kept as is",
            plain(check.feed.url),
            plain(target),
        )
        return None

    async def _store(self, check: FeedCheck, decision: Decision) -> FeedResult:
        """Write a decision. The one place an update meets a failing store (locked, full
        disk): the feed's write fails alone, its error is recorded if the store still takes
        that, and the report says what happened either way."""
        try:
            counts = await self.writer.write(decision.write)
        except FeedNotFoundError:  # unsubscribed meanwhile
            return decision.result if decision.result.error else _removed(check)
        except DatabaseError:
            raise  # not this feed's failure: the update stops
        except StorageError as exc:
            url, reason = plain(check.feed.url), plain(str(exc))
            if decision.result.error is not None:  # the error still reaches the report
                log.warning("feed %s: could not record its error: %s", url, reason)
                return decision.result
            log.warning("feed %s: could not store the update: %s", url, reason)
            failure = Failed(f"could not store the update: {exc}")
            return await self._store(check, self.decider.failed(check, failure))
        return decision.reported(counts)


def _removed(check: FeedCheck) -> FeedResult:
    return FeedResult(check.feed.url, error=REMOVED_DURING_UPDATE)


def log_result(result: FeedResult) -> None:
    """One log line per feed; the URL and error text are the server's, so no control
    characters (a terminal escape in an error body) reach the log."""
    if result.error is not None:
        status = f"error: {plain(result.error)}"
    elif result.not_modified:
        status = "not modified"
    else:
        status = "ok"
    if result.moved_to:
        status += f", moved to {plain(result.moved_to)}"
    log.info(
        "feed %s: %s, %d new, %d updated, %.2f s",
        plain(result.url),
        status,
        result.new,
        result.updated,
        result.duration,
    )


async def update_feeds(
    store: Store,
    settings: Settings,
    *,
    feeds: Sequence[Feed] | None = None,
    now: Callable[[], datetime] | None = None,
    scorer: Scorer | None = None,
    on_result: Callable[[FeedResult], None] | None = None,
    pipeline: UpdatePipeline | None = None,
) -> UpdateReport:
    """Update `feeds` (default: the due ones) and report how each went.

    Items are written in the same transaction as the feed's new validators, so a crash never
    leaves validators that claim items we do not have. `on_result` is called (on the event
    loop) as each feed finishes, for progress displays. `pipeline`, when given, is an open
    `UpdatePipeline` to fetch and parse with (left open); otherwise one is opened for this call.
    `now` is the clock (default: the system's, in UTC).
    """
    now = now or _utc_now
    started = now()
    store_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reader-store")
    score_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reader-score")
    try:
        loop = asyncio.get_running_loop()
        if feeds is None:
            feeds = await loop.run_in_executor(store_thread, store.get_due_feeds, started)
        ordered = interleave_by_host(feeds)
        if not ordered:
            return UpdateReport(results=(), started=started, finished=now())
        if pipeline is not None:
            run = _Run(store, settings, pipeline, store_thread, score_thread, now, scorer)
            results, fault = await _update_all(run, ordered, on_result)
        else:
            async with UpdatePipeline(settings) as own:
                run = _Run(store, settings, own, store_thread, score_thread, now, scorer)
                results, fault = await _update_all(run, ordered, on_result)
        return UpdateReport(
            results=tuple(results),
            started=started,
            finished=now(),
            stopped_by=None if fault is None else str(fault),
            not_done=len(ordered) - len(results),
        )
    finally:
        score_thread.shutdown(wait=True)
        store_thread.shutdown(wait=True)


async def _update_all(
    run: _Run, ordered: Sequence[Feed], on_result: Callable[[FeedResult], None] | None
) -> tuple[list[FeedResult], DatabaseError | None]:
    """Every feed's result (those done) and the database failure that stopped the update."""
    # Bounded in flight: bodies wait for the parser in memory, so keep their number small.
    in_flight = asyncio.Semaphore(max(1, run.settings.fetch.concurrency) * 2)
    updater = _FeedUpdater(run)
    if any(never_fetched(feed) for feed in ordered):
        # A feed never fetched will surely be parsed: start the workers (each takes a few
        # tenths of a second to import the parser) while the first requests are out.
        await run.pipeline.parser.start()

    async def one(feed: Feed) -> FeedResult | None:
        async with in_flight:
            result = await updater.update(feed)
        if on_result is not None and result is not None:
            try:
                on_result(result)
            except Exception:  # a display's bug must not lose the update
                log.exception("on_result callback failed for %s", plain(feed.url))
        return result

    results = await asyncio.gather(*(one(feed) for feed in ordered))
    return [r for r in results if r is not None], updater.fault
