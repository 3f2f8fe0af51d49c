"""Retention: prune old read items so the database does not grow forever.

The store does the pruning (`Store.prune_items`): starred, tagged and seed items are never
pruned, the newest `keep_per_feed` items of each feed stay, and every pruned item leaves a
tombstone so the next fetch of its feed does not bring it back.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from reader.config import RetentionSettings
from reader.store import Store

logger = logging.getLogger("reader.retention")


def retention_cutoff(now: datetime, settings: RetentionSettings) -> datetime | None:
    """Items first seen before this may be pruned; None when retention is off (days = 0)."""
    if settings.days <= 0:
        return None
    return now - timedelta(days=settings.days)


def prune_old_items(store: Store, settings: RetentionSettings, now: datetime) -> int:
    """Prune what retention allows at `now`; return how many items went."""
    cutoff = retention_cutoff(now, settings)
    if cutoff is None:
        return 0
    pruned = store.prune_items(cutoff, keep_per_feed=settings.keep_per_feed)
    if pruned:
        logger.info(
            "retention pruned %d read items first seen before %s", pruned, cutoff.isoformat()
        )
    else:
        logger.debug("retention: nothing to prune before %s", cutoff.isoformat())
    return pruned
