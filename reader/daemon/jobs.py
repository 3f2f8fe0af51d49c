"""Extra periodic jobs the daemon runs besides fetching and retention.

This is the one place where such jobs are registered, so the CLI does not need to know them.
"""

from __future__ import annotations

from reader.config import Settings
from reader.daemon.app import PeriodicJob
from reader.store import Store


def topic_refresh_jobs(store: Store, settings: Settings) -> list[PeriodicJob]:
    """The topic re-scoring job(s): re-score and re-group items when the topic profile changes.

    TOPIC REFRESH REGISTRATION: the topic package (`reader.topic`) is wired in here, e.g.
    ``return [PeriodicJob("topic-refresh", every=600, run=partial(refresh, store, settings))]``.
    Until it is, the daemon runs no topic job (items are still scored as they are fetched
    when the update pipeline is given a scorer).
    """
    del store, settings  # used once the topic refresh is wired in
    return []


def extra_jobs(store: Store, settings: Settings) -> list[PeriodicJob]:
    """Every extra job the `reader daemon` command runs."""
    return [*topic_refresh_jobs(store, settings)]
