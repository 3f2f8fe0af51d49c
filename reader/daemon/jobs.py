"""Extra periodic jobs the daemon runs besides fetching and retention.

This is the one place where such jobs are registered, so the CLI does not need to know them.
"""

from __future__ import annotations

from reader.core import Reader
from reader.daemon.app import PeriodicJob


def topic_refresh_jobs(reader: Reader) -> list[PeriodicJob]:
    """Work the topic's queues on a timer: group what arrived into stories, score what the
    updates could not, and re-score in batches after the profile changes (new seeds, new
    keywords). No whole-store pass: each run costs what changed since the last."""
    every = reader.settings.topic.refresh_every
    if every <= 0:
        return []
    return [PeriodicJob("topic-refresh", every=every, run=reader.refresh_topic, stoppable=True)]


def extra_jobs(reader: Reader) -> list[PeriodicJob]:
    """Every extra job the `reader daemon` command runs."""
    return [*topic_refresh_jobs(reader)]
