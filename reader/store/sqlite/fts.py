"""A query tree (`reader.query`) compiled to an FTS5 MATCH expression.

Every word goes to FTS5 as a quoted string, so FTS5 splits it with the index's own tokenizer:
``Asia-Pacific`` becomes the phrase ``asia pacific``, ``U.S.`` the phrase ``u s``, and nothing a
user types can be read as FTS5 syntax. Only the tree's own operators are written out.
"""

from __future__ import annotations

from dataclasses import dataclass

from reader.exceptions import InvalidSearchQueryError
from reader.query import (
    NEGATION_IN_OR,
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    QueryNode,
    Term,
    normalize_exclusions,
)


@dataclass(frozen=True)
class FtsMatch:
    """What to run: items matching `expression`, or (`excluding`) every item that does not."""

    expression: str
    excluding: bool = False


class _NotRunnable(Exception):
    pass


def compile_match(node: QueryNode, text: str) -> FtsMatch:
    """The FTS5 form of `node` (parsed from `text`); `InvalidSearchQueryError` if FTS5 cannot."""
    node = normalize_exclusions(node)
    try:
        if isinstance(node, Not):  # only exclusions: everything else, newest first
            return FtsMatch(_expression(node.query), excluding=True)
        return FtsMatch(_expression(node))
    except _NotRunnable:
        raise InvalidSearchQueryError(text, NEGATION_IN_OR) from None


def _string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _words(node: Term | Phrase) -> str:
    return _string(node.text) + (" *" if node.prefix else "")


def _expression(node: QueryNode) -> str:
    if isinstance(node, Term | Phrase):
        return _words(node)
    if isinstance(node, Near):
        return f"NEAR({' '.join(_words(w) for w in node.words)}, {node.distance})"
    if isinstance(node, Field):
        return f"{node.name} : ({_expression(node.query)})"
    if isinstance(node, And):
        kept = [p for p in node.parts if not isinstance(p, Not)]
        left_out = [p.query for p in node.parts if isinstance(p, Not)]
        expression = " AND ".join(f"({_expression(p)})" for p in kept)
        if left_out:
            expression = f"({expression}) NOT ({' OR '.join(_expression(p) for p in left_out)})"
        return expression
    if isinstance(node, Or):
        if any(isinstance(p, Not) for p in node.parts):
            raise _NotRunnable
        return " OR ".join(f"({_expression(p)})" for p in node.parts)
    raise _NotRunnable  # an exclusion with nothing beside it, inside a field or group
