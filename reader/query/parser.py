"""Text to a query tree, forgiving: whatever a user types is searched for as well as it can be.

Plain text just works. A word with hyphens, dots, apostrophes or symbols (``Asia-Pacific``,
``U.S.``, ``it's``, ``C++``) is one `Term`; operators count only as written (upper-case ``OR``,
``AND``, ``NOT``, ``NEAR(``, a leading ``-``, a trailing ``*``, a known ``field:``). What would be
a syntax error elsewhere is mended the obvious way: an unclosed quote or parenthesis closes at
the end, a stray ``)`` or a dangling operator is ignored. The one query that cannot be mended
is one with nothing to look for; it raises `InvalidSearchQueryError` with a hint.

Grammar (AND binds tighter than OR, as in FTS5 and PostgreSQL; NOT and ``-`` tightest)::

    query   := or_expr (stray ")" or_expr)*
    or_expr := and_expr ("OR" and_expr)*
    and_expr:= unary (["AND"] unary)*
    unary   := ("NOT" | "-") unary | FIELD ":" unary | primary
    primary := "(" or_expr ")" | NEAR "(" word+ ["," N] ")" | PHRASE | WORD

Filters on what the store knows besides the text (``tag:``, ``feed:``, ``is:``, ``score>``,
``story:``, ``newer:``, ``older:``) are `reader.query.nodes.Filter` nodes; they combine with
words, ``-``, ``OR`` and parentheses like any word. A filter with a value it cannot take
(``is:bogus``, ``newer:soon``) is an `InvalidSearchQueryError` naming what it takes: guessing
there would silently list the wrong items.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass

from reader.exceptions import InvalidSearchQueryError
from reader.query.nodes import (
    FILTER_TYPES,
    SCORE_OPERATORS,
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
)

NEAR_DEFAULT = 10
"""FTS5's own default distance for ``NEAR(a b)``."""

NOTHING_TO_SEARCH = 'nothing to search for: type words, "a phrase", word*, or -word after a word'

_FIELD_CHUNK = re.compile(r"([A-Za-z]+):(.*)", re.DOTALL)
_SCORE_CHUNK = re.compile(r"(?i:score)(>=|<=|>|<|=|:)(.*)", re.DOTALL)
_AGE = re.compile(r"(\d+)\s*([mhdw]?)", re.IGNORECASE)
_STORY = re.compile(r"(\d+)(\+?)")

FILTER_NAMES = ("tag", "feed", "is", "story", "newer", "older")
"""Filters written ``name:value``; ``score`` takes an operator instead of the colon."""

_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "": 86400}
_NEAR_DISTANCE = re.compile(r"(.*?),(\d+)", re.DOTALL)


class _Kind(enum.Enum):
    WORD = "word"
    PHRASE = "phrase"
    LPAREN = "("
    RPAREN = ")"
    MINUS = "-"
    OR = "OR"
    AND = "AND"
    NOT = "NOT"
    NEAR = "NEAR"
    FIELD = "field"
    FILTER = "filter"


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str = ""
    prefix: bool = False
    value: str = ""
    """A filter's value as typed (``unread`` of ``is:unread``); may come from a phrase."""


_OPERATORS = {"OR": _Kind.OR, "AND": _Kind.AND, "NOT": _Kind.NOT}


def parse_query(text: str) -> QueryNode:
    """The query tree of `text`; `InvalidSearchQueryError` when nothing is left to look for."""
    node = _Parser(_tokens(text)).parse()
    if node is None:
        raise InvalidSearchQueryError(text, NOTHING_TO_SEARCH)
    return node


def _has_word(text: str) -> bool:
    """Whether `text` holds any letter or digit (anything an index could have as a token)."""
    return any(c.isalnum() for c in text)


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c == "(":
            tokens.append(_Token(_Kind.LPAREN))
            i += 1
        elif c == ")":
            tokens.append(_Token(_Kind.RPAREN))
            i += 1
        elif c == '"':
            end = text.find('"', i + 1)
            end = n if end < 0 else end
            phrase = text[i + 1 : end]
            i = end + 1
            prefix = text.startswith("*", i)
            while text.startswith("*", i):
                i += 1
            tokens.append(_Token(_Kind.PHRASE, phrase, prefix))
        elif c == "-" and i + 1 < n and not text[i + 1].isspace():
            # A leading minus excludes; a hyphen inside a word (Asia-Pacific) never gets here.
            tokens.append(_Token(_Kind.MINUS))
            i += 1
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in '"()':
                i += 1
            glued_paren = text.startswith("(", i)
            tokens += _classify_chunk(text[start:i], glued_paren)
    return tokens


def _classify_chunk(chunk: str, glued_paren: bool) -> list[_Token]:
    """A run of text without spaces, quotes or parentheses: an operator, a field or a word."""
    if chunk in _OPERATORS:
        return [_Token(_OPERATORS[chunk])]
    if chunk == "NEAR" and glued_paren:
        return [_Token(_Kind.NEAR)]
    score = _SCORE_CHUNK.fullmatch(chunk)
    if score:
        operator = ">=" if score.group(1) == ":" else score.group(1)
        return [_Token(_Kind.FILTER, "score", value=operator + score.group(2))]
    field = _FIELD_CHUNK.fullmatch(chunk)
    if field and field.group(1).lower() in FILTER_NAMES:
        return [_Token(_Kind.FILTER, field.group(1).lower(), value=field.group(2))]
    if field and field.group(1).lower() in TEXT_FIELDS:
        rest = field.group(2)
        tokens = [_Token(_Kind.FIELD, field.group(1).lower())]
        if rest.startswith("-") and len(rest) > 1:
            tokens.append(_Token(_Kind.MINUS))
            rest = rest[1:]
        if rest:
            tokens.append(_word(rest))
        return tokens
    return [_word(chunk)]


def _word(chunk: str) -> _Token:
    stripped = chunk.rstrip("*")
    return _Token(_Kind.WORD, stripped, prefix=len(stripped) < len(chunk))


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> _Kind | None:
        return self.tokens[self.at].kind if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> QueryNode | None:
        parts: list[QueryNode] = []
        while self.peek() is not None:
            node = self._or()
            if node is not None:
                parts.append(node)
            if self.peek() is _Kind.RPAREN:
                self.take()  # a ")" with no "(": ignored
        return _combine(And, parts)

    def _or(self) -> QueryNode | None:
        parts: list[QueryNode] = []
        while True:
            node = self._and()
            if node is not None:
                parts.append(node)
            if self.peek() is not _Kind.OR:
                return _combine(Or, parts)
            self.take()

    def _and(self) -> QueryNode | None:
        parts: list[QueryNode] = []
        while self.peek() not in (None, _Kind.RPAREN, _Kind.OR):
            if self.peek() is _Kind.AND:
                self.take()
                continue
            node = self._unary()
            if node is not None:
                parts.append(node)
        return _combine(And, parts)

    def _operand(self) -> QueryNode | None:
        """What a prefix operator applies to; None (nothing taken) at the end of a group."""
        if self.peek() in (None, _Kind.RPAREN, _Kind.OR, _Kind.AND):
            return None
        return self._unary()

    def _unary(self) -> QueryNode | None:
        token = self.take()
        if token.kind in (_Kind.NOT, _Kind.MINUS):
            operand = self._operand()
            return None if operand is None else _negate(operand)
        if token.kind is _Kind.FIELD:
            operand = self._operand()
            # "title:" with nothing after it is the word itself.
            return Term(token.text) if operand is None else _within(token.text, operand)
        if token.kind is _Kind.FILTER:
            value = token.value
            if not value and self.peek() is _Kind.PHRASE:  # tag:"two words"
                value = self.take().text
            return make_filter(token.text, value)
        if token.kind is _Kind.LPAREN:
            inner = self._or()
            if self.peek() is _Kind.RPAREN:
                self.take()
            return inner
        if token.kind is _Kind.NEAR:
            return self._near()
        return _leaf(token)

    def _near(self) -> QueryNode | None:
        if self.peek() is _Kind.LPAREN:
            self.take()
        words: list[Term | Phrase] = []
        distance = NEAR_DEFAULT
        while self.peek() not in (None, _Kind.RPAREN):
            token = self.take()
            text = token.text
            if token.kind is _Kind.WORD:
                spaced = _NEAR_DISTANCE.fullmatch(text)
                if spaced is not None:  # "b,5" or ",5"
                    text, distance = spaced.group(1), int(spaced.group(2))
                elif text.isdigit() and words and self.peek() is _Kind.RPAREN:
                    distance = int(text)  # "NEAR(a b, 5)": the comma stayed on "b,"
                    continue
            leaf = _leaf(_Token(token.kind, text.rstrip(","), token.prefix))
            if isinstance(leaf, Term | Phrase):
                words.append(leaf)
        if self.peek() is _Kind.RPAREN:
            self.take()
        if len(words) < 2:
            return _combine(And, list(words))
        return Near(tuple(words), max(0, distance))


def _leaf(token: _Token) -> Term | Phrase | None:
    if token.kind is _Kind.WORD and _has_word(token.text):
        return Term(token.text, token.prefix)
    if token.kind is _Kind.PHRASE and _has_word(token.text):
        return Phrase(" ".join(token.text.split()), token.prefix)
    return None


def _combine(
    kind: Callable[[tuple[QueryNode, ...]], And | Or], parts: list[QueryNode]
) -> QueryNode | None:
    """Parts joined by AND or OR, nested joins of the same kind flattened; None for none."""
    flat: list[QueryNode] = []
    for part in parts:
        if isinstance(part, And | Or) and type(part) is kind:
            flat.extend(part.parts)
        else:
            flat.append(part)
    if not flat:
        return None
    if len(flat) == 1:
        return flat[0]
    return kind(tuple(flat))


def _negate(node: QueryNode) -> QueryNode:
    return node.query if isinstance(node, Not) else Not(node)


def _within(field: str, node: QueryNode) -> QueryNode:
    """`node` limited to one field; exclusions stay outermost, an inner field wins."""
    if isinstance(node, Not):
        return Not(_within(field, node.query))
    if isinstance(node, (Field, *FILTER_TYPES)):
        return node
    return Field(field, node)


def make_filter(name: str, value: str) -> Filter:
    """The filter `name` (one of `FILTER_NAMES`, or ``score`` with its operator leading the
    value) with `value`; `InvalidSearchQueryError` saying what it takes when it cannot."""
    written = f"{name}:{value}" if name != "score" else f"score{value}"
    value = value.strip()

    def bad(takes: str) -> InvalidSearchQueryError:
        return InvalidSearchQueryError(written, f"{name} takes {takes}")

    if name == "score":
        operator = next((op for op in SCORE_OPERATORS if value.startswith(op)), None)
        try:
            number = float(value[len(operator) :]) if operator else None
        except ValueError:
            number = None
        if operator is None or number is None or not 0 <= number <= 1:
            raise bad("a comparison with a number from 0 to 1: score>0.5, score<=0.2")
        return ScoreIs(operator, number)
    if name == "is":
        if value.lower() not in STATES:
            raise bad(", ".join(STATES) + " (is:unread)")
        return StateIs(value.lower())
    if name == "story":
        story = _STORY.fullmatch(value)
        if story is None:
            raise bad("a story number (story:12) or a least number of sources (story:3+)")
        number = int(story.group(1))
        return StoryIs(min_sources=number) if story.group(2) else StoryIs(story_id=number)
    if name in ("newer", "older"):
        age = _AGE.fullmatch(value)
        if age is None:
            raise bad("an age in minutes, hours, days or weeks: 30m, 12h, 7d, 2w")
        seconds = int(age.group(1)) * _UNIT_SECONDS[age.group(2).lower()]
        return AgeIs(newer=name == "newer", seconds=seconds)
    if not value:
        raise bad('a name: tag:NAME, or tag:"two words"' if name == "tag" else "a name or URL")
    return TagIs(" ".join(value.split())) if name == "tag" else FeedIs(value)
