"""A query tree (`reader.query`) compiled to text for PostgreSQL's `to_tsquery`.

Every word goes to `to_tsquery` as a quoted operand, so PostgreSQL splits and stems it with
the index's own configuration: ``Asia-Pacific`` and ``"a phrase"`` become phrases of their
lexemes (``<->``), and nothing a user types can be read as tsquery syntax. Only the tree's own
operators are written out. A field limits its words to the weight its column is indexed
under (``title:nato`` is ``'nato':A``). An exclusion as one side of OR gets the same hint as
on SQLite; ``NEAR(a b, N)`` asks only that all its words occur.
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
from reader.store.postgres.schema import WEIGHT_OF_COLUMN


@dataclass(frozen=True)
class TsQuery:
    """What to run: items matching `expression`, or (`excluding`) every item that does not."""

    expression: str
    excluding: bool = False


def compile_tsquery(node: QueryNode, text: str) -> TsQuery:
    """The `to_tsquery` form of `node` (parsed from `text`)."""
    node = normalize_exclusions(node)
    if _negation_in_or(node):
        raise InvalidSearchQueryError(text, NEGATION_IN_OR)
    if isinstance(node, Not):  # only exclusions: everything else, newest first
        return TsQuery(_expression(node.query, ""), excluding=True)
    return TsQuery(_expression(node, ""))


def _negation_in_or(node: QueryNode) -> bool:
    if isinstance(node, Or) and any(isinstance(p, Not) for p in node.parts):
        return True
    if isinstance(node, And | Or):
        return any(_negation_in_or(p) for p in node.parts)
    if isinstance(node, Field | Not):
        return _negation_in_or(node.query)
    return False


def _operand(word: Term | Phrase, weight: str) -> str:
    escaped = word.text.replace("\\", "\\\\").replace("'", "''")
    label = ("*" if word.prefix else "") + weight
    return f"'{escaped}'" + (f":{label}" if label else "")


def _expression(node: QueryNode, weight: str) -> str:
    if isinstance(node, Term | Phrase):
        return _operand(node, weight)
    if isinstance(node, Near):
        return "(" + " & ".join(_operand(w, weight) for w in node.words) + ")"
    if isinstance(node, Field):
        return _expression(node.query, WEIGHT_OF_COLUMN[node.name])
    if isinstance(node, Not):
        return "!" + _expression(node.query, weight)
    if isinstance(node, And | Or):
        joiner = " & " if isinstance(node, And) else " | "
        return "(" + joiner.join(_expression(p, weight) for p in node.parts) + ")"
    # Filters never get here: `reader.store.querysql` sends only words to the index.
    raise AssertionError(f"not a word query: {node!r}")
