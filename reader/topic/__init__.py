"""Topic intelligence: how relevant each item is to the seeds, and which items tell one story.

- `text`: the tokenizer (terms, stop words, languages) everything here shares.
- `profile`: `TopicModel`, the profile built from the seeds and `[topic]` settings; `score`.
- `stories`: grouping items into stories, batch by batch, against the store's story index.
- `refresh`: `refresh_topic` works the store's queues (unscored, ungrouped, re-scoring);
  `TopicScorer` is the updater's scorer; `load_topic` the current model.
"""

from reader.topic.profile import TopicModel
from reader.topic.refresh import (
    RefreshReport,
    TopicScorer,
    load_topic,
    refresh_topic,
)
from reader.topic.stories import group_stories

__all__ = [
    "RefreshReport",
    "TopicModel",
    "TopicScorer",
    "group_stories",
    "load_topic",
    "refresh_topic",
]
