"""Stored items and their bodies (text blocks from the core) as Rich `Text` that is safe to draw.

Everything here comes from the network, so nothing is ever parsed as markup (only `Text`
objects are built, never markup strings) and every piece goes through `reader.textsafe` or the
parse stage's block walk, so no control character (ESC, C1, BEL, OSC...) reaches the terminal,
even from an old row. The body's layout (bullets, quote bars, link numbers) is the core's; this
module only styles it, and knows no HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from reader.core import item_body as core_item_body
from reader.models import BlockKind, Body, Item, LinkKind, Role, Run
from reader.textsafe import plain

LINK_STYLE = Style(underline=True, color="cyan")
HIGHLIGHT_STYLE = Style(bgcolor="yellow", color="black", bold=True)
_ROLE_STYLES = {
    Role.MARKER: Style(bold=True),
    Role.QUOTE: Style(dim=True),
    Role.LINK_NUMBER: Style(dim=True, color="cyan"),
    Role.IMAGE: Style(dim=True),
    Role.RULE: Style(dim=True),
}
_SPAN_STYLES = (Style(bold=True), Style(italic=True), Style(reverse=True), LINK_STYLE)
"""For a span's bold, italic, code and link, in that order."""
_HEADING_STYLE = Style(bold=True, underline=True)
_QUOTE_STYLE = Style(italic=True)
_SEARCH_OPERATORS = {"AND", "OR", "NOT", "NEAR"}


def relative_date(value: datetime | None, now: datetime) -> str:
    """A short date: relative within the last week ("5m", "3h", "2d"), else the day."""
    if value is None:
        return ""
    age = now - value
    if timedelta(0) <= age < timedelta(hours=1):
        return f"{max(1, int(age.total_seconds() // 60))}m ago"
    if timedelta(0) <= age < timedelta(days=1):
        return f"{int(age.total_seconds() // 3600)}h ago"
    if timedelta(0) <= age < timedelta(days=7):
        return f"{age.days}d ago"
    return value.astimezone(UTC).strftime("%Y-%m-%d")


def fit(text: str, width: int, style: str = "") -> Text:
    """`text` as plain `Text` cut (with an ellipsis) or padded to exactly `width` cells."""
    line = Text(plain(text), style=style, no_wrap=True, end="")
    line.truncate(max(0, width), overflow="ellipsis", pad=True)
    return line


def query_words(query: str | None) -> list[str]:
    """The words of a search query worth highlighting (no operators, quotes or stars)."""
    if not query:
        return []
    words = re.findall(r"\w+", query)
    return [w for w in words if w not in _SEARCH_OPERATORS and len(w) > 1]


def highlight(text: Text, words: Sequence[str]) -> Text:
    """Highlight each of `words` in `text` (case-insensitive, whole text)."""
    if words:
        text.highlight_words(list(words), HIGHLIGHT_STYLE, case_sensitive=False)
    return text


def item_row(item: Item, width: int, now: datetime, words: Sequence[str] = ()) -> Text:
    """One line of the item list: markers, title, source, date and tags in columns."""
    markers = Text(no_wrap=True, end="")
    markers.append(" ●" if not item.read else "  ", style="bold cyan")
    markers.append("★ " if item.starred else "  ", style="bold yellow")
    date_width = 10
    source_width = 18 if width >= 80 else 10
    tags = ",".join(plain(t) for t in item.tags)
    tag_width = min(20, cell_len(tags) + 1) if tags and width >= 90 else 0
    title_width = width - cell_len(markers.plain) - source_width - date_width - tag_width - 3
    title = fit(item.title or "(untitled)", max(8, title_width))
    highlight(title, words)
    row = Text(no_wrap=True, end="")
    row.append_text(markers)
    row.append_text(title)
    row.append(" ")
    row.append_text(fit(item.source, source_width - 1, "magenta"))
    row.append(" ")
    date = Text(relative_date(item.date, now), style="green", end="")
    date.align("right", date_width)
    row.append_text(date)
    if tag_width:
        row.append(" ")
        row.append_text(fit(tags, tag_width, "blue"))
    if not item.read:
        row.stylize("bold")
    else:
        row.stylize("dim")
    row.truncate(width, pad=True)
    return row


def item_header(item: Item, now: datetime, words: Sequence[str] = ()) -> Text:
    """The reading pane's head: title, then source, author, date, link, tags, why and story."""
    head = Text()
    head.append_text(highlight(Text(plain(item.title or "(untitled)"), style="bold"), words))
    head.append("\n")

    def field(name: str, value: str | None, style: str = "") -> None:
        if value:
            head.append(f"{name:<8}", style="dim")
            head.append(plain(value), style=style)
            head.append("\n")

    field("Source", item.source, "magenta")
    field("Author", item.author)
    if item.date is not None:
        stamp = item.date.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        field("Date", f"{stamp} ({relative_date(item.date, now)})", "green")
    field("Link", item.link, "cyan underline")
    field("Tags", ", ".join(item.tags), "blue")
    if item.source_names:
        field("Sources", ", ".join(item.source_names))
    if item.score is not None:
        field("Score", f"{item.score:.2f}")
    field("Why", ", ".join(item.score_terms), "yellow")
    if item.story_size > 1:
        field("Story", f"{item.story_size} sources (press S to list them)", "bold")
    flags = [("unread" if not item.read else "read")] + (["starred"] if item.starred else [])
    if item.hidden:
        flags.append("hidden by a rule")
    field("Marks", ", ".join(flags))
    if item.full_text:
        field("Text", "the linked article (full text)", "green")
    return head


def item_body(item: Item, words: Sequence[str] = ()) -> Text:
    """The item's body as readable text (its blocks, styled), its links listed at the end."""
    body = body_text(core_item_body(item))
    if not body.plain.strip():
        body = Text("(no text)", style="dim")
    return highlight(body, words)


def body_text(body: Body) -> Text:
    """A body's laid-out runs as styled `Text`, then its numbered links."""
    text = Text()
    for run in body.runs():
        text.append(run.text, _run_style(run))
    if body.links:
        text.append("\n\nLinks\n", style="bold")
        for number, link in enumerate(body.links, start=1):
            text.append(f"[{number}] ", style="dim")
            text.append(plain(link.url), style=LINK_STYLE)
            if link.kind is not LinkKind.LINK:
                text.append(f" ({link.kind.value})", style="dim")
            text.append("\n")
    return text


def _run_style(run: Run) -> Style | None:
    """How a run is drawn: by what it is, its span's style, and its block's."""
    styles = [_ROLE_STYLES[run.role]] if run.role in _ROLE_STYLES else []
    span, block = run.span, run.block
    if span is not None:
        flags = (span.bold, span.italic, span.code, span.link is not None)
        styles += [style for on, style in zip(flags, _SPAN_STYLES, strict=True) if on]
    if block is not None:
        if block.kind is BlockKind.HEADING and run.role is Role.TEXT:
            styles.insert(0, _HEADING_STYLE)
        if block.quote:
            styles.append(_QUOTE_STYLE)
    return Style.combine(styles) if styles else None
