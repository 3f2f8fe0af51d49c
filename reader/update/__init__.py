"""The update: due feeds -> fetch -> parse -> diff -> score -> write -> report.

- `decide`: the pure decisions (what a response means, which items are new or changed, what to
  write and report for each outcome), tested without I/O;
- `pipeline`: the thin I/O around them (`update_feeds`, `UpdatePipeline`);
- `writer`: the store thread's batched writes.

Callers go through the application layer (`reader.core`), which adds the topic scorer and
regroups stories afterwards.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reader.update.decide import (
        GONE_REASON,
        Decider,
        FeedCheck,
        diff_items,
        http_status_text,
    )
    from reader.update.pipeline import Scorer, UpdatePipeline, update_feeds

_HOMES = {
    "GONE_REASON": "reader.update.decide",
    "Decider": "reader.update.decide",
    "FeedCheck": "reader.update.decide",
    "Scorer": "reader.update.pipeline",
    "UpdatePipeline": "reader.update.pipeline",
    "diff_items": "reader.update.decide",
    "http_status_text": "reader.update.decide",
    "update_feeds": "reader.update.pipeline",
}
"""Where each name lives, imported on first use: the pure decisions (`decide`) load without
the fetch stack that `pipeline` brings (httpx, the parser pool)."""

__all__ = [
    "GONE_REASON",
    "Decider",
    "FeedCheck",
    "Scorer",
    "UpdatePipeline",
    "diff_items",
    "http_status_text",
    "update_feeds",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
