"""One walk from sanitized HTML to typed text blocks (`reader.parse.blocks`): what the blocks
hold, the plain text derived from them, how the core lays them out for `reader items show`,
and that the quicker unstyled walk gives the same text as the full one on every corpus body."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from reader.core import item_body
from reader.models import Block, BlockKind, Body, Image, Item, ItemLink, LinkKind, Span
from reader.parse import parse_document
from reader.parse.blocks import blocks_text, html_blocks, html_text, text_blocks
from reader.parse.sanitize import html_to_text, sanitize_html
from reader.store import open_store

from .conftest import CORPUS, needs_corpus
from .test_cli import run
from .test_tui import NOW, generated_items

ARTICLE = (
    "<h2>Allies <em>meet</em></h2>"
    "<p>Ministers met in\n  <a href='https://news.example/a'>the capital</a>.</p>"
    "<ol><li>first<ul><li>inner</li></ul></li><li><p>second</p><p>more</p></li></ol>"
    "<blockquote><p>Said <b>this</b></p></blockquote>"
    "<pre>\nline one\n  line two\n</pre><hr>"
    '<p>Photo <img alt="the hall" src="https://img.example/h.jpg"> here<br><br><br>end</p>'
    "<table><tr><th>Year</th><td>2026</td></tr></table>"
)


def test_blocks_keep_headings_lists_quotes_preformatted_text_links_and_images() -> None:
    blocks = html_blocks(ARTICLE)
    assert [(b.kind, b.level, b.marker, b.quote, b.text) for b in blocks] == [
        (BlockKind.HEADING, 2, "", 0, "Allies meet"),
        (BlockKind.PARAGRAPH, 0, "", 0, "Ministers met in the capital."),
        (BlockKind.LIST_ITEM, 0, "1.", 0, "first"),
        (BlockKind.LIST_ITEM, 1, "•", 0, "inner"),
        (BlockKind.LIST_ITEM, 0, "2.", 0, "second"),
        (BlockKind.LIST_ITEM, 0, "", 0, "more"),
        (BlockKind.PARAGRAPH, 0, "", 1, "Said this"),
        (BlockKind.PREFORMATTED, 0, "", 0, "line one\n  line two"),
        (BlockKind.RULE, 0, "", 0, ""),
        (BlockKind.PARAGRAPH, 0, "", 0, "Photo here\n\nend"),
        (BlockKind.PARAGRAPH, 0, "", 0, "Year 2026"),
    ]
    assert blocks[0].inlines == (Span("Allies "), Span("meet", italic=True))
    assert Span("the capital", link="https://news.example/a") in blocks[1].inlines
    assert Image("the hall", "https://img.example/h.jpg") in blocks[9].inlines


def test_plain_text_is_the_blocks_text_apart_by_blank_lines() -> None:
    cleaned = sanitize_html(ARTICLE, base=None, max_chars=10_000)
    expected = (
        "Allies meet\n\nMinisters met in the capital.\n\nfirst\n\ninner\n\nsecond\n\nmore\n\n"
        "Said this\n\nline one\n  line two\n\nPhoto here\n\nend\n\nYear 2026"
    )
    assert html_to_text(cleaned) == expected
    assert blocks_text(html_blocks(cleaned, styled=False)) == expected


@pytest.mark.parametrize(
    "markup",
    [
        "<p>a</p>b<p>c &amp; d</p>",
        "<p> a &#27; b </p>\n<p>\xa0</p>",
        "<ul><li>x</li><li> y <b>z</b></li></ul>text after",
        "<p>a<br>b<br><br><br>c</p>",
        "<pre> a\n  b</pre><p>c   d</p>",
        "<p>&lt;b&gt;x&lt;/b&gt;</p>a<p",
        "<table><tr><td>a</td><td>b</td></tr></table><hr><p>c</p>",
        "<script>x</script><h1>T</h1><blockquote><p>q</p></blockquote>",
    ],
)
def test_paragraph_text_is_the_walks_text(markup: str) -> None:
    assert html_text(markup) == blocks_text(html_blocks(markup, styled=False))


def test_the_shown_body_lays_out_bullets_quotes_and_numbered_links() -> None:
    body = Body.of(
        html_blocks(ARTICLE), (ItemLink("https://cdn.example/a.mp3", LinkKind.ENCLOSURE),)
    )
    assert [link.url for link in body.links] == [
        "https://cdn.example/a.mp3",
        "https://news.example/a",
        "https://img.example/h.jpg",
    ]
    assert body.plain == (
        "Allies meet\n\nMinisters met in the capital[2].\n\n1. first\n  • inner\n2. second\n"
        "  more\n\n▌ Said this\n\nline one\n  line two\n\n" + "─" * 20 + "\n\n"
        "Photo [image: the hall][3] here\n\nend\n\nYear 2026"
    )


def test_control_characters_and_scripts_never_reach_a_block() -> None:
    blocks = html_blocks("<p>a\x1b[2Jb&#27;c</p><script>alert(1)</script><style>p{}</style>")
    assert [b.text for b in blocks] == ["a[2Jbc"]


def test_plain_text_bodies_become_paragraphs_with_their_line_breaks() -> None:
    blocks = text_blocks("First line\nsecond line\n \nNext\x1b paragraph\r\n\r\n\r\n")
    assert [(b.kind, b.text) for b in blocks] == [
        (BlockKind.PARAGRAPH, "First line\nsecond line"),
        (BlockKind.PARAGRAPH, "Next paragraph"),
    ]


def test_an_item_without_html_shows_its_text() -> None:
    item = Item(id=1, source_id=1, source="s", identity="i", text="Only\n\ntext")
    assert item_body(item) == Body(
        (Block(BlockKind.PARAGRAPH, (Span("Only"),)), Block(BlockKind.PARAGRAPH, (Span("text"),)))
    )


@needs_corpus
def test_the_quick_unstyled_walk_and_paragraph_text_give_the_same_text_for_every_body() -> None:
    bodies = 0
    for path in sorted((CORPUS / "feeds").rglob("*")):
        if not path.is_file():
            continue
        try:
            parsed = parse_document(path.read_bytes(), url="https://corpus.example/f")
        except Exception:  # documents that are not feeds are the parser tests' business
            continue
        for item in parsed.items:
            if item.content_html:
                styled = blocks_text(html_blocks(item.content_html))
                assert styled == blocks_text(html_blocks(item.content_html, styled=False))
                assert styled == html_text(item.content_html)
                assert styled.startswith(item.text or "")  # the stored text (cut to a cap)
                bodies += 1
    assert bodies > 1000


def test_items_show_prints_the_laid_out_body_with_link_numbers(tmp_path: Path) -> None:
    with open_store(tmp_path / "r.db") as store:
        feed = store.add_feed("https://news.example/feed.xml")
        [write] = generated_items(1)
        content = (
            '<p>See <a href="https://news.example/x">this</a>.</p><ul><li>a</li><li>b</li></ul>'
        )
        store.write_items(feed.id, [replace(write, content_html=content)], now=NOW)
        item_id = store.get_items()[0].id
    shown = run(tmp_path, "items", "show", str(item_id)).stdout
    assert "See this[1].\n\n• a\n• b\n\nlinks:\n  [1] https://news.example/x (link)" in shown


def test_importing_the_block_walk_does_not_load_the_feed_parsers() -> None:
    code = (
        "import sys, reader.parse.blocks, reader.core; "
        "print(sorted({'feedparser', 'nh3', 'reader.parse.document'} & set(sys.modules)))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


@pytest.mark.parametrize("fragment", ["", "   ", "<p></p><div>\n</div>", "<span></span>"])
def test_empty_markup_has_no_blocks(fragment: str) -> None:
    assert html_blocks(fragment) == ()
