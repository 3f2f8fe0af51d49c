"""The application layer: every use case behind one `Reader` (made by `make_reader`).

The CLI, the terminal reader and the daemon call this package and read `reader.models`;
they never reach the store, fetch, parse, update or topic stages themselves. Nothing below
imports it. The types its methods return are exported here too.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reader.core.body import item_body
    from reader.core.lock import DaemonLock
    from reader.core.reader import Reader, database_file, make_reader
    from reader.core.reading import HIDDEN_FILTER, topic_filter
    from reader.core.reports import SeedsImported, StartUpReport, Status
    from reader.core.session import UpdateSession
    from reader.sources.opml import OPMLImportReport
    from reader.sources.seeds import SeedImportReport
    from reader.store.urls import redact
    from reader.topic.refresh import RefreshReport

_HOMES = {
    "HIDDEN_FILTER": "reader.core.reading",
    "DaemonLock": "reader.core.lock",
    "OPMLImportReport": "reader.sources.opml",
    "Reader": "reader.core.reader",
    "RefreshReport": "reader.topic.refresh",
    "SeedImportReport": "reader.sources.seeds",
    "SeedsImported": "reader.core.reports",
    "StartUpReport": "reader.core.reports",
    "Status": "reader.core.reports",
    "UpdateSession": "reader.core.session",
    "database_file": "reader.core.reader",
    "item_body": "reader.core.body",
    "make_reader": "reader.core.reader",
    "redact": "reader.store.urls",
    "topic_filter": "reader.core.reading",
}
"""Where each name lives. Imported on first use: a process that needs one module of the
package (the grouping process, `python -m reader.core.grouping`) does not load the whole
application layer."""

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
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
