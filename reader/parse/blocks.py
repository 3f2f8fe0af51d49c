"""Sanitized HTML in, typed text blocks out (`reader.models.Block`): the one walk over an item's
markup that both the plain text (search, scoring, `html_to_text`) and the shown body come from.

The input is the cleaner's output (`sanitize_html`): tag names in lower case, every `<` and `>`
inside text and attribute values escaped, so a tag is exactly `<` up to the next `>`. Other
markup with tag names in lower case (a test, a row written before the cleaner) still reads
sensibly: script and style contents are skipped, tags that make no block or style dropped.
"""

from __future__ import annotations

import html
import re

from reader.models import Block, BlockKind, Image, Inline, Span
from reader.textsafe import plain, strip_controls

_ANY_TAG = re.compile(r"<[^>]*>")
_ATTRIBUTE = re.compile(r"""\b(href|src|alt)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")

BLOCK_TAGS = frozenset(
    {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "hgroup"}
    | {"ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tr", "caption"}
    | {"figure", "figcaption", "article", "aside", "section", "header", "footer", "nav", "main"}
    | {"details", "summary", "center", "address"}
)
"""Tags that end the block before them and start a new one."""
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_BOLD = frozenset({"b", "strong"})
_ITALIC = frozenset({"i", "em", "cite", "dfn", "var"})
_CODE = frozenset({"code", "kbd", "samp", "tt"})
_CELLS = frozenset({"td", "th"})
_SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template"})
_STRUCTURE = BLOCK_TAGS | _CELLS | _SKIPPED | {"br", "hr"}
_HANDLED = _STRUCTURE | _BOLD | _ITALIC | _CODE | {"a", "img"}


def _tags(names: frozenset[str]) -> re.Pattern[str]:
    """A pattern for the tags named (in lower case, as the cleaner writes them)."""
    alternation = "|".join(sorted(names, key=len, reverse=True))
    return re.compile(rf"<(/?)({alternation})(?=[\s/>])([^>]*)>")


_STRUCTURE_TAGS = _tags(_STRUCTURE)
_HANDLED_TAGS = _tags(_HANDLED)
_OTHER_TAGS = re.compile(
    rf"<(?!/?(?:{'|'.join(sorted(_STRUCTURE, key=len, reverse=True))})[\s/>])[^>]*>"
)
"""Every tag but the structure's: dropped in one pass before an unstyled walk."""
_PARAGRAPH_TAGS = BLOCK_TAGS - {"pre"}
"""Block tags whose only effect on the plain text is the break between blocks (`html_text`)."""
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_IMAGE_SCHEMES = ("http://", "https://")


def html_blocks(cleaned_html: str, *, styled: bool = True) -> tuple[Block, ...]:
    """The blocks of sanitized HTML, in document order; whitespace collapsed outside `<pre>`,
    control characters removed, empty blocks left out.

    Unstyled, each block is one span of plain text, without images: all that the plain text
    needs (`html_text`, at parse time, for every item), with fewer tags to visit.
    """
    # One split in C on the tags that matter gives text, then (closing, name, attributes,
    # text) per tag: several times quicker than a match object per tag. The other tags
    # (span, tbody...) stay in the text, which is cleaned once per span.
    source = strip_controls(cleaned_html)
    return _walk(_HANDLED_TAGS.split(source) if styled else _unstyled_parts(source))


def html_text(cleaned_html: str) -> str:
    """`blocks_text(html_blocks(cleaned_html, styled=False))`, the plain text of sanitized
    HTML, made without the blocks when the markup is paragraphs of text.

    Every item's text is made so at parse time. Outside `<pre>`, `<br>`, table cells, rules
    and skipped elements, a block tag only ends one block and starts the next: the text is
    each run between two block tags, references decoded and whitespace collapsed, the
    non-empty ones apart by blank lines, just as the walk's blocks give it.
    """
    parts = _unstyled_parts(strip_controls(cleaned_html))
    if not _PARAGRAPH_TAGS.issuperset(parts[2::4]):
        return blocks_text(_walk(parts))
    texts = []
    for data in parts[::4]:
        if "<" in data:
            data = _ANY_TAG.sub("", data)
        if "&" in data:
            data = strip_controls(html.unescape(data))
        words = " ".join(data.split())
        if words:
            texts.append(words)
    return "\n\n".join(texts)


def _unstyled_parts(source: str) -> list[str]:
    """The split an unstyled walk takes: the tags of the structure only, others dropped."""
    return _STRUCTURE_TAGS.split(_OTHER_TAGS.sub("", source) if "<" in source else source)


def _walk(parts: list[str]) -> tuple[Block, ...]:
    walk = _Walk()
    raw = walk.raw
    if parts[0]:
        raw.append(parts[0])
    for index in range(1, len(parts), 4):
        if parts[index]:
            walk.end(parts[index + 1])
        else:
            walk.start(parts[index + 1], parts[index + 2])
        text = parts[index + 3]
        if text and not walk.skip:
            raw.append(text)
    walk.flush()
    return tuple(walk.blocks)


def text_blocks(text: str) -> tuple[Block, ...]:
    """Plain text as paragraph blocks (split at blank lines; single line breaks kept)."""
    paragraphs = re.split(r"\n[ \t\r\f\v]*\n", strip_controls(text).replace("\r", ""))
    return tuple(
        Block(BlockKind.PARAGRAPH, (Span(paragraph.strip()),))
        for paragraph in paragraphs
        if paragraph.strip()
    )


def blocks_text(blocks: tuple[Block, ...]) -> str:
    """Plain text of blocks for search and scoring: their texts apart by blank lines (no list
    bullets, link numbers or images)."""
    return "\n\n".join(text for text in (block.text.strip() for block in blocks) if text)


def _attributes(source: str) -> dict[str, str]:
    return {
        match[1]: html.unescape(match[2] or match[3] or match[4] or "")
        for match in _ATTRIBUTE.finditer(source)
    }


class _Walk:
    """The state of one walk: the blocks so far, the block being filled, what is open."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.inlines: list[Inline] = []  # of the block being filled
        self.raw: list[str] = []  # markup text since the last tag that matters, as it came
        self.pieces: list[str] = []  # clean text of the span being filled
        self.at_space = True  # the text so far ends a line or a space: drop a leading one
        self.filled = False  # the block being filled has an image or more than whitespace
        self.breaks = 0  # line breaks in a row at the end of the text so far
        self.bold = self.italic = self.code = 0
        self.link: str | None = None
        self.heading = 0
        self.pre = 0
        self.quote = 0
        self.skip = 0
        self.lists: list[int] = []  # per open list: the next number, or 0 for bullets
        self.entries = 0  # open list entries
        self.marker = ""  # the bullet of the entry whose first block is not out yet

    # -- text --------------------------------------------------------------------------------

    def settle(self) -> None:
        """Clean the text gathered since the last tag that matters into the span's pieces:
        references decoded, controls removed, whitespace collapsed (outside `<pre>`)."""
        raw = self.raw
        data = raw[0] if len(raw) == 1 else "".join(raw)
        raw.clear()
        if "<" in data:
            data = _ANY_TAG.sub("", data)
        if "&" in data:  # a reference may stand for a control character
            data = strip_controls(html.unescape(data))
        if not data:
            return
        if self.pre:
            if data[:1] == "\n" and not (self.pieces or self.inlines):
                data = data[1:]  # as in HTML, a line break right after <pre> is not text
            if data:
                self.pieces.append(data)
                self.filled = self.filled or not data.isspace()
            return
        if data.isspace():  # most often the line breaks between two blocks
            if not self.at_space:
                self.pieces.append(" ")
                self.at_space = True
            return
        words = " ".join(data.split())
        if data[0].isspace() and not self.at_space:
            words = " " + words
        self.at_space = data[-1].isspace()
        if self.at_space:
            words += " "
        self.pieces.append(words)
        self.breaks = 0
        self.filled = True

    def line_break(self) -> None:
        """A `<br>`; outside `<pre>`, none at a block's start and at most two in a row."""
        if self.raw:
            self.settle()
        if not self.pre:
            if self.breaks >= 2 or not (self.pieces or self.inlines):
                return
            if self.at_space:
                self.trim()
            self.breaks += 1
        self.pieces.append("\n")
        self.at_space = True

    def end_span(self) -> None:
        """Close the span being filled (before the style changes)."""
        if self.raw:
            self.settle()
        if self.pieces:
            text = "".join(self.pieces)
            self.pieces = []
            self.inlines.append(
                Span(text, self.bold > 0, self.italic > 0, self.code > 0, self.link)
            )

    def trim(self, blanks: str = " ") -> None:
        """Drop `blanks` at the end of the text so far (before a line break or the block's end)."""
        if self.pieces:
            self.pieces[-1] = self.pieces[-1].rstrip(blanks)
            return
        for index in range(len(self.inlines) - 1, -1, -1):
            inline = self.inlines[index]
            if isinstance(inline, Span):
                text = inline.text.rstrip(blanks)
                self.inlines[index] = Span(
                    text, inline.bold, inline.italic, inline.code, inline.link
                )
                return

    def flush(self) -> None:
        """End the block being filled; keep it unless it is empty."""
        if self.raw:
            self.settle()
        if self.filled:
            self.trim(" \t\n" if self.pre else " \n")
            self.end_span()
            self.add_block(self.inlines)
            self.filled = False
        if self.inlines:
            self.inlines = []
        if self.pieces:
            self.pieces = []
        self.at_space = True
        self.breaks = 0

    def add_block(self, inlines: list[Inline]) -> None:
        if self.heading:
            block = Block(BlockKind.HEADING, tuple(inlines), self.heading, quote=self.quote)
        elif self.pre:
            block = Block(BlockKind.PREFORMATTED, tuple(inlines), quote=self.quote)
        elif self.entries:
            depth = max(0, len(self.lists) - 1)
            block = Block(BlockKind.LIST_ITEM, tuple(inlines), depth, self.marker, self.quote)
            self.marker = ""
        else:
            block = Block(BlockKind.PARAGRAPH, tuple(inlines), quote=self.quote)
        self.blocks.append(block)

    # -- tags --------------------------------------------------------------------------------

    def start(self, name: str, attributes: str) -> None:
        if name in _SKIPPED:
            self.skip += 1
        elif name in BLOCK_TAGS:
            self.flush()
            self.open_block(name)
        elif name == "br":
            self.line_break()
        elif name == "a" or name in _BOLD or name in _ITALIC or name in _CODE:
            self.end_span()
            self.restyle(name, +1, attributes)
        elif name == "img":
            self.image(_attributes(attributes))
        elif name == "hr":
            self.flush()
            self.blocks.append(Block(BlockKind.RULE, quote=self.quote))
        elif name in _CELLS:
            self.raw.append(" ")

    def end(self, name: str) -> None:
        if name in _SKIPPED:
            self.skip = max(0, self.skip - 1)
        elif name in BLOCK_TAGS:
            self.flush()
            self.close_block(name)
        elif name == "a" or name in _BOLD or name in _ITALIC or name in _CODE:
            self.end_span()
            self.restyle(name, -1, "")

    def open_block(self, name: str) -> None:
        if name in _HEADINGS:
            self.heading = _HEADINGS[name]
        elif name == "pre":
            self.pre += 1
            self.at_space = False
        elif name == "blockquote":
            self.quote += 1
        elif name in ("ul", "ol"):
            self.lists.append(1 if name == "ol" else 0)
        elif name == "li":
            self.entries += 1
            self.marker = "•"
            if self.lists and self.lists[-1]:
                self.marker = f"{self.lists[-1]}."
                self.lists[-1] += 1

    def close_block(self, name: str) -> None:
        if name in _HEADINGS:
            self.heading = 0
        elif name == "pre":
            self.pre = max(0, self.pre - 1)
        elif name == "blockquote":
            self.quote = max(0, self.quote - 1)
        elif name in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
        elif name == "li":
            self.entries = max(0, self.entries - 1)
            self.marker = ""

    def restyle(self, name: str, step: int, attributes: str) -> None:
        if name == "a":
            href = plain(_attributes(attributes).get("href", "")) if step > 0 else ""
            self.link = href if href.startswith(_LINK_SCHEMES) else None
        elif name in _BOLD:
            self.bold = max(0, self.bold + step)
        elif name in _ITALIC:
            self.italic = max(0, self.italic + step)
        else:
            self.code = max(0, self.code + step)

    def image(self, attributes: dict[str, str]) -> None:
        if self.skip:
            return
        self.end_span()
        src = plain(attributes.get("src", ""))
        alt = plain(attributes.get("alt", ""))
        self.inlines.append(Image(alt, src if src.startswith(_IMAGE_SCHEMES) else None))
        self.at_space = False
        self.filled = True
