"""The application layer: every use case behind one `Reader` (made by `make_reader`).

The CLI, the terminal reader and the daemon call this package and read `reader.models`;
they never reach the store, fetch, parse, update or topic stages themselves. Nothing below
imports it. The types its methods return are exported here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reader.core.body import item_body
from reader.core.lock import DaemonLock
from reader.core.reader import Reader, database_file, make_reader
from reader.core.reading import HIDDEN_FILTER, topic_filter
from reader.core.reports import SeedsImported, StartUpReport, Status
from reader.core.session import UpdateSession
from reader.sources.opml import OPMLImportReport
from reader.sources.seeds import SeedImportReport
from reader.store.urls import redact

if TYPE_CHECKING:
    from reader.topic.refresh import RefreshReport

__all__ = [
    "HIDDEN_FILTER",
    "DaemonLock",
    "OPMLImportReport",
    "Reader",
    "RefreshReport",
    "SeedImportReport",
    "SeedsImported",
    "StartUpReport",
    "Status",
    "UpdateSession",
    "database_file",
    "item_body",
    "make_reader",
    "redact",
    "topic_filter",
]


def __getattr__(name: str) -> object:
    if name == "RefreshReport":  # the topic package: only on demand
        from reader.topic.refresh import RefreshReport

        return RefreshReport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
