"""``[[rules]]`` tables: a query and an action each, parsed into `Rule`s when the file is read."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reader.exceptions import InvalidSearchQueryError
from reader.models import Rule, RuleAction, RuleActionKind
from reader.query import parse_query

RULE_KEYS = ("query", "action", "name")
RULE_ACTIONS = "mark-read, star, hide, tag:NAME, score+0.2 or score-0.2"
_SCORE_ACTION = re.compile(r"score\s*([+-])\s*(\d+(?:\.\d*)?|\.\d+)")


def parse_rule_action(value: str) -> RuleAction | None:
    """A rule's action as written (``mark-read``, ``tag:NAME``, ``score+0.2``...), or None."""
    value = value.strip()
    plain_kinds = (RuleActionKind.MARK_READ, RuleActionKind.STAR, RuleActionKind.HIDE)
    for kind in plain_kinds:
        if value.lower() == kind.value:
            return RuleAction(kind)
    if value.lower().startswith("tag:") and value[4:].strip():
        return RuleAction(RuleActionKind.TAG, tag=" ".join(value[4:].split()))
    score = _SCORE_ACTION.fullmatch(value.lower())
    if score:
        delta = float(score.group(2)) * (1 if score.group(1) == "+" else -1)
        if 0 < abs(delta) <= 1:
            return RuleAction(RuleActionKind.SCORE, score_delta=delta)
    return None


BadRule = Callable[[str, int, str | None], Exception]
"""Makes the error for a bad rule: (message, rule index, key or None for the whole table)."""


def parse_rules(tables: Any, bad: BadRule) -> tuple[Rule, ...]:
    """``[[rules]]`` tables as `Rule`s, in file order; the first bad one raises `bad(...)`."""
    if not isinstance(tables, list):
        raise bad("write rules as [[rules]] tables", -1, None)
    rules: list[Rule] = []
    for index, table in enumerate(tables):
        if not isinstance(table, dict):
            raise bad("must be a table", index, None)
        for key in table:
            if key not in RULE_KEYS:
                raise bad(f"unknown key (a rule takes {', '.join(RULE_KEYS)})", index, key)
        for key in ("query", "action"):
            if not isinstance(table.get(key), str) or not table[key].strip():
                message = "missing" if key not in table else "expected a non-empty string"
                raise bad(message, index, key)
        name = table.get("name", "")
        if not isinstance(name, str):
            raise bad("expected a string", index, "name")
        try:
            node = parse_query(table["query"])
        except InvalidSearchQueryError as exc:
            raise bad(f"not a query: {exc.hint}", index, "query") from None
        action = parse_rule_action(table["action"])
        if action is None:
            message = f"unknown action {table['action']!r}; use {RULE_ACTIONS}"
            raise bad(message, index, "action")
        rules.append(Rule(query=table["query"], node=node, action=action, name=name))
    return tuple(rules)
