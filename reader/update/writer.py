"""The update's one writer: feeds' writes batched into short transactions on the store thread."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from reader.exceptions import DatabaseError
from reader.models import FeedWrite, Rule, WriteCounts
from reader.store.base import Store

_Waiting = tuple[FeedWrite, "asyncio.Future[WriteCounts]"]
"""A feed's write and the future its caller awaits."""


class BatchedWriter:
    """Commits feeds' writes together: whatever is waiting when the store thread frees up.

    One transaction per feed made the commit (and SQLite's WAL bookkeeping) a large share of
    an update of many feeds; batching keeps each feed's items and validators in one
    transaction while sharing commits. If a batch fails, its feeds are written one by one,
    so a feed's failure stays its own (`write` raises the store's error for that feed only);
    but when the database itself failed (`DatabaseError`: full, broken, read-only), no retry
    can succeed, so every waiting write gets that error at once.
    """

    MAX_BATCH = 128
    """At most this many feeds per transaction. Fewer, larger commits cost the full-text index
    less (fewer segments to flush and merge): measured with 500 feeds of 50 items, 64-feed
    batches took about a sixth less store CPU than 32-feed ones. In practice a batch is what
    waits while the previous one commits (and lingers for), which the in-flight bound keeps
    below this."""

    FULL_BATCH = 16
    """A batch this big is written at once; a smaller one lingers (`LINGER`) for more while
    feeds are still on their way. Feeds arrive one at a time, so without lingering most
    transactions held one or two feeds."""

    LINGER = 0.1
    """Seconds a batch smaller than `FULL_BATCH` waits for more feeds, at most."""

    def __init__(
        self,
        store: Store,
        store_thread: ThreadPoolExecutor,
        *,
        rules: Sequence[Rule] = (),
        expecting: Callable[[], int] | None = None,
    ) -> None:
        """`expecting` says how many feeds are still on their way to `write` (fetching or
        parsing): a batch lingers for more only while that is not zero. Without it, batches
        never linger."""
        self.store = store
        self.store_thread = store_thread
        self._expecting = expecting or (lambda: 0)
        self._arrived = asyncio.Event()
        # Rules run in each batch's own transaction, over the items it inserts.
        self._write_feeds = (
            functools.partial(store.write_feeds, rules=tuple(rules)) if rules else store.write_feeds
        )
        self._waiting: list[_Waiting] = []
        self._drainer: asyncio.Task[None] | None = None

    async def write(self, write: FeedWrite) -> WriteCounts:
        """Write one feed's items and state (in a batch with others); the store's counts."""
        future: asyncio.Future[WriteCounts] = asyncio.get_running_loop().create_future()
        self._waiting.append((write, future))
        self._arrived.set()
        if self._drainer is None:
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._waiting:
                await self._linger()
                # A write whose caller was cancelled (the update was stopped) is not done:
                # its feed stays due, as if it had never been fetched.
                self._waiting = [(w, f) for w, f in self._waiting if not f.cancelled()]
                batch = self._waiting[: self.MAX_BATCH]
                del self._waiting[: self.MAX_BATCH]
                if not batch:
                    break
                writes = [write for write, _ in batch]
                try:
                    counts = await loop.run_in_executor(
                        self.store_thread, self._write_feeds, writes
                    )
                except DatabaseError as exc:
                    self._fail_all(batch, exc)
                    break
                except Exception:
                    await self._one_by_one(batch)
                    continue
                for (_, future), count in zip(batch, counts, strict=True):
                    if not future.done():
                        future.set_result(count)
        finally:
            self._drainer = None

    async def _linger(self) -> None:
        """Wait (at most `LINGER` seconds) until a full batch waits or no more is coming.

        Only a batch with items to insert lingers: what batching saves is the index and
        commit work of the items; a batch of feeds' states alone (an all-304 update) is cheap
        to write at once, and its feeds would only hold their places in the update longer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.LINGER
        while (
            len(self._waiting) < self.FULL_BATCH
            and self._expecting() > 0
            and any(write.items for write, _ in self._waiting)
        ):
            left = deadline - loop.time()
            if left <= 0:
                return
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)

    def _fail_all(self, batch: list[_Waiting], exc: DatabaseError) -> None:
        """The database failed: every write of `batch` and every one waiting gets `exc`."""
        batch = batch + self._waiting
        self._waiting = []
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)

    async def _one_by_one(self, batch: list[_Waiting]) -> None:
        loop = asyncio.get_running_loop()
        for index, (write, future) in enumerate(batch):
            try:
                [count] = await loop.run_in_executor(self.store_thread, self._write_feeds, [write])
            except DatabaseError as exc:
                self._fail_all(batch[index:], exc)
                return
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                if not future.done():
                    future.set_result(count)
