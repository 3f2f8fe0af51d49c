"""An item's body as typed text blocks: what the parse stage reads from sanitized HTML once
(`reader.parse.blocks`), laid out here as runs of text that the front ends only style.

The terminal reader styles the runs as Rich `Text`; `reader items show` prints them as they are.
Neither knows any HTML.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from reader.models.items import ItemLink, LinkKind


class BlockKind(enum.StrEnum):
    """What a block of an item's text is."""

    PARAGRAPH = "paragraph"
    HEADING = "heading"
    LIST_ITEM = "list item"
    PREFORMATTED = "preformatted"
    """Text whose spaces and line breaks are kept (`<pre>`)."""
    RULE = "rule"
    """A thematic break (`<hr>`); it has no text."""


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text in one style; a line break is a ``"\\n"`` in it."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    link: str | None = None
    """The absolute http(s) or mailto URL the text links to, if any."""


@dataclass(frozen=True, slots=True)
class Image:
    """An image in the text."""

    alt: str
    """Its alternative text (may be empty)."""
    src: str | None = None
    """Its absolute http(s) URL, if it has one."""


Inline = Span | Image


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph, heading, list entry, preformatted text or rule, with its inline runs."""

    kind: BlockKind
    inlines: tuple[Inline, ...] = ()
    level: int = 0
    """A heading's level (1-6); a list entry's nesting depth (0 for the outermost list)."""
    marker: str = ""
    """A list entry's bullet (``•``) or number (``3.``); empty on later blocks of one entry."""
    quote: int = 0
    """How many block quotes it is in."""

    @property
    def text(self) -> str:
        """The block's plain text: its spans' text (images have none), spaces collapsed."""
        if len(self.inlines) == 1 and isinstance(self.inlines[0], Span):
            return self.inlines[0].text  # most blocks, and every block of an unstyled walk
        spans = [i.text for i in self.inlines if isinstance(i, Span)]
        text = "".join(spans)
        if len(spans) < len(self.inlines) and self.kind is not BlockKind.PREFORMATTED:
            # Spaces never meet outside <pre> (the walk collapses them), but an image left
            # out leaves the spaces around it side by side, or a space by a line break.
            while "  " in text:
                text = text.replace("  ", " ")
            text = text.replace(" \n", "\n").replace("\n ", "\n")
        return text


class Role(enum.Enum):
    """What a laid-out run of a body is, so a front end can style it."""

    TEXT = "text"
    """A span's text (`Run.span` says its style; `Run.block` its block)."""
    BREAK = "break"
    """The line breaks between blocks."""
    SPACE = "space"
    """A list entry's indent, and the space after its bullet."""
    MARKER = "marker"
    """A list entry's bullet or number."""
    QUOTE = "quote"
    """The bars before a quoted block."""
    LINK_NUMBER = "link number"
    """``[3]`` after a link or image: its number in `Body.links`."""
    IMAGE = "image"
    """``[image: alt]``."""
    RULE = "rule"
    """A thematic break's line."""


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of a laid-out body: its text, what it is, and where it comes from."""

    text: str
    role: Role
    block: Block | None = None
    span: Span | None = None


RULE_TEXT = "─" * 20
QUOTE_BAR = "▌ "


@dataclass(frozen=True)
class Body:
    """An item's body as the front ends show it: text blocks, and every link numbered."""

    blocks: tuple[Block, ...]
    links: tuple[ItemLink, ...] = ()
    """What the item carries (enclosures, thumbnails), then each link and image of its text,
    each URL once, in the order `reader items show` numbers them."""

    @classmethod
    def of(cls, blocks: tuple[Block, ...], carried: tuple[ItemLink, ...] = ()) -> Body:
        """A body whose links are `carried` followed by those of `blocks`."""
        links = list(carried)
        seen = {link.url for link in links}
        for block in blocks:
            for inline in block.inlines:
                if isinstance(inline, Image):
                    url, kind = inline.src, LinkKind.IMAGE
                else:
                    url, kind = inline.link, LinkKind.LINK
                if url is not None and url not in seen:
                    seen.add(url)
                    links.append(ItemLink(url, kind))
        return cls(blocks, tuple(links))

    def number(self, url: str | None) -> int | None:
        """The number (from 1) of a link in `links`."""
        for number, link in enumerate(self.links, start=1):
            if link.url == url:
                return number
        return None

    def runs(self) -> Iterator[Run]:
        """The blocks laid out as text: blank lines between blocks (one line break between
        list entries), bullets and quote bars before, each link's number after it."""
        previous: Block | None = None
        for block in self.blocks:
            if previous is not None:
                entries = previous.kind is block.kind is BlockKind.LIST_ITEM
                yield Run("\n" if entries else "\n\n", Role.BREAK)
            previous = block
            if block.quote:
                yield Run(QUOTE_BAR * block.quote, Role.QUOTE, block)
            if block.kind is BlockKind.RULE:
                yield Run(RULE_TEXT, Role.RULE, block)
            elif block.kind is BlockKind.LIST_ITEM:
                if block.level:
                    yield Run("  " * block.level, Role.SPACE, block)
                # A later block of an entry lines up with the text after the bullet.
                yield Run(block.marker or " ", Role.MARKER, block)
                yield Run(" ", Role.SPACE, block)
            yield from self._inline_runs(block)

    def _inline_runs(self, block: Block) -> Iterator[Run]:
        inlines = block.inlines
        for index, inline in enumerate(inlines):
            if isinstance(inline, Image):
                url = inline.src
                if inline.alt or url is not None:
                    text = f"[image: {inline.alt}]" if inline.alt else "[image]"
                    yield Run(text, Role.IMAGE, block)
            else:
                yield Run(inline.text, Role.TEXT, block, inline)
                url = inline.link
                following = inlines[index + 1] if index + 1 < len(inlines) else None
                if isinstance(following, Span) and following.link == url:
                    continue  # the number goes after the link's last span
            number = self.number(url)
            if number is not None:
                yield Run(f"[{number}]", Role.LINK_NUMBER, block)

    @property
    def plain(self) -> str:
        """The laid-out text without styles (what `reader items show` prints)."""
        return "".join(run.text for run in self.runs())
