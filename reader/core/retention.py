"""Retention: prune old read items so the database does not grow forever.

The store does the pruning (`Store.prune_items`): starred, tagged and seed items are never
pruned, the newest `keep_per_feed` items of each feed stay, and every pruned item leaves a
tombstone so the next fetch of its feed does not bring it back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from reader.config import RetentionSettings
from reader.store import Store

logger = logging.getLogger("reader.retention")


def retention_cutoff(now: datetime, settings: RetentionSettings) -> datetime | None:
    """Items first seen before this may be pruned; None when retention is off (days = 0)."""
    if settings.days <= 0:
        return None
    return now - timedelta(days=settings.days)


PRUNE_BATCH = 500
"""Items pruned per transaction: a store with a year of items to prune never holds the write
lock for long, and a stop request is seen between batches. Deleting an item costs about a
millisecond (its words leave the full-text index), so a batch takes about half a second."""


def _never() -> bool:
    return False


def prune_old_items(
    store: Store,
    settings: RetentionSettings,
    now: datetime,
    *,
    should_stop: Callable[[], bool] = _never,
) -> int:
    """Prune what retention allows at `now`, in batches, asking `should_stop` between them;
    return how many items went (a stopped run goes on next time)."""
    cutoff = retention_cutoff(now, settings)
    if cutoff is None:
        return 0
    pruned = 0
    while True:
        batch = store.prune_items(cutoff, keep_per_feed=settings.keep_per_feed, limit=PRUNE_BATCH)
        pruned += batch
        if batch < PRUNE_BATCH:
            break
        if should_stop():
            logger.info("retention stopped after %d items; it goes on next time", pruned)
            return pruned
    if pruned:
        logger.info(
            "retention pruned %d read items first seen before %s", pruned, cutoff.isoformat()
        )
    else:
        logger.debug("retention: nothing to prune before %s", cutoff.isoformat())
    return pruned
