"""Rules: a query and the action it takes on the new items it finds."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reader.query.nodes import QueryNode


class RuleActionKind(enum.StrEnum):
    """What a rule does to the new items its query finds (never deleting anything)."""

    MARK_READ = "mark-read"
    STAR = "star"
    TAG = "tag"
    HIDE = "hide"
    SCORE = "score"


@dataclass(frozen=True)
class RuleAction:
    """One rule's action: a kind, with the tag name or the score change it needs."""

    kind: RuleActionKind
    tag: str | None = None
    """For ``tag:NAME``."""
    score_delta: float = 0.0
    """For ``score+0.2`` / ``score-0.2``: added to the topic score (kept within 0 to 1)."""

    def __str__(self) -> str:
        if self.kind is RuleActionKind.TAG:
            return f"tag:{self.tag}"
        if self.kind is RuleActionKind.SCORE:
            return f"score{self.score_delta:+g}"
        return self.kind.value


@dataclass(frozen=True)
class Rule:
    """A ``[[rules]]`` table: items its query finds get its action when they are stored."""

    query: str
    """The query as written in the settings."""
    node: QueryNode
    """The query parsed (`reader.query.parse_query`)."""
    action: RuleAction
    name: str = ""
    """What to call the rule in listings (default: its query and action)."""

    @property
    def label(self) -> str:
        return self.name or f"{self.query} -> {self.action}"
