"""The search syntax compiled to a PostgreSQL `tsquery`, so both backends take the same queries.

The syntax is SQLite FTS5's: words (all must match), ``"a phrase"``, ``pref*``, ``AND``,
``OR``, ``NOT`` (binary: ``a NOT b``), parentheses, ``NEAR(a b)`` and column filters
(``title:``, ``author:``, ``source:``, ``body:``). It is compiled to text for `to_tsquery`,
which stems each word with the index's own configuration. Structural mistakes (an unclosed
quote or parenthesis, an operator with nothing on one side, an unknown column) are
`InvalidSearchQueryError`, as on SQLite; punctuation inside a word is forgiven. ``NEAR``
asks only that its phrases all occur (PostgreSQL has no "within N words" operator).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reader.exceptions import InvalidSearchQueryError
from reader.store.postgres.schema import WEIGHT_OF_COLUMN

_KEYWORDS = frozenset({"AND", "OR", "NOT"})
_TOKEN = re.compile(r'\s*(?:(?P<quote>")|(?P<punct>[():*,+^])|(?P<word>[^\s"():*,+^]+))')


@dataclass(frozen=True)
class _Token:
    kind: str
    """``word``, ``phrase``, or the punctuation itself."""
    text: str


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(query):
        if query[pos:].strip() == "":
            break
        match = _TOKEN.match(query, pos)
        assert match is not None  # every non-space character starts some token
        if match.group("quote"):
            text, pos = _phrase(query, match.end())
            tokens.append(_Token("phrase", text))
            continue
        pos = match.end()
        if match.group("punct"):
            tokens.append(_Token(match.group("punct"), match.group("punct")))
        else:
            tokens.append(_Token("word", match.group("word")))
    return tokens


def _phrase(query: str, start: int) -> tuple[str, int]:
    """The text of a quoted phrase starting after its quote, and where it ends (``""`` is
    a quote inside it, as in FTS5)."""
    parts: list[str] = []
    pos = start
    while True:
        end = query.find('"', pos)
        if end < 0:
            raise _error(query, "unterminated string")
        parts.append(query[pos:end])
        if query.startswith('"', end + 1):
            parts.append('"')
            pos = end + 2
            continue
        return "".join(parts), end + 1


def _error(query: str, reason: str) -> InvalidSearchQueryError:
    return InvalidSearchQueryError(query, reason)


def _literal(text: str, *, prefix: bool, weight: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("'", "''")
    suffix = ("*" if prefix else "") + weight
    return f"'{escaped}'" + (f":{suffix}" if suffix else "")


class _Parser:
    """Recursive descent over the tokens: OR binds loosest, then AND (or adjacency), then NOT."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokens(query)
        self.pos = 0

    def parse(self) -> str:
        if not self.tokens:
            raise _error(self.query, "the query is empty")
        result = self._or("")
        if self.pos < len(self.tokens):
            raise _error(self.query, f'syntax error near "{self.tokens[self.pos].text}"')
        return result

    def _peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> _Token:
        token = self._peek()
        if token is None:
            raise _error(self.query, "the query ends too early")
        self.pos += 1
        return token

    def _is_keyword(self, token: _Token | None, *names: str) -> bool:
        return token is not None and token.kind == "word" and token.text in names

    def _or(self, weight: str) -> str:
        parts = [self._and(weight)]
        while self._is_keyword(self._peek(), "OR"):
            self.pos += 1
            parts.append(self._and(weight))
        return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"

    def _and(self, weight: str) -> str:
        parts = [self._not(weight)]
        while True:
            token = self._peek()
            if token is None or token.kind == ")" or self._is_keyword(token, "OR"):
                break
            if self._is_keyword(token, "AND"):
                self.pos += 1
            parts.append(self._not(weight))
        return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"

    def _not(self, weight: str) -> str:
        result = self._unary(weight)
        while self._is_keyword(self._peek(), "NOT"):
            self.pos += 1
            result = f"({result} & !{self._unary(weight)})"
        return result

    def _unary(self, weight: str) -> str:
        token = self._take()
        following = self._peek()
        if token.kind == "word" and following is not None and following.kind == ":":
            column = token.text.lower()
            if column not in WEIGHT_OF_COLUMN:
                raise _error(self.query, f"no such column: {token.text}")
            self.pos += 1
            return self._primary(self._take(), WEIGHT_OF_COLUMN[column])
        return self._primary(token, weight)

    def _primary(self, token: _Token, weight: str) -> str:
        if token.kind == "(":
            inner = self._or(weight)
            if self._take().kind != ")":
                raise _error(self.query, "unbalanced parentheses")
            return inner
        if token.kind == "word" and token.text == "NEAR" and self._peek_kind("("):
            return self._near(weight)
        if token.kind == "word" and token.text in _KEYWORDS | {"NEAR"}:
            raise _error(self.query, f'syntax error near "{token.text}"')
        if token.kind in ("word", "phrase"):
            prefix = self._peek_kind("*")
            if prefix:
                self.pos += 1
            return _literal(token.text, prefix=prefix, weight=weight)
        raise _error(self.query, f'syntax error near "{token.text}"')

    def _peek_kind(self, kind: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == kind

    def _near(self, weight: str) -> str:
        self.pos += 1  # the parenthesis
        parts: list[str] = []
        while True:
            token = self._take()
            if token.kind == ")":
                break
            if token.kind == ",":  # the distance: PostgreSQL cannot use it
                distance = self._take()
                if distance.kind != "word" or not distance.text.isdigit():
                    raise _error(self.query, "expected a number after the comma in NEAR")
                if self._take().kind != ")":
                    raise _error(self.query, "unbalanced parentheses")
                break
            if token.kind not in ("word", "phrase"):
                raise _error(self.query, f'syntax error near "{token.text}"')
            prefix = self._peek_kind("*")
            if prefix:
                self.pos += 1
            parts.append(_literal(token.text, prefix=prefix, weight=weight))
        if not parts:
            raise _error(self.query, "NEAR needs at least one phrase")
        return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"


def compile_query(query: str) -> str:
    """The `to_tsquery` text for a query in the search syntax; raise on malformed queries."""
    return _Parser(query).parse()
