"""Newsboat's `urls` file: every feed with all its tags, for people moving to Newsboat.

OPML cannot carry every tag to Newsboat: its importer (2.21) takes a feed's first folder only
and skips the same URL in later folders. Its own `urls` file holds any number of tags per
feed, so this is the export that keeps them all. One line per feed:
``URL "tag" "tag" "~Title"``; a disabled feed is written commented out, so it is kept but
not fetched.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from reader.models import Feed

# Newsboat reads a token starting with these as an instruction, not a tag: `~` renames
# the feed, `!` hides it.
_INSTRUCTION_PREFIXES = ("~", "!")


@dataclass(frozen=True)
class NewsboatExport:
    """The `urls` file's text, and the tags it could not hold (Newsboat would take them for
    an instruction), as (feed URL, tag) pairs."""

    text: str
    unwritable_tags: tuple[tuple[str, str], ...]


def _quoted(token: str) -> str:
    escaped = token.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def export_newsboat_urls(feeds: Iterable[Feed]) -> NewsboatExport:
    """Newsboat `urls` lines for every subscribed feed (the seeds are not a feed)."""
    lines = ["# Newsboat urls file written by `reader export newsboat`"]
    unwritable: list[tuple[str, str]] = []
    for feed in feeds:
        if feed.is_seeds:
            continue
        tokens = [feed.url]
        for tag in feed.tags:
            if tag.startswith(_INSTRUCTION_PREFIXES):
                unwritable.append((feed.url, tag))
                continue
            tokens.append(_quoted(tag))
        if feed.user_title or feed.title:
            tokens.append(_quoted("~" + feed.name))
        line = " ".join(tokens)
        if not feed.enabled:
            line = f"# disabled: {line}"
        lines.append(line)
    return NewsboatExport(text="\n".join(lines) + "\n", unwritable_tags=tuple(unwritable))
