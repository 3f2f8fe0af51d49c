"""Extra periodic jobs the daemon runs besides fetching and retention.

This is the one place where such jobs are registered, so the CLI does not need to know them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from reader.core import Reader
from reader.daemon.app import PeriodicJob

if TYPE_CHECKING:
    from reader.core import RefreshReport


def topic_refresh_jobs(reader: Reader) -> list[PeriodicJob]:
    """Work the topic's queues on a timer: group what arrived into stories, score what the
    updates could not, and re-score in batches after the profile changes (new seeds, new
    keywords). No whole-store pass: each run costs what changed since the last."""
    every = reader.settings.topic.refresh_every
    if every <= 0:
        return []

    async def refresh_then_alert(should_stop: Callable[[], bool]) -> RefreshReport:
        report = await asyncio.to_thread(reader.refresh_topic, should_stop=should_stop)
        if report.stopped or should_stop():
            return report  # the daemon logs that it stopped between batches
        # Alerts (one per story) wait for the stories; they look only at items stored since
        # the last run, so this costs what arrived.
        await reader.after_update_async()
        return report

    return [PeriodicJob("topic-refresh", every=every, run=refresh_then_alert, stoppable=True)]


def extra_jobs(reader: Reader) -> list[PeriodicJob]:
    """Every extra job the `reader daemon` command runs."""
    return [*topic_refresh_jobs(reader)]
