"""An item's body for the front ends: its text blocks, read from the stored sanitized HTML when
the item is shown (one parse-stage walk, `reader.parse.blocks`), and its links numbered.

Computed on show rather than stored at parse time: the sanitized HTML is already stored, one
item is shown at a time (a millisecond or less), and a better walk then improves every stored
item at once, with no schema change and no second copy of each body.
"""

from __future__ import annotations

from reader.models import Body, Item
from reader.parse.blocks import html_blocks, text_blocks


def item_body(item: Item) -> Body:
    """The item's body as blocks (from its sanitized HTML, else its plain text or summary),
    with what it carries and every link and image of its text, numbered."""
    if item.content_html:
        blocks = html_blocks(item.content_html)
    else:
        blocks = text_blocks(item.text or item.summary or "")
    return Body.of(blocks, item.enclosures)
