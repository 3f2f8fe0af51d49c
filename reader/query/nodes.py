"""The syntax tree of a search query: frozen dataclasses, one per construct.

Words keep the text the user typed (``Asia-Pacific``, ``U.S.``, ``C++``): splitting them into
index tokens is the backend's business, because each backend tokenizes its own way (FTS5's
unicode61, PostgreSQL's text search parser). A word that holds several tokens is matched as a
phrase of them.
"""

from __future__ import annotations

from collections.abc import Iterator
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


QueryNode = Term | Phrase | Near | Field | Not | And | Or


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
