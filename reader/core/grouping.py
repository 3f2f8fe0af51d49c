"""Stories grouped while an update stores items, rather than all after it.

A first update of many feeds stores thousands of items; grouping them all once the last feed
is stored made the command wait for it (on 300 feeds x 50 items, a fifth of its time) while
the fetch and the parser workers had long finished. `GroupAlong` groups the story queue in
full batches (`GROUP_BATCH`, as `refresh_topic` takes them, in date order) on a thread of its
own as items are committed; the refresh after the update groups what is left, scores, and
does everything else it does. Only the story queue is worked here: the profile, its term
statistics and the scores are `refresh_topic`'s, after the update, as before.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from reader.exceptions import StorageError
from reader.store.base import Store
from reader.topic.refresh import GROUP_BATCH, REGROUP_KEY
from reader.topic.stories import LEAD_CHARS, group_batch

log = logging.getLogger("reader.update")


def group_full_batches(store: Store, story_days: int) -> int:
    """Group the story queue while a full batch waits in it; how many items were grouped.

    Nothing is done while a full regroup is due (`refresh_topic` walks it first, and places
    the queued items as it goes)."""
    grouped = 0
    if store.get_meta(REGROUP_KEY) is not None:
        return grouped
    while store.count_ungrouped() >= GROUP_BATCH:
        leads = store.ungrouped_leads(limit=GROUP_BATCH, max_chars=LEAD_CHARS)
        changes = group_batch(
            leads,
            store.story_term_counts,
            story_days,
            lambda keys, days, floor: store.story_candidates(keys, story_days=days, floor=floor),
            store.story_centroids,
        )
        store.apply_story_changes(changes)
        grouped += len(leads)
    return grouped


class GroupAlong:
    """Groups full batches of the story queue on its own thread as an update stores items.

    `stored(n)` is told of each feed's new items (on the event loop); once a batch's worth
    arrived since the last pass, a pass starts unless one runs. `finish()` waits for the
    pass running. A store failure ends the grouping here (the update goes on; the refresh
    after it meets the failure, or groups the items, itself)."""

    def __init__(self, store: Store, story_days: int) -> None:
        self._store = store
        self._story_days = story_days
        self._thread: ThreadPoolExecutor | None = None
        self._running: asyncio.Future[int] | None = None
        self._arrived = 0
        self._failed = False

    def stored(self, new_items: int) -> None:
        """`new_items` more items were committed."""
        self._arrived += new_items
        if self._failed or self._arrived < GROUP_BATCH:
            return
        if self._running is not None and not self._running.done():
            return
        self._arrived = 0
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="reader-group")
        loop = asyncio.get_running_loop()
        self._running = loop.run_in_executor(
            self._thread, group_full_batches, self._store, self._story_days
        )
        self._running.add_done_callback(self._done)

    def _done(self, future: asyncio.Future[int]) -> None:
        if future.cancelled():
            return
        exc = future.exception()
        if exc is None:
            if self._arrived >= GROUP_BATCH:  # more arrived meanwhile
                self.stored(0)
            return
        self._failed = True
        if not isinstance(exc, StorageError):
            log.error("grouping stories during the update failed", exc_info=exc)

    async def finish(self) -> None:
        """Wait for the pass running, if any, and release the thread."""
        running = self._running
        if running is not None:
            await asyncio.wait({running})
        if self._thread is not None:
            self._thread.shutdown(wait=True)
            self._thread = None
