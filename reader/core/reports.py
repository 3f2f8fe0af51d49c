"""What the application layer's use cases report: start-up, seed imports and status.

The reports of the stages below (`SeedImportReport`, `OPMLImportReport`, `RefreshReport`,
`UpdateReport`) are handed on unchanged; these combine them where a use case spans stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from reader.models import DaemonInfo, Feed, StoreStats
from reader.sources.opml import OPMLImportReport
from reader.sources.seeds import SeedImportReport

if TYPE_CHECKING:  # the topic package loads scikit-learn: only when a use case needs it
    from reader.topic.refresh import RefreshReport


@dataclass(frozen=True)
class SeedsImported:
    """A seed import and the topic refresh it caused (seeds define the topic)."""

    seeds: SeedImportReport
    """Which seed files were new, updated, unchanged or unreadable."""
    topic: RefreshReport
    """The re-scoring and regrouping that followed."""


@dataclass(frozen=True)
class StartUpReport:
    """What `Reader.start_up` did: seeds in, and the starting feed list on the first start."""

    seeds: SeedsImported | None
    """None when the seeds could not be read at all (see `seeds_error`)."""
    seeds_error: str | None
    """Why the seeds folder could not be imported (the reader still works on feeds alone)."""
    feeds: OPMLImportReport | None
    """The starting feed list's import; None when it had been imported before, or failed."""
    feeds_error: str | None
    """Why the starting feed list could not be imported."""
    installed: tuple[Path, ...] = ()
    """What an installed copy's first start copied to the user's folders (seeds, feed list,
    settings) from the package."""


@dataclass(frozen=True)
class Status:
    """What `reader status` shows: the daemon, counts, and the next checks."""

    location: str
    """The database (a file path or a URL)."""
    daemon_pid: int | None
    """The daemon's PID; 0 while it starts; None when none runs (or the database is a server,
    where daemons are not tracked by a lock file)."""
    stats: StoreStats
    """Feed and item counts."""
    next_checks: tuple[Feed, ...]
    """The next feeds to fall due, soonest first."""
    now: datetime
    """When the status was taken."""
    daemons: tuple[DaemonInfo, ...] = ()
    """Every daemon attached (on a database server; on a file, the one holding its lock)."""
    shared: bool = False
    """The store is a database server that several daemons may share."""
    walks_due: tuple[str, ...] = ()
    """Whole-store topic walks waiting for the daemon or `reader stories refresh`
    ("re-scoring", "regrouping"); updates never run them."""
