"""Search queries as users type them: a forgiving parser and a typed syntax tree.

Pure: no SQL, no store. `parse_query` turns text into a tree of frozen dataclasses
(`reader.query.nodes`); each store backend compiles that tree to its own full-text language
(SQLite FTS5 MATCH, PostgreSQL tsquery). `SEARCH_SYNTAX` is the help text every front end shows.
"""

from reader.query.nodes import (
    TEXT_FIELDS,
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    QueryNode,
    Term,
    normalize_exclusions,
    positive_words,
)
from reader.query.parser import parse_query
from reader.query.syntax import NEGATION_IN_OR, SEARCH_SYNTAX, UNRUNNABLE

__all__ = [
    "NEGATION_IN_OR",
    "SEARCH_SYNTAX",
    "TEXT_FIELDS",
    "UNRUNNABLE",
    "And",
    "Field",
    "Near",
    "Not",
    "Or",
    "Phrase",
    "QueryNode",
    "Term",
    "normalize_exclusions",
    "parse_query",
    "positive_words",
]
