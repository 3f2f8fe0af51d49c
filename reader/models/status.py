"""What `reader status` and `reader db check` report about the store and its daemons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class DaemonInfo:
    """A daemon attached to the store, as `reader status` lists it."""

    holder: str
    """Its unique name in leases: host, PID and a random token."""
    host: str
    """The machine it runs on."""
    pid: int
    """Its process id there."""
    started: datetime
    """When it started."""
    last_beat: datetime
    """When it last said it was alive (and renewed its leases)."""
    leases: int = 0
    """Feeds it holds now: claimed, not yet written back."""


@dataclass(frozen=True)
class StoreStats:
    """Counts for `reader status`."""

    feeds: int
    feeds_enabled: int
    feeds_due: int
    feeds_failing: int
    items: int
    unread: int
    last_update: datetime | None


@dataclass(frozen=True)
class StoreCheck:
    """What `reader db check` found."""

    problems: tuple[str, ...]
    """The database's own consistency problems (SQLite's integrity check); none when sound."""
    index_problem: str | None
    """Why the full-text index does not match the items; None when it does."""

    @property
    def ok(self) -> bool:
        return not self.problems and self.index_problem is None
