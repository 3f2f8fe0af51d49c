"""The update: due feeds -> fetch -> parse -> diff -> score -> write -> report.

- `decide`: the pure decisions (what a response means, which items are new or changed, what to
  write and report for each outcome), tested without I/O;
- `pipeline`: the thin I/O around them (`update_feeds`, `UpdatePipeline`);
- `writer`: the store thread's batched writes.

Callers go through the application layer (`reader.core`), which adds the topic scorer and
regroups stories afterwards.
"""

from reader.update.decide import GONE_REASON, Decider, FeedCheck, diff_items, http_status_text
from reader.update.pipeline import Scorer, UpdatePipeline, update_feeds

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
