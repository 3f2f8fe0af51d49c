"""The update pipeline: due feeds -> fetch -> parse -> normalize -> diff -> write -> report.

`update_feeds` runs one update of many feeds concurrently on one event loop: the shared
`Fetcher` bounds the network, the `ParserPool` parses off the loop, and one store thread
writes, batching the feeds that are ready into short transactions (each feed's items with its
validators, never apart). A feed's failure becomes its
`FeedResult.error` (and the feed's last error, with backoff); the other feeds go on.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from types import TracebackType
from typing import ParamSpec, TypeVar
from urllib.parse import urlsplit

from reader.config import Settings
from reader.exceptions import FeedError, FeedNotFoundError, StorageError
from reader.fetch import Fetcher
from reader.models import (
    CheckOutcome,
    Feed,
    FeedResult,
    FeedUpdate,
    FeedWrite,
    FetchResult,
    ItemFilter,
    ItemVersion,
    ItemWrite,
    ParsedFeed,
    UpdateReport,
    Validators,
    WriteCounts,
)
from reader.normalize import body_hash
from reader.parse import ParserPool
from reader.schedule import next_check
from reader.store.base import Store
from reader.textsafe import plain

log = logging.getLogger("reader.update")

Scorer = Callable[[Sequence[str]], Sequence[tuple[float, Sequence[str]]]]
"""Topic scoring: item texts in, (score in [0, 1], top terms) out, one per text."""

GONE_REASON = "HTTP 410 Gone: the server says this feed was removed for good"

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class ItemChanges:
    """Which of a document's items the store lacks or holds in an older version."""

    new: tuple[ItemWrite, ...]
    changed: tuple[ItemWrite, ...]

    @property
    def to_write(self) -> tuple[ItemWrite, ...]:
        return self.new + self.changed


def diff_items(writes: Sequence[ItemWrite], known: dict[str, ItemVersion]) -> ItemChanges:
    """Split parsed items into new and changed against what the store knows (pure).

    Items pruned by retention (tombstones) are neither: they must not come back.
    """
    new: list[ItemWrite] = []
    changed: list[ItemWrite] = []
    for item in writes:
        version = known.get(item.identity)
        if version is None:
            new.append(item)
        elif not version.deleted and version.content_hash != item.content_hash:
            changed.append(item)
    return ItemChanges(tuple(new), tuple(changed))


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


def apply_scores(items: Sequence[ItemWrite], scorer: Scorer) -> list[ItemWrite]:
    """The items with `score` and `score_terms` filled by `scorer`."""
    if not items:
        return []
    scores = scorer([score_text(item) for item in items])
    if len(scores) != len(items):
        raise ValueError(f"scorer returned {len(scores)} scores for {len(items)} texts")
    return [
        replace(item, score=float(score), score_terms=tuple(terms))
        for item, (score, terms) in zip(items, scores, strict=True)
    ]


class _LazyParser:
    """A `ParserPool` started on the first document, so an all-304 update never forks."""

    def __init__(self, workers: int, deadline: float) -> None:
        self._pool = ParserPool(workers=workers, deadline=deadline)
        self._started = False
        self._lock = asyncio.Lock()

    async def parse_for_store(
        self,
        body: bytes,
        *,
        url: str,
        content_type: str | None,
        max_items: int,
        max_field_chars: int,
    ) -> tuple[ParsedFeed, list[ItemWrite]]:
        await self.start()
        return await self._pool.parse_for_store(
            body,
            url=url,
            content_type=content_type,
            max_items=max_items,
            max_field_chars=max_field_chars,
        )

    async def start(self) -> None:
        """Start the workers now (they start on the first document otherwise)."""
        async with self._lock:
            if not self._started:
                await self._pool.__aenter__()
                self._started = True

    @property
    def worker_pids(self) -> tuple[int, ...]:
        return self._pool.worker_pids if self._started else ()

    async def close(self, wait: float) -> None:
        if self._started:
            await self._pool.close(wait)


class _BatchedWriter:
    """Commits feeds' writes together: whatever is waiting when the store thread frees up.

    One transaction per feed made the commit (and SQLite's WAL bookkeeping) a large share of
    an update of many feeds; batching keeps each feed's items and validators in one
    transaction while sharing commits. If a batch fails, its feeds are written one by one,
    so a feed's failure stays its own.
    """

    MAX_BATCH = 128
    """At most this many feeds per transaction. Fewer, larger commits cost the full-text index
    less (fewer segments to flush and merge): measured with 500 feeds of 50 items, 64-feed
    batches took about a sixth less store CPU than 32-feed ones. In practice a batch is what
    waits while the previous one commits, which the in-flight bound keeps below this."""

    def __init__(self, store: Store, store_thread: ThreadPoolExecutor) -> None:
        self.store = store
        self.store_thread = store_thread
        self._waiting: list[tuple[FeedWrite, asyncio.Future[WriteCounts]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def write(self, write: FeedWrite) -> WriteCounts:
        future: asyncio.Future[WriteCounts] = asyncio.get_running_loop().create_future()
        self._waiting.append((write, future))
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                batch = self._waiting[: self.MAX_BATCH]
                del self._waiting[: self.MAX_BATCH]
                writes = [write for write, _ in batch]
                try:
                    counts = await loop.run_in_executor(
                        self.store_thread, self.store.write_feeds, writes
                    )
                except Exception:
                    await self._one_by_one(batch)
                    continue
                for (_, future), count in zip(batch, counts, strict=True):
                    if not future.done():
                        future.set_result(count)
        finally:
            self._drainer = None

    async def _one_by_one(self, batch: list[tuple[FeedWrite, asyncio.Future[WriteCounts]]]) -> None:
        loop = asyncio.get_running_loop()
        for write, future in batch:
            try:
                [count] = await loop.run_in_executor(
                    self.store_thread, self.store.write_feeds, [write]
                )
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(count)


class _Updater:
    """One update run: shared fetcher, parser pool, store thread and settings."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        fetcher: Fetcher,
        parser: _LazyParser,
        store_thread: ThreadPoolExecutor,
        now: Callable[[], datetime],
        scorer: Scorer | None,
    ) -> None:
        self.writer = _BatchedWriter(store, store_thread)
        self.store = store
        self.settings = settings
        self.fetcher = fetcher
        self.parser = parser
        self.store_thread = store_thread
        self.now = now
        self.scorer = scorer

    async def _in_store_thread(
        self, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.store_thread, lambda: function(*args, **kwargs))

    def _schedule(self, feed: Feed, outcome: CheckOutcome) -> datetime:
        return next_check(feed, outcome, self.settings.schedule)

    async def update(self, feed: Feed) -> FeedResult:
        """Update one feed; never raises for the feed's own failures."""
        started = time.monotonic()
        checked = self.now()
        try:
            result = await self._update(feed, checked)
        except FeedError as exc:
            result = await self._record_error(feed, checked, exc.message)
        except FeedNotFoundError:  # unsubscribed while we fetched: nothing to record
            result = FeedResult(feed.url, error="feed was removed during the update")
        except Exception as exc:  # a bug must not stop the other feeds
            log.exception("feed %s: unexpected error", plain(feed.url))
            result = await self._record_error(
                feed, checked, f"internal error: {type(exc).__name__}: {exc}"
            )
        result = replace(result, duration=time.monotonic() - started)
        _log_result(result)
        return result

    async def _record_error(
        self,
        feed: Feed,
        checked: datetime,
        message: str,
        *,
        fetched: FetchResult | None = None,
        disable_reason: str | None = None,
    ) -> FeedResult:
        message = " ".join(message.split())
        outcome = CheckOutcome(
            checked=checked,
            error_count=feed.error_count + 1,
            retry_after=fetched.retry_after if fetched is not None else None,
        )
        update = FeedUpdate(
            checked=checked,
            next_check=self._schedule(feed, outcome),
            error=message,
            disable_reason=disable_reason,
        )
        try:
            await self.writer.write(FeedWrite(feed.id, feed.url, (), update))
        except FeedNotFoundError:
            pass  # unsubscribed meanwhile
        except StorageError as exc:  # the error still reaches the report
            log.warning("feed %s: could not record its error: %s", plain(feed.url), plain(str(exc)))
        return FeedResult(feed.url, error=message, disabled=disable_reason is not None)

    async def _update(self, feed: Feed, checked: datetime) -> FeedResult:
        fetched = await self.fetcher.fetch(feed.url, feed.validators)
        status = fetched.status
        if status == 410:
            return await self._record_error(
                feed, checked, GONE_REASON, fetched=fetched, disable_reason=GONE_REASON
            )
        if status != 304 and not 200 <= status < 300:
            message = http_status_text(status)
            if fetched.retry_after is not None and status in (429, 503):
                message += f" (retry after {fetched.retry_after} s)"
            return await self._record_error(feed, checked, message, fetched=fetched)

        moved_to = await self._move_target(feed, fetched)
        if status == 304:
            return await self._not_modified(feed, checked, fetched, moved_to, validators=None)
        body = fetched.body or b""
        digest = body_hash(body)
        if feed.body_hash is not None and digest == feed.body_hash:
            # The same bytes as last time (a server without validators): skip parsing.
            validators = fetched.validators if _has_validators(fetched.validators) else None
            return await self._not_modified(feed, checked, fetched, moved_to, validators)

        limits = self.settings.fetch
        # The worker also normalizes (content hashes): CPU this process would otherwise spend
        # beside the event loop and the store thread.
        parsed, writes = await self.parser.parse_for_store(
            body,
            url=fetched.final_url,
            content_type=fetched.content_type,
            max_items=limits.max_items,
            max_field_chars=limits.max_field_chars,
        )
        return await self._store_parsed(feed, checked, fetched, parsed, writes, digest, moved_to)

    async def _store_parsed(
        self,
        feed: Feed,
        checked: datetime,
        fetched: FetchResult,
        parsed: ParsedFeed,
        writes: Sequence[ItemWrite],
        digest: str,
        moved_to: str | None,
    ) -> FeedResult:
        known = await self._in_store_thread(self.store.get_item_versions, feed.id)
        changes = diff_items(writes, known)
        to_write = list(changes.to_write)
        if self.scorer is not None and to_write:
            to_write = await self._in_store_thread(apply_scores, to_write, self.scorer)
        outcome = CheckOutcome(
            checked=checked,
            ttl=parsed.ttl,
            max_age=fetched.max_age,
            expires=fetched.expires,
            item_dates=tuple(d for d in (i.published or i.updated for i in parsed.items) if d),
        )
        update = FeedUpdate(
            checked=checked,
            next_check=self._schedule(feed, outcome),
            title=parsed.title,
            link=parsed.link,
            validators=fetched.validators,
            body_hash=digest,
            ttl=parsed.ttl,
            new_url=moved_to,
        )
        counts = await self.writer.write(FeedWrite(feed.id, feed.url, tuple(to_write), update))
        return FeedResult(feed.url, new=counts.new, updated=counts.updated, moved_to=moved_to)

    async def _not_modified(
        self,
        feed: Feed,
        checked: datetime,
        fetched: FetchResult,
        moved_to: str | None,
        validators: Validators | None,
    ) -> FeedResult:
        recent = await self._in_store_thread(
            self.store.get_items, ItemFilter(source_id=feed.id), limit=10
        )
        outcome = CheckOutcome(
            checked=checked,
            not_modified=True,
            ttl=feed.ttl,
            max_age=fetched.max_age,
            expires=fetched.expires,
            item_dates=tuple(d for d in (i.published or i.updated for i in recent) if d),
        )
        update = FeedUpdate(
            checked=checked,
            next_check=self._schedule(feed, outcome),
            validators=validators,
            new_url=moved_to,
        )
        await self.writer.write(FeedWrite(feed.id, feed.url, (), update))
        return FeedResult(feed.url, not_modified=True, moved_to=moved_to)

    async def _move_target(self, feed: Feed, fetched: FetchResult) -> str | None:
        """The URL to move the feed to after permanent redirects, unless already subscribed."""
        target = fetched.permanent_url
        if target is None or target == feed.url:
            return None
        try:
            await self._in_store_thread(self.store.get_feed, target)
        except FeedNotFoundError:
            return target
        log.info(
            "feed %s: moved to %s, which is already subscribed; kept as is",
            plain(feed.url),
            plain(target),
        )
        return None


def http_status_text(status: int) -> str:
    """``HTTP 404 Not Found``: the status with its standard reason, when it has one."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _never_fetched(feed: Feed) -> bool:
    return feed.body_hash is None and not _has_validators(feed.validators)


def _has_validators(validators: Validators) -> bool:
    return validators.etag is not None or validators.last_modified is not None


def _log_result(result: FeedResult) -> None:
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


class UpdatePipeline:
    """The fetch and parse stages kept open across updates: one `Fetcher`, one parser pool.

    `update_feeds` opens a fresh one per call unless given one; a long-lived caller (the
    daemon) opens it once, so its HTTP connections and parser worker processes (each costs an
    interpreter start) are reused by every dispatch. The parser workers start with the first
    document, so an all-304 update never starts any. Use as an async context manager.
    """

    def __init__(self, settings: Settings) -> None:
        fetch = settings.fetch
        self.fetcher = Fetcher(fetch, settings.fetch_allow)
        self.parser = _LazyParser(fetch.parse_workers, fetch.timeout)
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
    try:
        loop = asyncio.get_running_loop()
        if feeds is None:
            feeds = await loop.run_in_executor(store_thread, store.get_due_feeds, started)
        ordered = interleave_by_host(feeds)
        if not ordered:
            return UpdateReport(results=(), started=started, finished=now())
        if pipeline is not None:
            results = await _update_all(
                store, settings, ordered, pipeline, store_thread, now, scorer, on_result
            )
        else:
            async with UpdatePipeline(settings) as own_pipeline:
                results = await _update_all(
                    store, settings, ordered, own_pipeline, store_thread, now, scorer, on_result
                )
        return UpdateReport(results=tuple(results), started=started, finished=now())
    finally:
        store_thread.shutdown(wait=True)


async def _update_all(
    store: Store,
    settings: Settings,
    ordered: Sequence[Feed],
    pipeline: UpdatePipeline,
    store_thread: ThreadPoolExecutor,
    now: Callable[[], datetime],
    scorer: Scorer | None,
    on_result: Callable[[FeedResult], None] | None,
) -> list[FeedResult]:
    # Bounded in flight: bodies wait for the parser in memory, so keep their number small.
    in_flight = asyncio.Semaphore(max(1, settings.fetch.concurrency) * 2)
    updater = _Updater(
        store, settings, pipeline.fetcher, pipeline.parser, store_thread, now, scorer
    )
    if any(_never_fetched(feed) for feed in ordered):
        # A feed never fetched will surely be parsed: start the workers (each takes a few
        # tenths of a second to import the parser) while the first requests are out.
        await pipeline.parser.start()

    async def one(feed: Feed) -> FeedResult:
        async with in_flight:
            result = await updater.update(feed)
        if on_result is not None:
            try:
                on_result(result)
            except Exception:  # a display's bug must not lose the update
                log.exception("on_result callback failed for %s", plain(feed.url))
        return result

    return list(await asyncio.gather(*(one(feed) for feed in ordered)))
