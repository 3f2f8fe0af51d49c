"""Extra periodic jobs the daemon runs besides fetching and retention.

This is the one place where such jobs are registered, so the CLI does not need to know them.
"""

from __future__ import annotations

from functools import partial

from reader.config import Settings
from reader.daemon.app import PeriodicJob
from reader.store import Store


def topic_refresh_jobs(store: Store, settings: Settings) -> list[PeriodicJob]:
    """Re-score when the topic profile changes, and regroup recent items into stories.

    New items are scored as they are stored (the daemon's updater has a scorer); this job
    catches profile changes (new seeds, new keywords) and groups what arrived into stories.
    """
    from reader.topic import refresh_topic  # scikit-learn loads only in the daemon

    every = settings.topic.refresh_every
    if every <= 0:
        return []
    return [PeriodicJob("topic-refresh", every=every, run=partial(refresh_topic, store, settings))]


def extra_jobs(store: Store, settings: Settings) -> list[PeriodicJob]:
    """Every extra job the `reader daemon` command runs."""
    return [*topic_refresh_jobs(store, settings)]
