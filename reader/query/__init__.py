"""Search queries as users type them: a forgiving parser and a typed syntax tree.

Words and phrases search the text; filters (``tag:``, ``feed:``, ``is:``, ``score>``, ``story:``,
``newer:``, ``older:``) test what the store knows of an item. Pure: no SQL, no store.
`parse_query` turns text into a tree of frozen dataclasses (`reader.query.nodes`); each store
backend compiles that tree to its own languages (SQLite: FTS5 MATCH for the words and SQL
conditions for the filters). `SEARCH_SYNTAX` is the help text every front end shows.
"""

from reader.query.nodes import (
    FILTER_TYPES,
    STATES,
    TEXT_FIELDS,
    AgeIs,
    And,
    FeedIs,
    Field,
    Filter,
    Near,
    Not,
    Or,
    Phrase,
    QueryNode,
    ScoreIs,
    StateIs,
    StoryIs,
    TagIs,
    Term,
    has_filters,
    mentions_state,
    normalize_exclusions,
    positive_words,
)
from reader.query.parser import parse_query
from reader.query.syntax import NEGATION_IN_OR, SEARCH_SYNTAX, UNRUNNABLE

__all__ = [
    "FILTER_TYPES",
    "NEGATION_IN_OR",
    "SEARCH_SYNTAX",
    "STATES",
    "TEXT_FIELDS",
    "UNRUNNABLE",
    "AgeIs",
    "And",
    "FeedIs",
    "Field",
    "Filter",
    "Near",
    "Not",
    "Or",
    "Phrase",
    "QueryNode",
    "ScoreIs",
    "StateIs",
    "StoryIs",
    "TagIs",
    "Term",
    "has_filters",
    "mentions_state",
    "normalize_exclusions",
    "parse_query",
    "positive_words",
]
