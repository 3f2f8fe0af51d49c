"""Turning stored items into Rich `Text` that is safe to draw.

Everything here comes from the network, so nothing is ever parsed as markup (only `Text`
objects are built, never markup strings) and every piece goes through `reader.textsafe`
so no control character (ESC, C1, BEL, OSC...) reaches the terminal, even from an old row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from reader.models import Item
from reader.textsafe import plain, strip_controls

LINK_STYLE = Style(underline=True, color="cyan")
HIGHLIGHT_STYLE = Style(bgcolor="yellow", color="black", bold=True)
_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "header",
    "footer",
    "figure",
    "figcaption",
    "table",
    "tr",
    "dl",
    "dt",
    "dd",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "aside",
    "main",
    "nav",
    "details",
    "summary",
}
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SKIPPED = {"script", "style", "head", "title", "noscript", "template"}
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
    """The item's body as readable text: from the sanitized HTML, else its plain text."""
    if item.content_html:
        body = html_to_text(item.content_html)
    else:
        body = Text(strip_controls(item.text or item.summary or ""))
    if not body.plain.strip():
        body = Text("(no text)", style="dim")
    return highlight(body, words)


class _HTMLText(HTMLParser):
    """Collects paragraphs, lists, quotes and links of an HTML body as styled text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[Text, bool]] = []  # (block, is a list entry)
        self.current = Text()
        self.in_item = False
        self.links: list[str] = []
        self.styles: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [next number or -1 for bullets]
        self.quote_depth = 0
        self.pre_depth = 0
        self.skip_depth = 0
        self.heading = False
        self.href: str | None = None

    # -- building blocks --------------------------------------------------------------------

    def flush(self) -> None:
        """End the current block (paragraph, list entry, heading...)."""
        text = self.current
        if self.pre_depth == 0:
            text = _collapse(text)
        if text.plain.strip():
            if self.quote_depth:
                quoted = Text("▌ " * self.quote_depth, style="dim")
                quoted.append_text(text)
                text = quoted
                text.stylize("italic")
            self.blocks.append((text, self.in_item))
        self.current = Text()
        self.in_item = False

    def add(self, data: str) -> None:
        style = " ".join(self.styles)
        if self.pre_depth == 0:
            data = re.sub(r"\s+", " ", data)  # source line breaks are spaces; <br> is "\n"
        self.current.append(strip_controls(data), style=style or None)

    # -- parser callbacks -------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skip_depth += 1
            return
        if tag in _BLOCK_TAGS:
            self.flush()
        if tag == "br":
            self.current.append("\n")
        elif tag in _HEADINGS:
            self.styles.append("bold underline")
        elif tag in ("b", "strong"):
            self.styles.append("bold")
        elif tag in ("i", "em", "cite"):
            self.styles.append("italic")
        elif tag in ("code", "kbd", "samp"):
            self.styles.append("reverse")
        elif tag == "pre":
            self.pre_depth += 1
        elif tag == "blockquote":
            self.quote_depth += 1
        elif tag in ("ul", "ol"):
            self.lists.append([1 if tag == "ol" else -1])
        elif tag == "li":
            depth = max(0, len(self.lists) - 1)
            marker = "•"
            if self.lists and self.lists[-1][0] > 0:
                marker = f"{self.lists[-1][0]}."
                self.lists[-1][0] += 1
            self.current.append("  " * depth + marker + " ", style="bold")
            self.in_item = True
        elif tag == "a":
            href = dict(attrs).get("href")
            self.href = plain(href) if href else None
            self.styles.append("underline cyan")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.current.append(f"[image: {plain(alt)}]", style="dim")
        elif tag == "hr":
            self.blocks.append((Text("─" * 20, style="dim"), False))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag in _HEADINGS or tag in ("b", "strong", "i", "em", "cite", "code", "kbd", "samp"):
            if self.styles:
                self.styles.pop()
        elif tag == "a":
            if self.styles:
                self.styles.pop()
            if self.href and self.href.startswith(("http://", "https://", "mailto:")):
                if self.href not in self.links:
                    self.links.append(self.href)
                number = self.links.index(self.href) + 1
                self.current.append(f"[{number}]", style="dim cyan")
            self.href = None
        if tag in _BLOCK_TAGS:
            self.flush()
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)
        elif tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.add(data)


def _collapse(text: Text) -> Text:
    """Fold runs of whitespace (outside <pre>) to single spaces, keeping styles and <br>."""
    result = Text()
    for line_number, line in enumerate(text.split("\n", allow_blank=True)):
        if line_number:
            result.append("\n")
        pieces: list[Text] = []
        plain_line = line.plain
        for match in re.finditer(r"\S+", plain_line):
            pieces.append(line[match.start() : match.end()])
        result.append_text(Text(" ").join(pieces))
    return result


def html_to_text(html: str) -> Text:
    """Sanitized HTML as readable `Text`: blocks apart by blank lines, links listed at the end."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    parser.flush()
    text = Text()
    previous_was_entry = False
    for number, (block, is_entry) in enumerate(parser.blocks):
        if number:
            text.append("\n" if is_entry and previous_was_entry else "\n\n")
        text.append_text(block)
        previous_was_entry = is_entry
    if parser.links:
        text.append("\n\nLinks\n", style="bold")
        for number, link in enumerate(parser.links, start=1):
            text.append(f"[{number}] ", style="dim")
            text.append(link, style=LINK_STYLE)
            text.append("\n")
    return text
