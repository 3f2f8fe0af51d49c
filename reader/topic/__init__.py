"""Topic intelligence: how relevant each item is to the seeds, and which items tell one story.

- `TopicModel`: the profile built from the seeds and `[topic]` settings; `score` rates texts.
- `load_topic` / `refresh_topic`: the model for a store; keeping scores and stories current.
- `TopicScorer`: the updater's scorer, following the store's profile as it changes.
- `group_stories`: the pure grouping of items into stories.
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
