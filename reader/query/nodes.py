"""The syntax tree of a search query: frozen dataclasses, one per construct.

Words keep the text the user typed (``Asia-Pacific``, ``U.S.``, ``C++``): splitting them into
index tokens is the backend's business, because each backend tokenizes its own way (FTS5's
unicode61, PostgreSQL's text search parser). A word that holds several tokens is matched as a
phrase of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

TEXT_FIELDS = ("title", "author", "source", "body")
"""Fields a word can be limited to with ``field:word``."""


@dataclass(frozen=True)
class Term:
    """One typed word; several tokens in it (``Asia-Pacific``) must be adjacent."""

    text: str
    prefix: bool = False
    """``word*``: the last token matches any word it begins."""


@dataclass(frozen=True)
class Phrase:
    """Words in double quotes, matched in this order and next to each other."""

    text: str
    prefix: bool = False
    """``"a phrase"*``: the last word matches any word it begins."""


@dataclass(frozen=True)
class Near:
    """``NEAR(a b c, N)``: every word within N tokens of the others."""

    words: tuple[Term | Phrase, ...]
    distance: int = 10


@dataclass(frozen=True)
class Field:
    """``title:word``: the query only in one field (one of `TEXT_FIELDS`)."""

    name: str
    query: QueryNode


@dataclass(frozen=True)
class Not:
    """``-word`` or ``NOT word``: items that do not match."""

    query: QueryNode


@dataclass(frozen=True)
class And:
    """Every part matches (words side by side, or ``AND``)."""

    parts: tuple[QueryNode, ...]


@dataclass(frozen=True)
class Or:
    """Any part matches (``OR``)."""

    parts: tuple[QueryNode, ...]


STATES = ("unread", "read", "starred", "unstarred", "hidden", "tagged")
"""What ``is:`` takes."""

SCORE_OPERATORS = (">=", "<=", ">", "<", "=")
"""What ``score`` takes, longest first (so ``>=`` is not read as ``>``)."""


@dataclass(frozen=True)
class TagIs:
    """``tag:NAME``: the item, or its feed, carries this tag (any case)."""

    name: str


@dataclass(frozen=True)
class FeedIs:
    """``feed:NAME``: the item's feed has this URL, or a name containing NAME (any case)."""

    name: str


@dataclass(frozen=True)
class StateIs:
    """``is:unread`` and the like: one of `STATES`."""

    state: str


@dataclass(frozen=True)
class ScoreIs:
    """``score>0.5``: the topic score compared with a number (unscored items never match)."""

    operator: str
    value: float


@dataclass(frozen=True)
class StoryIs:
    """``story:12`` (that story) or ``story:3+`` (a story reported by at least 3 sources)."""

    story_id: int | None = None
    min_sources: int | None = None


@dataclass(frozen=True)
class AgeIs:
    """``newer:7d`` / ``older:12h``: the item's date within (or before) the last `seconds`."""

    newer: bool
    seconds: int


Filter = TagIs | FeedIs | StateIs | ScoreIs | StoryIs | AgeIs
"""A condition on what the store knows of an item besides its text."""

FILTER_TYPES = (TagIs, FeedIs, StateIs, ScoreIs, StoryIs, AgeIs)

QueryNode = Term | Phrase | Near | Field | Not | And | Or | Filter


def any_part(node: QueryNode, test: Callable[[QueryNode], bool]) -> bool:
    """Whether `test` holds for `node` or any node inside it."""
    if test(node):
        return True
    if isinstance(node, Not | Field):
        return any_part(node.query, test)
    if isinstance(node, And | Or):
        return any(any_part(part, test) for part in node.parts)
    return False


def has_filters(node: QueryNode) -> bool:
    """Whether any part of the query is a filter (not plain full-text search)."""
    return any_part(node, lambda part: isinstance(part, FILTER_TYPES))


def mentions_state(node: QueryNode, state: str) -> bool:
    """Whether the query says anything about `state` (``is:hidden`` shows hidden items)."""
    return any_part(node, lambda part: isinstance(part, StateIs) and part.state == state)


def positive_words(node: QueryNode) -> Iterator[str]:
    """The words and phrases a match contains (not the excluded ones), for highlighting."""
    if isinstance(node, Term | Phrase):
        yield node.text
    elif isinstance(node, Near):
        for word in node.words:
            yield word.text
    elif isinstance(node, Field):
        yield from positive_words(node.query)
    elif isinstance(node, And | Or):
        for part in node.parts:
            yield from positive_words(part)


def normalize_exclusions(node: QueryNode) -> QueryNode:
    """Groups of nothing but exclusions become one exclusion (De Morgan), bottom up.

    A tree that is then one `Not` asks for every item but those (backends list them newest
    first); any other `Not` is part of a group that also has something to match.
    """
    if isinstance(node, Field):
        return Field(node.name, normalize_exclusions(node.query))
    if isinstance(node, Not):
        inner = normalize_exclusions(node.query)
        return inner.query if isinstance(inner, Not) else Not(inner)
    if isinstance(node, And | Or):
        parts = tuple(normalize_exclusions(p) for p in node.parts)
        if all(isinstance(p, Not) for p in parts):
            inners = tuple(p.query for p in parts if isinstance(p, Not))
            return Not(Or(inners) if isinstance(node, And) else And(inners))
        return type(node)(parts)
    return node
