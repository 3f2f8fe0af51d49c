"""The project's data types, by concern; import them from here (`from reader.models import X`).

- `feeds`: a source as the store knows it (`Feed`, `Validators`), a feed a page points to.
- `body`: an item's body as text blocks (`Block`, `Span`, `Image`) and its numbered links
  (`Body`), laid out as runs the front ends style.
- `items`: items as the store hands them out (`Item`, `ItemLink`), how listings ask for them
  (`ItemFilter`, `SortOrder`, saved views), tags and search hits.
- `parsed`: what the parse stage returns (`ParsedFeed`, `ParsedItem`, `ParsedArticle`).
- `updates`: one update, in the order it flows: `FetchResult`, `CheckOutcome`, what to write
  (`ItemWrite`, `FeedUpdate`, `FeedWrite`, `ItemVersion`) and what happened (`FeedResult`,
  `UpdateReport`).
- `stories`: stories, and what grouping reads and writes.
- `rules`: `[[rules]]` and their actions.
- `status`: what `reader status` and `reader db check` report.

All are frozen dataclasses (one named tuple); times are timezone-aware UTC `datetime`s. No
module here imports anything of the project but another one here (and, for type checking
only, the query nodes a filter or a rule carries).
"""

from reader.models.body import (
    Block,
    BlockKind,
    Body,
    Image,
    Inline,
    Role,
    Run,
    Span,
)
from reader.models.feeds import (
    SEEDS_SOURCE_TITLE,
    SEEDS_SOURCE_URL,
    Feed,
    FeedLink,
    FeedRemoval,
    SourceKind,
    Validators,
)
from reader.models.items import (
    Item,
    ItemFilter,
    ItemLink,
    LinkKind,
    SavedView,
    SearchHit,
    SortOrder,
    TagCount,
    tag_key,
)
from reader.models.parsed import ParsedArticle, ParsedFeed, ParsedItem
from reader.models.rules import Rule, RuleAction, RuleActionKind
from reader.models.status import DaemonInfo, StoreCheck, StoreStats
from reader.models.stories import (
    IndexedItem,
    RegroupWrite,
    Story,
    StoryCandidate,
    StoryCentroid,
    StoryChanges,
    StoryLead,
)
from reader.models.updates import (
    CheckOutcome,
    FeedResult,
    FeedUpdate,
    FeedWrite,
    FetchResult,
    ItemVersion,
    ItemWrite,
    UpdateReport,
    WriteCounts,
)

__all__ = [
    "SEEDS_SOURCE_TITLE",
    "SEEDS_SOURCE_URL",
    "Block",
    "BlockKind",
    "Body",
    "CheckOutcome",
    "DaemonInfo",
    "Feed",
    "FeedLink",
    "FeedRemoval",
    "FeedResult",
    "FeedUpdate",
    "FeedWrite",
    "FetchResult",
    "Image",
    "IndexedItem",
    "Inline",
    "Item",
    "ItemFilter",
    "ItemLink",
    "ItemVersion",
    "ItemWrite",
    "LinkKind",
    "ParsedArticle",
    "ParsedFeed",
    "ParsedItem",
    "RegroupWrite",
    "Role",
    "Rule",
    "RuleAction",
    "RuleActionKind",
    "Run",
    "SavedView",
    "SearchHit",
    "SortOrder",
    "SourceKind",
    "Span",
    "StoreCheck",
    "StoreStats",
    "Story",
    "StoryCandidate",
    "StoryCentroid",
    "StoryChanges",
    "StoryLead",
    "TagCount",
    "UpdateReport",
    "Validators",
    "WriteCounts",
    "tag_key",
]
